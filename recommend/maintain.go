package recommend

import (
	"cmp"
	"math"
	"slices"

	"github.com/readalike/readalike/vectorize"
)

// Keeping the lists exact (see lists.go). When article x joins, one pass
// over the postings of x's terms gives x's score with every article: x's
// own list is the best of them, and x enters the list of each article d it
// beats the last entry of (the floor). When y leaves, the same pass finds
// every list that can hold y: a list holds y only if y scores at least its
// floor. The writer does both for every article it puts or removes, on its
// own view of what it has written (writer.private), before publishing.

// private returns the view of everything w has written so far: docs
// removed at w's epoch count as dead.
func (w *writer) private() *view {
	return &view{ix: w.v.ix, docs: w.docs, terms: w.terms, cats: w.cats, n: w.n, epoch: w.epoch, live: w.live, lists: w.lists}
}

// listOp is one change of the collection, in doc numbers, for a rebuild of
// the lists to replay.
type listOp struct {
	doc   int32
	added bool
}

// maintainAdd puts doc x, just added, into the lists: its own, and every
// list it enters. It is idempotent: an x already in a list is not added
// again, and a dead x changes nothing.
func (w *writer) maintainAdd(x int32) {
	pv := w.private()
	if !pv.alive(x) {
		return
	}
	w.lists.grow(int(w.n))
	pv.lists = w.lists
	s := w.searcher()
	vec := pv.docs.vecs[x]
	s.prepare(pv, vec, true)
	s.accumulate(pv)
	defer s.reset(pv)

	// Its own list: the best m by exact score. float32 partial sums are
	// within slack of the exact scores, so the m-th partial less slack is
	// a floor no member of the top m falls below.
	m := w.lists.m
	var alive int
	cut := make([]float32, 0, m) // the m best partial sums, best first
	s.each(pv, func(d int32, a float32) {
		if d == x || !pv.alive(d) {
			return
		}
		alive++
		if len(cut) == m && a <= cut[m-1] {
			return
		}
		i := len(cut)
		for i > 0 && cut[i-1] < a {
			i--
		}
		if len(cut) < m {
			cut = append(cut, 0)
		}
		copy(cut[i+1:], cut[i:])
		cut[i] = a
	})
	floor := float32(0)
	if alive > m {
		floor = cut[m-1] - float32(slack)
	}
	var own []scored
	s.each(pv, func(d int32, a float32) {
		if d != x && pv.alive(d) && a >= floor {
			if sc := s.exact(pv.docs.vecs[d]); sc > 0 {
				own = append(own, scored{d, sc})
			}
		}
	})
	slices.SortFunc(own, func(a, b scored) int { return byScore(pv, a, b) })
	own = own[:min(m, len(own))]
	entries := make([]listEntry, len(own))
	for i, o := range own {
		entries[i] = listEntry{o.doc, float32(o.score)}
	}
	w.lists.write(x, entries, alive <= m, w.epoch)

	// The lists x enters.
	var buf []listEntry
	s.each(pv, func(d int32, a float32) {
		if d == x || !pv.alive(d) || float64(a) < float64(w.lists.floor[d])-slack {
			return
		}
		sc := s.exact(pv.docs.vecs[d])
		if sc <= 0 {
			return
		}
		var complete bool
		buf, complete, _ = w.lists.read(d, buf)
		if slices.ContainsFunc(buf, func(e listEntry) bool { return e.doc == x }) {
			return
		}
		i := 0
		for i < len(buf) && w.ranksBefore(pv, d, buf[i], x, sc) {
			i++
		}
		switch {
		case i < len(buf):
			buf = slices.Insert(buf, i, listEntry{x, float32(sc)})
			if len(buf) > m {
				buf, complete = buf[:m], false
			}
		case complete && len(buf) < m:
			buf = append(buf, listEntry{x, float32(sc)})
		default:
			return // after the last entry of a list that does not take more
		}
		w.lists.write(d, buf, complete, w.epoch)
	})
}

// maintainRemove takes doc y, just removed, out of every list that holds
// it, and recomputes a list left with fewer than half its entries.
func (w *writer) maintainRemove(y int32) {
	pv := w.private()
	if int(y) >= len(w.lists.meta) {
		return
	}
	s := w.searcher()
	s.prepare(pv, pv.docs.vecs[y], true)
	s.accumulate(pv)
	var refill []int32
	var buf []listEntry
	m := w.lists.m
	s.each(pv, func(d int32, a float32) {
		if d == y || !pv.alive(d) || int(d) >= len(w.lists.meta) || float64(a) < float64(w.lists.floor[d])-slack {
			return
		}
		var complete bool
		buf, complete, _ = w.lists.read(d, buf)
		i := slices.IndexFunc(buf, func(e listEntry) bool { return e.doc == y })
		if i < 0 {
			return
		}
		buf = slices.Delete(buf, i, i+1)
		w.lists.write(d, buf, complete, w.epoch)
		if !complete && len(buf) < (m+1)/2 {
			refill = append(refill, d)
		}
	})
	s.reset(pv)
	for _, d := range refill {
		w.recompute(pv, d)
	}
}

// recompute computes the list of doc d afresh.
func (w *writer) recompute(pv *view, d int32) {
	s := w.searcher()
	m := w.lists.m
	top := s.topK(pv, pv.docs.vecs[d], &filter{self: d, trivial: true}, m, 0)
	entries := make([]listEntry, len(top))
	for i, t := range top {
		entries[i] = listEntry{t.doc, float32(t.score)}
	}
	w.lists.write(d, entries, len(top) < m, w.epoch)
}

// ranksBefore reports whether entry e of doc d's list ranks before x,
// which scores sc with d: by score descending, then id ascending. A stored
// score is a float32; within its rounding the exact score is recomputed.
func (w *writer) ranksBefore(pv *view, d int32, e listEntry, x int32, sc float64) bool {
	es := float64(e.score)
	if math.Abs(es-sc) > 1e-6 {
		return es > sc
	}
	es = vectorize.Cosine(pv.docs.vecs[d], pv.docs.vecs[e.doc])
	if es != sc {
		return es > sc
	}
	return pv.docs.ids[e.doc] < pv.docs.ids[x]
}

// byScore orders by score descending, then id ascending.
func byScore(v *view, a, b scored) int {
	if c := cmp.Compare(b.score, a.score); c != 0 {
		return c
	}
	return cmp.Compare(v.docs.ids[a.doc], v.docs.ids[b.doc])
}

// searcher returns the writer's own scratch space.
func (w *writer) searcher() *searcher {
	if w.s == nil {
		w.s = new(searcher)
	}
	return w.s
}
