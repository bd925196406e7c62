package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/readalike/readalike/benchmarks/relevance"
)

func TestFlagsDefaultToTheEngine(t *testing.T) {
	c, err := parseFlags([]string{"x.jsonl"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.base, relevance.Defaults(); got != want {
		t.Errorf("settings = %v, want the engine's %v", got, want)
	}
	if _, err := parseFlags([]string{"-tf", "log", "x.jsonl"}, io.Discard); err == nil {
		t.Error("-tf log accepted")
	}
	if _, err := parseFlags([]string{"-sweep", "-knobs", "colour", "x.jsonl"}, io.Discard); err == nil {
		t.Error("an unknown knob accepted")
	}
	// No file means every corpus of ../shared/data, or an error saying to
	// give them where that is absent.
	c, err = parseFlags(nil, io.Discard)
	switch {
	case err != nil && !strings.Contains(err.Error(), "give them as arguments"):
		t.Errorf("no file: %v, want the shared corpora or an error saying to give them", err)
	case err == nil && (len(c.files) == 0 || !strings.Contains(c.files[0], filepath.Join("shared", "data"))):
		t.Errorf("no file: files %v, want those of ../shared/data", c.files)
	}
}

func TestSweepVariesOneKnobAtATime(t *testing.T) {
	base := relevance.Defaults()
	got := sweep(base, []string{"title", "dedup"})
	if got[0] != base {
		t.Fatalf("first setting = %v, want the base %v", got[0], base)
	}
	// title 1..4 and dedup 0.8, 0.9, 0.95, 0.9999, off, less the base's own.
	if want := 1 + 3 + 4; len(got) != want {
		t.Errorf("%d settings, want %d: %v", len(got), want, got)
	}
	for _, s := range got[1:] {
		if (s.TitleWeight != base.TitleWeight) == (s.Dedup != base.Dedup) {
			t.Errorf("%v does not differ from the base in exactly one knob", s)
		}
	}
}

// TestRunSmallCorpus runs the command end to end on a corpus of two
// topics with one exact duplicate.
func TestRunSmallCorpus(t *testing.T) {
	var lines []string
	topics := map[string][]string{
		"space": {"rocket launch orbit", "moon landing crew", "satellite orbit launch", "astronaut crew station", "mars rover landing", "orbit station rocket"},
		"food":  {"bread flour oven", "cheese milk farm", "oven roast dinner", "flour pasta sauce", "farm milk butter", "sauce dinner recipe"},
	}
	for cat, bodies := range topics {
		for i, b := range bodies {
			line, _ := json.Marshal(relevance.Article{ID: fmt.Sprintf("%s-%d", cat, i), Title: cat, Body: b, Category: cat})
			lines = append(lines, string(line))
		}
	}
	twin, _ := json.Marshal(relevance.Article{ID: "space-twin", Title: "space", Body: topics["space"][0], Category: "space"})
	lines = append(lines, string(twin))
	path := filepath.Join(t.TempDir(), "small.jsonl")
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"-json", path}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	var r relevance.Result
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("%v in %s", err, out.Bytes())
	}
	if r.Articles != 13 || r.P5 <= 0 || r.P5 > 1 {
		t.Errorf("articles %d, P@5 %g; want 13 and a share", r.Articles, r.P5)
	}
	if r.TwinShown != 0 || r.NoDedup.TwinShown != 2 {
		t.Errorf("twin shown %d with dedup, %d without; want 0 and 2", r.TwinShown, r.NoDedup.TwinShown)
	}
	out.Reset()
	if err := run(context.Background(), []string{"-categories", path}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "small") || !strings.Contains(out.String(), "food") {
		t.Errorf("the table lacks the corpus or a category:\n%s", out.String())
	}
}
