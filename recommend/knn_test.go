package recommend

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
)

// TestBatchMatchesReference checks that Batch answers, for every article,
// what the brute-force reference does, pruned and exhaustive, with and
// without filters.
func TestBatchMatchesReference(t *testing.T) {
	ctx := context.Background()
	c := newCorpus(5, 1500)
	ms := newMemStore()
	e, err := Open(ctx, ms, Options{RefitShare: -1, Dedup: 0.7}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	var batch []Article
	for range 600 {
		a := c.newArticle()
		a.Body = c.text(40 + c.r.IntN(150))
		batch = append(batch, a)
	}
	if err := e.Add(ctx, batch...); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Refit(ctx); err != nil {
		t.Fatal(err)
	}
	// Tombstones and articles added after the fit are part of the game.
	if err := e.Delete(ctx, batch[3].ID, batch[10].ID); err != nil {
		t.Fatal(err)
	}
	if err := e.Upsert(ctx, c.newArticle(), c.article(batch[20].ID)); err != nil {
		t.Fatal(err)
	}
	ref := newReference(ms.generation(e.Stats().Generation), defaultSublinear, ms)
	queries := []Query{
		{},
		{K: 12, NoDedup: true},
		{K: 3, Categories: []string{"sport", "tech"}, MinScore: 0.05},
	}
	for _, q := range queries {
		for _, exhaustive := range []bool{false, true} {
			t.Run(fmt.Sprintf("%+v/exhaustive=%v", q, exhaustive), func(t *testing.T) {
				var ids []string
				st, err := e.Batch(ctx, BatchOptions{Query: q, Threads: 3, Exhaustive: exhaustive}, func(id string, ms []Match) error {
					ids = append(ids, id)
					checkMatches(t, "batch "+id, ms, ref.similar(ref.vecs[id], id, q, 0.7))
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
				want := liveIDs(ms)
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
	c := newCorpus(6, 200)
	e, err := Open(ctx, newMemStore(), Options{RefitShare: -1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	var batch []Article
	for range 300 {
		batch = append(batch, c.newArticle())
	}
	if err := e.Add(ctx, batch...); err != nil {
		t.Fatal(err)
	}
	n := 0
	boom := fmt.Errorf("disk full")
	_, err = e.Batch(ctx, BatchOptions{}, func(string, []Match) error {
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
	if _, err := e.Batch(cctx, BatchOptions{}, func(string, []Match) error { return nil }); err == nil {
		t.Fatal("a cancelled batch returned no error")
	}
}
