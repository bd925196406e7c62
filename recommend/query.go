package recommend

import (
	"fmt"
	"slices"
	"time"
)

// Limits of a query.
const (
	DefaultK = 5
	MaxK     = 100
)

// Query says how many neighbors to return and which articles may be among
// them. The zero value asks for the DefaultK nearest, near-duplicates left
// out.
type Query struct {
	K          int       // 1 to MaxK; 0 means DefaultK
	Categories []string  // when not empty, only articles of one of these categories
	From, To   time.Time // when not zero, only articles published at or after From, at or before To
	Exclude    []string  // ids never returned
	NoDedup    bool      // when true, near-duplicates of the query are returned too
	MinScore   float64   // nothing scoring below it (by cosine) is returned
	Explain    bool      // each neighbor gets its Explanation

	// News-aware ranking (rank.go), off at the zero values.
	Freshness  float64       // weight of freshness in the score, 0 to 1
	HalfLife   time.Duration // of freshness; 0 means DefaultHalfLife
	Popularity float64       // weight of popularity (reads), 0 to 1; with Freshness at most 1
	Diversity  float64       // MMR's lambda: 0 off, else (0, 1], lower is more diverse
	Fill       bool          // fill up to k with the query's own category, marked Weak
	Now        time.Time     // the time freshness is measured at; zero means now
}

// Validate reports the first field of q that is out of range, as a
// *FieldError.
func (q Query) Validate() error {
	switch {
	case q.K < 0 || q.K > MaxK:
		return &FieldError{Field: "k", Message: fmt.Sprintf("must be an integer from 1 to %d", MaxK)}
	case q.MinScore < 0 || q.MinScore > 1 || q.MinScore != q.MinScore:
		return &FieldError{Field: "min_score", Message: "must be a number from 0 to 1"}
	case !q.From.IsZero() && !q.To.IsZero() && q.To.Before(q.From):
		return &FieldError{Field: "to", Message: "must not be before from"}
	}
	return q.validateRanking()
}

func (q Query) k() int {
	if q.K == 0 {
		return DefaultK
	}
	return q.K
}

// Neighbor is one neighbor of a query.
type Neighbor struct {
	ID        string    `json:"id"`
	Title     string    `json:"title"`
	Score     float64   `json:"score"` // the cosine, or with news-aware ranking the blend of Parts
	URL       string    `json:"url,omitempty"`
	Category  string    `json:"category,omitempty"`
	Published time.Time `json:"published,omitzero"`
	// Weak marks a neighbor that Query.Fill added below the minimum score.
	Weak bool `json:"weak,omitempty"`
	// Parts are what Score blends, with news-aware ranking (rank.go).
	Parts *ScoreParts `json:"parts,omitempty"`
	// Explanation, with Query.Explain, says which terms made the cosine.
	Explanation *Explanation `json:"explanation,omitempty"`
}

// Result is the answer to a query: the neighbors ranked by score
// descending, then id ascending, and the model generation that scored them.
type Result struct {
	Generation uint64
	Neighbors  []Neighbor
}

// filter is a query's restrictions resolved against one index.
type filter struct {
	trivial    bool  // only self and tombstones are left out
	self       int32 // doc number never returned, or -1
	exclude    []int32
	categories []uint32 // category numbers; nil means any
	noCategory bool     // the query names only categories nobody has
	from, to   int64    // unix nanoseconds; 0 means open
	fillCat    int64    // category number Query.Fill fills from, -1 for none
}

// allows reports whether doc number d may be returned.
func (f *filter) allows(v *view, d int32) bool {
	if d == f.self || !v.alive(d) {
		return false
	}
	if f.trivial {
		return true
	}
	if f.noCategory || (f.categories != nil && !slices.Contains(f.categories, v.docs.cats[d])) {
		return false
	}
	if pub := v.docs.pubs[d]; (f.from != 0 || f.to != 0) && pub == 0 {
		return false
	} else if (f.from != 0 && pub < f.from) || (f.to != 0 && pub > f.to) {
		return false
	}
	return !slices.Contains(f.exclude, d)
}

// newFilter resolves q against v; self is a doc number to leave out, or
// -1; exclude are the doc numbers of q.Exclude in v (see Engine.resolve),
// -1 for those v lacks.
func newFilter(v *view, q Query, self int32, exclude []int32) *filter {
	f := &filter{self: self, fillCat: -1}
	for _, d := range exclude {
		if d >= 0 {
			f.exclude = append(f.exclude, d)
		}
	}
	if len(q.Categories) > 0 {
		f.categories = []uint32{}
		for _, c := range q.Categories {
			if n, ok := v.cats.num[c]; ok {
				f.categories = append(f.categories, n)
			}
		}
		f.noCategory = len(f.categories) == 0
	}
	if !q.From.IsZero() {
		f.from = q.From.UnixNano()
	}
	if !q.To.IsZero() {
		f.to = q.To.UnixNano()
	}
	f.trivial = len(f.exclude) == 0 && f.categories == nil && !f.noCategory && f.from == 0 && f.to == 0
	return f
}
