package recommend

import (
	"context"
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
}

// BatchStats describe a finished batch run.
type BatchStats struct {
	Articles   int           `json:"articles"`
	Generation uint64        `json:"generation"`
	Postings   uint64        `json:"postings_scanned"`
	Skipped    uint64        `json:"postings_skipped"`
	Exact      uint64        `json:"exact_scores"`
	Elapsed    time.Duration `json:"elapsed_ns"`
}

// knnChunk is how many articles a worker takes at a time; workers take the
// next chunk when done, so uneven work spreads across cores.
const knnChunk = 64

// Batch computes the nearest articles of every article of the collection,
// with the same model, scores and rules as Similar, and calls emit once per
// article, in doc order, from one goroutine at a time. ns is only valid
// during the call. It answers for the collection as it was when it
// started: writes made meanwhile go on, and are not in its answers. It
// stops at the first error emit returns, or when ctx is done.
func (e *Engine) Batch(ctx context.Context, o BatchOptions, emit func(id string, ns []Neighbor) error) (BatchStats, error) {
	if err := o.Query.Validate(); err != nil {
		return BatchStats{}, err
	}
	start := time.Now()
	v, exclude := e.resolve(o.Query.Exclude)
	run := &knnRun{v: v, q: o.Query, exclude: exclude, k: o.Query.k(), dedup: e.dedup(o.Query), emit: emit, progress: o.Progress}
	st, err := run.run(ctx, o.Threads, o.Exhaustive)
	if err != nil {
		return BatchStats{}, fmt.Errorf("batch: %w", err)
	}
	st.Articles, st.Generation, st.Elapsed = v.live, v.ix.generation, time.Since(start)
	return st, nil
}

// run answers the query of every doc of r.v on threads workers (0: all
// cores), in chunks taken from a shared counter so that uneven work
// spreads, and emits the answers in doc order.
func (r *knnRun) run(ctx context.Context, threads int, exhaustive bool) (BatchStats, error) {
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	n := int(r.v.n)
	r.results = make([][]scored, n)
	r.ready = make([]bool, (n+knnChunk-1)/knnChunk)
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var wg sync.WaitGroup
	var next atomic.Int64
	var stats [3]atomic.Uint64
	for range threads {
		wg.Go(func() {
			s := &searcher{exhaustive: exhaustive}
			for ctx.Err() == nil {
				c := int(next.Add(1) - 1)
				lo := c * knnChunk
				if lo >= n {
					break
				}
				for d := lo; d < min(lo+knnChunk, n); d++ {
					r.results[d] = r.one(s, int32(d))
				}
				if err := r.done(c); err != nil {
					cancel(err)
				}
			}
			stats[0].Add(uint64(s.stats.postings))
			stats[1].Add(uint64(s.stats.skipped))
			stats[2].Add(uint64(s.stats.exact))
		})
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return BatchStats{}, err
	}
	return BatchStats{Postings: stats[0].Load(), Skipped: stats[1].Load(), Exact: stats[2].Load()}, nil
}

// knnRun is the shared state of one Batch.
type knnRun struct {
	v        *view
	q        Query
	exclude  []int32 // doc numbers of q.Exclude
	k        int
	dedup    float64
	emit     func(string, []Neighbor) error // nil: emitDocs instead
	emitDocs func(d int32, top []scored) error
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
			var err error
			if r.emit == nil {
				err = r.emitDocs(int32(d), r.results[d])
			} else {
				r.buf = r.buf[:0]
				for _, x := range r.results[d] {
					r.buf = append(r.buf, r.v.neighbor(x.doc, x.score))
				}
				err = r.emit(r.v.docs.ids[d], r.buf)
			}
			r.results[d] = nil
			if err != nil {
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
