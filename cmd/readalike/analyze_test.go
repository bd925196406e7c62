package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/readalike/readalike/recommend"
	"github.com/readalike/readalike/recommend/recommendtest"
	"github.com/readalike/readalike/vectorize"
)

func TestAnalyzeText(t *testing.T) {
	r := mustRun(t, "analyze", "--title", "Lunar landers", "The runners were running quickly in 2024 and 123456")
	for _, want := range []string{
		"language en,",
		"settings: title_weight=3 short_body=60",
		"lunar landers→lander",
		"(the: stop)", "(were: stop)", "(and: stop)",
		"running→run", "runners→runner",
		"(123456: number)",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
		}
	}
	terms := r.stdout[strings.Index(r.stdout, "terms:"):]
	// A body under 60 words: the title counts once.
	for _, want := range []string{"lander  1", "lunar   1", "run     1", "2024    1"} {
		if !strings.Contains(terms, want) {
			t.Errorf("terms table lacks %q:\n%s", want, terms)
		}
	}

	var ins vectorize.Inspection
	r = mustRun(t, "analyze", "--json", "--lang", "fr", "Des chanteurs chantaient")
	if err := json.Unmarshal([]byte(r.stdout), &ins); err != nil {
		t.Fatal(err)
	}
	if ins.Lang != "fr" || len(ins.Tokens) != 3 || ins.Tokens[0].Dropped != "stop" || ins.Tokens[1].Term == "" || ins.Tokens[1].Term == "chanteurs" {
		t.Errorf("inspection %+v", ins)
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"analyze"}, "give one TEXT"},
		{[]string{"analyze", "a", "b"}, "give one TEXT"},
		{[]string{"analyze", "--input", "x.jsonl", "text"}, "either TEXT or --input"},
		{[]string{"analyze", "--vectors", "text"}, "--vectors goes with --input"},
	} {
		if r := readalike(t, tc.args...); r.code != exitUsage || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%q: exit %d, stderr:\n%s\nwant exit 2 and %q", tc.args, r.code, r.stderr, tc.want)
		}
	}
	if r := readalike(t, "analyze", "--lang", "xx", "text"); r.code != exitFailed {
		t.Errorf("unknown language: exit %d, want 1", r.code)
	}
}

// With --data, the terms are weighed under the collection's model.
func TestAnalyzeWithData(t *testing.T) {
	data, _ := ingestedCorpus(t)
	var ins vectorize.Inspection
	r := mustRun(t, "analyze", "--data", data, "--json", "the lunar rocket reached orbit")
	if err := json.Unmarshal([]byte(r.stdout), &ins); err != nil {
		t.Fatal(err)
	}
	var sq float64
	for _, c := range ins.Counts {
		// "reach" is in no article: weighed as if its df were 1.
		if (c.Term != "reach" && c.DF == 0) || c.IDF <= 1 {
			t.Errorf("term %+v lacks its df or idf", c)
		}
		sq += c.Weight * c.Weight
	}
	if ins.Model == "" || !within(sq, 1, 1e-9) {
		t.Errorf("model %q, sum of squared weights %v", ins.Model, sq)
	}
	if r := readalike(t, "analyze", "--data", filepath.Join(t.TempDir(), "typo"), "text"); r.code != exitFailed || !strings.Contains(r.stderr, "no collection at") {
		t.Errorf("missing collection: exit %d, stderr:\n%s", r.code, r.stderr)
	}
}

