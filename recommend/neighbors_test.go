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
	"github.com/readalike/readalike/vectorize"
)

// waitLists waits until the engine keeps its neighbor lists.
func waitLists(t testing.TB, e *recommend.Engine) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for e.Stats().Lists != "kept" {
		if time.Now().After(deadline) {
			t.Fatalf("the neighbor lists were not kept in 60 s: %+v", e.Stats())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// listQuery returns a random unfiltered query, which the lists answer.
func listQuery(r *rand.Rand) recommend.Query {
	q := recommend.Query{K: r.IntN(recommend.DefaultKeepNeighbors + 1), NoDedup: r.IntN(3) == 0}
	switch r.IntN(5) {
	case 0:
		q.MinScore = 0.05
	case 1:
		q.MinScore = 0.2
	}
	return q
}

// TestListsAreExact runs random adds, upserts, deletes, bulk loads, refits
// and restarts, and after each waits for the lists and checks answers:
// what Similar answers (from a list, mostly) must equal the search on the
// same collection, bit for bit, and the brute-force reference.
func TestListsAreExact(t *testing.T) {
	ops := 60
	if testing.Short() {
		ops = 25
	}
	for seed := range uint64(3) {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			ctx := context.Background()
			c := recommendtest.NewCorpus(200+seed, 400)
			ms := recommend.NewMemoryStore()
			opts := recommend.Options{RefitShare: -1, Dedup: 0.8, Model: modelOptions(seed), KeepNeighbors: 6 + int(seed)*4}
			open := func() *recommend.Engine {
				e, err := recommend.Open(ctx, ms, opts, nil)
				if err != nil {
					t.Fatal(err)
				}
				return e
			}
			e := open()
			defer func() { e.Close() }()
			mustWrite(t)(e.Create(ctx, c.Articles(150)...))
			fromLists := uint64(0)
			for op := range ops {
				ids := liveIDs(t, ms)
				switch r := c.R.IntN(100); {
				case r < 30:
					mustWrite(t)(e.Create(ctx, c.NewArticle()))
				case r < 45:
					mustWrite(t)(e.Upsert(ctx, c.Article(ids[c.R.IntN(len(ids))])))
				case r < 60:
					mustWrite(t)(e.Delete(ctx, ids[c.R.IntN(len(ids))]))
				case r < 70:
					mustWrite(t)(e.Create(ctx, c.Articles(40)...)) // a bulk load: lists go stale
				case r < 80:
					if _, err := e.Refit(ctx); err != nil {
						t.Fatal(err)
					}
				case r < 85:
					fromLists += e.Stats().ListAnswers
					e.Close()
					e = open()
				}
				waitLists(t, e)
				ids = liveIDs(t, ms)
				ref := reference(t, ms, opts)
				for range 15 {
					id := ids[c.R.IntN(len(ids))]
					q := listQuery(c.R)
					got, err := e.Similar(ctx, id, q)
					if err != nil {
						t.Fatal(err)
					}
					what := fmt.Sprintf("op %d: similar %s %+v", op, id, q)
					if want := recommend.LiveSimilar(e, id, q); !reflect.DeepEqual(got, want) {
						t.Fatalf("%s:\nlist %+v\nlive %+v", what, got, want)
					}
					recommendtest.CheckNeighbors(t, what, got.Neighbors, ref.SimilarID(id, q), true)
				}
			}
			fromLists += e.Stats().ListAnswers
			if fromLists < uint64(ops*15)/2 {
				t.Errorf("only %d of %d answers came from the lists", fromLists, ops*15)
			}
			t.Logf("%d of %d answers from the lists; %+v", fromLists, ops*15, e.Stats())
		})
	}
}

