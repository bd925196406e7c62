package recommend_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/readalike/readalike/recommend"
	"github.com/readalike/readalike/recommend/recommendtest"
	"github.com/readalike/readalike/vectorize"
)

// TestMemoryStore holds MemoryStore to the Store contract.
func TestMemoryStore(t *testing.T) {
	recommendtest.TestStore(t, func(t *testing.T) recommend.Store { return recommend.NewMemoryStore() })
}

// mustWrite returns a function that fails t unless a write succeeded for
// every article: mustWrite(t)(e.Upsert(ctx, a)).
func mustWrite(t testing.TB) func(recommend.WriteResults, error) recommend.WriteResults {
	return func(rs recommend.WriteResults, err error) recommend.WriteResults {
		t.Helper()
		if err == nil {
			err = rs.Err()
		}
		if err != nil {
			t.Fatal(err)
		}
		return rs
	}
}

// writeErr returns the error of a write, or of its first refused article.
func writeErr(rs recommend.WriteResults, err error) error {
	if err != nil {
		return err
	}
	return rs.Err()
}

// liveIDs returns the ids the store holds, sorted.
func liveIDs(t testing.TB, s recommend.Store) []string {
	t.Helper()
	var ids []string
	err := s.Scan(context.Background(), false, func(a *recommend.Article, _ vectorize.Counts) error {
		ids = append(ids, a.ID)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// reference returns the brute-force reference of the store's collection,
// weighted with its current generation as an engine with options o does.
func reference(t testing.TB, s recommend.Store, o recommend.Options) *recommendtest.Reference {
	t.Helper()
	r, err := recommendtest.FromStore(context.Background(), s, o)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestEngineMatchesReference runs random adds, upserts, deletes, refits and
// queries by id, text and history, and checks every answer against the
// brute-force reference.
func TestEngineMatchesReference(t *testing.T) {
	ops := 400
	if testing.Short() {
		ops = 150
	}
	for seed := range uint64(4) {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			ctx := context.Background()
			c := recommendtest.NewCorpus(seed, 300+int(seed)*200)
			ms := recommend.NewMemoryStore()
			opts := recommend.Options{RefitShare: -1, Dedup: 0.8, Model: modelOptions(seed)}
			e, err := recommend.Open(ctx, ms, opts, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			queries := 0
			for op := range ops {
				live := liveIDs(t, ms)
				switch r := c.R.IntN(100); {
				case r < 30 || len(live) < 5:
					rs := mustWrite(t)(e.Create(ctx, c.Articles(1+c.R.IntN(6))...))
					for _, r := range rs {
						if r.Outcome != recommend.Created {
							t.Fatalf("op %d: create %s: %v", op, r.ID, r.Outcome)
						}
					}
				case r < 40:
					rs := mustWrite(t)(e.Upsert(ctx, c.Article(live[c.R.IntN(len(live))])))
					if rs[0].Outcome != recommend.Replaced {
						t.Fatalf("op %d: upsert of an existing id: %v", op, rs[0].Outcome)
					}
				case r < 48:
					mustWrite(t)(e.Delete(ctx, live[c.R.IntN(len(live))]))
				case r < 53:
					if _, err := e.Refit(ctx); err != nil {
						t.Fatalf("op %d: refit: %v", op, err)
					}
					checkFromScratch(t, ms)
				case r < 58:
					for range 1 + c.R.IntN(4) {
						if _, err := e.Read(ctx, recommend.Read{ID: live[c.R.IntN(len(live))]}); err != nil {
							t.Fatalf("op %d: read: %v", op, err)
						}
					}
				default:
					queries++
					q := c.Query(live)
					ref := reference(t, ms, opts)
					gen := e.Stats().Generation
					var (
						res  recommend.Result
						want []recommend.Neighbor
						what string
					)
					switch c.R.IntN(5) {
					case 0:
						text := recommend.Text{Title: c.Text(3), Body: c.Text(20)}
						res, err = e.SimilarText(ctx, text, q)
						v, aerr := ref.Text(e.Analyzer(), text)
						if aerr != nil {
							t.Fatal(aerr)
						}
						want, what = ref.Similar(v, q), fmt.Sprintf("op %d text %+v", op, q)
					case 1:
						hist := []string{live[c.R.IntN(len(live))], live[c.R.IntN(len(live))], "not-there"}
						neg := []string{}
						if c.R.IntN(2) == 0 {
							neg = append(neg, live[c.R.IntN(len(live))], "not-there-either")
						}
						strategy := []recommend.Strategy{recommend.Centroid, recommend.MaxSim}[c.R.IntN(2)]
						var rec recommend.Recommendation
						rec, err = e.Recommend(ctx, recommend.Profile{History: hist, Negative: neg, Strategy: strategy}, q)
						res = rec.Result
						var missing []string
						want, missing = ref.Recommend(hist, neg, strategy, q)
						what = fmt.Sprintf("op %d recommend %s %v not %v %+v", op, strategy, hist, neg, q)
						if err == nil && !slices.Equal(rec.Missing, missing) {
							t.Fatalf("%s: missing %v, want %v", what, rec.Missing, missing)
						}
					default:
						id := live[c.R.IntN(len(live))]
						res, err = e.Similar(ctx, id, q)
						want, what = ref.SimilarID(id, q), fmt.Sprintf("op %d similar %s %+v", op, id, q)
					}
					if err != nil {
						t.Fatalf("%s: %v", what, err)
					}
					if res.Generation != gen {
						t.Fatalf("%s: generation %d, want %d", what, res.Generation, gen)
					}
					recommendtest.CheckNeighbors(t, what, res.Neighbors, want, true)
					checkExplained(t, what, res.Neighbors, q.Explain)
				}
			}
			if queries < ops/4 {
				t.Fatalf("only %d queries checked", queries)
			}
			t.Logf("%d queries; stats %+v", queries, e.Stats())
			if st := e.Stats(); st.Articles != len(liveIDs(t, ms)) {
				t.Errorf("Stats().Articles = %d, want %d", st.Articles, len(liveIDs(t, ms)))
			}
		})
	}
}

// modelOptions alternates the zero value (the default tf) with the other
// tf, so both weightings are checked against the reference.
func modelOptions(seed uint64) (o vectorize.ModelOptions) {
	if seed%2 == 1 {
		o.TF = vectorize.TFRaw
		if vectorize.DefaultTF == vectorize.TFRaw {
			o.TF = vectorize.TFSublinear
		}
	}
	return o
}

// checkFromScratch checks that the current generation's idf table is the
// one a fit from scratch on the stored collection gives.
func checkFromScratch(t *testing.T, s recommend.Store) {
	t.Helper()
	g, err := s.Generation(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := recommendtest.Recount(t, s)
	if g.N != want.N || !maps.Equal(g.DF, want.DF) {
		t.Fatalf("generation %d: N %d, %d terms; from scratch N %d, %d terms", g.Number, g.N, len(g.DF), want.N, len(want.DF))
	}
}

func TestQueryValidation(t *testing.T) {
	ctx := context.Background()
	e, err := recommend.Open(ctx, recommend.NewMemoryStore(), recommend.Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	mustWrite(t)(e.Create(ctx, recommend.Article{ID: "a", Body: "some text here"}))
	tests := []struct {
		q     recommend.Query
		field string
	}{
		{recommend.Query{K: -1}, "k"},
		{recommend.Query{K: 101}, "k"},
		{recommend.Query{MinScore: 1.5}, "min_score"},
		{recommend.Query{MinScore: math.NaN()}, "min_score"},
		{recommend.Query{From: time.Now(), To: time.Now().Add(-time.Hour)}, "to"},
	}
	for _, tt := range tests {
		_, err := e.Similar(ctx, "a", tt.q)
		var fe *recommend.FieldError
		if !errors.As(err, &fe) || fe.Field != tt.field {
			t.Errorf("query %+v: got %v, want a FieldError on %s", tt.q, err, tt.field)
		}
	}
	if _, err := e.Similar(ctx, "nope", recommend.Query{}); !errors.Is(err, recommend.ErrNotFound) {
		t.Errorf("unknown id: got %v, want ErrNotFound", err)
	}
	for _, tt := range []struct {
		text  recommend.Text
		field string
	}{
		{recommend.Text{Body: "x", Lang: "de"}, "lang"},
		{recommend.Text{Body: "bad\xff"}, "body"},
		{recommend.Text{Title: "bad\xff", Body: "x"}, "title"},
	} {
		_, err := e.SimilarText(ctx, tt.text, recommend.Query{})
		var fe *recommend.FieldError
		if !errors.As(err, &fe) || fe.Field != tt.field {
			t.Errorf("text %+v: got %v, want a FieldError on %s", tt.text, err, tt.field)
		}
	}
}

// countingStore counts the Commits that reach it.
type countingStore struct {
	*recommend.MemoryStore
	commits atomic.Int64
}

func (s *countingStore) Commit(ctx context.Context, w recommend.Write) error {
	s.commits.Add(1)
	return s.MemoryStore.Commit(ctx, w)
}

// TestWriteOutcomes checks what a write reports for each article: bad
// ones refused with the field at fault while the good ones are written,
// created and replaced told apart, Create refusing an existing id, Delete
// refusing an unknown one.
func TestWriteOutcomes(t *testing.T) {
	ctx := context.Background()
	cs := &countingStore{MemoryStore: recommend.NewMemoryStore()}
	e, err := recommend.Open(ctx, cs, recommend.Options{MaxBodyBytes: 100}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	good := recommend.Article{ID: "ok", Body: "fine text"}
	tests := []struct {
		a     recommend.Article
		field string
	}{
		{recommend.Article{Body: "x"}, "id"},
		{recommend.Article{ID: strings.Repeat("x", 257), Body: "x"}, "id"},
		{recommend.Article{ID: "tab\there", Body: "x"}, "id"},
		{recommend.Article{ID: "bad\xff", Body: "x"}, "id"},
		{recommend.Article{ID: "a"}, "body"},
		{recommend.Article{ID: "a", Body: "   \n "}, "body"},
		{recommend.Article{ID: "a", Body: strings.Repeat("word ", 30)}, "body"},
		{recommend.Article{ID: "a", Body: "x", Title: "bad\xc3"}, "title"},
		{recommend.Article{ID: "a", Body: "x", URL: "not a url"}, "url"},
		{recommend.Article{ID: "a", Body: "x", URL: "ftp://example.com/x"}, "url"},
		{recommend.Article{ID: "a", Body: "x", Lang: "de"}, "lang"},
		{recommend.Article{ID: "a", Body: "x", Category: "bad\x00"}, "category"},
		{good, "id"}, // repeats article 0 of the write
	}
	for _, tt := range tests {
		rs, err := e.Upsert(ctx, good, tt.a)
		if err != nil {
			t.Fatal(err)
		}
		var fe *recommend.FieldError
		if rs[1].Outcome != recommend.Refused || !errors.As(rs[1].Err, &fe) || fe.Field != tt.field {
			t.Errorf("article %+v: got %v %v, want refused with a FieldError on %s", tt.a, rs[1].Outcome, rs[1].Err, tt.field)
		}
		if rs[0].Outcome != recommend.Created && rs[0].Outcome != recommend.Replaced {
			t.Errorf("the good article beside %+v: %v %v", tt.a, rs[0].Outcome, rs[0].Err)
		}
	}
	before := cs.commits.Load()
	if rs, err := e.Upsert(ctx, recommend.Article{ID: "x"}); err != nil || rs.Written() != 0 || rs.Err() == nil {
		t.Errorf("a write of one bad article: %v, %v", rs, err)
	}
	if cs.commits.Load() != before {
		t.Error("a write of bad articles only reached the store")
	}
	rs, err := e.Create(ctx, good, recommend.Article{ID: "new", Body: "new text"})
	if err != nil {
		t.Fatal(err)
	}
	if rs[0].Outcome != recommend.Refused || !errors.Is(rs[0].Err, recommend.ErrExists) || rs[1].Outcome != recommend.Created {
		t.Errorf("Create of an existing and a new id: %+v", rs)
	}
	if !e.Has("new") || e.Has("nope") {
		t.Error("Has disagrees with the writes")
	}
	rs, err = e.Delete(ctx, "missing", "new", "new")
	if err != nil {
		t.Fatal(err)
	}
	if rs[0].Outcome != recommend.Refused || !errors.Is(rs[0].Err, recommend.ErrNotFound) ||
		rs[1].Outcome != recommend.Deleted || rs[2].Outcome != recommend.Refused {
		t.Errorf("Delete of a missing, an existing and a repeated id: %+v", rs)
	}
	if e.Has("new") {
		t.Error("a deleted article is still there")
	}
}

// slowScan is a store whose Scan takes a while, so that a refit (which
// scans the store) runs long enough for writes to overlap it.
type slowScan struct {
	*recommend.MemoryStore
	delay time.Duration
}

func (s *slowScan) Scan(ctx context.Context, bodies bool, fn func(*recommend.Article, vectorize.Counts) error) error {
	return s.MemoryStore.Scan(ctx, bodies, func(a *recommend.Article, c vectorize.Counts) error {
		time.Sleep(s.delay)
		return fn(a, c)
	})
}

// TestRefitOverlappingWrites refits again and again while writers add,
// replace and delete articles, then checks that no write was lost or
// applied twice (the index holds exactly the stored articles) and that
// every answer equals the reference's under the last generation.
func TestRefitOverlappingWrites(t *testing.T) {
	ctx := context.Background()
	s := &slowScan{MemoryStore: recommend.NewMemoryStore(), delay: 20 * time.Microsecond}
	opts := recommend.Options{RefitShare: -1}
	e, err := recommend.Open(ctx, s, opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	c := recommendtest.NewCorpus(11, 400)
	mustWrite(t)(e.Create(ctx, c.Articles(300)...))
	var mu sync.Mutex // guards c
	var writes atomic.Int64
	// Creates stop at maxCreated: a collection growing as fast as the
	// writers go would make each refit slower than the last.
	var created atomic.Int64
	const maxCreated = 600
	stop := make(chan struct{})
	errs := make(chan error, 3)
	var wg sync.WaitGroup
	for w := range 3 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				mu.Lock()
				var write func() (recommend.WriteResults, error)
				switch (i + w) % 3 {
				case 0:
					if created.Add(1) > maxCreated {
						id := fmt.Sprintf("doc-%04d", 1+c.R.IntN(300))
						write = func() (recommend.WriteResults, error) { return e.Delete(ctx, id) }
						break
					}
					a := c.NewArticle()
					write = func() (recommend.WriteResults, error) { return e.Create(ctx, a) }
				case 1:
					a := c.Article(fmt.Sprintf("doc-%04d", 1+c.R.IntN(300)))
					write = func() (recommend.WriteResults, error) { return e.Upsert(ctx, a) }
				default:
					id := fmt.Sprintf("doc-%04d", 1+c.R.IntN(300))
					write = func() (recommend.WriteResults, error) { return e.Delete(ctx, id) }
				}
				mu.Unlock()
				rs, err := write()
				if err == nil && rs[0].Outcome == recommend.Refused && !errors.Is(rs[0].Err, recommend.ErrNotFound) {
					err = rs[0].Err
				}
				if err != nil {
					errs <- err
					return
				}
				writes.Add(1)
				time.Sleep(100 * time.Microsecond)
			}
		})
	}
	refits, overlapped := 0, 0
	for range 3 {
		before := writes.Load()
		if _, err := e.Refit(ctx); err != nil {
			t.Fatal(err)
		}
		refits++
		if writes.Load() > before {
			overlapped++
		}
	}
	if overlapped == 0 {
		t.Fatal("no write overlapped a refit")
	}
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	// The last refit's writes were replayed; checking against the store's
	// generation needs the collection quiet, which it now is.
	live := liveIDs(t, s)
	if st := e.Stats(); st.Articles != len(live) || st.Generation != uint64(1+refits) {
		t.Fatalf("after the refits: %d articles in the index, %d stored; generation %d, want %d", st.Articles, len(live), st.Generation, 1+refits)
	}
	ref := reference(t, s, opts)
	for _, id := range live {
		if !e.Has(id) {
			t.Fatalf("stored article %s is not in the index", id)
		}
		res, err := e.Similar(ctx, id, recommend.Query{K: 8})
		if err != nil {
			t.Fatal(err)
		}
		recommendtest.CheckNeighbors(t, "similar "+id, res.Neighbors, ref.SimilarID(id, recommend.Query{K: 8}), true)
	}
}

// TestAutomaticRefit checks that writes past the refit share start a refit
// by themselves, and that its generation is a fit from scratch.
func TestAutomaticRefit(t *testing.T) {
	ctx := context.Background()
	ms := recommend.NewMemoryStore()
	opts := recommend.Options{RefitShare: 0.25}
	e, err := recommend.Open(ctx, ms, opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	c := recommendtest.NewCorpus(12, 300)
	mustWrite(t)(e.Create(ctx, c.Articles(100)...))
	waitRefits := func(n uint64) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for e.Stats().Refits < n || e.Stats().Refitting {
			if time.Now().After(deadline) {
				t.Fatalf("no automatic refit: %+v", e.Stats())
			}
			time.Sleep(time.Millisecond)
		}
	}
	waitRefits(1) // 100 new articles on a generation fitted on none
	st := e.Stats()
	if st.FittedArticles != 100 {
		t.Fatalf("after the first automatic refit: %+v", st)
	}
	// 20 of 100 changed: below the share, no refit.
	mustWrite(t)(e.Create(ctx, c.Articles(20)...))
	time.Sleep(20 * time.Millisecond)
	if got := e.Stats().Refits; got != 1 {
		t.Fatalf("%d refits after a change below the share, want 1", got)
	}
	mustWrite(t)(e.Create(ctx, c.Articles(10)...)) // 30 of 100: past it
	waitRefits(2)
	checkFromScratch(t, ms)
	ref := reference(t, ms, opts)
	for _, id := range liveIDs(t, ms)[:40] {
		res, err := e.Similar(ctx, id, recommend.Query{})
		if err != nil {
			t.Fatal(err)
		}
		recommendtest.CheckNeighbors(t, "similar "+id, res.Neighbors, ref.SimilarID(id, recommend.Query{}), true)
	}
}

// checkExplained checks that explanations are there when asked for, list
// shared terms largest first as words, and add up to the score.
func checkExplained(t *testing.T, what string, ns []recommend.Neighbor, explain bool) {
	t.Helper()
	for _, n := range ns {
		x := n.Explanation
		if (x != nil) != explain {
			t.Fatalf("%s: %s has explanation %v, want one: %v", what, n.ID, x, explain)
		}
		if x == nil {
			continue
		}
		sum := x.Other
		for i, ts := range x.Terms {
			if ts.Word == "" || ts.Term == "" || ts.Contribution <= 0 || (i > 0 && ts.Contribution > x.Terms[i-1].Contribution) {
				t.Fatalf("%s: %s: bad term %d of %+v", what, n.ID, i, x)
			}
			sum += ts.Contribution
		}
		if math.Abs(sum-n.Score) > 1e-9 {
			t.Fatalf("%s: %s: explanation adds up to %.12f, score %.12f", what, n.ID, sum, n.Score)
		}
	}
}
