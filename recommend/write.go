package recommend

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/readalike/readalike/vectorize"
)

// applyChunk is how many articles a writer applies to the index per
// epoch, so that a big write becomes visible (and lets other writers
// apply) a chunk at a time.
const applyChunk = 64

// change is one write applied to the index, kept for a running refit to
// replay.
type change struct {
	put    *Article // nil for a delete or a read
	counts vectorize.Counts
	del    string
	read   *Read
}

// Outcome says what a write did to one article.
type Outcome uint8

const (
	Refused  Outcome = iota // nothing was written; WriteResult.Err says why
	Created                 // the article is new
	Replaced                // the article replaced one with the same id
	Deleted                 // the article was deleted
)

func (o Outcome) String() string {
	switch o {
	case Refused:
		return "refused"
	case Created:
		return "created"
	case Replaced:
		return "replaced"
	case Deleted:
		return "deleted"
	}
	return fmt.Sprintf("Outcome(%d)", o)
}

// WriteResult is what became of one article of a write.
type WriteResult struct {
	ID      string
	Outcome Outcome
	// Err says why a Refused article was refused: a *FieldError for bad
	// input, an error wrapping ErrExists (Create) or ErrNotFound (Delete).
	Err error
	// Lang is the language a Created or Replaced article was analysed in;
	// LangDetected says it was detected (the article gave none), and
	// LangFallback that its text was too short or too ambiguous to tell,
	// so that it is vectorize.DefaultLang by default.
	Lang         string
	LangDetected bool
	LangFallback bool
}

// WriteResults are the results of one write, in the order of its articles.
type WriteResults []WriteResult

// Err returns nil when no article was refused, else an error naming the
// first one refused (its position and id) and wrapping its error.
func (rs WriteResults) Err() error {
	for i, r := range rs {
		if r.Outcome == Refused {
			return fmt.Errorf("article %d (%q): %w", i, r.ID, r.Err)
		}
	}
	return nil
}

// Written returns how many articles were created, replaced or deleted.
func (rs WriteResults) Written() int {
	n := 0
	for _, r := range rs {
		if r.Outcome != Refused {
			n++
		}
	}
	return n
}

// Upsert writes the articles, each replacing any with the same id, and
// returns once they are durable and searchable, with what became of each
// one. A bad article is refused (a *FieldError in its result) and the rest
// are written; an id that repeats one earlier in the call is refused. The
// error is for the write as a whole: ctx ended before anything was handed
// to the store, or the store failed (see Store.Commit); the results are
// then nil.
func (e *Engine) Upsert(ctx context.Context, arts ...Article) (WriteResults, error) {
	return e.write(ctx, arts, false)
}

// Create is Upsert for new articles only: an id the collection has is
// refused with an error wrapping ErrExists, and the rest are written.
func (e *Engine) Create(ctx context.Context, arts ...Article) (WriteResults, error) {
	return e.write(ctx, arts, true)
}

// Validate checks an article as a write would, without writing it, and
// puts its language in canonical form (an absent one stays absent: the
// write detects it). The error is a *FieldError.
func (e *Engine) Validate(a *Article) error {
	return validate(a, e.opts.MaxBodyBytes)
}

// Has reports whether the collection holds an article with that id.
func (e *Engine) Has(id string) bool {
	_, ok := e.view.Load().ix.ids.get(id)
	return ok
}

