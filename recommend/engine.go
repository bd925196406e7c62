package recommend

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/readalike/readalike/vectorize"
)

// Defaults of Options, used where a field is zero.
const (
	// DefaultRefitShare: refit once this share of articles was added,
	// replaced or removed since the last fit.
	DefaultRefitShare = 0.10
	// DefaultDedup: a candidate scoring at or above it against the query is
	// the same story, left out. Chosen on the quality benchmark (the table
	// is in README.md): in BBC News every pair at or above 0.90 is one
	// story, its 98 exact twins and re-edits under a new headline, while
	// distinct stories of one event start near 0.80 to 0.85, and a lower
	// threshold also drops quoted replies on Usenet, which cost 20
	// Newsgroups 0.003 of precision@5 at 0.80.
	DefaultDedup = 0.90
)

// Options configure an Engine. The zero value works.
type Options struct {
	Analyzer vectorize.Options
	Model    vectorize.ModelOptions
	// RefitShare: an automatic refit starts in the background once this
	// share of the fitted collection changed; 0 = DefaultRefitShare,
	// negative = never (call Refit).
	RefitShare float64
	// Dedup is the near-duplicate threshold; 0 = DefaultDedup, 2 or more
	// keeps near-duplicates.
	Dedup        float64
	MaxBodyBytes int          // 0 = DefaultMaxBody
	Logger       *slog.Logger // nil = discard
	// Exhaustive makes every query scan all postings of its terms, without
	// the bounds that skip most of them: the plain loop, for benchmarks to
	// compare with. Answers are the same.
	Exhaustive bool
	// NoSummaries leaves every article written without a summary, which
	// costs a third of a write's analysis: for a collection nobody reads
	// articles from, such as batch --input's. Vectors and answers are the
	// same.
	NoSummaries bool
	// KeepNeighbors is how many neighbors the engine keeps for each article
	// (see neighbors.go), so that an unfiltered Similar asking for at most
	// that many is a lookup; 0 = DefaultKeepNeighbors, negative keeps none
	// (every query searches). Each kept neighbor takes 8 bytes.
	KeepNeighbors int
}

