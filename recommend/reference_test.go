package recommend

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/readalike/readalike/vectorize"
)

// reference is the brute-force scorer every fast path is checked against:
// float64 TF-IDF weights computed from the term counts and the generation's
// idf table as DESIGN.md states them, and the cosine with every article.
type reference struct {
	gen      Generation
	sublin   bool
	articles map[string]Article
	vecs     map[string]map[string]float64
}

// defaultSublinear is whether the zero ModelOptions weigh with sublinear tf.
const defaultSublinear = vectorize.DefaultTF == vectorize.TFSublinear

func newReference(gen Generation, sublinear bool, s *memStore) *reference {
	r := &reference{gen: gen, sublin: sublinear, articles: map[string]Article{}, vecs: map[string]map[string]float64{}}
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, a := range s.articles {
		r.articles[id] = a
		m := map[string]float64{}
		for _, tc := range s.counts[id] {
			m[tc.Term] = float64(tc.Count)
		}
		r.vecs[id] = r.weigh(m)
	}
	return r
}

func (r *reference) weigh(counts map[string]float64) map[string]float64 {
	w := map[string]float64{}
	var norm float64
	for t, c := range counts {
		df := r.gen.DF[t]
		if df == 0 {
			df = 1 // a term the table lacks
		}
		tf := c
		if r.sublin {
			tf = 1 + math.Log(c)
		}
		w[t] = tf * (math.Log(float64(1+r.gen.N)/float64(1+df)) + 1)
		norm += w[t] * w[t]
	}
	for t := range w {
		w[t] /= math.Sqrt(norm)
	}
	return w
}

func dot(a, b map[string]float64) float64 {
	var s float64
	for t, w := range a {
		s += w * b[t]
	}
	return s
}

// similar answers a query by scoring every article.
func (r *reference) similar(q map[string]float64, self string, qu Query, dedup float64) []Match {
	if qu.NoDedup {
		dedup = math.Inf(1)
	}
	var out []Match
	for id, a := range r.articles {
		if id == self || slices.Contains(qu.Exclude, id) {
			continue
		}
		if len(qu.Categories) > 0 && !slices.Contains(qu.Categories, a.Category) {
			continue
		}
		if !qu.From.IsZero() && (a.Published.IsZero() || a.Published.Before(qu.From)) {
			continue
		}
		if !qu.To.IsZero() && (a.Published.IsZero() || a.Published.After(qu.To)) {
			continue
		}
		s := dot(q, r.vecs[id])
		if s <= 0 || s < qu.MinScore || s >= dedup {
			continue
		}
		out = append(out, Match{ID: id, Score: s})
	}
	slices.SortFunc(out, func(a, b Match) int {
		if a.Score != b.Score {
			if a.Score > b.Score {
				return -1
			}
			return 1
		}
		return strings.Compare(a.ID, b.ID)
	})
	// One story is offered once: a match that is a near-duplicate of a
	// better one is left out.
	var kept []Match
	for _, m := range out {
		if len(kept) == qu.k() {
			break
		}
		if !slices.ContainsFunc(kept, func(y Match) bool { return dot(r.vecs[m.ID], r.vecs[y.ID]) >= dedup }) {
			kept = append(kept, m)
		}
	}
	return kept
}

// checkMatches compares an engine answer with the reference's: the same
// number of matches, the same scores rank by rank to 1e-6, and each id the
// reference ranks there (ids may differ only inside a group of scores tied
// to 1e-6).
func checkMatches(t *testing.T, what string, got, want []Match) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d matches, want %d\ngot  %v\nwant %v", what, len(got), len(want), brief(got), brief(want))
	}
	for i := range got {
		if math.Abs(got[i].Score-want[i].Score) > 1e-6 {
			t.Fatalf("%s: rank %d score %.9f, want %.9f\ngot  %v\nwant %v", what, i, got[i].Score, want[i].Score, brief(got), brief(want))
		}
		if got[i].ID != want[i].ID && !tiedWith(want, got[i]) {
			t.Fatalf("%s: rank %d is %s, want %s\ngot  %v\nwant %v", what, i, got[i].ID, want[i].ID, brief(got), brief(want))
		}
	}
}

// tiedWith reports whether m's id is in want with a score within 1e-6 of
// m's, or m ties the last reference score (the cut may fall in a tie).
func tiedWith(want []Match, m Match) bool {
	for _, w := range want {
		if w.ID == m.ID {
			return math.Abs(w.Score-m.Score) <= 1e-6
		}
	}
	return math.Abs(want[len(want)-1].Score-m.Score) <= 1e-6
}

func brief(ms []Match) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = fmt.Sprintf("%s:%.6f", m.ID, m.Score)
	}
	return out
}
