package recommend

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"time"

	"github.com/readalike/readalike/vectorize"
)

// The engine's side of the neighbor lists (lists.go, maintain.go): an
// unfiltered Similar answers from the article's list; writes keep the
// lists exact as they go, unless a bulk load comes faster than that can
// absorb, which marks them stale until a rebuild in the background; a
// refit builds the next generation's lists before it swaps in.

// Defaults of the lists' options.
const (
	// DefaultKeepNeighbors is how many neighbors each list keeps: twice
	// the usual five, so that deletions rarely leave a list too short to
	// answer and near-duplicates left out rarely send a query to search.
	DefaultKeepNeighbors = 10
	// bulkWrite: a write of more articles than this is a bulk load, which
	// marks the lists stale instead of keeping them article by article.
	bulkWrite = 32
	// maintainShare is the share of one core list upkeep may take on
	// average; writes that need more mark the lists stale.
	maintainShare = 0.5
	// rebuildQuiet is how long writes must have kept the lists (no bulk
	// load) before stale lists are rebuilt.
	rebuildQuiet = time.Second
	// maxReplay bounds the changes a rebuild replays on the lists it
	// built; with more (writes kept coming in bulk) it tries again later.
	maxReplay = 1024
)

// unfiltered reports whether q lets every article other than the query's
// own be returned.
func (q Query) unfiltered() bool {
	return len(q.Categories) == 0 && q.From.IsZero() && q.To.IsZero() && len(q.Exclude) == 0
}

// dedup returns the near-duplicate threshold of q: +Inf keeps them.
func (e *Engine) dedup(q Query) float64 {
	if q.NoDedup {
		return math.Inf(1)
	}
	return e.opts.Dedup
}

// fingerprint hashes the engine's settings.
func fingerprint(settings string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(settings))
	return h.Sum64()
}

// fromList answers an unfiltered query for doc d from its list, and reports
// whether it could: the list must be kept and current for v, and hold
// enough articles after the query's rules. Scores are recomputed exactly,
// as the search computes them, so the answer is the search's to the last
// bit.
func (e *Engine) fromList(v *view, d int32, q Query) ([]ranked, bool) {
	k := q.k()
	if !v.lists.valid || !q.unfiltered() || q.reranks() || k > v.lists.m {
		return nil, false
	}
	var buf [64]listEntry
	entries, complete, epoch := v.lists.read(d, buf[:0])
	if epoch > v.epoch {
		return nil, false // changed by a write v does not see yet
	}
	dedup := e.dedup(q)
	window := len(entries)
	if !math.IsInf(dedup, 1) {
		window = min(window, k+DedupWindow)
	}
	qv := v.docs.vecs[d]
	kept := make([]scored, 0, k)
	enough := false
	for _, en := range entries[:window] {
		if !v.alive(en.doc) {
			return nil, false // cannot happen while the list is current
		}
		sc := vectorize.Cosine(qv, v.docs.vecs[en.doc])
		if sc < q.MinScore {
			enough = true // the rest score less
			break
		}
		if sc >= dedup || duplicatesKept(v, scored{en.doc, sc}, kept, dedup) {
			continue
		}
		kept = append(kept, scored{en.doc, sc})
		if len(kept) == k {
			break
		}
	}
	if len(kept) < k && !enough && !complete && window == len(entries) {
		return nil, false // the articles beyond the list may be needed
	}
	top := make([]ranked, len(kept))
	for i, x := range kept {
		top[i] = ranked{scored: x}
	}
	e.counters.queries.Add(1)
	e.counters.fromLists.Add(1)
	return top, true
}

// computeLists computes every list of v: the raw best m of each article.
func (e *Engine) computeLists(ctx context.Context, v *view) (neighborLists, error) {
	m := e.opts.KeepNeighbors
	l := newLists(m, int(v.n))
	run := &knnRun{v: v, q: Query{K: m, NoDedup: true}, k: m, dedup: math.Inf(1),
		emitDocs: func(d int32, top []scored) error {
			entries := make([]listEntry, len(top))
			for i, t := range top {
				entries[i] = listEntry{t.doc, float32(t.score)}
			}
			l.write(d, entries, len(top) < m, v.epoch)
			return nil
		}}
	if _, err := run.run(ctx, 0, false); err != nil {
		return neighborLists{}, err
	}
	l.valid = true
	return l, nil
}

// rebuildLists computes the lists of the current view and brings them up
// to date with the writes made meanwhile, then keeps them. It gives up,
// leaving them stale, when more writes came meanwhile than it replays.
func (e *Engine) rebuildLists(ctx context.Context) error {
	e.applyMu.Lock()
	if e.w.lists.valid || e.opts.KeepNeighbors <= 0 {
		e.applyMu.Unlock()
		return nil
	}
	v := e.view.Load()
	log := []listOp{}
	e.w.log = &log
	e.applyMu.Unlock()
	start := time.Now()
	l, err := e.computeLists(ctx, v)

	e.applyMu.Lock()
	defer e.applyMu.Unlock()
	w := e.w
	w.log = nil
	switch {
	case err != nil:
		return fmt.Errorf("rebuild neighbor lists: %w", err)
	case w.v.ix != v.ix:
		return nil // a refit swapped in an index with lists of its own
	case len(log) > maxReplay:
		e.log.Info("neighbor lists: writes came faster than a rebuild; will try again", "changes", len(log))
		return nil
	}
	l.grow(int(w.n))
	w.lists = l
	for _, op := range log {
		if op.added {
			w.maintainAdd(op.doc)
		} else {
			w.maintainRemove(op.doc)
		}
	}
	w.publish(&e.view)
	e.counters.listRebuilds.Add(1)
	e.log.Info("neighbor lists rebuilt", "articles", w.live, "replayed", len(log), "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// keepLists rebuilds stale lists once writes have been quiet for a while,
// until ctx ends. It runs in the background from Open.
func (e *Engine) keepLists(ctx context.Context) {
	tick := time.NewTicker(rebuildQuiet / 4)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if e.view.Load().lists.valid || time.Since(time.Unix(0, e.lastBulk.Load())) < rebuildQuiet {
			continue
		}
		e.rebuilding.Store(true)
		err := e.rebuildLists(ctx)
		e.rebuilding.Store(false)
		if err != nil && !errors.Is(err, context.Canceled) {
			e.log.Error("neighbor lists", "err", err)
		}
	}
}

// keepBudget decides, before a write of n changes is applied, whether the
// writer keeps the lists article by article: not for a bulk load, nor when
// upkeep took more than its share of a core lately. The caller holds
// applyMu. It returns false when the lists were marked stale.
func (e *Engine) keepBudget(w *writer, n int) bool {
	now := time.Now()
	if !w.lists.valid {
		if n > bulkWrite {
			e.lastBulk.Store(now.UnixNano()) // still loading: no rebuild yet
		}
		return false
	}
	if !e.budgetAt.IsZero() {
		e.budget = min(e.budget+maintainShare*now.Sub(e.budgetAt).Seconds(), maintainShare)
	}
	e.budgetAt = now
	if n <= bulkWrite && e.budget > 0 {
		return true
	}
	w.lists = neighborLists{m: w.lists.m} // stale: kept no more
	e.lastBulk.Store(now.UnixNano())
	e.counters.listStale.Add(1)
	return false
}

// spent charges list upkeep of d to the budget. The caller holds applyMu.
func (e *Engine) spent(d time.Duration) { e.budget -= d.Seconds() }
