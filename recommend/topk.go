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
	sq      []float32 // by doc: the sum of its squared weights over the terms processed
	touched []int32
	qdense  []float32 // the query's weights by term id, zero elsewhere
	terms   []qterm
	ub      []float64 // ub[i]: what terms i.. can still add to any score
	sums    []float64 // sums[i]: the sum of the bounds of terms i..
	norms   []float64 // norms[i]: the L2 norm of the query weights of terms i..
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
}

// searchStats counts the work of one query, for the engine's counters.
type searchStats struct {
	postings, skipped, exact int
}

// nearest returns the k best articles for query vector q under filter f,
// best first: exact cosine scores, at least minScore, below dedup (+Inf
// keeps near-duplicates). Near-duplicates are rare, so it asks topK for a
// few more than k and drops them; in the rare case more were dropped than
// asked for, it asks again for enough.
func (s *searcher) nearest(ix *index, q vectorize.Vector, f *filter, k int, minScore, dedup float64) []scored {
	extra := 0
	if !math.IsInf(dedup, 1) {
		extra = 4
	}
	for {
		top := s.topK(ix, q, f, k+extra, minScore)
		kept := top[:0]
		for _, x := range top {
			if x.score < dedup {
				kept = append(kept, x)
			}
		}
		// Every article better than the last of top is in top, so the
		// non-duplicates kept are the best ones, as many as top held
		// beyond its duplicates.
		if len(kept) >= k || len(top) < k+extra {
			return kept[:min(k, len(kept))]
		}
		extra = 2 * (k + extra)
	}
}

// topK returns the k best articles for query vector q under filter f, best
// first, by exact cosine score, at least minScore. It is MaxScore-style
// term-at-a-time search:
//
//  1. Terms are processed by descending bound (query weight times the
//     term's largest posting weight), accumulating partial scores, which
//     are lower bounds of the final ones, and keeping the k best of them as
//     the threshold theta.
//  2. Once what the remaining terms can add to any article (the smaller of
//     the sum of their bounds and the L2 norm of their query weights, since
//     article vectors have norm 1) falls below theta, no article not yet
//     seen can make the top k: admission stops. The articles seen whose
//     partial score plus that bound reaches theta are the candidates.
//  3. The remaining terms update the candidates only, and after each term
//     the candidates that can no longer reach theta are dropped. When
//     scoring the few left exactly costs less than reading the remaining
//     postings, they are scored against their stored vectors instead.
//  4. The survivors' exact cosines (float64 over the stored float32
//     weights, as the reference computes them) give the ranking.
func (s *searcher) topK(ix *index, q vectorize.Vector, f *filter, k int, minScore float64) []scored {
	s.prepare(ix, q)
	theta, floor := minScore, minScore
	s.top = s.top[:0]
	stop := len(s.terms)
	for i, t := range s.terms {
		if probeAfter(i) && len(s.top) == k && !s.exhaustive {
			floor = max(floor, s.probe(ix))
			theta = max(theta, floor)
		}
		if s.ub[i] < theta-slack && !s.exhaustive {
			stop = i
			break
		}
		p := &ix.postings[t.id]
		s.stats.postings += len(p.docs)
		for j, d := range p.docs {
			w := p.weights[j]
			old := s.acc[d]
			nv := old + t.w*w
			s.acc[d] = nv
			s.sq[d] += w * w
			if old == 0 {
				s.touched = append(s.touched, d)
			}
			if float64(nv) > theta && f.allows(ix, d) {
				theta = max(floor, s.offer(ix, d, float64(nv), k, minScore))
			}
		}
	}
	res := s.finish(ix, f, k, minScore, theta, stop)
	for _, d := range s.touched {
		s.acc[d] = 0
		s.sq[d] = 0
	}
	for _, t := range s.terms {
		s.qdense[t.id] = 0
	}
	s.touched = s.touched[:0]
	return res
}

// probeAfter says after how many processed terms topK scores its current
// best candidates exactly: early, while most postings are still ahead.
func probeAfter(i int) bool { return i == 2 || i == 8 || i == 24 }

// probe scores the k articles of the best partial scores exactly and
// returns the smallest of those scores: at least k articles score that
// much, so it is a floor for the k-th best score, and usually far above
// the partial scores this early.
func (s *searcher) probe(ix *index) float64 {
	low := math.Inf(1)
	for _, x := range s.top {
		low = min(low, s.exact(ix.vecs[x.doc]))
	}
	s.stats.exact += len(s.top)
	return low
}

// bound is the most doc d can score once terms next.. are added: its
// partial score plus the smaller of what those terms can add to any article
// and the product of the L2 norms of the query and of d on them (d's being
// at most the norm left after the squared weights seen so far).
func (s *searcher) bound(d int32, next int) float64 {
	left := max(0, 1-float64(s.sq[d]))
	return float64(s.acc[d]) + min(s.sums[next], s.norms[next]*math.Sqrt(left))
}

