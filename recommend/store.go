package recommend

import (
	"context"
	"time"

	"readalike/vectorize"
)

// Store is what the engine persists through. storage.DB implements it on
// Badger. Every method is safe for concurrent use.
type Store interface {
	// Commit writes the batch atomically (all of it or none of it) and
	// returns only once it is durable against power loss. Puts replace any
	// article with the same ID; deleting an absent ID is not an error. The
	// store keeps the term statistics (N and document frequencies) in step
	// with the stored term counts in the same atomic write.
	Commit(ctx context.Context, b Batch) error

	// Article returns the stored article, or an error wrapping ErrNotFound.
	Article(ctx context.Context, id string) (Article, error)

	// Counts returns the stored term counts of an article, or an error
	// wrapping ErrNotFound.
	Counts(ctx context.Context, id string) (vectorize.Counts, error)

	// Scan calls fn for every stored article with its term counts, in id
	// order. The Article's Body may be empty when bodies is false. fn must
	// not keep c after it returns. Scan stops at the first error fn returns
	// and returns it, and checks ctx between articles.
	Scan(ctx context.Context, bodies bool, fn func(a *Article, c vectorize.Counts) error) error

	// TermStats returns the live term statistics: the number of stored
	// articles and, for each term, the number of stored articles that
	// contain it. The caller owns the returned map.
	TermStats(ctx context.Context) (TermStats, error)

	// Generation returns the fitted model's record, or the zero Generation
	// when none was saved yet.
	Generation(ctx context.Context) (Generation, error)

	// SaveGeneration durably replaces the fitted model's record.
	SaveGeneration(ctx context.Context, g Generation) error

	// Close flushes and closes the store.
	Close() error
}

// Batch is one atomic write: articles to put (with their term counts) and
// ids to delete.
type Batch struct {
	Puts    []Put
	Deletes []string
}

// Put is one article and its term counts.
type Put struct {
	Article Article
	Counts  vectorize.Counts
}

// TermStats are document frequencies over the stored articles.
type TermStats struct {
	N  int               // stored articles
	DF map[string]uint32 // articles containing each term; terms with df 0 are absent
}

// Generation is a fitted model: the idf table every vector of the index is
// weighted with, frozen at fit time.
type Generation struct {
	Number   uint64            // 1 for the first fit, +1 per refit; 0 means never fitted
	N        int               // articles at fit time
	DF       map[string]uint32 // document frequencies at fit time
	Settings string            // the analyzer and model settings the fit used, as text
	FittedAt time.Time
}
