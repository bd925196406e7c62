package recommend

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
)

// Stored neighbor lists. Batch with BatchOptions.Store writes every
// article's list into the Store, and Similar answers from it, in one read,
// whenever the list is provably the answer the live query would give:
//
//   - The query has no filters (categories, dates, excluded ids): only
//     unfiltered lists are stored.
//   - The store returns the list: no article was put or deleted since it
//     was stored (Store.Neighbors reports such a list stale). And the list
//     was computed on the articles as stored when it was stored: Batch
//     holds every id lock from before computing to after storing, so no
//     write is in flight in between. Similar reads the list under the
//     index's read lock, and a write reaches the index only after its
//     commit, which made the list stale: an index that holds a write made
//     since never gets the list.
//   - The list was scored by the current generation with the engine's
//     settings, so every vector is the same as the live query's.
//   - The near-duplicate threshold is the query's, the list holds at least
//     the query's k (or every article that qualified), and the query's
//     minimum score is at least the list's: the first k entries scoring at
//     least it are then the live answer, the same articles with the same
//     scores.
//
// Anything else is answered by the live query. (Same scores: in the process
// that computed them, bit for bit. Another process numbers the terms in
// another order, which can change the last bits of a sum, so there a live
// query may order two neighbors whose scores tie to 1e-15 the other way.)

// neighborChunk is how many lists Batch hands to Store.PutNeighbors at a
// time.
const neighborChunk = 1000

// unfiltered reports whether q lets every article other than the query's
// own be returned.
func (q Query) unfiltered() bool {
	return len(q.Categories) == 0 && q.From.IsZero() && q.To.IsZero() && len(q.Exclude) == 0
}

// errFilteredStore is Batch's answer to a request to store filtered lists.
var errFilteredStore = errors.New("storing neighbor lists needs a query without categories, from, to or exclude")

// dedup returns the near-duplicate threshold of q: +Inf keeps them.
func (e *Engine) dedup(q Query) float64 {
	if q.NoDedup {
		return math.Inf(1)
	}
	return e.opts.Dedup
}

// fingerprint hashes the engine's settings for NeighborList.Settings.
func fingerprint(settings string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(settings))
	return h.Sum64()
}

// stored answers the query of article id from its stored neighbor list,
// if that list is exactly the live answer (see above), and reports whether
// it did. The caller holds the read lock, and has checked that ix holds id.
// A list that cannot be read, for whatever reason, leaves the query to the
// live search.
func (e *Engine) stored(ctx context.Context, v *view, id string, q Query) (Result, bool) {
	if !q.unfiltered() {
		return Result{}, false
	}
	if e.lists == nil {
		return Result{}, false
	}
	l, err := e.lists.Neighbors(ctx, id)
	if err != nil {
		return Result{}, false
	}
	k := q.k()
	if l.ID != id || l.Generation != v.ix.generation || l.Settings != e.settingsID ||
		l.Dedup != e.dedup(q) || k > l.K || q.MinScore < l.MinScore {
		return Result{}, false
	}
	res := Result{Generation: v.ix.generation, Neighbors: make([]Neighbor, 0, min(k, len(l.Neighbors)))}
	for _, n := range l.Neighbors[:min(k, len(l.Neighbors))] {
		if n.Score < q.MinScore {
			break
		}
		d, ok := v.ix.ids.get(n.ID)
		if !ok || !v.alive(d) || n.ID == id {
			return Result{}, false // cannot happen while the list is current
		}
		res.Neighbors = append(res.Neighbors, v.neighbor(d, n.Score))
	}
	e.counters.queries.Add(1)
	e.counters.stored.Add(1)
	return res, true
}

// neighborSaver collects the lists Batch emits and stores them in chunks.
type neighborSaver struct {
	ctx     context.Context
	store   NeighborStore
	header  NeighborList // all but ID and Neighbors
	pending []NeighborList
	saved   int
}

// wrap returns emit, or nothing when nil, followed by add.
func (s *neighborSaver) wrap(emit func(string, []Neighbor) error) func(string, []Neighbor) error {
	return func(id string, ms []Neighbor) error {
		if emit != nil {
			if err := emit(id, ms); err != nil {
				return err
			}
		}
		return s.add(id, ms)
	}
}

// add queues the list of article id, storing the queue once it is full.
func (s *neighborSaver) add(id string, ms []Neighbor) error {
	l := s.header
	l.ID = id
	l.Neighbors = make([]Neighbor, len(ms))
	for i, m := range ms {
		l.Neighbors[i] = Neighbor{ID: m.ID, Score: m.Score}
	}
	s.pending = append(s.pending, l)
	if len(s.pending) >= neighborChunk {
		return s.flush()
	}
	return nil
}

// flush stores the queued lists.
func (s *neighborSaver) flush() error {
	if len(s.pending) == 0 {
		return nil
	}
	if err := s.store.PutNeighbors(s.ctx, s.pending); err != nil {
		return fmt.Errorf("store %d neighbor lists: %w", len(s.pending), err)
	}
	s.saved += len(s.pending)
	clear(s.pending)
	s.pending = s.pending[:0]
	return nil
}

// lockAll locks every stripe, in the order lock does, and returns the
// function that unlocks them: no write is in flight while they are held.
func (l *idLocks) lockAll() (unlock func()) {
	for i := range l.stripes {
		l.stripes[i].Lock()
	}
	return func() {
		for i := range l.stripes {
			l.stripes[i].Unlock()
		}
	}
}