// TestListsUnderConcurrentWrites writes single articles all the time while
// checkers compare, on one view, the list's answer with the search's.
// Run it with -race.
func TestListsUnderConcurrentWrites(t *testing.T) {
	ctx := context.Background()
	ms := recommend.NewMemoryStore()
	e, err := recommend.Open(ctx, ms, recommend.Options{RefitShare: -1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	c := recommendtest.NewCorpus(3, 300)
	mustWrite(t)(e.Create(ctx, c.Articles(300)...))
	waitLists(t, e)
	var mu sync.Mutex // guards c
	next := func(id string) recommend.Article {
		mu.Lock()
		defer mu.Unlock()
		if id == "" {
			return c.NewArticle()
		}
		return c.Article(id)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var checked, fromList atomic.Int64
	errs := make(chan error, 8)
	fail := func(err error) {
		select {
		case errs <- err:
		default:
		}
	}
	wg.Go(func() { // the writer
		r := rand.New(rand.NewPCG(1, 2))
		for {
			select {
			case <-stop:
				return
			case <-time.After(200 * time.Microsecond):
			}
			id := fmt.Sprintf("doc-%04d", 1+r.IntN(300))
			var err error
			switch r.IntN(3) {
			case 0:
				err = writeErr(e.Create(ctx, next("")))
			case 1:
				err = writeErr(e.Upsert(ctx, next(id)))
			default:
				if err = writeErr(e.Delete(ctx, id)); errors.Is(err, recommend.ErrNotFound) {
					err = nil
				}
			}
			if err != nil {
				fail(err)
				return
			}
		}
	})
	for w := range 3 {
		wg.Go(func() { // checkers
			r := rand.New(rand.NewPCG(uint64(w), 9))
			for {
				select {
				case <-stop:
					return
				default:
				}
				id := fmt.Sprintf("doc-%04d", 1+r.IntN(300))
				q := listQuery(r)
				got, listed, want, ok := recommend.ListAndLive(ctx, e, id, q)
				if !ok {
					continue
				}
				checked.Add(1)
				if listed {
					fromList.Add(1)
					if !reflect.DeepEqual(got, want) {
						fail(fmt.Errorf("similar %s %+v from the list:\ngot  %+v\nwant %+v", id, q, got, want))
					}
				}
			}
		})
	}
	select {
	case err := <-errs:
		close(stop)
		wg.Wait()
		t.Fatal(err)
	case <-time.After(2 * time.Second):
	}
	close(stop)
	wg.Wait()
	select {
	case err := <-errs:
		t.Fatal(err)
	default:
	}
	t.Logf("%d queries checked, %d answered from lists; %+v", checked.Load(), fromList.Load(), e.Stats())
	if fromList.Load() < checked.Load()/2 {
		t.Errorf("only %d of %d queries answered from the lists", fromList.Load(), checked.Load())
	}
	// Quiet again: every list must be exact.
	waitLists(t, e)
	ref := reference(t, ms, recommend.Options{})
	for _, id := range liveIDs(t, ms) {
		got, err := e.Similar(ctx, id, recommend.Query{K: 8})
		if err != nil {
			t.Fatal(err)
		}
		recommendtest.CheckNeighbors(t, "similar "+id, got.Neighbors, ref.SimilarID(id, recommend.Query{K: 8}), true)
	}
}

// TestBulkLoadMarksListsStale checks that a bulk write stops the upkeep,
// that answers stay exact meanwhile (searched), and that the lists come
// back once writes calm down.
func TestBulkLoadMarksListsStale(t *testing.T) {
	ctx := context.Background()
	ms := recommend.NewMemoryStore()
	e, err := recommend.Open(ctx, ms, recommend.Options{RefitShare: -1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	c := recommendtest.NewCorpus(4, 300)
	mustWrite(t)(e.Create(ctx, c.Articles(100)...))
	waitLists(t, e)
	mustWrite(t)(e.Create(ctx, c.Articles(200)...))
	if st := e.Stats(); st.Lists == "kept" || st.ListStale == 0 {
		t.Fatalf("after a bulk load: %+v", st)
	}
	ref := reference(t, ms, recommend.Options{})
	before := e.Stats().ListAnswers
	for _, id := range liveIDs(t, ms)[:50] {
		got, err := e.Similar(ctx, id, recommend.Query{})
		if err != nil {
			t.Fatal(err)
		}
		recommendtest.CheckNeighbors(t, "similar "+id, got.Neighbors, ref.SimilarID(id, recommend.Query{}), true)
	}
	if st := e.Stats(); st.Lists != "kept" && st.ListAnswers != before {
		t.Errorf("answers came from stale lists: %+v", st)
	}
	waitLists(t, e)
	for _, id := range liveIDs(t, ms)[:50] {
		got, err := e.Similar(ctx, id, recommend.Query{})
		if err != nil {
			t.Fatal(err)
		}
		recommendtest.CheckNeighbors(t, "similar "+id, got.Neighbors, ref.SimilarID(id, recommend.Query{}), true)
	}
	if st := e.Stats(); st.ListAnswers == before || st.ListRebuilds == 0 {
		t.Errorf("no answer from the rebuilt lists: %+v", st)
	}
}

// TestListsSurviveRestart: a clean Close saves the lists and the next Open
// loads them, kept and exact at once, with no rebuild; lists a write made
// after they were saved, or a new generation, are not loaded but rebuilt;
// a changed KeepNeighbors loads them cut to size or marked short.
func TestListsSurviveRestart(t *testing.T) {
	ctx := context.Background()
	c := recommendtest.NewCorpus(11, 400)
	ms := recommend.NewMemoryStore()
	opts := recommend.Options{RefitShare: -1, Dedup: 0.8, KeepNeighbors: 8}
	open := func(o recommend.Options) *recommend.Engine {
		t.Helper()
		e, err := recommend.Open(ctx, ms, o, nil)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	check := func(what string, e *recommend.Engine, o recommend.Options) {
		t.Helper()
		ref := reference(t, ms, o)
		for _, id := range liveIDs(t, ms) {
			for _, q := range []recommend.Query{{}, {K: o.KeepNeighbors, NoDedup: true}, {K: 3, MinScore: 0.1}} {
				got, err := e.Similar(ctx, id, q)
				if err != nil {
					t.Fatal(err)
				}
				w := fmt.Sprintf("%s: similar %s %+v", what, id, q)
				if want := recommend.LiveSimilar(e, id, q); !reflect.DeepEqual(got, want) {
					t.Fatalf("%s:\nlist %+v\nlive %+v", w, got, want)
				}
				recommendtest.CheckNeighbors(t, w, got.Neighbors, ref.SimilarID(id, q), true)
			}
		}
	}
	loaded := func(what string, e *recommend.Engine, want bool) {
		t.Helper()
		if st := e.Stats(); (st.Lists == "kept") != want || st.ListRebuilds != 0 {
			t.Fatalf("%s: lists %q after %d rebuilds at open; want loaded %v", what, st.Lists, st.ListRebuilds, want)
		}
	}

	e := open(opts)
	mustWrite(t)(e.Create(ctx, c.Articles(200)...))
	waitLists(t, e)
	// Deletions leave some lists short of full without being complete.
	ids := liveIDs(t, ms)
	for _, id := range ids[:40] {
		mustWrite(t)(e.Delete(ctx, id))
	}
	mustWrite(t)(e.Create(ctx, c.NewArticle()))
	e.Close()

	e = open(opts)
	loaded("restart", e, true)
	check("restart", e, opts)
	if e.Stats().ListAnswers == 0 {
		t.Error("no answer came from the loaded lists")
	}
	mustWrite(t)(e.Upsert(ctx, c.Article(liveIDs(t, ms)[0]))) // saved again at Close
	e.Close()

	for _, o := range []recommend.Options{
		{RefitShare: -1, Dedup: 0.8, KeepNeighbors: 4},  // cut to size
		{RefitShare: -1, Dedup: 0.8, KeepNeighbors: 16}, // short of full: searched for k beyond
		opts,
	} {
		e = open(o)
		loaded(fmt.Sprint("keep ", o.KeepNeighbors), e, true)
		check(fmt.Sprint("keep ", o.KeepNeighbors), e, o)
		e.Close()
	}

	// A write that reaches the store after the lists were saved.
	c.NewArticle()
	a := c.NewArticle()
	counts, err := e.Analyzer().Analyze(vectorize.Document{Title: a.Title, Body: a.Body, Lang: a.Lang})
	if err != nil {
		t.Fatal(err)
	}
	if err := ms.Commit(ctx, recommend.Write{Puts: []recommend.Put{{Article: a, Counts: counts.Counts}}}); err != nil {
		t.Fatal(err)
	}
	e = open(opts)
	loaded("a write after the save", e, false)
	waitLists(t, e)
	check("a write after the save", e, opts)
	if _, err := e.Refit(ctx); err != nil {
		t.Fatal(err)
	}
	e.Close()
	e = open(opts)
	loaded("after a refit", e, true)
	check("after a refit", e, opts)
	e.Close()

	// A generation saved after the lists: they are not loaded.
	gen, err := ms.Generation(ctx)
	if err != nil {
		t.Fatal(err)
	}
	gen.Number++
	if err := ms.SaveGeneration(ctx, gen); err != nil {
		t.Fatal(err)
	}
	e = open(opts)
	defer e.Close()
	loaded("a newer generation", e, false)
	waitLists(t, e)
	check("a newer generation", e, opts)
}
