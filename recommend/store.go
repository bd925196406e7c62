package recommend

import (
	"context"
	"time"

	"github.com/readalike/readalike/vectorize"
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

	// PutNeighbors stores the lists, each replacing the one stored for its
	// article, and returns once they are durable, as Commit does. A list
	// belongs to the articles as stored when PutNeighbors runs: the caller
	// must see to it that none changes between computing the lists and
	// storing them (Engine.Batch holds off the engine's writes). The store
	// does not keep lists or anything in them once it returns. An empty ID
	// is an error, and nothing is stored.
	PutNeighbors(ctx context.Context, lists []NeighborList) error

	// Neighbors returns the list stored for an article, or an error
	// wrapping ErrNotFound when there is none or it may be stale. Every
	// Commit that puts or deletes an article makes every list stored
	// before it stale (a new article may belong in any list); a store may
	// deem lists stale for other reasons too, such as a crash, but never
	// serves one stored before such a Commit. A Commit that deletes or
	// replaces an article also removes that article's list in the same
	// atomic write. The caller owns the returned list.
	Neighbors(ctx context.Context, id string) (NeighborList, error)

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

// NeighborList is the stored answer of an article's unfiltered query: its
// nearest articles and everything the answer depends on, so that a later
// query can tell whether the list answers it exactly (see Engine.Similar).
type NeighborList struct {
	ID         string // the article
	Generation uint64 // the model generation that scored the neighbours
	// Settings fingerprints the analyzer and model settings the vectors
	// were weighted with: a generation's idf table weighs differently
	// under other model options.
	Settings uint64
	K        int     // the k asked for; Neighbors holds fewer when fewer articles qualified
	Dedup    float64 // the near-duplicate threshold applied; +Inf when near-duplicates were kept
	MinScore float64 // the minimum score applied
	// Neighbors are best first: score descending, then id ascending.
	Neighbors []Neighbor
}

// Neighbor is one entry of a NeighborList: an article and its exact cosine
// score.
type Neighbor struct {
	ID    string
	Score float64
}