func (o Options) withDefaults() Options {
	if o.RefitShare == 0 {
		o.RefitShare = DefaultRefitShare
	}
	if o.Dedup == 0 {
		o.Dedup = DefaultDedup
	}
	if o.MaxBodyBytes == 0 {
		o.MaxBodyBytes = DefaultMaxBody
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.KeepNeighbors == 0 {
		o.KeepNeighbors = DefaultKeepNeighbors
	}
	o.KeepNeighbors = min(o.KeepNeighbors, MaxK)
	return o
}

// Engine keeps a collection of articles in a Store and their TF-IDF vectors
// in an in-memory index, and answers exact top-k cosine queries over it. It
// is safe for concurrent use: queries run in parallel, writes hold the
// index's lock only to append, and a refit builds the next generation
// aside and swaps it in.
type Engine struct {
	store      Store
	lists      NeighborStore // store, when it keeps neighbor lists; else nil
	opts       Options
	analyzer   *vectorize.Analyzer
	dict       *vectorize.Dictionary
	log        *slog.Logger
	settingsID uint64 // fingerprint of settings(), recorded in stored neighbor lists

	// view is what queries read: the current generation's index as of the
	// last write applied. Queries take no lock.
	view atomic.Pointer[view]
	// applyMu is held by the one goroutine applying writes to the index
	// (see apply) and by a refit swapping in its index; never by queries.
	applyMu sync.Mutex
	w       *writer      // appends to the current index; guarded by applyMu
	replay  *[]change    // while a refit runs, the changes it must replay; guarded by applyMu
	changed atomic.Int64 // articles added, replaced or removed since the last fit

	words atomic.Pointer[words] // the forms of the current index's terms, for explanations

	// The neighbor lists' upkeep (neighbors.go).
	budget     float64      // seconds of upkeep the writer may spend now; guarded by applyMu
	budgetAt   time.Time    // when budget was last topped up; guarded by applyMu
	lastBulk   atomic.Int64 // unix nanoseconds of the last write that marked the lists stale
	rebuilding atomic.Bool  // stale lists are being rebuilt

	// writeGate is held shared by every write from its commit to its
	// apply, and alone by saveLists, so that saved lists are those of the
	// articles stored.
	writeGate sync.RWMutex
	savedAt   atomic.Uint64 // generation<<32 | epoch of the lists last saved or loaded

	ids       idLocks
	refitMu   sync.Mutex  // one refit at a time
	refitting atomic.Bool // a refit is running
	autoRefit atomic.Bool // an automatic refit is starting or running
	searchers sync.Pool   // of *searcher

	bgMu   sync.Mutex // orders starting background work with Close
	bg     sync.WaitGroup
	ctx    context.Context // cancelled by Close, ends background refits
	cancel context.CancelFunc

	counters counters
}

// counters are the engine's running totals, for Stats and metrics.
type counters struct {
	queries, postings, skipped, exact, refits atomic.Uint64
	fromLists                                 atomic.Uint64 // queries answered from neighbor lists
	reads                                     atomic.Uint64 // reads recorded
	listRebuilds, listStale                   atomic.Uint64
}

// Open loads the collection held by store into a new engine: the saved model
// generation (fitting the first one when the store has none, kept in memory
// only if the store refuses writes with ErrNoSpace), then every article's
// vector. progress, when not nil, is called with the articles
// loaded so far and the total, from time to time and at the end.
func Open(ctx context.Context, store Store, opts Options, progress func(done, total int)) (*Engine, error) {
	opts = opts.withDefaults()
	if err := opts.Model.Validate(); err != nil {
		return nil, fmt.Errorf("model options: %w", err)
	}
	e := &Engine{
		store:    store,
		opts:     opts,
		analyzer: vectorize.NewAnalyzer(opts.Analyzer),
		dict:     vectorize.NewDictionary(),
		log:      opts.Logger,
	}
	e.lists, _ = store.(NeighborStore)
	e.searchers.New = func() any { return new(searcher) }
	e.settingsID = fingerprint(e.settings())
	gen, err := store.Generation(ctx)
	if err != nil {
		return nil, fmt.Errorf("load generation: %w", err)
	}
	if gen.Number == 0 {
		ts, err := store.TermStats(ctx)
		if err != nil {
			return nil, fmt.Errorf("load term stats: %w", err)
		}
		gen = Generation{Number: 1, N: ts.N, DF: ts.DF, Settings: e.settings(), FittedAt: time.Now().UTC()}
		if err := store.SaveGeneration(ctx, gen); err != nil {
			if !errors.Is(err, ErrNoSpace) {
				return nil, fmt.Errorf("save first generation: %w", err)
			}
			// A store that refuses writes (a full disk) still serves
			// reads: the generation lives in memory until a later start.
			e.log.Warn("first model generation kept in memory only: the store refuses writes", "err", err)
		}
	} else if gen.Settings != e.settings() {
		e.log.Warn("stored model settings differ from the engine's; refit to apply them (re-ingest if the analyzer changed)",
			"stored", gen.Settings, "engine", e.settings())
	}
	model := vectorize.NewModel(e.dict, gen.N, gen.DF, opts.Model)
	v, words, err := e.buildIndex(ctx, model, gen.Number, progress)
	if err != nil {
		return nil, err
	}
	if err := e.loadLists(ctx, v); err != nil {
		return nil, err
	}
	e.publish(v)
	e.words.Store(words)
	e.changed.Store(int64(abs(v.live - gen.N)))
	e.budget = maintainShare
	e.ctx, e.cancel = context.WithCancel(context.Background())
	if opts.KeepNeighbors > 0 {
		e.bg.Go(func() { e.keepLists(e.ctx) })
	}
	e.maybeRefit()
	return e, nil
}

// Close stops background work and waits for it, then saves the neighbor
// lists in a store that keeps them, for the next Open to load rather than
// rebuild (savedlists.go); lists it cannot save are rebuilt at the next
// Open, which it logs. It does not close the store.
func (e *Engine) Close() error {
	e.bgMu.Lock()
	e.cancel()
	e.bgMu.Unlock()
	e.bg.Wait()
	if err := e.saveLists(context.Background()); err != nil {
		// The articles are safe; the next Open rebuilds the lists.
		e.log.Warn("neighbor lists not saved", "err", err)
	}
	return nil
}

// settings states what the stored term counts and the model depend on.
func (e *Engine) settings() string {
	return e.analyzer.Options().String() + " " + e.opts.Model.String()
}

// Analyzer returns the engine's analyzer, for inspection of a text the way
// the engine sees it.
func (e *Engine) Analyzer() *vectorize.Analyzer { return e.analyzer }

// Model returns the model of the current generation.
func (e *Engine) Model() *vectorize.Model {
	return e.view.Load().ix.model
}

// publish makes v, the first view of an index, the view queries read and
// the base of the next writes. The caller holds applyMu, or is Open.
func (e *Engine) publish(v *view) {
	e.w = newWriter(v)
	e.view.Store(v)
}

// resolve returns the current view and the doc numbers of ids in it (-1
// for an id it lacks), looked up consistently: no write is published
// between the lookups and the view, however the writer runs meanwhile (it
// marks ix.seq odd while it changes the id map and publishes; a reader
// that saw the same even seq before and after saw neither). It retries if
// a write came in between, which takes a few microseconds; it never waits
// for a write to be applied.
func (e *Engine) resolve(ids []string) (*view, []int32) {
	docs := make([]int32, len(ids))
	for {
		v := e.view.Load()
		s1 := v.ix.seq.Load()
		if s1%2 == 1 {
			runtime.Gosched()
			continue
		}
		if e.view.Load() != v {
			continue
		}
		for i, id := range ids {
			d, ok := v.ix.ids.get(id)
			if !ok {
				d = -1
			}
			docs[i] = d
		}
		if v.ix.seq.Load() == s1 && e.view.Load() == v {
			return v, docs
		}
	}
}

// Stats describe an engine at one moment.
type Stats struct {
	Articles        int    `json:"articles"`
	Terms           int    `json:"terms"`
	Generation      uint64 `json:"generation"`
	FittedArticles  int    `json:"fitted_articles"`   // N of the current generation's idf table
	ChangedSinceFit int    `json:"changed_since_fit"` // articles added, replaced or removed since
	Tombstones      int    `json:"tombstones"`        // replaced or deleted, dropped at the next refit
	IndexBytes      int64  `json:"index_bytes"`       // memory of the in-memory index, estimated
	IndexTextBytes  int64  `json:"index_text_bytes"`  // the part of it that is ids, titles and URLs
	Refitting       bool   `json:"refitting"`
	Queries         uint64 `json:"queries"`
	ListAnswers     uint64 `json:"list_answers"` // of Queries, those answered from neighbor lists
	// Lists says how the neighbor lists stand: "kept" (exact, answering),
	// "rebuilding", "stale" (a bulk load outran them; rebuilt once writes
	// calm down) or "off".
	Lists           string `json:"lists"`
	ListBytes       int64  `json:"list_bytes"`
	ListRebuilds    uint64 `json:"list_rebuilds"`
	ListStale       uint64 `json:"list_stale"`     // times a bulk load marked them stale
	ReadsRecorded   uint64 `json:"reads_recorded"` // reads recorded by this process
	PostingsScanned uint64 `json:"postings_scanned"`
	PostingsSkipped uint64 `json:"postings_skipped"`
	ExactScores     uint64 `json:"exact_scores"`
	Refits          uint64 `json:"refits"`
}

// Stats returns the engine's current figures.
func (e *Engine) Stats() Stats {
	v := e.view.Load()
	s := Stats{
		Articles:        v.live,
		Generation:      v.ix.generation,
		FittedArticles:  v.ix.model.N(),
		ChangedSinceFit: int(e.changed.Load()),
		Tombstones:      int(v.n) - v.live,
	}
	s.IndexBytes, s.IndexTextBytes = v.bytes()
	s.ListBytes = v.lists.bytes()
	switch {
	case e.opts.KeepNeighbors <= 0:
		s.Lists = "off"
	case v.lists.valid:
		s.Lists = "kept"
	case e.rebuilding.Load():
		s.Lists = "rebuilding"
	default:
		s.Lists = "stale"
	}
	s.ListRebuilds = e.counters.listRebuilds.Load()
	s.ListStale = e.counters.listStale.Load()
	s.ReadsRecorded = e.counters.reads.Load()
	s.Terms = e.dict.Len()
	s.Refitting = e.refitting.Load()
	s.Queries = e.counters.queries.Load()
	s.ListAnswers = e.counters.fromLists.Load()
	s.PostingsScanned = e.counters.postings.Load()
	s.PostingsSkipped = e.counters.skipped.Load()
	s.ExactScores = e.counters.exact.Load()
	s.Refits = e.counters.refits.Load()
	return s
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
