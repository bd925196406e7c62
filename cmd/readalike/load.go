package main

import (
	"context"
	"fmt"
	"io"
	"sync"

	"github.com/readalike/readalike/recommend"
)

// loadOptions say how load writes: articles per write, concurrent writes,
// and whether the first bad record stops it.
type loadOptions struct {
	batch, writers int
	strict         bool
	progress       func(read int) // when not nil, called after every record
}

// loaded counts what load did.
type loaded struct {
	read, written, skipped int
}

// load reads the inputs (see readInputs) and upserts their articles into
// eng, in batches written concurrently so their durable writes share syncs.
// A bad record is reported on stderr as FILE:LINE: reason and skipped; with
// strict it stops the load, once the records before it are written. When an
// id repeats, the later record wins, whichever writer takes it. ingest and
// batch --input both load through it, so they keep the same articles.
func load(ctx context.Context, eng *recommend.Engine, paths []string, stdin io.Reader, stderr io.Writer, o loadOptions) (loaded, error) {
	var n loaded
	w := newBatchWriter(ctx, eng, o.writers)
	var pending []recommend.Article
	at := map[string]int{} // id -> position in pending
	flush := func() {
		if len(pending) > 0 {
			w.write(pending)
			pending, at = nil, map[string]int{}
		}
	}
	err := readInputs(paths, stdin, func(r record) error {
		n.read++
		if o.progress != nil {
			o.progress(n.read)
		}
		if r.Err == nil {
			r.Err = eng.Validate(&r.Article)
		}
		if r.Err != nil {
			n.skipped++
			fmt.Fprintf(stderr, "%s: %v\n", r.where(), r.Err)
			if o.strict {
				flush()
				return fmt.Errorf("%s: bad record (--strict)", r.where())
			}
			return nil
		}
		if i, ok := at[r.Article.ID]; ok {
			pending[i] = r.Article
			return w.err()
		}
		w.await(r.Article.ID)
		at[r.Article.ID] = len(pending)
		pending = append(pending, r.Article)
		if len(pending) >= o.batch {
			flush()
		}
		return w.err()
	})
	if err == nil {
		flush()
	}
	werr := w.wait()
	n.written = w.written
	if err != nil {
		return n, err
	}
	return n, werr
}

// batchWriter upserts batches from several goroutines, so their durable
// writes share syncs. write, await and wait are for one goroutine.
type batchWriter struct {
	ctx      context.Context
	ch       chan *flight
	wg       sync.WaitGroup
	inflight []*flight // handed to the writers, perhaps not written yet

	mu      sync.Mutex
	first   error
	written int
}

// flight is one batch on its way to the store.
type flight struct {
	arts []recommend.Article
	ids  map[string]bool
	done chan struct{} // closed once written or failed
}

func newBatchWriter(ctx context.Context, e *recommend.Engine, n int) *batchWriter {
	w := &batchWriter{ctx: ctx, ch: make(chan *flight, n)}
	for range n {
		w.wg.Add(1)
		go func() {
			defer w.wg.Done()
			for f := range w.ch {
				err := e.Upsert(ctx, f.arts...)
				w.mu.Lock()
				if err != nil && w.first == nil {
					w.first = err
				} else if err == nil {
					w.written += len(f.arts)
				}
				w.mu.Unlock()
				close(f.done)
			}
		}()
	}
	return w
}

func (w *batchWriter) write(b []recommend.Article) {
	f := &flight{arts: b, ids: make(map[string]bool, len(b)), done: make(chan struct{})}
	for _, a := range b {
		f.ids[a.ID] = true
	}
	w.inflight = append(w.inflight, f)
	w.ch <- f
}

// await returns once no batch in flight holds id, so that a later write of
// the id cannot land before an earlier one.
func (w *batchWriter) await(id string) {
	live := w.inflight[:0]
	for _, f := range w.inflight {
		select {
		case <-f.done:
			continue
		default:
		}
		if f.ids[id] {
			<-f.done
			continue
		}
		live = append(live, f)
	}
	clear(w.inflight[len(live):])
	w.inflight = live
}

func (w *batchWriter) err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.first == nil {
		return w.ctx.Err()
	}
	return w.first
}

func (w *batchWriter) wait() error {
	close(w.ch)
	w.wg.Wait()
	return w.err()
}
