package recommend

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/readalike/readalike/vectorize"
)

// replayInLock is how many pending changes a refit replays while holding
// the write lock; with more pending it replays a round outside the lock
// first.
const replayInLock = 1024

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
	e.mu.Lock()
	e.replay = &log
	gen := e.ix.generation + 1
	changedAtStart := e.changed
	e.mu.Unlock()
	defer func() {
		e.mu.Lock()
		e.replay = nil
		e.mu.Unlock()
	}()

	ts, err := e.store.TermStats(ctx)
	if err != nil {
		return 0, fmt.Errorf("refit: term stats: %w", err)
	}
	model := vectorize.NewModel(e.dict, ts.N, ts.DF, e.opts.Model)
	ix, err := e.buildIndex(ctx, model, gen, nil)
	if err != nil {
		return 0, fmt.Errorf("refit: %w", err)
	}
	g := Generation{Number: gen, N: ts.N, DF: ts.DF, Settings: e.settings(), FittedAt: time.Now().UTC()}
	if err := e.store.SaveGeneration(ctx, g); err != nil {
		return 0, fmt.Errorf("refit: save generation %d: %w", gen, err)
	}

	replayed := 0
	for {
		e.mu.Lock()
		pending := (*e.replay)[replayed:]
		if len(pending) <= replayInLock {
			replayOn(ix, pending)
			e.ix = ix
			e.changed -= changedAtStart
			e.mu.Unlock()
			break
		}
		pending = slices.Clone(pending)
		e.mu.Unlock()
		replayOn(ix, pending)
		replayed += len(pending)
	}
	e.counters.refits.Add(1)
	e.log.Info("refit", "generation", gen, "articles", ix.live(), "replayed", replayed)
	return gen, nil
}

// replayOn applies changes to an index that is not yet visible.
func replayOn(ix *index, chs []change) {
	for _, c := range chs {
		if c.put == nil {
			ix.remove(c.del)
		} else {
			ix.put(c.put, ix.model.IndexVector(c.counts))
		}
	}
}

// maybeRefit starts a background refit when the collection has drifted
// past Options.RefitShare since the last fit and no refit is running.
func (e *Engine) maybeRefit() {
	if e.opts.RefitShare < 0 || e.refitting.Load() {
		return
	}
	e.mu.RLock()
	drift := float64(e.changed) > e.opts.RefitShare*float64(e.ix.model.N())
	e.mu.RUnlock()
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
// index of generation gen with model m.
func (e *Engine) buildIndex(ctx context.Context, m *vectorize.Model, gen uint64, progress func(done, total int)) (*index, error) {
	total := 0
	if progress != nil {
		ts, err := e.store.TermStats(ctx)
		if err != nil {
			return nil, fmt.Errorf("count articles: %w", err)
		}
		total = ts.N
	}
	ix := newIndex(m, gen)
	last := time.Now()
	err := e.store.Scan(ctx, false, func(a *Article, c vectorize.Counts) error {
		ix.appendDoc(a, m.IndexVector(c))
		if progress != nil && len(ix.docs)%4096 == 0 && time.Since(last) > 100*time.Millisecond {
			progress(len(ix.docs), total)
			last = time.Now()
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("scan articles: %w", err)
	}
	ix.build()
	if progress != nil {
		progress(len(ix.docs), max(total, len(ix.docs)))
	}
	return ix, nil
}
