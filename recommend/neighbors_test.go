package recommend_test

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

	"github.com/readalike/readalike/recommend"
	"github.com/readalike/readalike/recommend/recommendtest"
)

// live answers q for article id by searching, never from a stored list.
var live = recommend.LiveSimilar

// storedRun is what the last Batch with recommend.Store was asked for.
type storedRun struct {
	q recommend.Query
}

// answersFromStore reports whether Similar should answer q from the lists
// of run, had nothing changed since.
func (r *storedRun) answers(q recommend.Query) bool {
	unfiltered := len(q.Categories) == 0 && q.From.IsZero() && q.To.IsZero() && len(q.Exclude) == 0
	return r != nil && unfiltered && q.NoDedup == r.q.NoDedup &&
		k(q) <= k(r.q) && q.MinScore >= r.q.MinScore
}

// k is the k a query asks for.
func k(q recommend.Query) int {
	if q.K == 0 {
		return recommend.DefaultK
	}
	return q.K
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
			c := recommendtest.NewCorpus(100+seed, 400)
			ms := recommend.NewMemoryStore()
			opts := recommend.Options{RefitShare: -1, Dedup: 0.8, Model: modelOptions(seed)}
			e, err := recommend.Open(ctx, ms, opts, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			var batch []recommend.Article
			for range 150 {
				batch = append(batch, c.NewArticle())
			}
			mustWrite(t)(e.Create(ctx, batch...))
			var run *storedRun // nil once anything changed
			fromStore := 0
			for op := range ops {
				ids := liveIDs(t, ms)
				switch r := c.R.IntN(100); {
				case r < 4:
					mustWrite(t)(e.Create(ctx, c.NewArticle()))
					run = nil
				case r < 6:
					mustWrite(t)(e.Upsert(ctx, c.Article(ids[c.R.IntN(len(ids))])))
					run = nil
				case r < 8:
					mustWrite(t)(e.Delete(ctx, ids[c.R.IntN(len(ids))]))
					run = nil
				case r < 10:
					if _, err := e.Refit(ctx); err != nil {
						t.Fatal(err)
					}
					run = nil
				case r < 18:
					q := recommend.Query{K: c.R.IntN(13), NoDedup: c.R.IntN(3) == 0}
					if c.R.IntN(3) == 0 {
						q.MinScore = 0.05
					}
					st, err := e.Batch(ctx, recommend.BatchOptions{Query: q, Threads: 1 + c.R.IntN(3), Store: true}, nil)
					if err != nil {
						t.Fatalf("op %d: batch: %v", op, err)
					}
					if st.Stored != len(ids) {
						t.Fatalf("op %d: stored %d lists, want %d", op, st.Stored, len(ids))
					}
					run = &storedRun{q}
				default:
					q := recommend.Query{K: c.R.IntN(14), NoDedup: c.R.IntN(3) == 0}
					switch c.R.IntN(4) {
					case 0:
						q.MinScore = 0.05
					case 1:
						q.MinScore = 0.1
					}
					switch r := c.R.IntN(6); {
					case r == 0:
						q = c.Query(ids) // mostly filtered
					case r < 4 && run != nil:
						q = run.q // one the lists answer, unless something changed
						q.K = 1 + c.R.IntN(k(run.q))
						if c.R.IntN(4) == 0 {
							q.MinScore += 0.05
						}
					}
					id := ids[c.R.IntN(len(ids))]
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
					ref := reference(t, ms, opts)
					recommendtest.CheckNeighbors(t, what, got.Neighbors, ref.SimilarID(id, q), false)
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
	ms := recommend.NewMemoryStore()
	e := openWith(t, ms, recommendtest.NewCorpus(1, 200), 50)
	for _, q := range []recommend.Query{
		{Categories: []string{"sport"}},
		{Exclude: []string{"doc-0001"}},
		{From: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)},
		{To: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)},
	} {
		if _, err := e.Batch(ctx, recommend.BatchOptions{Query: q, Store: true}, nil); !errors.Is(err, recommend.ErrFilteredStore) {
			t.Errorf("query %+v: got %v, want recommend.ErrFilteredStore", q, err)
		}
	}
	for _, id := range liveIDs(t, ms) {
		if l, err := ms.Neighbors(ctx, id); err == nil {
			t.Errorf("a list was stored: %+v", l)
		}
	}
}

// openWith opens an engine on ms holding n articles of c, fitted.
func openWith(t *testing.T, s recommend.Store, c *recommendtest.Corpus, n int) *recommend.Engine {
	t.Helper()
	ctx := context.Background()
	e, err := recommend.Open(ctx, s, recommend.Options{RefitShare: -1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	var batch []recommend.Article
	for range n {
		batch = append(batch, c.NewArticle())
	}
	mustWrite(t)(e.Create(ctx, batch...))
	if _, err := e.Refit(ctx); err != nil {
		t.Fatal(err)
	}
	return e
}

// pausingStore holds a Commit, once armed, until released: a write in
// flight.
type pausingStore struct {
	*recommend.MemoryStore
	armed    atomic.Bool
	reached  chan struct{}
	released chan struct{}
}

func (s *pausingStore) Commit(ctx context.Context, w recommend.Write) error {
	if s.armed.CompareAndSwap(true, false) {
		close(s.reached)
		<-s.released
	}
	return s.MemoryStore.Commit(ctx, w)
}

// TestStoreWaitsForWritesInFlight starts a batch that stores its lists
// while a write is on its way to the store: the batch must wait for it, so
// that its lists include the new article.
func TestStoreWaitsForWritesInFlight(t *testing.T) {
	ctx := context.Background()
	ps := &pausingStore{MemoryStore: recommend.NewMemoryStore(), reached: make(chan struct{}), released: make(chan struct{})}
	c := recommendtest.NewCorpus(2, 200)
	e := openWith(t, ps, c, 120)
	ps.armed.Store(true)
	added := c.NewArticle()
	wrote := make(chan error, 1)
	go func() { wrote <- writeErr(e.Create(ctx, added)) }()
	<-ps.reached
	batched := make(chan error, 1)
	go func() {
		_, err := e.Batch(ctx, recommend.BatchOptions{Query: recommend.Query{K: 8}, Store: true}, nil)
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
	ref := reference(t, ps.MemoryStore, recommend.Options{})
	for _, id := range liveIDs(t, ps.MemoryStore) {
		q := recommend.Query{K: 8}
		got, err := e.Similar(ctx, id, q)
		if err != nil {
			t.Fatal(err)
		}
		recommendtest.CheckNeighbors(t, "similar "+id, got.Neighbors, ref.SimilarID(id, q), false)
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
	ms := recommend.NewMemoryStore()
	c := recommendtest.NewCorpus(3, 300)
	e := openWith(t, ms, c, 200)
	var mu sync.Mutex // guards c
	article := func(id string) recommend.Article {
		mu.Lock()
		defer mu.Unlock()
		if id == "" {
			return c.NewArticle()
		}
		return c.Article(id)
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
			ids := liveIDs(t, ms)
			var err error
			switch r.IntN(3) {
			case 0:
				err = writeErr(e.Create(ctx, article("")))
			case 1:
				err = writeErr(e.Upsert(ctx, article(ids[r.IntN(len(ids))])))
			default:
				err = writeErr(e.Delete(ctx, ids[r.IntN(len(ids))]))
				if errors.Is(err, recommend.ErrNotFound) {
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
			if _, err := e.Batch(ctx, recommend.BatchOptions{Query: recommend.Query{K: 6}, Threads: 2, Store: true}, nil); err != nil {
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
				ids := liveIDs(t, ms)
				id := ids[r.IntN(len(ids))]
				q := recommend.Query{K: 1 + r.IntN(6)}
				got, stored, want, ok := recommend.StoredAndLive(ctx, e, id, q)
				if ok {
					if stored {
						fromStore.Add(1)
						if !reflect.DeepEqual(got, want) {
							fail(fmt.Errorf("similar %s %+v from the stored list:\ngot  %+v\nwant %+v", id, q, got, want))
						}
					}
					checked.Add(1)
				}
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
		change func(context.Context, *recommend.Engine, *recommendtest.Corpus) error
	}{
		{"add", func(ctx context.Context, e *recommend.Engine, c *recommendtest.Corpus) error {
			return writeErr(e.Create(ctx, c.NewArticle()))
		}},
		{"upsert", func(ctx context.Context, e *recommend.Engine, c *recommendtest.Corpus) error {
			return writeErr(e.Upsert(ctx, c.Article("doc-0002")))
		}},
		{"delete", func(ctx context.Context, e *recommend.Engine, c *recommendtest.Corpus) error {
			return writeErr(e.Delete(ctx, "doc-0003"))
		}},
		{"refit", func(ctx context.Context, e *recommend.Engine, c *recommendtest.Corpus) error {
			_, err := e.Refit(ctx)
			return err
		}},
	}
	for _, ch := range changes {
		t.Run(ch.name, func(t *testing.T) {
			ctx := context.Background()
			ms := recommend.NewMemoryStore()
			c := recommendtest.NewCorpus(4, 200)
			e := openWith(t, ms, c, 80)
			similar := func(q recommend.Query) (recommend.Result, bool) {
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
			if _, err := e.Batch(ctx, recommend.BatchOptions{Query: recommend.Query{K: 7, MinScore: 0.01}, Store: true}, nil); err != nil {
				t.Fatal(err)
			}
			for _, tt := range []struct {
				q      recommend.Query
				stored bool
			}{
				{recommend.Query{}, false}, // min score 0 is below the lists'
				{recommend.Query{MinScore: 0.01}, true},
				{recommend.Query{K: 7, MinScore: 0.2}, true},
				{recommend.Query{K: 8, MinScore: 0.01}, false},
				{recommend.Query{NoDedup: true, MinScore: 0.01}, false},
				{recommend.Query{MinScore: 0.01, Categories: recommendtest.Categories}, false},
			} {
				if _, stored := similar(tt.q); stored != tt.stored {
					t.Errorf("query %+v: stored answer %v, want %v", tt.q, stored, tt.stored)
				}
			}
			if err := ch.change(ctx, e, c); err != nil {
				t.Fatal(err)
			}
			if _, stored := similar(recommend.Query{MinScore: 0.01}); stored {
				t.Errorf("after %s: answered from a stale list", ch.name)
			}
			if _, err := e.Batch(ctx, recommend.BatchOptions{Query: recommend.Query{K: 7, MinScore: 0.01}, Store: true}, nil); err != nil {
				t.Fatal(err)
			}
			if _, stored := similar(recommend.Query{MinScore: 0.01}); !stored {
				t.Errorf("after %s and a new batch: not answered from the new list", ch.name)
			}
		})
	}
}
