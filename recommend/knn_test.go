package recommend_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/readalike/readalike/recommend"
	"github.com/readalike/readalike/recommend/recommendtest"
)

// TestBatchMatchesReference checks that Batch answers, for every article,
// what the brute-force reference does, pruned and exhaustive, with and
// without filters.
func TestBatchMatchesReference(t *testing.T) {
	ctx := context.Background()
	c := recommendtest.NewCorpus(5, 1500)
	ms := recommend.NewMemoryStore()
	e, err := recommend.Open(ctx, ms, recommend.Options{RefitShare: -1, Dedup: 0.7}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	var batch []recommend.Article
	for range 600 {
		a := c.NewArticle()
		a.Body = c.Text(40 + c.R.IntN(150))
		batch = append(batch, a)
	}
	mustWrite(t)(e.Create(ctx, batch...))
	if _, err := e.Refit(ctx); err != nil {
		t.Fatal(err)
	}
	// Tombstones and articles added after the fit are part of the game.
	mustWrite(t)(e.Delete(ctx, batch[3].ID, batch[10].ID))
	mustWrite(t)(e.Upsert(ctx, c.NewArticle(), c.Article(batch[20].ID)))
	ref := reference(t, ms, recommend.Options{Dedup: 0.7})
	queries := []recommend.Query{
		{},
		{K: 12, NoDedup: true},
		{K: 3, Categories: []string{"sport", "tech"}, MinScore: 0.05},
	}
	for _, q := range queries {
		for _, exhaustive := range []bool{false, true} {
			t.Run(fmt.Sprintf("%+v/exhaustive=%v", q, exhaustive), func(t *testing.T) {
				var ids []string
				st, err := e.Batch(ctx, recommend.BatchOptions{Query: q, Threads: 3, Exhaustive: exhaustive}, func(id string, ms []recommend.Neighbor) error {
					ids = append(ids, id)
					recommendtest.CheckNeighbors(t, "batch "+id, ms, ref.SimilarID(id, q), false)
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
				want := liveIDs(t, ms)
				slices.Sort(ids)
				if !slices.Equal(ids, want) || st.Articles != len(want) {
					t.Fatalf("emitted %d articles (stats %d), want %d", len(ids), st.Articles, len(want))
				}
				if exhaustive && st.Skipped != 0 {
					t.Errorf("exhaustive run skipped %d postings", st.Skipped)
				}
				t.Logf("%+v", st)
			})
		}
	}
}

func TestBatchStopsOnError(t *testing.T) {
	ctx := context.Background()
	c := recommendtest.NewCorpus(6, 200)
	e, err := recommend.Open(ctx, recommend.NewMemoryStore(), recommend.Options{RefitShare: -1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	var batch []recommend.Article
	for range 300 {
		batch = append(batch, c.NewArticle())
	}
	mustWrite(t)(e.Create(ctx, batch...))
	n := 0
	boom := fmt.Errorf("disk full")
	_, err = e.Batch(ctx, recommend.BatchOptions{}, func(string, []recommend.Neighbor) error {
		if n++; n == 70 {
			return boom
		}
		return nil
	})
	if err == nil || !errors.Is(err, boom) {
		t.Fatalf("got %v, want the emit error", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := e.Batch(cctx, recommend.BatchOptions{}, func(string, []recommend.Neighbor) error { return nil }); err == nil {
		t.Fatal("a cancelled batch returned no error")
	}
}
