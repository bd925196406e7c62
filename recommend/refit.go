package recommend

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sync/atomic"
	"time"

	"github.com/readalike/readalike/vectorize"
)

// replayInLock is how many pending changes a refit replays while holding
// the write lock; with more pending it replays a round outside the lock
// first, up to replayRounds rounds: writes arriving as fast as a round
// replays them would otherwise keep the refit from ever swapping in, so
// after those rounds it replays the rest under the lock, however many.
// Replaying without list upkeep is cheap, so when a round keeping the lists
// falls behind, the refit lets them go stale (see Refit).
const (
	replayInLock = 32
	replayRounds = 4
)

// Refit fits the next model generation on the stored term counts, builds its
// index aside while queries and writes go on, and swaps it in. Changes made
// while it builds are replayed on the new index before the swap, so none is
// lost. Right after a refit every score equals that of a model fitted from
// scratch on the collection. Refit returns the new generation number; one
// refit runs at a time, and a second caller waits for the first.
func (e *Engine) Refit(ctx context.Context) (uint64, error) {
	e.refitMu.Lock()
	defer e.refitMu.Unlock()
	e.refitting.Store(true)
	defer e.refitting.Store(false)

	log := []change{}
	e.applyMu.Lock()
	e.replay = &log
	gen := e.view.Load().ix.generation + 1
	changedAtStart := e.changed.Load()
	e.applyMu.Unlock()
	defer func() {
		e.applyMu.Lock()
		e.replay = nil
		e.applyMu.Unlock()
	}()

	ts, err := e.store.TermStats(ctx)
	if err != nil {
		return 0, fmt.Errorf("refit: term stats: %w", err)
	}
	model := vectorize.NewModel(e.dict, ts.N, ts.DF, e.opts.Model)
	v, words, err := e.buildIndex(ctx, model, gen, nil)
	if err != nil {
		return 0, fmt.Errorf("refit: %w", err)
	}
	if e.opts.KeepNeighbors > 0 {
		// The new generation's lists, before it swaps in; the changes
		// replayed below keep them.
		if v.lists, err = e.computeLists(ctx, v); err != nil {
			return 0, fmt.Errorf("refit: neighbor lists: %w", err)
		}
	}
	g := Generation{Number: gen, N: ts.N, DF: ts.DF, Settings: e.settings(), FittedAt: time.Now().UTC()}
	if err := e.store.SaveGeneration(ctx, g); err != nil {
		return 0, fmt.Errorf("refit: save generation %d: %w", gen, err)
	}

	// Replay the changes made meanwhile on the new index, most of them
	// before taking applyMu, so that writes wait only for the last few.
	w := newWriter(v)
	replayed, behind := 0, math.MaxInt
	for round := 0; ; round++ {
		e.applyMu.Lock()
		pending := (*e.replay)[replayed:]
		if w.lists.valid && len(pending) >= behind {
			// Replaying with list upkeep falls behind the writes (which
			// may have stopped keeping their own lists): the new index's
			// lists go stale, to be rebuilt once writes are quiet, and the
			// replay catches up.
			w.lists = neighborLists{m: w.lists.m}
			e.lastBulk.Store(time.Now().UnixNano())
			e.counters.listStale.Add(1)
		}
		behind = len(pending)
		if len(pending) <= replayInLock || round == replayRounds {
			replayOn(w, pending)
			copyReads(e.w, w, *e.replay)
			w.publish(&e.view)
			e.w = w
			e.words.Store(words)
			e.changed.Add(-changedAtStart)
			e.applyMu.Unlock()
			break
		}
		pending = slices.Clone(pending)
		e.applyMu.Unlock()
		replayOn(w, pending)
		w.publish(new(atomic.Pointer[view])) // nobody reads the new index yet
		replayed += len(pending)
	}
	e.counters.refits.Add(1)
	e.log.Info("refit", "generation", gen, "articles", e.view.Load().live, "replayed", replayed)
	return gen, nil
}

// copyReads gives the articles read while the refit ran their read counts
// as the old index has them: all of them, since a read counts in memory
// under applyMu, which the caller holds. (The new index's scan of the store
// may have seen some of those reads and not others.)
func copyReads(old, w *writer, log []change) {
	for _, c := range log {
		if c.read == nil {
			continue
		}
		o, ok1 := old.lookup(c.read.ID)
		d, ok2 := w.lookup(c.read.ID)
		if ok1 && ok2 {
			atomic.StoreUint64(&w.docs.reads[d], atomic.LoadUint64(&old.docs.reads[o]))
			atomic.StoreInt64(&w.docs.lastRead[d], atomic.LoadInt64(&old.docs.lastRead[o]))
		}
	}
}

// replayOn applies changes to an index that is not yet visible.
func replayOn(w *writer, chs []change) {
	m := w.v.ix.model
	for _, c := range chs {
		switch {
		case c.read != nil:
			// Counted at the swap (copyReads): the scan may have seen it.
		case c.put == nil:
			w.remove(c.del)
		default:
			w.put(c.put, m.IndexVector(c.counts))
		}
	}
}

// maybeRefit starts a background refit when the collection has drifted
// past Options.RefitShare since the last fit and no refit is running.
func (e *Engine) maybeRefit() {
	if e.opts.RefitShare < 0 || e.refitting.Load() {
		return
	}
	drift := float64(e.changed.Load()) > e.opts.RefitShare*float64(e.view.Load().ix.model.N())
	if !drift || !e.autoRefit.CompareAndSwap(false, true) {
		return
	}
	e.bgMu.Lock()
	defer e.bgMu.Unlock()
	if e.ctx.Err() != nil {
		e.autoRefit.Store(false)
		return
	}
	e.bg.Add(1)
	go func() {
		defer e.bg.Done()
		_, err := e.Refit(e.ctx)
		e.autoRefit.Store(false)
		if err != nil {
			if e.ctx.Err() == nil {
				e.log.Error("automatic refit", "err", err)
			}
			return
		}
		e.maybeRefit() // writes during the refit may call for another
	}()
}

// buildIndex reads every stored article and its term counts and builds the
// index of generation gen with model m, returning its first view.
func (e *Engine) buildIndex(ctx context.Context, m *vectorize.Model, gen uint64, progress func(done, total int)) (*view, *words, error) {
	ts, err := e.store.TermStats(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("count articles: %w", err)
	}
	total := ts.N
	b := newBuilder(m, gen, total)
	votes := wordVotes{}
	last := time.Now()
	n := 0
	err = e.store.Scan(ctx, false, func(a *Article, c vectorize.Counts) error {
		b.add(a, m.IndexVector(c))
		votes.add(m.Dictionary(), c)
		n++
		if progress != nil && n%4096 == 0 && time.Since(last) > 100*time.Millisecond {
			progress(n, total)
			last = time.Now()
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("scan articles: %w", err)
	}
	v := b.view()
	if progress != nil {
		progress(n, max(total, n))
	}
	return v, votes.words(v), nil
}