func TestAnalyzeInput(t *testing.T) {
	dir := t.TempDir()
	in := corpusFile(t, dir)
	r := mustRun(t, "analyze", "--input", in)
	rows := parseAnalyzed(t, strings.NewReader(r.stdout))
	corpus := testCorpus()
	if rows.Model != nil || len(rows.Rows) != len(corpus) {
		t.Fatalf("got model %v and %d rows, want no model and %d rows", rows.Model, len(rows.Rows), len(corpus))
	}
	for i, row := range rows.Rows {
		if row.ID != corpus[i].ID || row.Words == 0 || len(row.Terms) == 0 || row.Weights != nil {
			t.Errorf("row %d: %+v", i, row)
		}
	}
	// One line per article: id, words, terms and nothing else.
	first := strings.SplitN(r.stdout, "\n", 2)[0]
	var keys map[string]json.RawMessage
	if err := json.Unmarshal([]byte(first), &keys); err != nil || len(keys) != 3 {
		t.Errorf("first line %s, want the keys id, words and terms", first)
	}
}

// analyze --input --vectors prints each article's weights under a model
// fitted on the file: here they are recomputed from the printed terms and
// the document frequencies counted over the printed lines.
func TestAnalyzeVectors(t *testing.T) {
	in := corpusFile(t, t.TempDir())
	a := parseAnalyzed(t, strings.NewReader(mustRun(t, "analyze", "--input", in, "--vectors").stdout))
	checkVectors(t, a)
}

func checkVectors(t *testing.T, a analyzed) {
	t.Helper()
	n := len(a.Rows)
	want := map[string]any{"articles": float64(n), "tf": vectorize.DefaultTF.String(), "idf": "ln((1+N)/(1+df))+1", "norm": "l2"}
	for k, v := range want {
		if a.Model[k] != v {
			t.Errorf("model line: %s = %v, want %v (%v)", k, a.Model[k], v, a.Model)
		}
	}
	df := map[string]int{}
	for _, row := range a.Rows {
		for term := range row.Terms {
			df[term]++
		}
	}
	gen := recommend.Generation{N: n, DF: map[string]uint32{}}
	for term, d := range df {
		gen.DF[term] = uint32(d)
	}
	ref := recommendtest.NewReference(gen, vectorize.ModelOptions{}, 0)
	bad := 0
	for _, row := range a.Rows {
		var sq float64
		m := map[string]uint32{}
		for term, c := range row.Terms {
			m[term] = c
		}
		w := ref.Weigh(vectorize.CountsFromMap(m))
		if len(row.Weights) != len(row.Terms) {
			t.Errorf("%s: %d weights for %d terms", row.ID, len(row.Weights), len(row.Terms))
		}
		for term, got := range row.Weights {
			sq += got * got
			if !within(got, w[term], 1e-9) && bad < 10 {
				bad++
				t.Errorf("%s: weight of %q is %.12f, want %.12f", row.ID, term, got, w[term])
			}
		}
		if len(row.Terms) > 0 && !within(sq, 1, 1e-9) {
			t.Errorf("%s: sum of squared weights %.12f, want 1", row.ID, sq)
		}
	}
}

// analyze --input keeps the articles ingest keeps: a record ingest rejects
// is reported and skipped (status 3), and of a repeated id the later line
// counts. So the model it fits is the one of a collection of the file.
func TestAnalyzeInputLikeIngest(t *testing.T) {
	dir := t.TempDir()
	in, good, bad, _ := badInput(t, dir)
	lines := mustRead(t, in) + jsonLines(t, art{ID: "good-1", Title: "One again", Body: "a later version of the first"})
	writeFile(t, in, lines)
	r := readalike(t, "analyze", "--input", in, "--vectors")
	if r.code != exitSkipped {
		t.Errorf("exit %d, want %d", r.code, exitSkipped)
	}
	for line, reason := range bad {
		if want := fmt.Sprintf("%s:%d: %s", in, line, reason); !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	a := parseAnalyzed(t, strings.NewReader(r.stdout))
	var ids []string
	for _, row := range a.Rows {
		ids = append(ids, row.ID)
	}
	if !slices.Equal(ids, good) {
		t.Errorf("rows %v, want %v", ids, good)
	}
	if a.Rows[0].Terms["later"] == 0 {
		t.Errorf("good-1 is %v, want the later line's terms", a.Rows[0].Terms)
	}
	checkVectors(t, a)
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
