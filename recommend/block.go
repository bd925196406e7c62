package recommend

import (
	"cmp"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/readalike/readalike/vectorize"
)

// Scoring a collection in blocks, on many machines (cmd/readalike-beam),
// with the engine's own search. The answer Batch gives an article is a
// function of its best DedupWindow+k raw candidates (filtered, at least
// MinScore, near-duplicates kept; score descending, then id ascending):
// nearest applies the near-duplicate rules to a prefix of that list. So:
//
//  1. Each block answers Candidates for every query: its best n.
//  2. MergeCandidates merges them over the blocks: the collection's best n.
//  3. A Block over those n candidates answers Nearest exactly as Batch
//     does, when n is CandidateCount(q); with n = FirstCandidates(q) it
//     says whether its answer is already settled (almost always: only a
//     query with near-duplicates among its first candidates needs more).
//
// Scores do not depend on the block: the cosine of two vectors is summed in
// term id order, so every block weighted with the same model gives the
// same score to the last bit.

// BlockArticle is an article as a Block holds it: its vector, weighted with
// the collection's model, and the fields filters read.
type BlockArticle struct {
	ID        string
	Vector    vectorize.Vector
	Category  string
	Published time.Time
}

// Block is an exact index over some articles of a collection. It answers
// with the engine's search code, the code Batch runs. A Block is immutable
// and safe for concurrent use.
//
// A Block numbers the terms its articles hold densely, in the model's term
// id order (see local), so that what it allocates grows with what it holds,
// not with the model's dictionary: cmd/readalike-beam builds a Block over a
// query's few candidates, with a dictionary of millions of terms.
type Block struct {
	v          *view
	terms      []uint32 // by local term id: the model's term id, ascending
	dedup      float64  // Options.Dedup
	exhaustive bool
	searchers  sync.Pool // *blockSearcher
}

// blockSearcher is a searcher with room for a query in local term ids.
type blockSearcher struct {
	searcher
	qv vectorize.Vector
}

// NewBlock builds the index of arts, whose vectors must all come from one
// model (sorted by term id, as the model makes them). Of opts, Dedup (the
// near-duplicate threshold) and Exhaustive are used, as the engine uses
// them. Ids must be unique. NewBlock copies the vectors: the caller may
// change or drop arts afterwards.
func NewBlock(arts []BlockArticle, opts Options) *Block {
	opts = opts.withDefaults()
	terms, vecs := local(arts)
	b := newBuilderCap(nil, 0, len(arts))
	for i := range arts {
		a := &arts[i]
		b.add(&Article{ID: a.ID, Category: a.Category, Published: a.Published}, vecs[i])
	}
	blk := &Block{v: b.view(), terms: terms, dedup: opts.Dedup, exhaustive: opts.Exhaustive}
	blk.searchers.New = func() any { return &blockSearcher{searcher: searcher{exhaustive: blk.exhaustive}} }
	return blk
}

// local returns the term ids the articles hold, ascending, and their
// vectors with each term numbered by its place in that list. The order of
// terms is the model's, so the products of a cosine are summed in the same
// order, and give the same score to the last bit.
func local(arts []BlockArticle) (terms []uint32, vecs []vectorize.Vector) {
	size := 0
	for i := range arts {
		size += len(arts[i].Vector)
	}
	terms = make([]uint32, 0, size)
	for i := range arts {
		for _, e := range arts[i].Vector {
			terms = append(terms, e.ID)
		}
	}
	slices.Sort(terms)
	terms = slices.Clip(slices.Compact(terms))
	flat := make(vectorize.Vector, size) // one array for every vector
	vecs = make([]vectorize.Vector, len(arts))
	for i := range arts {
		v := flat[:len(arts[i].Vector):len(arts[i].Vector)]
		flat = flat[len(v):]
		lo := 0
		for j, e := range arts[i].Vector {
			x, _ := slices.BinarySearch(terms[lo:], e.ID)
			lo += x
			v[j] = vectorize.Entry{ID: uint32(lo), Weight: e.Weight}
		}
		vecs[i] = v
	}
	return terms, vecs
}

// localQuery returns qv in b's local term ids, in dst's array: the terms
// no article of b holds are left out, as they add nothing to any score.
func (b *Block) localQuery(dst, qv vectorize.Vector) vectorize.Vector {
	dst = dst[:0]
	lo := 0
	for _, e := range qv {
		x, ok := slices.BinarySearch(b.terms[lo:], e.ID)
		lo += x
		if ok {
			dst = append(dst, vectorize.Entry{ID: uint32(lo), Weight: e.Weight})
		}
	}
	return dst
}

// Len returns the number of articles b holds.
func (b *Block) Len() int { return int(b.v.n) }

