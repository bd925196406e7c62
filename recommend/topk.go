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
// acc, marks and qdense are all zero between queries.
type searcher struct {
	acc     []float32 // by doc number: the score over the terms read so far
	marks   []uint8   // by line of acc (kernel.go): 1 where acc may hold something
	qdense  []float32 // by term id: the query's weights
	qids    []uint32  // the term ids set in qdense
	rare    []qterm   // the query's terms whose postings are read
	common  float64   // the L2 norm of the query's other terms
	skipped int       // postings of the query's terms that are not read
	dirty   bool      // acc holds postings that no pass has cleared yet
	best    []scored  // the best partial scores of a pass, scored at once
	floor   float32   // a pass's floor: the k-th exact score so far, less slack
	top     []scored  // the best exact scores so far
	cands   []scored  // score holds a bound until the candidate is scored
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
// are rare, so a query first looks at the best k+1 only (room for the one
// copy a query most often has, such as the article whose text it is; on
// the synthetic 100,000-article corpus that halves the articles it scores
// exactly, next to asking for k+4 at once), then at the best k+4, and
// further at most once; whatever a collection holds (say a cluster of a thousand copies of
// one story near the query), a query costs at most about what one without
// the rules asking for k+DedupWindow costs.
const DedupWindow = 100

// nearest returns the k best articles for query vector q under filter f,
// best first: exact cosine scores, at least minScore, near-duplicates left
// out at dedup (+Inf keeps them) within DedupWindow.
func (s *searcher) nearest(v *view, q vectorize.Vector, f *filter, k int, minScore, dedup float64) []scored {
	if f.noCategory {
		return nil // the filter allows no article
	}
	if math.IsInf(dedup, 1) {
		return s.topK(v, q, f, k, minScore)
	}
	for _, extra := range [...]int{1, 4, DedupWindow} {
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
	panic("unreachable")
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
// into rare and common ones (see index), and the search exploits that the
// common terms, which hold most postings, carry little weight:
//
//  1. The postings of the query's rare terms are read, accumulating each
//     article's score over them: a partial score, never above the exact
//     one, as every weight is positive.
//  2. One pass over the accumulator (choose) keeps the k articles of the
//     best partial scores, and as candidates every article whose partial
//     score plus the most the common terms can add, |q_common| * cn[d]
//     (Cauchy-Schwarz, cn[d] being d's norm on the common terms), reaches
//     the k-th best partial score so far, a floor of the k-th best exact
//     score.
//  3. The k articles of the best partial scores are scored exactly: the
//     k-th of them is the threshold, theta. Unseen articles whose bound
//     alone reaches it join the candidates (from the list sorted by cn).
//  4. Candidates are scored exactly, best bound first, until the next
//     bound falls below the k-th best score.
//
// When the rare terms find fewer than k articles, or the bounds leave more
// candidates than reading the common terms' postings costs, the common
// terms' postings are read too, and the search is the plain loop.
func (s *searcher) topK(v *view, q vectorize.Vector, f *filter, k int, minScore float64) []scored {
	s.prepare(v, q, s.exhaustive)
	s.accumulate(v)
	s.choose(v, f, k, minScore)
	if s.common > 0 && (len(s.top) < k || len(s.cands)*exactCost > s.skipped) {
		// Too few articles share a rare term, or the bounds leave more
		// candidates than reading the common terms' postings costs (small
		// collections): read everything, the plain loop.
		s.reset(v)
		s.prepare(v, q, true)
		s.accumulate(v)
		s.choose(v, f, k, minScore)
	}
	s.stats.skipped += s.skipped
	top := s.finish(v, k, minScore)
	s.reset(v)
	return top
}

// exactCost is what scoring one article exactly costs, in postings read:
// a pass over its hundred-odd terms, with cache misses.
const exactCost = 250

// prepare fills the dense query and picks the terms whose postings are
// read: all of them when all is set, else the rare ones.
func (s *searcher) prepare(v *view, q vectorize.Vector, all bool) {
	if len(s.acc) < int(v.n) {
		n := int(v.n) + int(v.n)/4
		s.acc = make([]float32, n)
		s.marks = make([]uint8, lines(n))
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

// accumulate reads the postings of the rare query terms into acc, marking
// the lines they touch.
func (s *searcher) accumulate(v *view) {
	for _, t := range s.rare {
		p := v.terms[t.id]
		addPostings(s.acc, s.marks, p.docs, p.ws, t.w)
		// Postings appended since the index was built: those of docs past
		// the view's end belong to later views.
		docs, ws := p.appended()
		docs, ws = below(docs, ws, v.n)
		addPostings(s.acc, s.marks, docs, ws, t.w)
		s.stats.postings += len(p.docs) + len(docs)
	}
	s.dirty = true
}

// each calls fn with every doc the accumulator holds a score for, in doc
// order, and leaves the accumulator as it is.
func (s *searcher) each(v *view, fn func(d int32, a float32)) {
	n := int(v.n)
	for line, m := range s.marks[:lines(n)] {
		if m == 0 {
			continue
		}
		lo := line << lineShift
		for i, a := range s.acc[lo:min(lo+lineSize, n)] {
			if a != 0 {
				fn(int32(lo+i), a)
			}
		}
	}
}

// choose makes one pass over the accumulator's marked lines, zeroing them
// as it goes. It keeps in s.best the k allowed articles of the best partial
// scores, and in s.cands, with its bound, every allowed article whose bound
// reaches the k-th best partial score seen so far, a floor of the k-th best
// exact score. After the pass it scores s.best exactly into s.top, whose
// k-th score is the threshold, theta; the unseen articles whose bound alone
// reaches theta join the candidates, and those below it are dropped.
func (s *searcher) choose(v *view, f *filter, k int, minScore float64) {
	s.best, s.top, s.cands = s.best[:0], s.top[:0], s.cands[:0]
	s.floor = float32(minScore - slack)
	acc, cn, qc := s.acc, v.docs.cn, float32(s.common)
	n := int(v.n)
	marks := s.marks[:lines(n)]
	for line := 0; line < len(marks); line++ {
		if marks[line] == 0 {
			continue
		}
		// A run of marked lines, scanned in one go.
		end := line + 1
		for end < len(marks) && marks[end] != 0 {
			end++
		}
		lo, hi := line<<lineShift, min(end<<lineShift, n)
		a, c := acc[lo:hi], cn[lo:hi]
		for i := firstAbove(a, c, qc, s.floor); i < len(a); i += 1 + firstAbove(a[i+1:], c[i+1:], qc, s.floor) {
			s.consider(v, f, int32(lo+i), a[i], a[i]+qc*c[i], k)
		}
		clear(a)
		line = end
	}
	s.dirty = false
	for _, x := range s.best {
		s.stats.exact++
		if score := s.exact(v.docs.vecs[x.doc]); score >= minScore && score > 0 {
			s.top = insertTop(v, s.top, scored{x.doc, score}, k)
		}
	}
	theta := minScore
	if len(s.top) == k {
		theta = max(theta, s.top[k-1].score)
	} else if s.common > 0 {
		s.cands = s.cands[:0] // the caller reads every posting instead
		return
	}
	floor := theta - slack
	if s.common > 0 {
		unseen := func(d int32) {
			if ub := s.common * float64(cn[d]); ub >= floor && s.marks[d>>lineShift] == 0 && f.allows(v, d) {
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
	kept := s.cands[:0]
	for _, c := range s.cands {
		if c.score >= floor && !slices.ContainsFunc(s.best, func(b scored) bool { return b.doc == c.doc }) {
			kept = append(kept, c)
		}
	}
	s.cands = kept
}

// consider takes article d, with partial score x and bound ub at least the
// floor, into the pass of choose: among the k best partial scores so far
// (raising the floor once there are k), and a candidate.
func (s *searcher) consider(v *view, f *filter, d int32, x, ub float32, k int) {
	if !f.allows(v, d) {
		return
	}
	s.cands = append(s.cands, scored{d, float64(ub)})
	if x <= 0 || (len(s.best) == k && float64(x) <= s.best[k-1].score) {
		return
	}
	s.best = insertScore(s.best, scored{d, float64(x)}, k)
	if len(s.best) == k {
		s.floor = max(s.floor, float32(s.best[k-1].score-slack))
	}
}

// insertScore inserts x into best, by score descending, keeping at most k.
func insertScore(best []scored, x scored, k int) []scored {
	i := len(best)
	for i > 0 && best[i-1].score < x.score {
		i--
	}
	if i == k {
		return best
	}
	if len(best) < k {
		best = append(best, scored{})
	}
	copy(best[i+1:], best[i:])
	best[i] = x
	return best
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

// reset zeroes what the query left in the accumulator, its marks and the
// dense query.
func (s *searcher) reset(v *view) {
	if s.dirty {
		for line, m := range s.marks[:lines(int(v.n))] {
			if m != 0 {
				lo := line << lineShift
				clear(s.acc[lo:min(lo+lineSize, len(s.acc))])
			}
		}
		s.dirty = false
	}
	clear(s.marks[:lines(int(v.n))])
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
