package recommend

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/readalike/readalike/vectorize"
)

// live answers q for article id by searching, never from a stored list.
func live(e *Engine, id string, q Query) Result {
	e.mu.RLock()
	defer e.mu.RUnlock()
	d := e.ix.byID[id]
	return e.search(e.ix, e.ix.vecs[d], q, d)
}

// storedRun is what the last Batch with Store was asked for.
type storedRun struct {
	q Query
}

// answersFromStore reports whether Similar should answer q from the lists
// of run, had nothing changed since.
func (r *storedRun) answers(q Query) bool {
	return r != nil && q.unfiltered() && q.NoDedup == r.q.NoDedup &&
		q.k() <= r.q.k() && q.MinScore >= r.q.MinScore
}

// TestStoredNeighborsAreExact runs random adds, upserts, deletes, refits,
// batches that store their lists, and queries. Every answer must equal the
// live search's exactly (articles, scores and all) and the brute-force
// reference's; and Similar must answer from the stored lists exactly when
// nothing changed since they were stored and the query is one they answer.
func TestStoredNeighborsAreExact(t *testing.T) {
	ops := 300
	if testing.Short() {
		ops = 120
	}
	for seed := range uint64(3) {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			ctx := context.Background()
			c := newCorpus(100+seed, 400)
			ms := newMemStore()
			opts := Options{RefitShare: -1, Dedup: 0.8, Model: modelOptions(seed)}
			e, err := Open(ctx, ms, opts, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			var batch []Article
			for range 150 {
				batch = append(batch, c.newArticle())
			}
			if err := e.Add(ctx, batch...); err != nil {
				t.Fatal(err)
			}
			var run *storedRun // nil once anything changed
			fromStore := 0
			for op := range ops {
				ids := liveIDs(ms)
				switch r := c.r.IntN(100); {
				case r < 4:
					if err := e.Add(ctx, c.newArticle()); err != nil {
						t.Fatal(err)
					}
					run = nil
				case r < 6:
					if err := e.Upsert(ctx, c.article(ids[c.r.IntN(len(ids))])); err != nil {
						t.Fatal(err)
					}
					run = nil
				case r < 8:
					if err := e.Delete(ctx, ids[c.r.IntN(len(ids))]); err != nil {
						t.Fatal(err)
					}
					run = nil
				case r < 10:
					if _, err := e.Refit(ctx); err != nil {
						t.Fatal(err)
					}
					run = nil
				case r < 18:
					q := Query{K: c.r.IntN(13), NoDedup: c.r.IntN(3) == 0}
					if c.r.IntN(3) == 0 {
						q.MinScore = 0.05
					}
					st, err := e.Batch(ctx, BatchOptions{Query: q, Threads: 1 + c.r.IntN(3), Store: true}, nil)
					if err != nil {
						t.Fatalf("op %d: batch: %v", op, err)
					}
					if st.Stored != len(ids) {
						t.Fatalf("op %d: stored %d lists, want %d", op, st.Stored, len(ids))
					}
					run = &storedRun{q}
				default:
					q := Query{K: c.r.IntN(14), NoDedup: c.r.IntN(3) == 0}
					switch c.r.IntN(4) {
					case 0:
						q.MinScore = 0.05
					case 1:
						q.MinScore = 0.1
					}
					switch r := c.r.IntN(6); {
					case r == 0:
						q = c.query(ids) // mostly filtered
					case r < 4 && run != nil:
						q = run.q // one the lists answer, unless something changed
						q.K = 1 + c.r.IntN(run.q.k())
						if c.r.IntN(4) == 0 {
							q.MinScore += 0.05
						}
					}
					id := ids[c.r.IntN(len(ids))]
					before := e.Stats().StoredAnswers
					got, err := e.Similar(ctx, id, q)
					if err != nil {
						t.Fatalf("op %d: similar: %v", op, err)
					}
					stored := e.Stats().StoredAnswers - before
					if want := run.answers(q); stored != map[bool]uint64{false: 0, true: 1}[want] {
						t.Fatalf("op %d: similar %s %+v: %d stored answers, want %v (run %+v)", op, id, q, stored, want, run)
					}
					fromStore += int(stored)
					what := fmt.Sprintf("op %d: similar %s %+v (stored %v)", op, id, q, stored == 1)
					if want := live(e, id, q); !reflect.DeepEqual(got, want) {
						t.Fatalf("%s:\ngot  %+v\nwant %+v", what, got, want)
					}
					ref := newReference(ms.generation(got.Generation), opts.Model.WithDefaults().TF == vectorize.TFSublinear, ms)
					checkMatches(t, what, got.Matches, ref.similar(ref.vecs[id], id, q, opts.Dedup))
				}
			}
			if fromStore < ops/10 {
				t.Fatalf("only %d answers from stored lists", fromStore)
			}
			t.Logf("%d answers from stored lists; stats %+v", fromStore, e.Stats())
		})
	}
}