// exactCost is what scoring one candidate against its stored vector costs,
// in postings read: a pass over its hundred-odd terms.
const exactCost = 1000

// exact returns the cosine of the query with an article vector: a pass over
// the article's terms, reading the query's weights from the dense copy. The
// products are summed in term id order in float64, as vectorize.Cosine
// does, so the two give the same score to the last bit.
func (s *searcher) exact(v vectorize.Vector) float64 {
	var sum float64
	q := s.qdense
	for _, e := range v {
		sum += float64(q[e.ID]) * float64(e.Weight)
	}
	return sum
}

// finish narrows the articles seen to those that can still make the top k,
// completes their scores over terms stop.. (the unprocessed ones), and
// ranks them by exact cosine.
func (s *searcher) finish(ix *index, f *filter, k int, minScore, theta float64, stop int) []scored {
	s.cands = s.cands[:0]
	for _, d := range s.touched {
		if s.bound(d, stop) >= theta-slack && f.allows(ix, d) {
			s.cands = append(s.cands, cand{doc: d})
		}
	}
	theta = s.narrow(k, theta, stop)
	remaining := 0
	for _, t := range s.terms[stop:] {
		remaining += len(ix.postings[t.id].docs)
	}
	i := stop
	for ; i < len(s.terms) && len(s.cands)*exactCost >= remaining; i++ {
		t := s.terms[i]
		p := &ix.postings[t.id]
		s.stats.postings += len(p.docs)
		remaining -= len(p.docs)
		for j, d := range p.docs {
			if a := s.acc[d]; a != 0 {
				w := p.weights[j]
				s.acc[d] = a + t.w*w
				s.sq[d] += w * w
			}
		}
		theta = s.narrow(k, theta, i+1)
	}
	s.stats.skipped += remaining
	s.stats.exact += len(s.cands)
	top := make([]scored, 0, k+1)
	for _, c := range s.cands {
		score := s.exact(ix.vecs[c.doc])
		if score < minScore || score <= 0 {
			continue
		}
		x := scored{c.doc, score}
		if len(top) == k && !better(ix, x, top[k-1]) {
			continue
		}
		j, _ := slices.BinarySearchFunc(top, x, func(a, b scored) int {
			if better(ix, a, b) {
				return -1
			}
			return 1
		})
		top = slices.Insert(top, j, x)
		if len(top) > k {
			top = top[:k]
		}
	}
	return top
}

// narrow raises theta to the k-th best candidate score and drops the
// candidates whose bound, with terms next.. unprocessed, falls below it. It
// returns the new theta.
func (s *searcher) narrow(k int, theta float64, next int) float64 {
	s.top = s.top[:0]
	for _, c := range s.cands {
		a := float64(s.acc[c.doc])
		if len(s.top) == k && a <= s.top[k-1].score {
			continue
		}
		x := scored{c.doc, a}
		j, _ := slices.BinarySearchFunc(s.top, x, func(a, b scored) int {
			if a.score > b.score {
				return -1
			}
			return 1
		})
		s.top = slices.Insert(s.top, j, x)
		if len(s.top) > k {
			s.top = s.top[:k]
		}
	}
	if len(s.top) == k {
		theta = max(theta, s.top[k-1].score)
	}
	kept := s.cands[:0]
	for _, c := range s.cands {
		if s.bound(c.doc, next) >= theta-slack {
			kept = append(kept, c)
		}
	}
	s.cands = kept
	return theta
}

// prepare sizes the accumulator and orders the query's terms by bound.
func (s *searcher) prepare(ix *index, q vectorize.Vector) {
	if len(s.acc) < len(ix.docs) {
		s.acc = make([]float32, len(ix.docs)+len(ix.docs)/4)
		s.sq = make([]float32, len(s.acc))
	}
	if len(s.qdense) < len(ix.postings) {
		s.qdense = make([]float32, len(ix.postings)+len(ix.postings)/4)
	}
	s.terms = s.terms[:0]
	for _, e := range q {
		if int(e.ID) < len(ix.postings) && len(ix.postings[e.ID].docs) > 0 {
			s.qdense[e.ID] = e.Weight
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
	s.sums = slices.Grow(s.sums[:0], len(s.terms)+1)[:len(s.terms)+1]
	s.norms = slices.Grow(s.norms[:0], len(s.terms)+1)[:len(s.terms)+1]
	s.ub[len(s.terms)], s.sums[len(s.terms)], s.norms[len(s.terms)] = 0, 0, 0
	for i := len(s.terms) - 1; i >= 0; i-- {
		sum += float64(s.terms[i].bound)
		sq += float64(s.terms[i].w) * float64(s.terms[i].w)
		s.sums[i], s.norms[i] = sum, math.Sqrt(sq)
		s.ub[i] = min(s.sums[i], s.norms[i])
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
