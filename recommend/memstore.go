package recommend

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/readalike/readalike/vectorize"
)

// MemoryStore is a NeighborStore that keeps everything in memory and
// nothing on disk: for embedding the engine where the collection is
// rebuilt at every start, and for tests where durability is not the point.
// It is safe for concurrent use; the zero value is not ready, use
// NewMemoryStore.
type MemoryStore struct {
	mu        sync.Mutex
	articles  map[string]Article
	counts    map[string]vectorize.Counts
	df        map[string]uint32
	gen       Generation
	commits   int // Commits that changed articles; stamps neighbor lists
	neighbors map[string]stampedList
	reads     map[string]readCount
	history   map[string][]Read // by reader, oldest first
}

// readCount is what the reads of one article add up to.
type readCount struct {
	n    uint64
	last time.Time
}

// stampedList is a neighbor list with the commits counted when it was
// stored: it is stale once another commit came.
type stampedList struct {
	list  NeighborList
	stamp int
}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{
		articles:  map[string]Article{},
		counts:    map[string]vectorize.Counts{},
		df:        map[string]uint32{},
		neighbors: map[string]stampedList{},
		reads:     map[string]readCount{},
		history:   map[string][]Read{},
	}
}

var _ NeighborStore = (*MemoryStore)(nil)

// Commit applies w, as Store says.
func (s *MemoryStore) Commit(ctx context.Context, w Write) error {
	if err := w.Check(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.commits++
	for _, id := range w.Deletes {
		s.drop(id)
		delete(s.reads, id)
	}
	for _, p := range w.Puts {
		s.drop(p.Article.ID)
		a := p.Article
		a.ReadCount, a.LastRead = 0, time.Time{}
		s.articles[a.ID] = a
		s.counts[a.ID] = slices.Clone(p.Counts)
		for _, tc := range p.Counts {
			s.df[tc.Term]++
		}
	}
	for _, r := range w.Reads {
		if _, ok := s.articles[r.ID]; !ok {
			continue
		}
		rc := s.reads[r.ID]
		rc.n++
		if r.At.After(rc.last) {
			rc.last = r.At
		}
		s.reads[r.ID] = rc
		if r.Reader != "" {
			s.history[r.Reader] = append(s.history[r.Reader], r)
		}
	}
	return nil
}

// withReads returns a with the reads recorded for it.
func (s *MemoryStore) withReads(a Article) Article {
	rc := s.reads[a.ID]
	a.ReadCount, a.LastRead = rc.n, rc.last
	return a
}

func (s *MemoryStore) drop(id string) {
	delete(s.neighbors, id)
	for _, tc := range s.counts[id] {
		if s.df[tc.Term]--; s.df[tc.Term] == 0 {
			delete(s.df, tc.Term)
		}
	}
	delete(s.articles, id)
	delete(s.counts, id)
}

// Article returns the stored article, or an error wrapping ErrNotFound.
func (s *MemoryStore) Article(ctx context.Context, id string) (Article, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.articles[id]
	if !ok {
		return Article{}, fmt.Errorf("article %q: %w", id, ErrNotFound)
	}
	return s.withReads(a), nil
}

// Reads returns the reads of a reader, newest first.
func (s *MemoryStore) Reads(ctx context.Context, reader string, limit int) ([]Read, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := slices.Clone(s.history[reader])
	slices.Reverse(out)
	slices.SortStableFunc(out, func(a, b Read) int { return b.At.Compare(a.At) })
	if limit > 0 && limit < len(out) {
		out = out[:limit]
	}
	return out, nil
}

// Scan calls fn for every article in id order, on a copy taken when it
// starts: fn may call the store.
func (s *MemoryStore) Scan(ctx context.Context, bodies bool, fn func(*Article, vectorize.Counts) error) error {
	s.mu.Lock()
	ids := slices.Sorted(maps.Keys(s.articles))
	arts := make([]Article, len(ids))
	counts := make([]vectorize.Counts, len(ids))
	for i, id := range ids {
		arts[i], counts[i] = s.withReads(s.articles[id]), s.counts[id]
		if !bodies {
			arts[i].Body = ""
		}
	}
	s.mu.Unlock()
	for i := range arts {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(&arts[i], counts[i]); err != nil {
			return err
		}
	}
	return nil
}

// TermStats returns N and the document frequencies.
func (s *MemoryStore) TermStats(ctx context.Context) (TermStats, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return TermStats{N: len(s.articles), DF: maps.Clone(s.df)}, nil
}

// Generation returns the last generation saved.
func (s *MemoryStore) Generation(ctx context.Context) (Generation, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.gen
	g.DF = maps.Clone(g.DF)
	return g, nil
}

// SaveGeneration replaces the generation.
func (s *MemoryStore) SaveGeneration(ctx context.Context, g Generation) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	g.DF = maps.Clone(g.DF)
	s.gen = g
	return nil
}

// PutNeighbors stores the lists, stamped with the commits so far.
func (s *MemoryStore) PutNeighbors(ctx context.Context, lists []NeighborList) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, l := range lists {
		if l.ID == "" {
			return fmt.Errorf("list %d: empty id", i)
		}
	}
	for _, l := range lists {
		l.Neighbors = slices.Clone(l.Neighbors)
		s.neighbors[l.ID] = stampedList{l, s.commits}
	}
	return nil
}

// Neighbors returns the list stored for id, unless a commit came since.
func (s *MemoryStore) Neighbors(ctx context.Context, id string) (NeighborList, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sl, ok := s.neighbors[id]
	if !ok || sl.stamp != s.commits {
		return NeighborList{}, fmt.Errorf("neighbors of %q: %w", id, ErrNotFound)
	}
	sl.list.Neighbors = slices.Clone(sl.list.Neighbors)
	return sl.list, nil
}