// TestStoreRefusesFilters checks that Batch stores only unfiltered lists.
func TestStoreRefusesFilters(t *testing.T) {
	ctx := context.Background()
	ms := newMemStore()
	e := openWith(t, ms, newCorpus(1, 200), 50)
	for _, q := range []Query{
		{Categories: []string{"sport"}},
		{Exclude: []string{"doc-0001"}},
		{From: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)},
		{To: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)},
	} {
		if _, err := e.Batch(ctx, BatchOptions{Query: q, Store: true}, nil); !errors.Is(err, errFilteredStore) {
			t.Errorf("query %+v: got %v, want errFilteredStore", q, err)
		}
	}
	if n := ms.storedLists(); n != 0 {
		t.Errorf("%d lists stored, want none", n)
	}
}

// openWith opens an engine on ms holding n articles of c, fitted.
func openWith(t *testing.T, s Store, c *corpus, n int) *Engine {
	t.Helper()
	ctx := context.Background()
	e, err := Open(ctx, s, Options{RefitShare: -1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	var batch []Article
	for range n {
		batch = append(batch, c.newArticle())
	}
	if err := e.Add(ctx, batch...); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Refit(ctx); err != nil {
		t.Fatal(err)
	}
	return e
}

// pausingStore holds a Commit, once armed, until released: a write in
// flight.
type pausingStore struct {
	*memStore
	armed    atomic.Bool
	reached  chan struct{}
	released chan struct{}
}

func (s *pausingStore) Commit(ctx context.Context, b Batch) error {
	if s.armed.CompareAndSwap(true, false) {
		close(s.reached)
		<-s.released
	}
	return s.memStore.Commit(ctx, b)
}

// TestStoreWaitsForWritesInFlight starts a batch that stores its lists
// while a write is on its way to the store: the batch must wait for it, so
// that its lists include the new article.
func TestStoreWaitsForWritesInFlight(t *testing.T) {
	ctx := context.Background()
	ps := &pausingStore{memStore: newMemStore(), reached: make(chan struct{}), released: make(chan struct{})}
	c := newCorpus(2, 200)
	e := openWith(t, ps, c, 120)
	ps.armed.Store(true)
	added := c.newArticle()
	wrote := make(chan error, 1)
	go func() { wrote <- e.Add(ctx, added) }()
	<-ps.reached
	batched := make(chan error, 1)
	go func() {
		_, err := e.Batch(ctx, BatchOptions{Query: Query{K: 8}, Store: true}, nil)
		batched <- err
	}()
	select {
	case err := <-batched:
		t.Fatalf("the batch finished (%v) while a write was in flight", err)
	case <-time.After(50 * time.Millisecond):
	}
	close(ps.released)
	if err := <-wrote; err != nil {
		t.Fatal(err)
	}
	if err := <-batched; err != nil {
		t.Fatal(err)
	}
	ref := newReference(ps.generation(e.Stats().Generation), defaultSublinear, ps.memStore)
	for _, id := range liveIDs(ps.memStore) {
		q := Query{K: 8}
		got, err := e.Similar(ctx, id, q)
		if err != nil {
			t.Fatal(err)
		}
		checkMatches(t, "similar "+id, got.Matches, ref.similar(ref.vecs[id], id, q, DefaultDedup))
	}
	if st := e.Stats(); st.StoredAnswers != st.Queries || st.Queries == 0 {
		t.Errorf("%d of %d queries answered from stored lists, want all", st.StoredAnswers, st.Queries)
	}
}

// TestStoredAnswersUnderConcurrentWrites runs writes, batches that store
// their lists, and checks, all at once: whenever a stored list answers a
// query, it must equal the live search on the same index, under the same
// read lock. Run it with -race.
func TestStoredAnswersUnderConcurrentWrites(t *testing.T) {
	ctx := context.Background()
	ms := newMemStore()
	c := newCorpus(3, 300)
	e := openWith(t, ms, c, 200)
	var mu sync.Mutex // guards c
	article := func(id string) Article {
		mu.Lock()
		defer mu.Unlock()
		if id == "" {
			return c.newArticle()
		}
		return c.article(id)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var checked, fromStore atomic.Int64
	errs := make(chan error, 8)
	fail := func(err error) {
		select {
		case errs <- err:
		default:
		}
	}
	wg.Add(1)
	go func() { // writer
		defer wg.Done()
		r := rand.New(rand.NewPCG(1, 2))
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
			}
			ids := liveIDs(ms)
			var err error
			switch r.IntN(3) {
			case 0:
				err = e.Add(ctx, article(""))
			case 1:
				err = e.Upsert(ctx, article(ids[r.IntN(len(ids))]))
			default:
				err = e.Delete(ctx, ids[r.IntN(len(ids))])
				if errors.Is(err, ErrNotFound) {
					err = nil
				}
			}
			if err != nil {
				fail(err)
				return
			}
		}
	}()
	wg.Add(1)
	go func() { // batches
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := e.Batch(ctx, BatchOptions{Query: Query{K: 6}, Threads: 2, Store: true}, nil); err != nil {
				fail(err)
				return
			}
		}
	}()
	for w := range 3 {
		wg.Add(1)
		go func() { // checkers
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 9))
			for {
				select {
				case <-stop:
					return
				default:
				}
				ids := liveIDs(ms)
				id := ids[r.IntN(len(ids))]
				q := Query{K: 1 + r.IntN(6)}
				e.mu.RLock()
				d, ok := e.ix.byID[id]
				if ok {
					got, stored := e.stored(ctx, e.ix, id, q)
					if stored {
						fromStore.Add(1)
						if want := e.search(e.ix, e.ix.vecs[d], q, d); !reflect.DeepEqual(got, want) {
							fail(fmt.Errorf("similar %s %+v from the stored list:\ngot  %+v\nwant %+v", id, q, got, want))
						}
					}
					checked.Add(1)
				}
				e.mu.RUnlock()
			}
		}()
	}
	select {
	case err := <-errs:
		close(stop)
		wg.Wait()
		t.Fatal(err)
	case <-time.After(1500 * time.Millisecond):
	}
	close(stop)
	wg.Wait()
	select {
	case err := <-errs:
		t.Fatal(err)
	default:
	}
	t.Logf("%d queries checked, %d answered from stored lists", checked.Load(), fromStore.Load())
	if fromStore.Load() == 0 {
		t.Error("no query was answered from a stored list")
	}
}