func (e *Engine) write(ctx context.Context, arts []Article, create bool) (WriteResults, error) {
	res := make(WriteResults, len(arts))
	arts = slices.Clone(arts)
	seen := make(map[string]bool, len(arts))
	var valid []int // positions of the articles still to write
	for i := range arts {
		a := &arts[i]
		res[i].ID = a.ID
		if err := validate(a, e.opts.MaxBodyBytes); err != nil {
			res[i].Err = err
			continue
		}
		if seen[a.ID] {
			res[i].Err = &FieldError{"id", "repeats an id given earlier in this write"}
			continue
		}
		seen[a.ID] = true
		valid = append(valid, i)
	}
	counts := e.analyzeAll(arts, valid, res)
	valid = slices.DeleteFunc(valid, func(i int) bool { return res[i].Err != nil })
	if len(valid) == 0 {
		return res, ctx.Err()
	}

	ids := make([]string, len(valid))
	for j, i := range valid {
		ids[j] = arts[i].ID
	}
	unlock := e.ids.lock(ids)
	defer unlock()
	now := time.Now().UTC()
	for _, i := range valid {
		if e.Has(arts[i].ID) {
			res[i].Outcome = Replaced
		} else {
			res[i].Outcome = Created
		}
	}
	w := Write{Puts: make([]Put, 0, len(valid))}
	var written []int
	for _, i := range valid {
		a := &arts[i]
		a.Created, a.Updated, a.ReadCount, a.LastRead = now, now, 0, time.Time{}
		if res[i].Outcome == Replaced {
			if create {
				res[i].Outcome, res[i].Err = Refused, fmt.Errorf("article %q: %w", a.ID, ErrExists)
				continue
			}
			old, err := e.store.Article(ctx, a.ID)
			if err != nil && !errors.Is(err, ErrNotFound) {
				return nil, fmt.Errorf("read article %q: %w", a.ID, err)
			}
			if err == nil {
				a.Created, a.ReadCount, a.LastRead = old.Created, old.ReadCount, old.LastRead
			}
		}
		w.Puts = append(w.Puts, Put{Article: *a, Counts: counts[i]})
		written = append(written, i)
	}
	if len(written) == 0 {
		return res, nil
	}
	// Once handed to the store a write may land even if ctx ends while it
	// waits for the disk, so it must not be abandoned half way: the index
	// would then disagree with the store.
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	e.writeGate.RLock()
	defer e.writeGate.RUnlock()
	if err := e.store.Commit(context.WithoutCancel(ctx), w); err != nil {
		return nil, fmt.Errorf("commit %d articles: %w", len(w.Puts), err)
	}
	chs := make([]change, len(written))
	for j, i := range written {
		chs[j] = change{put: &arts[i], counts: counts[i]}
	}
	e.apply(chs)
	return res, nil
}

// analyzeAll analyses the articles at positions valid, on all cores for a
// big write, and sets each one's language when it has none (detected:
// DetectLang), word count and summary (none with Options.NoSummaries); an
// article the analyzer refuses gets its error in res.
func (e *Engine) analyzeAll(arts []Article, valid []int, res WriteResults) []vectorize.Counts {
	counts := make([]vectorize.Counts, len(arts))
	model := e.Model()
	workers := min(runtime.GOMAXPROCS(0), (len(valid)+15)/16)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := w; j < len(valid); j += workers {
				i := valid[j]
				a := &arts[i]
				if a.Lang == "" {
					res[i].LangFallback = !DetectLang(a)
				}
				res[i].Lang, res[i].LangDetected = a.Lang, a.LangDetected
				doc := vectorize.Document{Title: a.Title, Body: a.Body, Lang: a.Lang}
				an, err := e.analyzer.Analyze(doc)
				if err != nil {
					res[i].Err = analyzeError(err)
					continue
				}
				counts[i], a.Words = an.Counts, an.Words
				if e.opts.NoSummaries {
					continue
				}
				// With the current generation's idf: a summary is fixed
				// when its article is written.
				a.Summary, _ = e.analyzer.Summarize(doc, model, 0)
			}
		}()
	}
	wg.Wait()
	return counts
}

