package recommend_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/readalike/readalike/recommend"
	"github.com/readalike/readalike/recommend/recommendtest"
)

// clustered opens an engine holding a cluster of n copies of one story
// (each with a word of its own, so they differ a little) among other
// articles, and returns it with a text near the story.
func clustered(t testing.TB, n int) (*recommend.Engine, recommend.Store, recommend.Text) {
	t.Helper()
	ctx := context.Background()
	ms := recommend.NewMemoryStore()
	e, err := recommend.Open(ctx, ms, recommend.Options{RefitShare: -1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	c := recommendtest.NewCorpus(31, 2000)
	story := c.Text(120)
	arts := c.Articles(2000)
	for i := range n {
		arts = append(arts, recommend.Article{ID: fmt.Sprintf("copy-%04d", i), Title: "the story", Body: story + fmt.Sprintf(" unique%d", i)})
	}
	// Articles that share part of the story: neighbors beyond the cluster.
	for i := range 20 {
		arts = append(arts, recommend.Article{ID: fmt.Sprintf("near-%02d", i), Body: story[:len(story)/3] + " " + c.Text(60)})
	}
	for i := 0; i < len(arts); i += 500 {
		mustWrite(t)(e.Create(ctx, arts[i:min(i+500, len(arts))]...))
	}
	if _, err := e.Refit(ctx); err != nil {
		t.Fatal(err)
	}
	return e, ms, recommend.Text{Body: story[:len(story)/2] + " " + c.Text(40)}
}

// TestDedupWindow checks the near-duplicate rules against the reference on
// clusters smaller and larger than the window.
func TestDedupWindow(t *testing.T) {
	ctx := context.Background()
	for _, n := range []int{30, 3 * recommend.DedupWindow} {
		t.Run(fmt.Sprint("cluster of ", n), func(t *testing.T) {
			e, ms, text := clustered(t, n)
			ref := reference(t, ms, recommend.Options{})
			for _, q := range []recommend.Query{{}, {K: 10}, {NoDedup: true}} {
				res, err := e.Similar(ctx, "copy-0001", q)
				if err != nil {
					t.Fatal(err)
				}
				recommendtest.CheckNeighbors(t, fmt.Sprintf("similar copy-0001 %+v", q), res.Neighbors, ref.SimilarID("copy-0001", q), true)
				res, err = e.SimilarText(ctx, text, q)
				if err != nil {
					t.Fatal(err)
				}
				v, _ := ref.Text(e.Analyzer(), text)
				want := ref.Similar(v, q)
				recommendtest.CheckNeighbors(t, fmt.Sprintf("text %+v", q), res.Neighbors, want, true)
				t.Logf("%+v: %d neighbors of the text, %v", q, len(res.Neighbors), recommendtest.Brief(res.Neighbors))
			}
		})
	}
}

// BenchmarkDedupCluster measures a text query landing near a cluster of
// 1,000 copies of one story, with the near-duplicate rules and without.
//
//	go test ./recommend -run XXX -bench DedupCluster -benchmem
func BenchmarkDedupCluster(b *testing.B) {
	e, _, text := clustered(b, 1000)
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		q    recommend.Query
	}{{"dedup", recommend.Query{}}, {"nodedup", recommend.Query{NoDedup: true}}} {
		b.Run(tc.name+"/text", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := e.SimilarText(ctx, text, tc.q); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(tc.name+"/member", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := e.Similar(ctx, "copy-0500", tc.q); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
