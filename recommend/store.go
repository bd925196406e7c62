package recommend

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/readalike/readalike/vectorize"
)

// ErrNoSpace is returned, wrapped, by a Store's writes when the disk has
// too little free space left to take them safely; nothing was written, and
// reads keep working.
var ErrNoSpace = errors.New("not enough free disk space")

// Store is what the engine persists through: storage.DB implements it on
// Badger, MemoryStore in memory. Every method is safe for concurrent use.
// The engine never closes a Store; whoever opened it does.
type Store interface {
	// Commit writes w atomically (all of it or none of it) and returns
	// only once it is durable against power loss. A put replaces any
	// article with the same ID, keeping its reads (a put's ReadCount and
	// LastRead are not stored: they come from Write.Reads); deleting an
	// absent ID is not an error. An
	// ID appears at most once in w, among its puts and deletes together,
	// so the order they are applied in cannot matter; a Write that repeats
	// one is refused, and nothing is written. The store keeps the term
	// statistics (N and document frequencies) in step with the stored term
	// counts in the same atomic write.
	//
	// When Commit returns an error, w may or may not have been written: a
	// store whose sync failed cannot tell what reached the disk. The engine
	// then leaves its index as it was (the write is not searchable) and
	// reports the error; the stored articles are the truth, and the index
	// agrees with them again once it is rebuilt from the store (at the next
	// start or refit). Committing the same Write again is safe.
	Commit(ctx context.Context, w Write) error

	// Article returns the stored article, or an error wrapping ErrNotFound.
	Article(ctx context.Context, id string) (Article, error)

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

	// Reads returns the reads recorded for a reader, newest first, at most
	// limit of them (all when limit is 0 or less).
	Reads(ctx context.Context, reader string, limit int) ([]Read, error)
}

// NeighborStore is a Store that can also keep neighbor lists: the engine
// saves its lists there at Close and loads them at Open, when they are
// still exact, instead of rebuilding them (savedlists.go). The engine finds
// it by type assertion; with a Store without it, every Open rebuilds them.
type NeighborStore interface {
	Store

	// PutNeighbors stores the lists, each replacing the one stored for its
	// article, and returns once they are durable, as Commit does. A list
	// belongs to the articles as stored when PutNeighbors runs: the caller
	// must see to it that none changes between computing the lists and
	// storing them (Engine.Close holds off the engine's writes). The store
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
}

// Write is one atomic change to a Store: articles to put (with their term
// counts), ids to delete, and reads to record. An id appears at most once
// among its puts and deletes.
type Write struct {
	Puts    []Put
	Deletes []string
	// Reads each add one to the read count of an article the store holds
	// (a read of an article it lacks is ignored), make At its last read if
	// later than the one recorded, and record the read for its reader when
	// there is one. A read never rewrites the article, nor changes its
	// term counts or the term statistics; deleting an article forgets its
	// count.
	Reads []Read
}

// Read is one reading of an article.
type Read struct {
	ID     string    `json:"id"`
	Reader string    `json:"reader,omitempty"` // who read it; "" when not known
	At     time.Time `json:"at"`
}

// Check reports an id that appears twice in w, among its puts and deletes
// together: such a Write is refused by every Store.
func (w Write) Check() error {
	seen := make(map[string]bool, len(w.Puts)+len(w.Deletes))
	for _, p := range w.Puts {
		if seen[p.Article.ID] {
			return fmt.Errorf("write: id %q appears twice", p.Article.ID)
		}
		seen[p.Article.ID] = true
	}
	for _, id := range w.Deletes {
		if seen[id] {
			return fmt.Errorf("write: id %q appears twice", id)
		}
		seen[id] = true
	}
	return nil
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

// NeighborList is an article's neighbor list as a NeighborStore keeps it:
// its nearest articles and everything they depend on, so that a later Open
// can tell whether the list is still exact (see savedlists.go).
type NeighborList struct {
	ID         string // the article
	Generation uint64 // the model generation that scored the neighbors
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