// TestStoredListsGoStale checks, change by change, that a stored list stops
// answering once anything changed, and answers again after the next batch.
func TestStoredListsGoStale(t *testing.T) {
	changes := []struct {
		name   string
		change func(context.Context, *Engine, *corpus) error
	}{
		{"add", func(ctx context.Context, e *Engine, c *corpus) error { return e.Add(ctx, c.newArticle()) }},
		{"upsert", func(ctx context.Context, e *Engine, c *corpus) error { return e.Upsert(ctx, c.article("doc-0002")) }},
		{"delete", func(ctx context.Context, e *Engine, c *corpus) error { return e.Delete(ctx, "doc-0003") }},
		{"refit", func(ctx context.Context, e *Engine, c *corpus) error { _, err := e.Refit(ctx); return err }},
	}
	for _, ch := range changes {
		t.Run(ch.name, func(t *testing.T) {
			ctx := context.Background()
			ms := newMemStore()
			c := newCorpus(4, 200)
			e := openWith(t, ms, c, 80)
			similar := func(q Query) (Result, bool) {
				t.Helper()
				before := e.Stats().StoredAnswers
				res, err := e.Similar(ctx, "doc-0001", q)
				if err != nil {
					t.Fatal(err)
				}
				if want := live(e, "doc-0001", q); !reflect.DeepEqual(res, want) {
					t.Fatalf("query %+v: got %+v, want %+v", q, res, want)
				}
				return res, e.Stats().StoredAnswers > before
			}
			if _, err := e.Batch(ctx, BatchOptions{Query: Query{K: 7, MinScore: 0.01}, Store: true}, nil); err != nil {
				t.Fatal(err)
			}
			for _, tt := range []struct {
				q      Query
				stored bool
			}{
				{Query{}, false}, // min score 0 is below the lists'
				{Query{MinScore: 0.01}, true},
				{Query{K: 7, MinScore: 0.2}, true},
				{Query{K: 8, MinScore: 0.01}, false},
				{Query{NoDedup: true, MinScore: 0.01}, false},
				{Query{MinScore: 0.01, Categories: categories}, false},
			} {
				if _, stored := similar(tt.q); stored != tt.stored {
					t.Errorf("query %+v: stored answer %v, want %v", tt.q, stored, tt.stored)
				}
			}
			if err := ch.change(ctx, e, c); err != nil {
				t.Fatal(err)
			}
			if _, stored := similar(Query{MinScore: 0.01}); stored {
				t.Errorf("after %s: answered from a stale list", ch.name)
			}
			if _, err := e.Batch(ctx, BatchOptions{Query: Query{K: 7, MinScore: 0.01}, Store: true}, nil); err != nil {
				t.Fatal(err)
			}
			if _, stored := similar(Query{MinScore: 0.01}); !stored {
				t.Errorf("after %s and a new batch: not answered from the new list", ch.name)
			}
		})
	}
}
