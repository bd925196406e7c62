package relevance

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/readalike/readalike/recommend"
	"github.com/readalike/readalike/storage"
	"github.com/readalike/readalike/vectorize"
)

// K is the number of neighbours scored.
const K = 5

// ExactScore is the score from which a neighbour counts as an exact
// duplicate of the query.
const ExactScore = 0.9999

// Collection is a corpus loaded into a fresh store in a temporary
// directory, with term counts from one analyzer setting. Close removes it.
type Collection struct {
	corpus *Corpus
	key    string // Settings.analyzerKey of the stored term counts
	dir    string
	db     *storage.DB
	load   time.Duration // opening the store and writing every article
	used   bool          // load was reported by a result
}

// Build loads c into a new store under the analyzer settings of s. The
// articles are written without their category, so nothing the engine does
// can look at the labels.
func Build(ctx context.Context, c *Corpus, s Settings) (*Collection, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	start := time.Now()
	dir, err := os.MkdirTemp("", "readalike-quality-")
	if err != nil {
		return nil, err
	}
	col := &Collection{corpus: c, key: s.analyzerKey(), dir: dir}
	col.db, err = storage.Open(dir, storage.Options{GCInterval: -1})
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("open store: %w", err)
	}
	if err := col.ingest(ctx, s); err != nil {
		col.Close()
		return nil, err
	}
	col.load = time.Since(start)
	return col, nil
}

func (col *Collection) ingest(ctx context.Context, s Settings) error {
	e, err := recommend.Open(ctx, col.db, s.Options(), nil)
	if err != nil {
		return fmt.Errorf("open engine: %w", err)
	}
	defer e.Close()
	const chunk = 500
	arts := col.corpus.Articles
	batch := make([]recommend.Article, 0, chunk)
	for lo := 0; lo < len(arts); lo += chunk {
		batch = batch[:0]
		for _, a := range arts[lo:min(lo+chunk, len(arts))] {
			// An article without a language is English, as the brute force
			// analyses it, not detected: this measures ranking.
			lang := cmp.Or(a.Lang, vectorize.DefaultLang)
			batch = append(batch, recommend.Article{ID: a.ID, Title: a.Title, Body: a.Body, Lang: lang})
		}
		rs, err := e.Upsert(ctx, batch...)
		if err == nil {
			err = rs.Err()
		}
		if err != nil {
			return fmt.Errorf("load %s: %w", col.corpus.Name, err)
		}
	}
	return nil
}

// Close closes the store and removes its directory.
func (col *Collection) Close() error {
	err := col.db.Close()
	if rerr := os.RemoveAll(col.dir); err == nil {
		err = rerr
	}
	return err
}

// Result is what one run gives on one corpus.
type Result struct {
	Corpus   string   `json:"corpus"`
	Lang     string   `json:"lang"` // the language most of its articles name
	Settings Settings `json:"settings"`
	Articles int      `json:"articles"`
	Metrics
	// Without dedup: the same figures with near-duplicates kept, to show
	// what the rule removes.
	NoDedup Metrics `json:"no_dedup"`
	// Collapsed: the figures the near-duplicate rule would give if it also
	// left out a neighbour that is a near-duplicate of a better one, so
	// that no list offers one story twice. The engine does not do this
	// yet; the benchmark simulates it on the engine's top 15 with
	// near-duplicates kept. With dedup off it equals NoDedup.
	Collapsed Metrics `json:"collapsed"`

	Load  time.Duration `json:"load_ns"`  // writing the corpus to the store; 0 when the store was reused
	Refit time.Duration `json:"refit_ns"` // opening the engine on the store and fitting the model
	Batch time.Duration `json:"batch_ns"` // Engine.Batch, k = 5, dedup on
	Wall  time.Duration `json:"wall_ns"`  // all of the above
	// Postings is what the batch run read, a measure of its work that,
	// unlike its time, does not depend on what else the machine runs.
	Postings uint64 `json:"postings_scanned"`
}

