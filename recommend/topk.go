package recommend

import (
	"cmp"
	"math"
	"slices"

	"github.com/readalike/readalike/vectorize"
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
func better(v *view, a, b scored) bool {
	if a.score != b.score {
		return a.score > b.score
	}
	return v.docs.ids[a.doc] < v.docs.ids[b.doc]
}

// searcher holds the scratch space of one query; reuse it through a pool.
// acc and qdense are all zero between queries.
type searcher struct {
	acc     []float32 // by doc number: the score over the terms read so far
	touched []int32   // the doc numbers acc holds
	qdense  []float32 // by term id: the query's weights
	qids    []uint32  // the term ids set in qdense
	rare    []qterm   // the query's terms whose postings are read
	common  float64   // the L2 norm of the query's other terms
	skipped int       // postings of the query's terms that are not read
	top     []scored
	cands   []scored // score holds a bound until the candidate is scored
	stats   searchStats
	// exhaustive reads every posting of every query term: the plain loop
	// that benchmarks and tests compare with.
	exhaustive bool
}

type qterm struct {
	id uint32
	w  float32
}

// searchStats counts the work of one query, for the engine's counters.
type searchStats struct {
	postings, skipped, exact int
}

// DedupWindow bounds the work of leaving out near-duplicates: the rules
// (a near-duplicate of the query, or of a better neighbor kept, is left
// out) are applied to the best k+DedupWindow articles, and an answer holds
// fewer than k neighbors when fewer than k of those survive. Near-duplicates
// are rare, so a query first looks at the best k+4 only and looks further
// at most once; whatever a collection holds (say a cluster of a thousand
// copies of one story near the query), a query costs at most about what
// one without the rules asking for k+DedupWindow costs.
const DedupWindow = 100

// nearest returns the k best articles for query vector q under filter f,
// best first: exact cosine scores, at least minScore, near-duplicates left
// out at dedup (+Inf keeps them) within DedupWindow.
func (s *searcher) nearest(v *view, q vectorize.Vector, f *filter, k int, minScore, dedup float64) []scored {
	if math.IsInf(dedup, 1) {
		return s.topK(v, q, f, k, minScore)
	}
	for extra := 4; ; extra = DedupWindow {
		top := s.topK(v, q, f, k+extra, minScore)
		kept := top[:0]
		for _, x := range top {
			if x.score < dedup && !duplicatesKept(v, x, kept, dedup) {
				kept = append(kept, x)
			}
		}
		// Whether an article is kept depends only on better ones, so the
		// articles kept from a longer list start with these.
		if len(kept) >= k || len(top) < k+extra || extra == DedupWindow {
			return kept[:min(k, len(kept))]
		}
	}
}

// duplicatesKept reports whether x is a near-duplicate of an article
// already kept, so that one story is never offered twice in one list.
func duplicatesKept(v *view, x scored, kept []scored, dedup float64) bool {
	if math.IsInf(dedup, 1) {
		return false
	}
	for _, y := range kept {
		if vectorize.Cosine(v.docs.vecs[x.doc], v.docs.vecs[y.doc]) >= dedup {
			return true
		}
	}
	return false
}

// topK returns the k best articles for query vector q under filter f, best
// first, by exact cosine score, at least minScore. The index splits terms
// into rare and common ones (index.splitTerms), and the search exploits
// that the common terms, which hold most postings, carry little weight:
//
//  1. The postings of the query's rare terms are read, accumulating each
//     article's score over them.
//  2. The k articles of the best such scores are scored exactly: the k-th
//     of them is a floor, theta, for the k-th best score.
//  3. The common terms can add at most |q_common| * cn[d] to the score of
//     article d (Cauchy-Schwarz, cn[d] being d's norm on the common
//     terms). The candidates are the articles whose rare score plus that
//     bound reaches theta: seen ones, and unseen ones whose bound alone
//     does (from the list sorted by cn).
//  4. Candidates are scored exactly, best bound first, until the next
//     bound falls below the k-th best score.
//
// When the rare terms find fewer than k articles, the common terms'
// postings are read too, and the search is the plain loop.
func (s *searcher) topK(v *view, q vectorize.Vector, f *filter, k int, minScore float64) []scored {
	s.prepare(v, q, s.exhaustive)
	s.accumulate(v)
	theta := s.probe(v, f, k, minScore)
	if len(s.top) == k || s.common == 0 {
		s.candidates(v, f, theta)
	}
	if s.common > 0 && (len(s.top) < k || len(s.cands)*exactCost > s.skipped) {
		// Too few articles share a rare term, or the bounds leave more
		// candidates than reading the common terms' postings costs (small
		// collections): read everything, the plain loop.
		s.reset()
		s.prepare(v, q, true)
		s.accumulate(v)
		theta = s.probe(v, f, k, minScore)
		s.candidates(v, f, theta)
	}
	s.stats.skipped += s.skipped
	top := s.finish(v, k, minScore)
	s.reset()
	return top
}

// exactCost is what scoring one article exactly costs, in postings read:
// a pass over its hundred-odd terms, with cache misses.
const exactCost = 250

// prepare fills the dense query and picks the terms whose postings are
// read: all of them when all is set, else the rare ones.
func (s *searcher) prepare(v *view, q vectorize.Vector, all bool) {
	if len(s.acc) < int(v.n) {
		s.acc = make([]float32, v.n+v.n/4)
		s.touched = make([]int32, 0, len(s.acc)+1)
	}
	if len(s.qdense) < len(v.terms) {
		s.qdense = make([]float32, len(v.terms)+len(v.terms)/4)
	}
	s.rare, s.qids, s.common, s.skipped = s.rare[:0], s.qids[:0], 0, 0
	var sq float64
	for _, e := range q {
		p := v.postings(e.ID)
		if p == nil || p.len() == 0 {
			continue // no article has it
		}
		s.qdense[e.ID] = e.Weight
		s.qids = append(s.qids, e.ID)
		if !all && v.isCommon(e.ID) {
			sq += float64(e.Weight) * float64(e.Weight)
			s.skipped += p.len()
			continue
		}
		s.rare = append(s.rare, qterm{e.ID, e.Weight})
	}
	s.common = math.Sqrt(sq)
}

// accumulate reads the postings of the rare query terms. It is the hot
// loop: locals instead of fields, and a branch-free append to touched
// (which has room for every doc), keep it tight.
func (s *searcher) accumulate(v *view) {
	acc := s.acc
	touched := s.touched[:cap(s.touched)]
	n := len(s.touched)
	for _, t := range s.rare {
		p := v.terms[t.id]
		docs := p.docs
		ws := p.ws[:len(docs)]
		s.stats.postings += len(docs)
		w := t.w
		for j, d := range docs {
			old := acc[d]
			acc[d] = old + w*ws[j]
			touched[n] = d
			if old == 0 {
				n++
			}
		}
		// Postings appended since the index was built: those of docs past
		// the view's end belong to later views.
		docs, ws = p.appended()
		for j, d := range docs {
			if d >= v.n {
				break
			}
			s.stats.postings++
			old := acc[d]
			acc[d] = old + w*ws[j]
			touched[n] = d
			if old == 0 {
				n++
			}
		}
	}
	s.touched = touched[:n]
}

// probe scores exactly the k allowed articles of the best accumulated
// scores, keeps them best first in s.top, marks them done (acc -1), and
// returns the threshold they give: the k-th exact score, or minScore when
// fewer than k were found.
func (s *searcher) probe(v *view, f *filter, k int, minScore float64) float64 {
	best := s.top[:0]
	for _, d := range s.touched {
		a := float64(s.acc[d])
		if a <= 0 || (len(best) == k && a <= best[k-1].score) || !f.allows(v, d) {
			continue
		}
		i, _ := slices.BinarySearchFunc(best, a, func(x scored, a float64) int { return cmp.Compare(a, x.score) })
		best = slices.Insert(best, i, scored{d, a})
		if len(best) > k {
			best = best[:k]
		}
	}
	top := s.cands[:0]
	for _, x := range best {
		s.acc[x.doc] = -1
		if score := s.exact(v.docs.vecs[x.doc]); score >= minScore && score > 0 {
			top = insertTop(v, top, scored{x.doc, score}, k)
		}
	}
	s.stats.exact += len(best)
	s.top = append(s.top[:0], top...)
	if len(s.top) < k {
		return minScore
	}
	return max(minScore, s.top[k-1].score)
}

// candidates collects in s.cands the articles that may still beat theta,
// each with its bound: seen ones by their partial score plus the most the
// common terms can add, unseen ones by that bound alone.
func (s *searcher) candidates(v *view, f *filter, theta float64) {
	s.cands = s.cands[:0]
	floor := theta - slack
	cn := v.docs.cn
	for _, d := range s.touched {
		a := s.acc[d]
		if a < 0 {
			continue // probed
		}
		if ub := float64(a) + s.common*float64(cn[d]); ub >= floor && f.allows(v, d) {
			s.cands = append(s.cands, scored{d, ub})
		}
	}
	if s.common == 0 {
		return
	}
	unseen := func(d int32) {
		if ub := s.common * float64(cn[d]); ub >= floor && s.acc[d] == 0 && f.allows(v, d) {
			s.cands = append(s.cands, scored{d, ub})
		}
	}
	for _, d := range v.ix.byCN {
		if s.common*float64(cn[d]) < floor {
			break
		}
		unseen(d)
	}
	for d := v.ix.sorted; d < v.n; d++ {
		unseen(d)
	}
}

// finish scores the candidates exactly, best bound first, into the probed
// top k, and stops when no bound left can beat the k-th score.
func (s *searcher) finish(v *view, k int, minScore float64) []scored {
	slices.SortFunc(s.cands, func(a, b scored) int {
		if c := cmp.Compare(b.score, a.score); c != 0 {
			return c
		}
		return cmp.Compare(a.doc, b.doc)
	})
	top := make([]scored, 0, k)
	top = append(top, s.top...)
	for _, c := range s.cands {
		if len(top) == k && c.score < top[k-1].score-slack {
			break
		}
		s.stats.exact++
		if score := s.exact(v.docs.vecs[c.doc]); score >= minScore && score > 0 {
			top = insertTop(v, top, scored{c.doc, score}, k)
		}
	}
	return top
}

// insertTop inserts x into top, best first, keeping at most k.
func insertTop(v *view, top []scored, x scored, k int) []scored {
	if len(top) == k && !better(v, x, top[k-1]) {
		return top
	}
	i, _ := slices.BinarySearchFunc(top, x, func(a, b scored) int {
		if better(v, a, b) {
			return -1
		}
		return 1
	})
	top = slices.Insert(top, i, x)
	if len(top) > k {
		top = top[:k]
	}
	return top
}

// reset zeroes what the query wrote to the accumulator and the dense query.
func (s *searcher) reset() {
	for _, d := range s.touched {
		s.acc[d] = 0
	}
	s.touched = s.touched[:0]
	for _, t := range s.qids {
		s.qdense[t] = 0
	}
}

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
