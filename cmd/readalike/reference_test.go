package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"
	"testing"

	"github.com/readalike/readalike/recommend"
	"github.com/readalike/readalike/recommend/recommendtest"
	"github.com/readalike/readalike/vectorize"
)

// analyzedRow is one line of analyze --input [--vectors].
type analyzedRow struct {
	ID      string             `json:"id"`
	Words   int                `json:"words"`
	Terms   map[string]uint32  `json:"terms"`
	Weights map[string]float64 `json:"weights"`
}

// analyzed is the output of analyze --input --vectors: the model line and
// the articles in order.
type analyzed struct {
	Model map[string]any
	Rows  []analyzedRow
}

func parseAnalyzed(t *testing.T, r io.Reader) analyzed {
	t.Helper()
	var out analyzed
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for n := 1; sc.Scan(); n++ {
		if n == 1 && strings.HasPrefix(sc.Text(), `{"model":`) {
			var m struct{ Model map[string]any }
			if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
				t.Fatalf("line 1: %v", err)
			}
			out.Model = m.Model
			continue
		}
		var row analyzedRow
		dec := json.NewDecoder(strings.NewReader(sc.Text()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&row); err != nil {
			t.Fatalf("line %d: %v: %s", n, err, sc.Text())
		}
		out.Rows = append(out.Rows, row)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// neighbor is one entry of a neighbor list, as batch and the API give it.
type neighbor struct {
	ID    string  `json:"id"`
	Score float64 `json:"score"`
}

// reference is the brute-force reference of recommendtest over the
// weights analyze --input --vectors printed: the CLI's own account of the
// vectors, checked against what batch, similar and the API answer.
type reference struct {
	*recommendtest.Reference
	ids []string // in the order analyze printed them
}

func newReference(a analyzed) *reference {
	r := &reference{Reference: recommendtest.NewReference(recommend.Generation{}, vectorize.ModelOptions{}, 0)}
	for _, row := range a.Rows {
		r.ids = append(r.ids, row.ID)
		r.Articles[row.ID] = recommend.Article{ID: row.ID}
		r.Vecs[row.ID] = row.Weights
	}
	return r
}

func (r *reference) cosine(a, b string) float64 { return recommendtest.Dot(r.Vecs[a], r.Vecs[b]) }

// nearest returns the k nearest articles of id, near-duplicates at or
// above dedup left out (+Inf keeps them).
func (r *reference) nearest(id string, k int, dedup float64) []neighbor {
	r.Dedup = dedup
	q := recommend.Query{K: k, NoDedup: math.IsInf(dedup, 1)}
	var out []neighbor
	for _, n := range r.SimilarID(id, q) {
		out = append(out, neighbor{n.ID, n.Score})
	}
	return out
}

// diffNeighbors compares a neighbor list of query with the reference's:
// the same length, each score within tol of the reference's at that rank,
// and each id the reference's, or one whose own reference score is within
// tol of it (ids may swap within a tie). It returns what differs, or "".
func (r *reference) diffNeighbors(query string, got, want []neighbor, tol float64) string {
	var b strings.Builder
	if len(got) != len(want) {
		fmt.Fprintf(&b, "%d neighbors, want %d\n", len(got), len(want))
	}
	seen := map[string]bool{}
	for i := range min(len(got), len(want)) {
		g, w := got[i], want[i]
		switch {
		case g.ID == query:
			fmt.Fprintf(&b, "rank %d: the article itself\n", i+1)
		case seen[g.ID]:
			fmt.Fprintf(&b, "rank %d: %s again\n", i+1, g.ID)
		case !within(g.Score, w.Score, tol):
			fmt.Fprintf(&b, "rank %d: got %s %.9f, want %s %.9f\n", i+1, g.ID, g.Score, w.ID, w.Score)
		case g.ID != w.ID && !within(r.cosine(query, g.ID), w.Score, tol):
			fmt.Fprintf(&b, "rank %d: got %s (reference score %.9f), want %s %.9f\n", i+1, g.ID, r.cosine(query, g.ID), w.ID, w.Score)
		}
		seen[g.ID] = true
	}
	if b.Len() > 0 {
		return fmt.Sprintf("neighbors of %s:\n%sgot  %v\nwant %v", query, b.String(), got, want)
	}
	return ""
}

// The reference ranks by score, then id, leaves out the article itself,
// near duplicates and articles sharing nothing; diffNeighbors accepts ids
// swapped within a tie and nothing else.
func TestReference(t *testing.T) {
	r := newReference(analyzed{Rows: []analyzedRow{
		{ID: "q", Weights: map[string]float64{"a": 0.6, "b": 0.8}},
		{ID: "dup", Weights: map[string]float64{"a": 0.6, "b": 0.8}},
		{ID: "y", Weights: map[string]float64{"a": 1}},
		{ID: "x", Weights: map[string]float64{"a": 1}},
		{ID: "z", Weights: map[string]float64{"b": 0.5, "c": 0.866}},
		{ID: "none", Weights: map[string]float64{"c": 1}},
	}})
	// x and y are the same story: with dedup on only x, the first by id,
	// is offered; with it off, both.
	want := []neighbor{{"x", 0.6}, {"z", 0.4}}
	got := r.nearest("q", 5, 0.9)
	if d := r.diffNeighbors("q", got, want, 1e-12); d != "" || len(got) != 2 || got[0].ID != "x" {
		t.Errorf("nearest: %v, want %v\n%s", got, want, d)
	}
	want = []neighbor{{"dup", 1}, {"x", 0.6}, {"y", 0.6}, {"z", 0.4}}
	got = r.nearest("q", 5, math.Inf(1))
	if d := r.diffNeighbors("q", got, want, 1e-12); d != "" || len(got) != 4 || got[1].ID != "x" {
		t.Errorf("nearest without dedup: %v, want %v\n%s", got, want, d)
	}
	// diffNeighbors on its own, against a list with a tie.
	want = []neighbor{{"x", 0.6}, {"y", 0.6}, {"z", 0.4}}
	for _, tc := range []struct {
		name string
		got  []neighbor
		ok   bool
	}{
		{"same", want, true},
		{"tie swapped", []neighbor{{"y", 0.6}, {"x", 0.6}, {"z", 0.4}}, true},
		{"wrong id", []neighbor{{"x", 0.6}, {"none", 0.6}, {"z", 0.4}}, false},
		{"wrong score", []neighbor{{"x", 0.6}, {"y", 0.6}, {"z", 0.41}}, false},
		{"itself", []neighbor{{"q", 0.6}, {"y", 0.6}, {"z", 0.4}}, false},
		{"twice", []neighbor{{"x", 0.6}, {"x", 0.6}, {"z", 0.4}}, false},
		{"short", want[:2], false},
	} {
		if d := r.diffNeighbors("q", tc.got, want, 1e-9); (d == "") != tc.ok {
			t.Errorf("%s: diff %q, want ok=%t", tc.name, d, tc.ok)
		}
	}
}
