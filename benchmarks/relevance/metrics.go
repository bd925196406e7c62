package relevance

import (
	"fmt"
	"sort"

	"github.com/readalike/readalike/recommend"
)

// Metrics score the neighbour lists of every article of a corpus.
type Metrics struct {
	// P5 is precision@5: the share of an article's five neighbours that
	// carry its category, a missing neighbour counting as a miss, averaged
	// over articles.
	P5 float64 `json:"p5"`
	// P5Macro is P5 averaged per category, then over categories.
	P5Macro    float64            `json:"p5_macro"`
	ByCategory map[string]float64 `json:"p5_by_category"`
	// MAP5 is the mean over articles of AP@5 = (1/min(5, R)) Σ_{i≤5}
	// P@i·rel_i, R the number of other articles of the category. Articles
	// alone in their category have no AP and are left out.
	MAP5 float64 `json:"map5"`
	// Short is the share of articles with fewer than five neighbours.
	Short float64 `json:"short"`
	// Exact is the number of articles with a neighbour scoring at least
	// ExactScore: an exact duplicate by score.
	Exact int `json:"exact_dup"`
	// TwinShown is the number of articles among whose neighbours is their
	// own twin: an article with the same title and body.
	TwinShown int `json:"twin_shown"`
	// TwiceShown is the number of neighbour lists that hold one story
	// twice: two neighbours with the same title and body.
	TwiceShown int `json:"same_story_twice"`
}

// scorer accumulates Metrics from Engine.Batch's emit calls.
type scorer struct {
	c        *Corpus
	n        int
	p5, ap   float64
	apN      int
	short    int
	catSum   map[string]float64
	catN     map[string]int
	exact    int
	twin     int
	twice    int
	unknown  string // an id the corpus lacks, reported by metrics
	seenTwin []int  // scratch: twin groups of one list
}

func newScorer(c *Corpus) *scorer {
	return &scorer{c: c, catSum: map[string]float64{}, catN: map[string]int{}}
}

// add scores the neighbours ms of article id; it has emit's signature.
func (s *scorer) add(id string, ms []recommend.Neighbor) error {
	qi, ok := s.c.index[id]
	if !ok {
		s.unknown = id
		return nil
	}
	cat := s.c.Articles[qi].Category
	qtwin := s.c.twin[qi]
	hits := 0
	var ap float64
	hasExact, hasTwin := false, false
	s.seenTwin = s.seenTwin[:0]
	twice := false
	for i, m := range ms[:min(len(ms), K)] {
		ni, ok := s.c.index[m.ID]
		if !ok {
			s.unknown = m.ID
			continue
		}
		if s.c.Articles[ni].Category == cat {
			hits++
			ap += float64(hits) / float64(i+1)
		}
		hasExact = hasExact || m.Score >= ExactScore
		g := s.c.twin[ni]
		hasTwin = hasTwin || (g >= 0 && g == qtwin)
		if g >= 0 {
			for _, h := range s.seenTwin {
				twice = twice || h == g
			}
			s.seenTwin = append(s.seenTwin, g)
		}
	}
	p5 := float64(hits) / K
	s.n++
	s.p5 += p5
	s.catSum[cat] += p5
	s.catN[cat]++
	if r := s.c.size[cat] - 1; r > 0 {
		s.ap += ap / float64(min(K, r))
		s.apN++
	}
	if len(ms) < K {
		s.short++
	}
	s.exact += b2i(hasExact)
	s.twin += b2i(hasTwin)
	s.twice += b2i(twice)
	return nil
}

// metrics returns the figures of every list added.
func (s *scorer) metrics() (Metrics, error) {
	if s.unknown != "" {
		return Metrics{}, fmt.Errorf("the engine returned id %q, which the corpus lacks", s.unknown)
	}
	if s.n != len(s.c.Articles) {
		return Metrics{}, fmt.Errorf("%d neighbour lists for %d articles", s.n, len(s.c.Articles))
	}
	m := Metrics{
		P5:         s.p5 / float64(s.n),
		Short:      float64(s.short) / float64(s.n),
		ByCategory: make(map[string]float64, len(s.catN)),
		Exact:      s.exact,
		TwinShown:  s.twin,
		TwiceShown: s.twice,
	}
	if s.apN > 0 {
		m.MAP5 = s.ap / float64(s.apN)
	}
	for cat, n := range s.catN {
		m.ByCategory[cat] = s.catSum[cat] / float64(n)
		m.P5Macro += m.ByCategory[cat]
	}
	m.P5Macro /= float64(len(s.catN))
	return m, nil
}

// SortedCategories returns the categories of m in order.
func (m Metrics) SortedCategories() []string {
	cats := make([]string, 0, len(m.ByCategory))
	for c := range m.ByCategory {
		cats = append(cats, c)
	}
	sort.Strings(cats)
	return cats
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
