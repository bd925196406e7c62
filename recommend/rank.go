package recommend

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/readalike/readalike/vectorize"
)

// News-aware ranking, off unless a query asks for it. It works on the best
// k+DedupWindow articles by cosine, after the filters, the minimum score and
// the near-duplicate rules (see nearest): each gets a relevance
//
//	relevance = (1 - Freshness - Popularity) * cosine
//	          + Freshness * 2^(-age / HalfLife)
//	          + Popularity * ln(1 + reads) / ln(1 + most reads of any article)
//
// (age from published to Query.Now; an article without a date has
// freshness 0; an index that saw no read has popularity 0), and they are
// ranked by it, descending, then by id. With Diversity (MMR's lambda, in
// (0, 1]) the next article is instead the one with the best
// lambda * relevance - (1 - lambda) * (its highest cosine with an article
// already chosen). With Fill, when fewer than k are left (min_score, the
// rules), the answer is filled up with the best articles of the query's
// own category by cosine, below the minimum score, each marked Weak.

// DefaultHalfLife is the half-life of freshness when a query gives none.
const DefaultHalfLife = 48 * time.Hour

// reranks reports whether q asks for more than the cosine ranking.
func (q Query) reranks() bool {
	return q.Freshness > 0 || q.Popularity > 0 || q.Diversity > 0 || q.Fill
}

// validateRanking reports a ranking option out of range.
func (q Query) validateRanking() error {
	switch {
	case q.Freshness < 0 || q.Freshness > 1 || math.IsNaN(q.Freshness):
		return &FieldError{"freshness", "must be a number from 0 to 1"}
	case q.Popularity < 0 || q.Popularity > 1 || math.IsNaN(q.Popularity):
		return &FieldError{"popularity", "must be a number from 0 to 1"}
	case q.Freshness+q.Popularity > 1:
		return &FieldError{"popularity", fmt.Sprintf("with freshness %g, must be at most %g: together at most 1", q.Freshness, 1-q.Freshness)}
	case q.HalfLife < 0:
		return &FieldError{"half_life", "must be a positive duration"}
	case q.Diversity < 0 || q.Diversity > 1 || math.IsNaN(q.Diversity):
		return &FieldError{"diversity", "must be a number from 0 (off) to 1"}
	}
	return nil
}

// ScoreParts are what a blended score is made of (see rank.go).
type ScoreParts struct {
	Cosine     float64 `json:"cosine"`
	Freshness  float64 `json:"freshness"`
	Popularity float64 `json:"popularity"`
}

// ranked is a candidate of the news-aware ranking.
type ranked struct {
	scored         // doc and cosine
	rel    float64 // relevance
	parts  ScoreParts
	weak   bool
	via    int32 // MaxSim: the history article it is nearest to
}

// keepStories applies the near-duplicate rules to top, best first: a
// near-duplicate of the query, or of a better article kept, is left out.
func keepStories(v *view, top []scored, dedup float64) []scored {
	if math.IsInf(dedup, 1) {
		return top
	}
	kept := top[:0]
	for _, x := range top {
		if x.score < dedup && !duplicatesKept(v, x, kept, dedup) {
			kept = append(kept, x)
		}
	}
	return kept
}

// rank blends, orders, diversifies and cuts the candidates (best first by
// cosine) to k.
func rank(v *view, cands []scored, q Query) []ranked {
	now := q.Now
	if now.IsZero() {
		now = time.Now()
	}
	half := q.HalfLife
	if half == 0 {
		half = DefaultHalfLife
	}
	maxReads := v.ix.maxReads.Load()
	out := make([]ranked, len(cands))
	for i, c := range cands {
		r := ranked{scored: c, parts: ScoreParts{Cosine: c.score}}
		if q.Freshness > 0 {
			if pub := v.docs.pubs[c.doc]; pub != 0 {
				age := max(0, now.Sub(time.Unix(0, pub)).Seconds())
				r.parts.Freshness = math.Exp2(-age / half.Seconds())
			}
		}
		if q.Popularity > 0 && maxReads > 0 {
			reads := loadUint64(&v.docs.reads[c.doc])
			r.parts.Popularity = math.Log1p(float64(min(reads, maxReads))) / math.Log1p(float64(maxReads))
		}
		r.rel = (1-q.Freshness-q.Popularity)*c.score + q.Freshness*r.parts.Freshness + q.Popularity*r.parts.Popularity
		out[i] = r
	}
	byRel := func(a, b ranked) int {
		if c := cmp.Compare(b.rel, a.rel); c != 0 {
			return c
		}
		return cmp.Compare(v.docs.ids[a.doc], v.docs.ids[b.doc])
	}
	slices.SortFunc(out, byRel)
	k := q.k()
	if q.Diversity <= 0 || q.Diversity >= 1 {
		return out[:min(k, len(out))]
	}
	// MMR: each next one trades relevance against likeness to those chosen.
	lambda := q.Diversity
	chosen := make([]ranked, 0, k)
	sim := make([]float64, len(out)) // highest cosine with a chosen one
	used := make([]bool, len(out))
	for len(chosen) < k && len(chosen) < len(out) {
		best := -1
		var bestVal float64
		for i, r := range out {
			if used[i] {
				continue
			}
			val := lambda*r.rel - (1-lambda)*sim[i]
			if best < 0 || val > bestVal { // out is in relevance order: ties go to the more relevant
				best, bestVal = i, val
			}
		}
		used[best] = true
		chosen = append(chosen, out[best])
		for i := range out {
			if !used[i] {
				sim[i] = max(sim[i], vectorize.Cosine(v.docs.vecs[out[i].doc], v.docs.vecs[out[best].doc]))
			}
		}
	}
	return chosen
}

// fill adds to top, when it holds fewer than k, the best articles of
// category cat by cosine that it lacks (near-duplicates of the query or of
// an article kept left out), marked weak, with their blended scores.
func (s *searcher) fill(v *view, qvec vectorize.Vector, f *filter, top []ranked, q Query, dedup float64) []ranked {
	k := q.k()
	if len(top) >= k || f.fillCat < 0 {
		return top
	}
	cf := *f
	cf.categories, cf.noCategory, cf.trivial = []uint32{uint32(f.fillCat)}, false, false
	cands := s.topK(v, qvec, &cf, k+len(top)+DedupWindow, 0)
	kept := make([]scored, len(top))
	for i, r := range top {
		kept[i] = r.scored
	}
	var extra []scored
	for _, c := range cands {
		if len(top)+len(extra) == k {
			break
		}
		if slices.ContainsFunc(kept, func(x scored) bool { return x.doc == c.doc }) {
			continue
		}
		if c.score >= dedup || duplicatesKept(v, c, kept, dedup) {
			continue
		}
		kept = append(kept, c)
		extra = append(extra, c)
	}
	plain := q
	plain.Diversity, plain.K = 0, len(extra)
	for _, r := range rank(v, extra, plain) {
		r.weak = true
		top = append(top, r)
	}
	return top
}