// Delete removes the articles with these ids and returns once that is
// durable, with what became of each: Deleted, or Refused with an error
// wrapping ErrNotFound for an id the collection lacks (or one repeated in
// the call). The error is for the write as a whole, as for Upsert.
func (e *Engine) Delete(ctx context.Context, ids ...string) (WriteResults, error) {
	res := make(WriteResults, len(ids))
	seen := make(map[string]bool, len(ids))
	var del []string
	for i, id := range ids {
		res[i].ID = id
		if seen[id] {
			res[i].Err = &FieldError{"id", "repeats an id given earlier in this write"}
			continue
		}
		seen[id] = true
		del = append(del, id)
	}
	if len(del) == 0 {
		return res, nil
	}
	unlock := e.ids.lock(del)
	defer unlock()
	del = del[:0]
	for i, id := range ids {
		if res[i].Err != nil {
			continue
		}
		if !e.Has(id) {
			res[i].Err = fmt.Errorf("article %q: %w", id, ErrNotFound)
			continue
		}
		res[i].Outcome = Deleted
		del = append(del, id)
	}
	if len(del) == 0 {
		return res, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	e.writeGate.RLock()
	defer e.writeGate.RUnlock()
	if err := e.store.Commit(context.WithoutCancel(ctx), Write{Deletes: del}); err != nil {
		return nil, fmt.Errorf("delete %d articles: %w", len(del), err)
	}
	chs := make([]change, len(del))
	for i, id := range del {
		chs[i] = change{del: id}
	}
	e.apply(chs)
	return res, nil
}

// apply makes committed changes searchable, a chunk per epoch. Vectors
// are computed before taking applyMu with the current model, and again
// inside in the rare case a refit swapped the model in between. Queries
// never wait for it: it appends beyond the view they read and publishes a
// new one.
func (e *Engine) apply(chs []change) {
	total := len(chs)
	for len(chs) > 0 {
		n := min(len(chs), applyChunk)
		chunk := chs[:n]
		chs = chs[n:]
		m := e.Model()
		vecs := make([]vectorize.Vector, n)
		v, forms := e.view.Load(), e.words.Load()
		for i, c := range chunk {
			if c.put != nil {
				vecs[i] = m.IndexVector(c.counts)
				forms.learn(m.Dictionary(), v, c.counts)
			}
		}
		e.applyMu.Lock()
		w := e.w
		keep := e.keepBudget(w, total)
		start := time.Now()
		for i, c := range chunk {
			if c.put == nil {
				w.remove(c.del)
				continue
			}
			if w.v.ix.model != m {
				vecs[i] = w.v.ix.model.IndexVector(c.counts)
			}
			w.put(c.put, vecs[i])
		}
		if keep {
			e.spent(time.Since(start))
		}
		w.publish(&e.view)
		e.changed.Add(int64(n))
		if e.replay != nil {
			*e.replay = append(*e.replay, chunk...)
		}
		e.applyMu.Unlock()
	}
	e.maybeRefit()
}

// Get returns the stored article with that id, or an error wrapping
// ErrNotFound.
func (e *Engine) Get(ctx context.Context, id string) (Article, error) {
	return e.store.Article(ctx, id)
}

// ReadResult is an article's reads after Engine.Read recorded one.
type ReadResult struct {
	ID        string    `json:"id"`
	ReadCount uint64    `json:"read_count"`
	LastRead  time.Time `json:"last_read"`
}

// Read records that an article was read: its read count goes up by one and
// its last read becomes r.At (now when zero) if later, durably, and the
// read is recorded for r.Reader when there is one (see Recommend). A read
// changes nothing else: not the article, its vector or any neighbor list.
// Reads of many articles, or many of one, share their syncs like other
// writes. Errors: a *FieldError for a bad reader or time, one wrapping
// ErrNotFound for an unknown id.
func (e *Engine) Read(ctx context.Context, r Read) (ReadResult, error) {
	if err := ValidateID(r.ID); err != nil {
		return ReadResult{}, err
	}
	if r.Reader != "" {
		if err := printable("reader", r.Reader, MaxIDBytes); err != nil {
			return ReadResult{}, err
		}
	}
	switch {
	case r.At.IsZero():
		r.At = time.Now().UTC()
	case r.At.Before(time.Unix(0, 0)) || r.At.After(time.Now().Add(24*time.Hour)):
		return ReadResult{}, &FieldError{"at", "must be a time from 1970 up to now"}
	}
	r.At = r.At.UTC()
	unlock := e.ids.lock([]string{r.ID})
	defer unlock()
	if !e.Has(r.ID) {
		return ReadResult{}, fmt.Errorf("article %q: %w", r.ID, ErrNotFound)
	}
	if err := ctx.Err(); err != nil {
		return ReadResult{}, err
	}
	if err := e.store.Commit(context.WithoutCancel(ctx), Write{Reads: []Read{r}}); err != nil {
		return ReadResult{}, fmt.Errorf("record a read of %q: %w", r.ID, err)
	}
	e.applyMu.Lock()
	n, last, ok := e.w.read(r.ID, r.At)
	if e.replay != nil {
		*e.replay = append(*e.replay, change{read: &r})
	}
	e.applyMu.Unlock()
	if !ok {
		return ReadResult{}, fmt.Errorf("article %q: %w", r.ID, ErrNotFound)
	}
	e.counters.reads.Add(1)
	return ReadResult{ID: r.ID, ReadCount: n, LastRead: last}, nil
}
