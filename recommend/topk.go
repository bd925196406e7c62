package recommend

import (
	"math"
	"slices"

	"readalike/vectorize"
)

// slack absorbs float32 rounding in partial scores, so a bound never prunes
// an article whose exact score reaches the threshold.
const slack = 1e-4

// scored is a doc number with a score.
type scored struct {
	doc   int32
	score float64
}

// better ranks by score descending, then id ascending.
func better(ix *index, a, b scored) bool {
	if a.score != b.score {
		return a.score > b.score
	}
	return ix.docs[a.doc].id < ix.docs[b.doc].id
}

// searcher holds the scratch space of one query; reuse it through a pool.
// acc is a dense accumulator over doc numbers, all zero between queries.
type searcher struct {
	acc     []float32
	touched []int32
	terms   []qterm
	ub      []float64 // ub[i]: what terms i.. can still add to any score
	top     []scored
	cands   []cand
	stats   searchStats
	// exhaustive turns the bound off: every posting of every query term is
	// scanned. It is the plain loop that benchmarks and tests compare with.
	exhaustive bool
}

type qterm struct {
	id    uint32
	w     float32
	bound float32 // w times the term's largest posting weight
}

type cand struct {
	doc int32
	ub  float64
}

// searchStats counts the work of one query, for the engine's counters.
type searchStats struct {
	postings, skipped, exact int
}

// topK returns the k best articles for query vector q under filter f, best
// first: exact cosine scores, at least minScore, below dedup (pass 2 or more
// to keep near-duplicates). It is MaxScore-style term-at-a-time search:
//
//  1. Terms are processed by descending bound (query weight times the
//     term's largest posting weight), accumulating partial scores, which
//     are lower bounds of the final ones, and keeping the k best of them as
//     the threshold theta.
//  2. Once what the remaining terms can add to any article — the smaller of
//     the sum of their bounds and the L2 norm of their query weights,
//     since article vectors have norm 1 — falls below theta, no article
//     not yet seen can make the top k: admission stops.
//  3. Articles seen whose partial score plus that bound reaches theta are
//     scored exactly against their stored vectors, best bound first, until
//     the bound of the next falls below the k-th exact score.
func (s *searcher) topK(ix *index, q vectorize.Vector, f *filter, k int, minScore, dedup float64) []scored {
	s.prepare(ix, q)
	theta := minScore
	s.top = s.top[:0]
	stop := len(s.terms)
	for i, t := range s.terms {
		if s.ub[i] < theta-slack && !s.exhaustive {
			stop = i
			break
		}
		after := s.ub[i+1]
		p := &ix.postings[t.id]
		s.stats.postings += len(p.docs)
		for j, d := range p.docs {
			old := s.acc[d]
			nv := old + t.w*p.weights[j]
			s.acc[d] = nv
			if old == 0 {
				s.touched = append(s.touched, d)
			}
			// A partial score can raise theta only when the article cannot
			// turn out to be a near-duplicate, which would leave it out.
			if float64(nv) > theta && float64(nv)+after < dedup && f.allows(ix, d) {
				theta = s.offer(ix, d, float64(nv), k, minScore)
			}
		}
	}
	for _, t := range s.terms[stop:] {
		s.stats.skipped += len(ix.postings[t.id].docs)
	}
	res := s.finish(ix, q, f, k, minScore, dedup, theta, s.ub[stop])
	for _, d := range s.touched {
		s.acc[d] = 0
	}
	s.touched = s.touched[:0]
	return res
}

// prepare sizes the accumulator and orders the query's terms by bound.
func (s *searcher) prepare(ix *index, q vectorize.Vector) {
	if len(s.acc) < len(ix.docs) {
		s.acc = make([]float32, len(ix.docs)+len(ix.docs)/4)
	}
	s.terms = s.terms[:0]
	for _, e := range q {
		if int(e.ID) < len(ix.postings) && len(ix.postings[e.ID].docs) > 0 {
			s.terms = append(s.terms, qterm{id: e.ID, w: e.Weight, bound: e.Weight * ix.maxW[e.ID]})
		}
	}
	slices.SortFunc(s.terms, func(a, b qterm) int {
		switch {
		case a.bound > b.bound:
			return -1
		case a.bound < b.bound:
			return 1
		}
		return int(a.id) - int(b.id)
	})
	s.ub = slices.Grow(s.ub[:0], len(s.terms)+1)[:len(s.terms)+1]
	var sum, sq float64
	s.ub[len(s.terms)] = 0
	for i := len(s.terms) - 1; i >= 0; i-- {
		sum += float64(s.terms[i].bound)
		sq += float64(s.terms[i].w) * float64(s.terms[i].w)
		s.ub[i] = min(sum, math.Sqrt(sq))
	}
}

// offer puts doc d with partial score v among the k best partial scores and
// returns the new threshold: the k-th best, or minScore while fewer than k.
func (s *searcher) offer(ix *index, d int32, v float64, k int, minScore float64) float64 {
	i := slices.IndexFunc(s.top, func(x scored) bool { return x.doc == d })
	switch {
	case i >= 0:
		s.top[i].score = v
	case len(s.top) < k:
		s.top = append(s.top, scored{d, v})
		i = len(s.top) - 1
	default:
		i = len(s.top) - 1
		s.top[i] = scored{d, v}
	}
	for ; i > 0 && s.top[i].score > s.top[i-1].score; i-- {
		s.top[i], s.top[i-1] = s.top[i-1], s.top[i]
	}
	if len(s.top) < k {
		return minScore
	}
	return max(minScore, s.top[len(s.top)-1].score)
}

// finish scores exactly the articles that can still make the top k: those
// seen whose partial score plus rest, what unprocessed terms can add,
// reaches theta.
func (s *searcher) finish(ix *index, q vectorize.Vector, f *filter, k int, minScore, dedup, theta, rest float64) []scored {
	s.cands = s.cands[:0]
	for _, d := range s.touched {
		ub := float64(s.acc[d]) + rest
		if ub >= theta-slack && f.allows(ix, d) {
			s.cands = append(s.cands, cand{d, ub})
		}
	}
	slices.SortFunc(s.cands, func(a, b cand) int {
		switch {
		case a.ub > b.ub:
			return -1
		case a.ub < b.ub:
			return 1
		}
		return int(a.doc) - int(b.doc)
	})
	top := make([]scored, 0, k)
	for _, c := range s.cands {
		if len(top) == k && c.ub < top[k-1].score-slack {
			break
		}
		score := vectorize.Cosine(q, ix.docs[c.doc].vec)
		s.stats.exact++
		if score < minScore || score >= dedup || score <= 0 {
			continue
		}
		x := scored{c.doc, score}
		if len(top) == k {
			if !better(ix, x, top[k-1]) {
				continue
			}
			top = top[:k-1]
		}
		i, _ := slices.BinarySearchFunc(top, x, func(a, b scored) int {
			if better(ix, a, b) {
				return -1
			}
			return 1
		})
		top = slices.Insert(top, i, x)
	}
	return top
}
