package main

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/readalike/readalike/recommend"
)

// ingestedCorpus ingests the test corpus into a new collection and returns
// its directory and the input file.
func ingestedCorpus(t *testing.T) (data, in string) {
	t.Helper()
	dir := t.TempDir()
	in = corpusFile(t, dir)
	data = filepath.Join(dir, "data")
	mustRun(t, "ingest", "--data", data, in)
	return data, in
}

// similarOut is the JSON of similar --json and of the HTTP API.
type similarOut struct {
	ID         string               `json:"id"`
	Generation uint64               `json:"generation"`
	Neighbors  []recommend.Neighbor `json:"neighbors"`
}

func decodeSimilar(t *testing.T, b []byte) similarOut {
	t.Helper()
	var out similarOut
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&out); err != nil {
		t.Fatalf("%v:\n%s", err, b)
	}
	return out
}

func TestSimilar(t *testing.T) {
	data, in := ingestedCorpus(t)
	ref := newReference(parseAnalyzed(t, strings.NewReader(mustRun(t, "analyze", "--input", in, "--vectors").stdout)))

	t.Run("table", func(t *testing.T) {
		r := mustRun(t, "similar", "--data", data, "space-01")
		lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
		if len(lines) != 6 || !regexp.MustCompile(`^RANK\s+SCORE\s+ID\s+TITLE$`).MatchString(lines[0]) {
			t.Fatalf("stdout:\n%s\nwant a header and 5 rows", r.stdout)
		}
		want := ref.nearest("space-01", 5, recommend.DefaultDedup)
		for i, l := range lines[1:] {
			f := strings.Fields(l)
			if f[0] != string(rune('1'+i)) || f[2] != want[i].ID {
				t.Errorf("row %d: %q, want rank %d and id %s", i+1, l, i+1, want[i].ID)
			}
		}
		if r.stderr != "" {
			t.Errorf("stderr: %s", r.stderr)
		}
	})

	t.Run("json", func(t *testing.T) {
		r := mustRun(t, "similar", "space-01", "--data", data, "--json", "--k", "8")
		var shape map[string]json.RawMessage
		if err := json.Unmarshal([]byte(r.stdout), &shape); err != nil {
			t.Fatal(err)
		}
		if len(shape) != 3 || shape["id"] == nil || shape["generation"] == nil || shape["neighbors"] == nil {
			t.Errorf("keys of %s, want id, generation and neighbors", r.stdout)
		}
		out := decodeSimilar(t, []byte(r.stdout))
		if out.ID != "space-01" || out.Generation != 2 {
			t.Errorf("id %q generation %d, want space-01 and 2", out.ID, out.Generation)
		}
		got := make([]neighbor, len(out.Neighbors))
		for i, m := range out.Neighbors {
			got[i] = neighbor{m.ID, m.Score}
			if m.Title == "" || m.Category == "" || (!strings.HasPrefix(m.ID, "space-twin") && (!strings.HasPrefix(m.URL, "https://example.com/") || m.Published.IsZero())) {
				t.Errorf("match %d lacks fields: %+v", i, m)
			}
		}
		if d := ref.diffNeighbors("space-01", got, ref.nearest("space-01", 8, recommend.DefaultDedup), 1e-6); d != "" {
			t.Error(d)
		}
		for _, m := range out.Neighbors {
			if m.ID == "space-01-copy" {
				t.Error("the near-duplicate space-01-copy is among the neighbors")
			}
		}
	})

	t.Run("no dedup", func(t *testing.T) {
		out := decodeSimilar(t, []byte(mustRun(t, "similar", "--data", data, "--json", "--dedup=false", "space-01").stdout))
		if len(out.Neighbors) == 0 || out.Neighbors[0].ID != "space-01-copy" {
			t.Errorf("first neighbor %v, want the near-duplicate space-01-copy", out.Neighbors)
		}
	})

	t.Run("ties by id", func(t *testing.T) {
		out := decodeSimilar(t, []byte(mustRun(t, "similar", "--data", data, "--json", "--k", "40", "--dedup=false", "space-03").stdout))
		a, b := -1, -1
		for i, m := range out.Neighbors {
			switch m.ID {
			case "space-twin-a":
				a = i
			case "space-twin-b":
				b = i
			}
		}
		if a < 0 || b != a+1 || out.Neighbors[a].Score != out.Neighbors[b].Score {
			t.Errorf("twins at %d and %d of %v, want b right after a with the same score", a, b, out.Neighbors)
		}
	})

	t.Run("filters", func(t *testing.T) {
		out := decodeSimilar(t, []byte(mustRun(t, "similar", "--data", data, "--json", "--category", "music,football", "--exclude", "music-01", "space-01").stdout))
		for _, m := range out.Neighbors {
			if (m.Category != "music" && m.Category != "football") || m.ID == "music-01" {
				t.Errorf("match %+v breaks the filters", m)
			}
		}
	})

	t.Run("text", func(t *testing.T) {
		out := decodeSimilar(t, []byte(mustRun(t, "similar", "--data", data, "--json", "--text", "the striker scored a penalty in the derby", "--title", "Derby penalty").stdout))
		if out.ID != "" || len(out.Neighbors) != 5 || out.Neighbors[0].Category != "football" {
			t.Errorf("got %+v, want no id and 5 matches, football first", out)
		}
		r := mustRun(t, "similar", "--data", data, "--text", "zzzz qqqq")
		if !strings.Contains(r.stdout, "(no similar article)") {
			t.Errorf("stdout:\n%s", r.stdout)
		}
	})

	t.Run("errors", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			args []string
			code int
			want string
		}{
			{"unknown id", []string{"--data", data, "no-such-id"}, exitFailed, `article "no-such-id": not found`},
			{"k 0", []string{"--data", data, "--k", "0", "space-01"}, exitUsage, "--k must be from 1 to 100"},
			{"k 101", []string{"--data", data, "--k", "101", "space-01"}, exitUsage, "--k: must be an integer from 1 to 100"},
			{"min score", []string{"--data", data, "--min-score", "2", "space-01"}, exitUsage, "--min-score: must be a number from 0 to 1"},
			{"bad from", []string{"--data", data, "--from", "yesterday", "space-01"}, exitUsage, "--from:"},
			{"id and text", []string{"--data", data, "--text", "x", "space-01"}, exitUsage, "exactly one of"},
			{"neither", []string{"--data", data}, exitUsage, "exactly one of"},
			{"no data", []string{"space-01"}, exitUsage, "--data is required"},
			{"no collection", []string{"--data", filepath.Join(t.TempDir(), "typo"), "space-01"}, exitFailed, "no collection at"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := readalike(t, append([]string{"similar"}, tc.args...)...)
				if r.code != tc.code || !strings.Contains(r.stderr, tc.want) {
					t.Errorf("got exit %d, stderr:\n%s\nwant exit %d and %q", r.code, r.stderr, tc.code, tc.want)
				}
			})
		}
	})
}