// FirstCandidates is how many candidates per query the blocks first
// return: k and a few more, so that a near-duplicate or two left out
// still leave k. Nearest says when a query needs CandidateCount(q).
func FirstCandidates(q Query) int {
	if q.NoDedup {
		return q.k()
	}
	return q.k() + 4
}

// CandidateCount is how many raw candidates settle the answer to q in
// every case: k, and DedupWindow more when near-duplicates are left out.
func CandidateCount(q Query) int {
	if q.NoDedup {
		return q.k()
	}
	return q.k() + DedupWindow
}

// Candidates returns the best n articles of b for the query vector qv of
// the article self ("" for none; it is never returned), under q's filters
// and at least q.MinScore, best first: score descending, then id
// ascending. Near-duplicates are not left out. Only ID and Score of each
// Neighbor are set. q must be valid (Query.Validate).
func (b *Block) Candidates(qv vectorize.Vector, self string, q Query, n int) []Neighbor {
	if b.v.n == 0 || n <= 0 {
		return nil
	}
	s := b.searchers.Get().(*blockSearcher)
	defer b.searchers.Put(s)
	s.qv = b.localQuery(s.qv, qv)
	top := s.topK(b.v, s.qv, b.filter(q, self), n, q.MinScore)
	out := make([]Neighbor, len(top))
	for i, x := range top {
		out[i] = Neighbor{ID: b.v.docs.ids[x.doc], Score: x.score}
	}
	return out
}

// Nearest answers q for the query vector qv of the article self, as
// Engine.Batch answers it, when b holds the collection's best n candidates
// for the query (the merge of every block's Candidates with that n), or
// all of them when there are fewer. The answer is settled (sure) unless
// it holds fewer than k neighbors, b holds n candidates, and n is less
// than CandidateCount(q): near-duplicates left out so many that the
// articles beyond the n may be needed; ask every block again for
// CandidateCount(q) then. The neighbors are best first, with ID, Score,
// Category and Published set.
func (b *Block) Nearest(qv vectorize.Vector, self string, q Query, n int) (ns []Neighbor, sure bool) {
	k := q.k()
	if b.v.n == 0 {
		return nil, true
	}
	s := b.searchers.Get().(*blockSearcher)
	defer b.searchers.Put(s)
	dedup := b.dedup
	if q.NoDedup {
		dedup = math.Inf(1)
	}
	s.qv = b.localQuery(s.qv, qv)
	top := s.nearest(b.v, s.qv, b.filter(q, self), k, q.MinScore, dedup)
	ns = make([]Neighbor, len(top))
	for i, x := range top {
		ns[i] = b.v.neighbor(x.doc, x.score)
	}
	// Whether an article is kept depends only on better ones (nearest), so
	// the answer from the best n is the answer from the best
	// CandidateCount(q) as soon as it holds k.
	return ns, len(ns) >= k || int(b.v.n) < n || n >= CandidateCount(q)
}

// filter resolves q's filters against b, leaving out self.
func (b *Block) filter(q Query, self string) *filter {
	d, ok := b.v.ix.ids.get(self)
	if !ok {
		d = -1
	}
	var exclude []int32
	for _, id := range q.Exclude {
		if x, ok := b.v.ix.ids.get(id); ok {
			exclude = append(exclude, x)
		}
	}
	return newFilter(b.v, q, d, exclude)
}

// MergeCandidates returns the best n of the candidates of a and c, each a
// list best first with distinct ids (Block.Candidates of two blocks, or
// merges of such), best first: score descending, then id ascending. An id
// in both lists is taken once. It allocates a new list.
func MergeCandidates(n int, a, c []Neighbor) []Neighbor {
	out := make([]Neighbor, 0, min(n, len(a)+len(c)))
	for len(out) < n && (len(a) > 0 || len(c) > 0) {
		var x Neighbor
		switch {
		case len(c) == 0 || (len(a) > 0 && rankBefore(a[0], c[0]) <= 0):
			x, a = a[0], a[1:]
			if len(c) > 0 && c[0].ID == x.ID {
				c = c[1:]
			}
		default:
			x, c = c[0], c[1:]
		}
		out = append(out, x)
	}
	return out
}

// rankBefore orders neighbors as every answer does: score descending, then
// id ascending.
func rankBefore(x, y Neighbor) int {
	if c := cmp.Compare(y.Score, x.Score); c != 0 {
		return c
	}
	return cmp.Compare(x.ID, y.ID)
}

// SortCandidates sorts ns best first, as MergeCandidates expects.
func SortCandidates(ns []Neighbor) { slices.SortFunc(ns, rankBefore) }
