package recommend

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/readalike/readalike/vectorize"
)

// applyChunk is how many articles a writer applies to the index per hold of
// the write lock, so queries never wait long behind a big batch.
const applyChunk = 64

// change is one write applied to the index, kept for a running refit to
// replay.
type change struct {
	put    *Article // nil for a delete
	counts vectorize.Counts
	del    string
}

// Upsert adds the articles, replacing any with the same id, and returns once
// they are durable and searchable. A bad article fails the whole call with a
// *BatchError wrapping a *FieldError, and nothing is written.
func (e *Engine) Upsert(ctx context.Context, arts ...Article) error {
	return e.write(ctx, arts, false)
}

// Add is Upsert for new articles only: an id the collection has fails the
// call with an error wrapping ErrExists, and nothing is written.
func (e *Engine) Add(ctx context.Context, arts ...Article) error {
	return e.write(ctx, arts, true)
}

// BatchError says which article of a batch is bad, and why.
type BatchError struct {
	Index int // position in the batch
	ID    string
	Err   error
}

func (e *BatchError) Error() string {
	if e.ID != "" {
		return fmt.Sprintf("article %d (%q): %v", e.Index, e.ID, e.Err)
	}
	return fmt.Sprintf("article %d: %v", e.Index, e.Err)
}

func (e *BatchError) Unwrap() error { return e.Err }

// Validate checks an article as Upsert would, without writing it, and puts
// its language in canonical form. The error is a *FieldError.
func (e *Engine) Validate(a *Article) error {
	return validate(a, e.opts.MaxBodyBytes)
}

func (e *Engine) write(ctx context.Context, arts []Article, add bool) error {
	if len(arts) == 0 {
		return nil
	}
	arts = append([]Article(nil), arts...)
	ids := make([]string, len(arts))
	seen := make(map[string]int, len(arts))
	for i := range arts {
		a := &arts[i]
		if err := validate(a, e.opts.MaxBodyBytes); err != nil {
			return &BatchError{Index: i, ID: a.ID, Err: err}
		}
		if j, dup := seen[a.ID]; dup {
			return &BatchError{Index: i, ID: a.ID, Err: &FieldError{"id", fmt.Sprintf("repeats article %d of the batch", j)}}
		}
		seen[a.ID] = i
		ids[i] = a.ID
	}
	counts, err := e.analyzeAll(arts)
	if err != nil {
		return err
	}

	unlock := e.ids.lock(ids)
	defer unlock()
	now := time.Now().UTC()
	e.mu.RLock()
	existing := make([]int32, len(arts))
	for i, a := range arts {
		d, ok := e.ix.byID[a.ID]
		existing[i] = -1
		if ok {
			existing[i] = d
		}
	}
	e.mu.RUnlock()
	b := Batch{Puts: make([]Put, len(arts))}
	for i := range arts {
		a := &arts[i]
		a.Created, a.Updated, a.ReadCount, a.LastRead = now, now, 0, time.Time{}
		if existing[i] >= 0 {
			if add {
				return &BatchError{Index: i, ID: a.ID, Err: fmt.Errorf("article %q: %w", a.ID, ErrExists)}
			}
			old, err := e.store.Article(ctx, a.ID)
			if err != nil && !errors.Is(err, ErrNotFound) {
				return fmt.Errorf("read article %q: %w", a.ID, err)
			}
			if err == nil {
				a.Created, a.ReadCount, a.LastRead = old.Created, old.ReadCount, old.LastRead
			}
		}
		b.Puts[i] = Put{Article: *a, Counts: counts[i]}
	}
	// Once handed to the store a write may land even if ctx ends while it
	// waits for the disk, so it must not be abandoned half way: the index
	// would then disagree with the store.
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := e.store.Commit(context.WithoutCancel(ctx), b); err != nil {
		return fmt.Errorf("commit %d articles: %w", len(arts), err)
	}
	chs := make([]change, len(arts))
	for i := range arts {
		chs[i] = change{put: &arts[i], counts: counts[i]}
	}
	e.apply(chs)
	return nil
}

// analyzeAll analyses the articles, on all cores for a big batch, and sets
// each one's word count.
func (e *Engine) analyzeAll(arts []Article) ([]vectorize.Counts, error) {
	counts := make([]vectorize.Counts, len(arts))
	errs := make([]error, len(arts))
	workers := min(runtime.GOMAXPROCS(0), (len(arts)+15)/16)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(arts); i += workers {
				a := &arts[i]
				res, err := e.analyzer.Analyze(vectorize.Document{Title: a.Title, Body: a.Body, Lang: a.Lang})
				counts[i], errs[i], a.Words = res.Counts, err, res.Words
			}
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return nil, &BatchError{Index: i, ID: arts[i].ID, Err: err}
		}
	}
	return counts, nil
}

// Delete removes the articles with these ids and returns once that is
// durable. An id the collection lacks fails the call with an error wrapping
// ErrNotFound, and nothing is deleted.
func (e *Engine) Delete(ctx context.Context, ids ...string) error {
	if len(ids) == 0 {
		return nil
	}
	unlock := e.ids.lock(ids)
	defer unlock()
	e.mu.RLock()
	for _, id := range ids {
		if _, ok := e.ix.byID[id]; !ok {
			e.mu.RUnlock()
			return fmt.Errorf("article %q: %w", id, ErrNotFound)
		}
	}
	e.mu.RUnlock()
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := e.store.Commit(context.WithoutCancel(ctx), Batch{Deletes: ids}); err != nil {
		return fmt.Errorf("delete %d articles: %w", len(ids), err)
	}
	chs := make([]change, len(ids))
	for i, id := range ids {
		chs[i] = change{del: id}
	}
	e.apply(chs)
	return nil
}

// apply makes committed changes searchable, a chunk per hold of the lock.
// Vectors are computed outside the lock with the current model, and again
// inside in the rare case a refit swapped the model in between.
func (e *Engine) apply(chs []change) {
	for len(chs) > 0 {
		n := min(len(chs), applyChunk)
		chunk := chs[:n]
		chs = chs[n:]
		m := e.Model()
		vecs := make([]vectorize.Vector, n)
		for i, c := range chunk {
			if c.put != nil {
				vecs[i] = m.Vector(c.counts)
			}
		}
		e.mu.Lock()
		ix := e.ix
		for i, c := range chunk {
			if c.put == nil {
				ix.remove(c.del)
				continue
			}
			if ix.model != m {
				vecs[i] = ix.model.Vector(c.counts)
			}
			ix.put(c.put, vecs[i])
		}
		e.changed += n
		if e.replay != nil {
			*e.replay = append(*e.replay, chunk...)
		}
		e.mu.Unlock()
	}
	e.maybeRefit()
}

// Get returns the stored article with that id, or an error wrapping
// ErrNotFound.
func (e *Engine) Get(ctx context.Context, id string) (Article, error) {
	return e.store.Article(ctx, id)
}
