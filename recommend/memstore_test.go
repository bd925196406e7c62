package recommend

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"

	"github.com/readalike/readalike/vectorize"
)

// memStore is a Store in memory, for tests of the engine where durability
// is not the point. It keeps every generation ever saved. A neighbour list
// is stamped with the number of commits when it is stored, and is stale
// once that number moved on.
type memStore struct {
	mu        sync.Mutex
	articles  map[string]Article
	counts    map[string]vectorize.Counts
	df        map[string]uint32
	gens      map[uint64]Generation
	current   uint64
	commits   int
	neighbors map[string]stampedList
}

type stampedList struct {
	list  NeighborList
	stamp int // commits when stored
}

func newMemStore() *memStore {
	return &memStore{
		articles:  map[string]Article{},
		counts:    map[string]vectorize.Counts{},
		df:        map[string]uint32{},
		gens:      map[uint64]Generation{},
		neighbors: map[string]stampedList{},
	}
}

func (s *memStore) Commit(ctx context.Context, b Batch) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.commits++
	for _, id := range b.Deletes {
		s.drop(id)
	}
	for _, p := range b.Puts {
		s.drop(p.Article.ID)
		s.articles[p.Article.ID] = p.Article
		s.counts[p.Article.ID] = slices.Clone(p.Counts)
		for _, tc := range p.Counts {
			s.df[tc.Term]++
		}
	}
	return nil
}

func (s *memStore) drop(id string) {
	delete(s.neighbors, id)
	for _, tc := range s.counts[id] {
		if s.df[tc.Term]--; s.df[tc.Term] == 0 {
			delete(s.df, tc.Term)
		}
	}
	delete(s.articles, id)
	delete(s.counts, id)
}

func (s *memStore) Article(ctx context.Context, id string) (Article, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.articles[id]
	if !ok {
		return Article{}, fmt.Errorf("article %q: %w", id, ErrNotFound)
	}
	return a, nil
}

func (s *memStore) Counts(ctx context.Context, id string) (vectorize.Counts, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.counts[id]
	if !ok {
		return nil, fmt.Errorf("article %q: %w", id, ErrNotFound)
	}
	return slices.Clone(c), nil
}

func (s *memStore) Scan(ctx context.Context, bodies bool, fn func(*Article, vectorize.Counts) error) error {
	s.mu.Lock()
	ids := slices.Sorted(maps.Keys(s.articles))
	arts := make([]Article, len(ids))
	counts := make([]vectorize.Counts, len(ids))
	for i, id := range ids {
		arts[i], counts[i] = s.articles[id], s.counts[id]
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

func (s *memStore) TermStats(ctx context.Context) (TermStats, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return TermStats{N: len(s.articles), DF: maps.Clone(s.df)}, nil
}

func (s *memStore) Generation(ctx context.Context) (Generation, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gens[s.current], nil
}

func (s *memStore) SaveGeneration(ctx context.Context, g Generation) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	g.DF = maps.Clone(g.DF)
	s.gens[g.Number] = g
	s.current = g.Number
	return nil
}

func (s *memStore) PutNeighbors(ctx context.Context, lists []NeighborList) error {
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

func (s *memStore) Neighbors(ctx context.Context, id string) (NeighborList, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sl, ok := s.neighbors[id]
	if !ok || sl.stamp != s.commits {
		return NeighborList{}, fmt.Errorf("neighbours of %q: %w", id, ErrNotFound)
	}
	sl.list.Neighbors = slices.Clone(sl.list.Neighbors)
	return sl.list, nil
}

func (s *memStore) Close() error { return nil }

// storedLists returns the number of neighbour lists held, stale or not.
func (s *memStore) storedLists() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.neighbors)
}

// generation returns a saved generation by number.
func (s *memStore) generation(n uint64) Generation {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gens[n]
}