// Evaluate opens an engine with s on the collection, refits, runs the batch
// path with dedup on, then again with it off for NoDedup and Collapsed, and
// scores the lists. s must have the analyzer settings the collection was
// built with.
func (col *Collection) Evaluate(ctx context.Context, s Settings) (Result, error) {
	if err := s.Validate(); err != nil {
		return Result{}, err
	}
	if s.analyzerKey() != col.key {
		return Result{}, fmt.Errorf("settings %v need their own store: the analyzer differs", s)
	}
	start := time.Now()
	e, err := recommend.Open(ctx, col.db, s.Options(), nil)
	if err != nil {
		return Result{}, fmt.Errorf("open engine: %w", err)
	}
	defer e.Close()
	if _, err := e.Refit(ctx); err != nil {
		return Result{}, fmt.Errorf("refit: %w", err)
	}
	res := Result{Corpus: col.corpus.Name, Lang: col.corpus.Lang(), Settings: s, Articles: len(col.corpus.Articles), Refit: time.Since(start)}
	start = time.Now()
	on := newScorer(col.corpus)
	st, err := e.Batch(ctx, recommend.BatchOptions{Query: recommend.Query{K: K}}, on.add)
	if err != nil {
		return Result{}, err
	}
	res.Batch, res.Postings = time.Since(start), st.Postings
	// One more run, near-duplicates kept and deeper, gives both the figures
	// without dedup (its first five) and the simulation of the collapsing
	// rule (the query's near-duplicates dropped, then each neighbour's).
	off, coll := newScorer(col.corpus), newScorer(col.corpus)
	cl := newCollapser(e, col.corpus, s.Dedup)
	_, err = e.Batch(ctx, recommend.BatchOptions{Query: recommend.Query{K: collapseDepth, NoDedup: true}}, func(id string, ms []recommend.Neighbor) error {
		if err := off.add(id, ms[:min(len(ms), K)]); err != nil {
			return err
		}
		kept, err := cl.collapse(ms)
		if err != nil {
			return err
		}
		return coll.add(id, kept)
	})
	if err != nil {
		return Result{}, err
	}
	if res.NoDedup, err = off.metrics(); err != nil {
		return Result{}, err
	}
	if res.Collapsed, err = coll.metrics(); err != nil {
		return Result{}, err
	}
	if res.Metrics, err = on.metrics(); err != nil {
		return Result{}, err
	}
	if !col.used {
		res.Load, col.used = col.load, true
	}
	res.Wall = res.Load + res.Refit + res.Batch
	return res, nil
}

// Run builds a collection for s, evaluates s on it and removes it.
func Run(ctx context.Context, c *Corpus, s Settings) (Result, error) {
	col, err := Build(ctx, c, s)
	if err != nil {
		return Result{}, err
	}
	defer col.Close()
	return col.Evaluate(ctx, s)
}

// RunAll evaluates every setting on c and calls each with the results in
// the order of settings. Settings that differ only in the model (tf, min_df,
// max_df) or the dedup threshold share one loaded store, so only the first
// of them reports a load time.
func RunAll(ctx context.Context, c *Corpus, settings []Settings, each func(Result) error) error {
	results := make([]*Result, len(settings))
	next := 0 // the first result not yet handed to each
	done := make([]bool, len(settings))
	for i, s := range settings {
		if done[i] {
			continue
		}
		col, err := Build(ctx, c, s)
		if err != nil {
			return err
		}
		for j := i; j < len(settings); j++ {
			if done[j] || settings[j].analyzerKey() != s.analyzerKey() {
				continue
			}
			r, err := col.Evaluate(ctx, settings[j])
			if err != nil {
				col.Close()
				return err
			}
			results[j], done[j] = &r, true
		}
		if err := col.Close(); err != nil {
			return err
		}
		for ; next < len(settings) && done[next]; next++ {
			if err := each(*results[next]); err != nil {
				return err
			}
			results[next] = nil
		}
	}
	return nil
}

// MarshalJSON writes the settings with tf as a word.
func (s Settings) MarshalJSON() ([]byte, error) {
	type plain Settings
	return json.Marshal(struct {
		TF string `json:"tf"`
		plain
	}{s.TF.String(), plain(s)})
}
