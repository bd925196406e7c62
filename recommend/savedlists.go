package recommend

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"
)

// Neighbor lists survive a clean restart: Close saves them in a store that
// keeps lists (NeighborStore), and Open loads them back when they are
// still exact, instead of rebuilding them all in the background, which at
// a million articles takes minutes of both cores. The store stamps saved
// lists so that any article put or deleted after they were saved makes
// them stale (a crash, too, leaves them stale); Open also checks that they
// were scored by the generation and the settings it loads. Either way a
// list that cannot be trusted is never loaded: Open rebuilds them all
// instead, as it would without saved lists.
//
// A saved list is an in-memory one as it stands (lists.go): K is the
// number of entries kept (Options.KeepNeighbors) when the list is full or
// complete (holds every article scoring above 0, fewer than K), and the
// number of its entries when deletions left it short of full without
// being complete. Scores are the float32 of the lists, saved exactly.

// saveLists saves the current lists in the store, unless they are not
// kept, the store keeps none, or they are as the store already has them.
// It holds off writes while it runs, so that the lists are those of the
// articles stored when the store stamps them.
func (e *Engine) saveLists(ctx context.Context) error {
	if e.lists == nil || e.opts.KeepNeighbors <= 0 {
		return nil
	}
	e.writeGate.Lock()
	defer e.writeGate.Unlock()
	e.applyMu.Lock()
	v := e.w.v
	e.applyMu.Unlock()
	if !v.lists.valid || e.savedAt.Load() == listsAt(v) {
		return nil
	}
	start := time.Now()
	lists := make([]NeighborList, 0, v.live)
	var buf []listEntry
	for d := range v.n {
		if !v.alive(d) {
			continue
		}
		var complete bool
		buf, complete, _ = v.lists.read(d, buf[:0])
		if len(buf) == 0 && !complete {
			return nil // a list deletions emptied: rebuilt at the next start
		}
		l := NeighborList{ID: v.docs.ids[d], Generation: v.ix.generation, Settings: e.settingsID,
			K: len(buf), Dedup: math.Inf(1), Neighbors: make([]Neighbor, len(buf))}
		if complete || len(buf) == v.lists.m {
			l.K = v.lists.m
		}
		for i, en := range buf {
			l.Neighbors[i] = Neighbor{ID: v.docs.ids[en.doc], Score: float64(en.score)}
		}
		lists = append(lists, l)
	}
	if err := e.lists.PutNeighbors(ctx, lists); err != nil {
		return fmt.Errorf("save neighbor lists: %w", err)
	}
	e.savedAt.Store(listsAt(v))
	e.log.Info("neighbor lists saved", "articles", len(lists), "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// loadLists loads the saved lists into v, the view Open built, when they
// are all there and exact; with one missing, stale or scored otherwise it
// loads none, and keepLists rebuilds them. Open calls it before any write
// can come.
func (e *Engine) loadLists(ctx context.Context, v *view) error {
	if e.lists == nil || e.opts.KeepNeighbors <= 0 || v.live == 0 {
		return nil
	}
	start := time.Now()
	m := e.opts.KeepNeighbors
	l := newLists(m, int(v.n))
	var entries []listEntry
	for d := range v.n {
		if !v.alive(d) {
			continue
		}
		saved, err := e.lists.Neighbors(ctx, v.docs.ids[d])
		switch {
		case errors.Is(err, ErrNotFound):
			e.log.Info("neighbor lists: none saved, or not current; rebuilding them", "first", v.docs.ids[d])
			return nil
		case err != nil:
			return fmt.Errorf("load neighbor lists: %w", err)
		case saved.Generation != v.ix.generation || saved.Settings != e.settingsID || !math.IsInf(saved.Dedup, 1) || saved.MinScore != 0:
			e.log.Info("neighbor lists: saved for another generation or other settings; rebuilding them")
			return nil
		}
		entries = entries[:0]
		for _, n := range saved.Neighbors {
			nd, ok := v.ix.ids.get(n.ID)
			if !ok {
				return nil // cannot be while the stamp holds; rebuilt rather than trusted
			}
			entries = append(entries, listEntry{nd, float32(n.Score)})
		}
		complete := len(entries) < saved.K
		if len(entries) > m {
			entries, complete = entries[:m], false
		}
		l.write(d, entries, complete, v.epoch)
	}
	l.valid = true
	v.lists = l
	e.savedAt.Store(listsAt(v))
	e.log.Info("neighbor lists loaded", "articles", v.live, "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// listsAt names the state of v's lists: its generation and epoch.
func listsAt(v *view) uint64 { return v.ix.generation<<32 | uint64(v.epoch) }
