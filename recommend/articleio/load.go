package articleio

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/readalike/readalike/recommend"
)

// LoadOptions say how Load writes. The zero value works.
type LoadOptions struct {
	Batch   int  // articles per write; 0 means 256
	Writers int  // concurrent writes, whose syncs are shared; 0 means 4
	Strict  bool // the first bad record (or field left out) stops the load
	// Lang, when set, is the language of every record that names none,
	// which is then not detected (see recommend.DetectLang): a collection
	// known to be in one language loads faster and surer with it.
	Lang string
	// Report, when not nil, is told of every record skipped (skipped set)
	// and every optional field left out of a record that was kept.
	Report func(where string, err error, skipped bool)
	// Progress, when not nil, is called after every record read.
	Progress func(read int)
}

// Loaded counts what Load did.
type Loaded struct {
	Read    int // records read
	Written int // articles written
	Skipped int // bad records skipped
	Dropped int // optional fields left out of articles written
}

// ErrBadRecord is the error of a Strict load stopped by a bad record.
var ErrBadRecord = errors.New("bad record")

// LoadFiles loads the articles of the inputs (see Read) into e.
func LoadFiles(ctx context.Context, e *recommend.Engine, paths []string, stdin io.Reader, o LoadOptions) (Loaded, error) {
	return Load(ctx, e, func(fn func(Record) error) error { return Read(paths, stdin, fn) }, o)
}

// Load upserts the articles that read sends into e, in writes of
// o.Batch articles made by o.Writers goroutines at once, so that their
// durable writes share syncs. An article is checked as the engine checks
// it before it is queued; an optional field the engine refuses (url,
// category, published) is left out with a report, the article kept,
// and any other fault skips the record with a report. Strict makes either
// stop the load with an error wrapping ErrBadRecord, once the records
// before it are written. When an id repeats, the later record wins: a
// record waits for any write of its id still in flight. The ingest
// command, batch --input and the benchmarks all load through it.
func Load(ctx context.Context, e *recommend.Engine, read func(func(Record) error) error, o LoadOptions) (Loaded, error) {
	if o.Batch <= 0 {
		o.Batch = 256
	}
	if o.Writers <= 0 {
		o.Writers = 4
	}
	var reportMu sync.Mutex // the reader and the writers report
	report := func(where string, err error, skipped bool) {
		if o.Report != nil {
			reportMu.Lock()
			defer reportMu.Unlock()
			o.Report(where, err, skipped)
		}
	}
	var n Loaded
	w := newWriter(ctx, e, o.Writers, report)
	var pending []queued
	at := map[string]int{} // id -> position in pending
	flush := func() {
		if len(pending) > 0 {
			w.write(pending)
			pending, at = nil, map[string]int{}
		}
	}
	err := read(func(r Record) error {
		n.Read++
		if o.Progress != nil {
			o.Progress(n.Read)
		}
		if r.Err == nil && r.Article.Lang == "" {
			r.Article.Lang = o.Lang
		}
		if r.Err == nil {
			r.Err = r.Check(e.Validate)
		}
		if r.Err == nil && o.Strict && len(r.Dropped) > 0 {
			r.Err = r.Dropped[0]
		}
		if r.Err != nil {
			n.Skipped++
			report(r.Where(), r.Err, true)
			if o.Strict {
				flush()
				return fmt.Errorf("%s: %w (strict)", r.Where(), ErrBadRecord)
			}
			return nil
		}
		for _, d := range r.Dropped {
			n.Dropped++
			report(r.Where(), fmt.Errorf("%w; left out", d), false)
		}
		q := queued{where: r.Where(), article: r.Article}
		if i, ok := at[r.Article.ID]; ok {
			pending[i] = q
			return w.err()
		}
		w.await(r.Article.ID)
		at[r.Article.ID] = len(pending)
		pending = append(pending, q)
		if len(pending) >= o.Batch {
			flush()
		}
		return w.err()
	})
	if err == nil {
		flush()
	}
	werr := w.wait()
	n.Written, n.Skipped = w.written, n.Skipped+w.refused
	if err != nil {
		return n, err
	}
	return n, werr
}

// Check validates r's article with validate (Engine.Validate, or
// recommend.Validate with a body limit), leaving out the optional fields it
// refuses and adding them to r.Dropped; it returns the error of a field
// that is not optional.
func (r *Record) Check(validate func(*recommend.Article) error) error {
	for range len(optional) + 1 {
		err := validate(&r.Article)
		var fe *recommend.FieldError
		if err == nil || !errors.As(err, &fe) || !IsOptional(fe.Field) {
			return err
		}
		clearField(&r.Article, fe.Field)
		r.Dropped = append(r.Dropped, fe)
	}
	return nil
}

// queued is an article waiting to be written, with the place it was read.
type queued struct {
	where   string
	article recommend.Article
}

// writer upserts writes from several goroutines. write, await and wait
// are for one goroutine.
type writer struct {
	ctx      context.Context
	ch       chan *flight
	wg       sync.WaitGroup
	inflight []*flight // handed to the goroutines, perhaps not written yet
	report   func(string, error, bool)

	mu      sync.Mutex
	first   error
	written int
	refused int
}

// flight is one write on its way to the store.
type flight struct {
	arts []queued
	ids  map[string]bool
	done chan struct{} // closed once written or failed
}

func newWriter(ctx context.Context, e *recommend.Engine, n int, report func(string, error, bool)) *writer {
	w := &writer{ctx: ctx, ch: make(chan *flight, n), report: report}
	for range n {
		w.wg.Go(func() {
			for f := range w.ch {
				arts := make([]recommend.Article, len(f.arts))
				for i, q := range f.arts {
					arts[i] = q.article
				}
				rs, err := e.Upsert(ctx, arts...)
				w.mu.Lock()
				if err != nil && w.first == nil {
					w.first = err
				}
				for i, r := range rs {
					if r.Outcome == recommend.Refused {
						w.refused++
						w.report(f.arts[i].where, r.Err, true)
					} else {
						w.written++
					}
				}
				w.mu.Unlock()
				close(f.done)
			}
		})
	}
	return w
}

func (w *writer) write(b []queued) {
	f := &flight{arts: b, ids: make(map[string]bool, len(b)), done: make(chan struct{})}
	for _, q := range b {
		f.ids[q.article.ID] = true
	}
	w.inflight = append(w.inflight, f)
	w.ch <- f
}

// await returns once no write in flight holds id, so that a later write
// of the id cannot land before an earlier one.
func (w *writer) await(id string) {
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

func (w *writer) err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.first == nil {
		return w.ctx.Err()
	}
	return w.first
}

func (w *writer) wait() error {
	close(w.ch)
	w.wg.Wait()
	return w.err()
}