func TestRefitAndStats(t *testing.T) {
	data, _ := ingestedCorpus(t)
	stats := func() map[string]any {
		t.Helper()
		var m map[string]any
		if err := json.Unmarshal([]byte(mustRun(t, "stats", "--data", data, "--json").stdout), &m); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"articles", "terms", "generation", "store_bytes"} {
			if _, ok := m[k].(float64); !ok {
				t.Errorf("stats --json lacks the number %q: %v", k, m)
			}
		}
		return m
	}
	st := stats()
	if st["articles"] != 41.0 || st["generation"] != 2.0 || st["terms"].(float64) < 50 || st["store_bytes"].(float64) <= 0 {
		t.Errorf("stats %v, want 41 articles, generation 2, some terms and bytes", st)
	}
	r := mustRun(t, "refit", "--data", data)
	if r.stdout != "generation 3 fitted on 41 articles\n" {
		t.Errorf("refit printed %q", r.stdout)
	}
	mustRun(t, "refit", "--data", data)
	if st := stats(); st["generation"] != 4.0 || st["articles"] != 41.0 {
		t.Errorf("after two refits: %v, want generation 4", st)
	}
	r = mustRun(t, "stats", "--data", data)
	for _, re := range []string{`articles\s+41\n`, `generation\s+4 \(fitted on 41 articles, 0 changed since\)`, `store size\s+[0-9.]+ [KM]iB`} {
		if !regexp.MustCompile(re).MatchString(r.stdout) {
			t.Errorf("stats:\n%s\nwant it to match %s", r.stdout, re)
		}
	}
	if r := mustRun(t, "similar", "--data", data, "--json", "space-02"); decodeSimilar(t, []byte(r.stdout)).Generation != 4 {
		t.Errorf("similar after refits: %s", r.stdout)
	}
	for _, cmd := range []string{"refit", "stats"} {
		if r := readalike(t, cmd); r.code != exitUsage || !strings.Contains(r.stderr, "--data is required") {
			t.Errorf("%s without --data: exit %d, stderr:\n%s", cmd, r.code, r.stderr)
		}
		typo := filepath.Join(t.TempDir(), "typo")
		if r := readalike(t, cmd, "--data", typo); r.code != exitFailed || !strings.Contains(r.stderr, "no collection at") {
			t.Errorf("%s of a missing directory: exit %d, stderr:\n%s", cmd, r.code, r.stderr)
		}
	}
}

func TestBytesText(t *testing.T) {
	for _, tc := range []struct {
		n    int64
		want string
	}{{0, "0 B"}, {1023, "1023 B"}, {1024, "1.0 KiB"}, {1536, "1.5 KiB"}, {5 << 20, "5.0 MiB"}, {3 << 30, "3.0 GiB"}} {
		if got := bytesText(tc.n); got != tc.want {
			t.Errorf("bytesText(%d) = %q, want %q", tc.n, got, tc.want)
		}
	}
}

// show prints an article the way the reading page lays it out; similar
// --explain says why.
func TestShowAndExplain(t *testing.T) {
	data, _ := ingestedCorpus(t)
	r := mustRun(t, "show", "--data", data, "space-01")
	for _, want := range []string{"Summary\n", "words", "read count", "category", "space", "published"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("show lacks %q:\n%s", want, r.stdout)
		}
	}
	var a recommend.Article
	if err := json.Unmarshal([]byte(mustRun(t, "show", "--data", data, "--json", "space-01").stdout), &a); err != nil || a.Summary == "" || a.ID != "space-01" {
		t.Errorf("show --json: %+v, %v", a, err)
	}
	if r := readalike(t, "show", "--data", data, "nope"); r.code != exitFailed || !strings.Contains(r.stderr, "not found") {
		t.Errorf("show of an unknown id: exit %d, %s", r.code, r.stderr)
	}
	r = mustRun(t, "similar", "--data", data, "--explain", "--k", "3", "space-01")
	if strings.Count(r.stdout, "why: ") != 3 || !strings.Contains(r.stdout, "other ") {
		t.Errorf("similar --explain:\n%s", r.stdout)
	}
}
