package recommend

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// BatchOptions configure Engine.Batch.
type BatchOptions struct {
	Query   Query // k, filters, near-duplicates and minimum score, as for one query
	Threads int   // workers; 0 means GOMAXPROCS
	// Progress, when not nil, is called from time to time with the articles
	// done and the total, from one goroutine at a time.
	Progress func(done, total int)
	// Exhaustive scans every posting, without the bounds that skip most of
	// them: the plain loop, for comparison. The answers are the same.
	Exhaustive bool
	// Store also writes every list into the Store, a chunk at a time, for
	// Similar to answer from while they stay exact (see Engine.Similar).
	// It needs a Query without categories, dates or excluded ids, and
	// holds off the engine's writes for the whole run, not just their
	// index updates.
	Store bool
}

// BatchStats describe a finished batch run.
type BatchStats struct {
	Articles   int           `json:"articles"`
	Generation uint64        `json:"generation"`
	Postings   uint64        `json:"postings_scanned"`
	Skipped    uint64        `json:"postings_skipped"`
	Exact      uint64        `json:"exact_scores"`
	Stored     int           `json:"stored"` // lists written with BatchOptions.Store
	Elapsed    time.Duration `json:"elapsed_ns"`
}

// knnChunk is how many articles a worker takes at a time; workers take the
// next chunk when done, so uneven work spreads across cores.
const knnChunk = 64

// Batch computes the nearest articles of every article of the collection,
// with the same model, scores and rules as Similar, and calls emit once per
// article, in doc order, from one goroutine at a time (emit may be nil
// when o.Store is set). ms is only valid during the call. It answers for
// the collection as it was when it started: writes made meanwhile go on,
// and are not in its answers (unless o.Store is set: then writes wait
// until it is done). It stops at the first error emit returns or storing
// fails, or when ctx is done; lists stored by then stay usable.
func (e *Engine) Batch(ctx context.Context, o BatchOptions, emit func(id string, ms []Neighbor) error) (BatchStats, error) {
	if err := o.Query.Validate(); err != nil {
		return BatchStats{}, err
	}
	if o.Store && !o.Query.unfiltered() {
		return BatchStats{}, fmt.Errorf("batch: %w", errFilteredStore)
	}
	if o.Store && e.lists == nil {
		return BatchStats{}, errors.New("batch: the store cannot keep neighbor lists")
	}
	threads := o.Threads
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	start := time.Now()
	if o.Store {
		// Before the read lock, as writers take them.
		defer e.ids.lockAll()()
	}
	v, exclude := e.resolve(o.Query.Exclude)
	dedup := e.dedup(o.Query)
	var saver *neighborSaver
	if o.Store {
		saver = &neighborSaver{ctx: ctx, store: e.lists, header: NeighborList{
			Generation: v.ix.generation, Settings: e.settingsID,
			K: o.Query.k(), Dedup: dedup, MinScore: o.Query.MinScore,
		}}
		emit = saver.wrap(emit)
	}
	run := &knnRun{v: v, q: o.Query, exclude: exclude, k: o.Query.k(), dedup: dedup, emit: emit, progress: o.Progress}
	n := int(v.n)
	run.results = make([][]scored, n)
	run.ready = make([]bool, (n+knnChunk-1)/knnChunk)

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var wg sync.WaitGroup
	var next atomic.Int64
	var stats [3]atomic.Uint64
	for range threads {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := &searcher{exhaustive: o.Exhaustive}
			for ctx.Err() == nil {
				c := int(next.Add(1) - 1)
				lo := c * knnChunk
				if lo >= n {
					break
				}
				hi := min(lo+knnChunk, n)
				for d := lo; d < hi; d++ {
					run.results[d] = run.one(s, int32(d))
				}
				if err := run.done(c); err != nil {
					cancel(err)
				}
			}
			stats[0].Add(uint64(s.stats.postings))
			stats[1].Add(uint64(s.stats.skipped))
			stats[2].Add(uint64(s.stats.exact))
		}()
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return BatchStats{}, fmt.Errorf("batch: %w", err)
	}
	stored := 0
	if saver != nil {
		if err := saver.flush(); err != nil {
			return BatchStats{}, fmt.Errorf("batch: %w", err)
		}
		stored = saver.saved
	}
	return BatchStats{
		Articles:   v.live,
		Generation: v.ix.generation,
		Postings:   stats[0].Load(),
		Skipped:    stats[1].Load(),
		Exact:      stats[2].Load(),
		Stored:     stored,
		Elapsed:    time.Since(start),
	}, nil
}

// knnRun is the shared state of one Batch.
type knnRun struct {
	v        *view
	q        Query
	exclude  []int32 // doc numbers of q.Exclude
	k        int
	dedup    float64
	emit     func(string, []Neighbor) error
	progress func(done, total int)

	mu      sync.Mutex // guards ready, emitted, failed and the emit calls
	results [][]scored // by doc number, until emitted
	ready   []bool     // by chunk
	emitted int        // chunks emitted
	failed  error      // the error emit returned; nothing is emitted after it
	buf     []Neighbor
}

// one answers the query of doc d.
func (r *knnRun) one(s *searcher, d int32) []scored {
	if !r.v.alive(d) {
		return nil
	}
	f := newFilter(r.v, r.q, d, r.exclude)
	return slices.Clone(s.nearest(r.v, r.v.docs.vecs[d], f, r.k, r.q.MinScore, r.dedup))
}

// done marks chunk c computed and emits every chunk now ready in order.
func (r *knnRun) done(c int) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.failed != nil {
		return r.failed
	}
	r.ready[c] = true
	n := int(r.v.n)
	for r.emitted < len(r.ready) && r.ready[r.emitted] {
		lo := r.emitted * knnChunk
		hi := min(lo+knnChunk, n)
		for d := lo; d < hi; d++ {
			if !r.v.alive(int32(d)) {
				continue
			}
			r.buf = r.buf[:0]
			for _, x := range r.results[d] {
				r.buf = append(r.buf, r.v.neighbor(x.doc, x.score))
			}
			r.results[d] = nil
			if err := r.emit(r.v.docs.ids[d], r.buf); err != nil {
				r.failed = err
				return err
			}
		}
		r.emitted++
		if r.progress != nil {
			r.progress(min(r.emitted*knnChunk, n), n)
		}
	}
	return nil
}
