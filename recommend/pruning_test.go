package recommend_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/readalike/readalike/recommend"
	"github.com/readalike/readalike/recommend/recommendtest"
)

// TestPruningIsExercised runs queries on a corpus with enough articles that
// the bound stops admission, and checks that answers still equal the
// reference's — the check that would catch an unsound bound.
func TestPruningIsExercised(t *testing.T) {
	ctx := context.Background()
	c := recommendtest.NewCorpus(99, 2000)
	ms := recommend.NewMemoryStore()
	e, err := recommend.Open(ctx, ms, recommend.Options{RefitShare: -1, KeepNeighbors: -1}, nil) // every query searches
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	batch := make([]recommend.Article, 1500)
	for i := range batch {
		batch[i] = c.NewArticle()
		batch[i].Body = c.Text(80 + c.R.IntN(200))
	}
	mustWrite(t)(e.Create(ctx, batch...))
	if _, err := e.Refit(ctx); err != nil {
		t.Fatal(err)
	}
	ref := reference(t, ms, recommend.Options{})
	// Unfiltered, by text and filtered (categories, dates, excluded ids,
	// minimum scores): each kind must skip postings, and answer exactly.
	kinds := []struct {
		name  string
		query func(i int) recommend.Query
		text  bool
	}{
		{"unfiltered", func(i int) recommend.Query { return recommend.Query{K: 1 + c.R.IntN(20), NoDedup: i%2 == 0} }, false},
		{"text", func(i int) recommend.Query { return recommend.Query{K: 1 + c.R.IntN(20)} }, true},
		{"filtered", func(i int) recommend.Query {
			q := c.Query(liveIDs(t, ms))
			q.Categories = []string{recommendtest.Categories[i%len(recommendtest.Categories)]}
			return q
		}, false},
	}
	for _, kind := range kinds {
		before := e.Stats()
		for i := range 150 {
			q := kind.query(i)
			var res recommend.Result
			var want []recommend.Neighbor
			if kind.text {
				text := recommend.Text{Body: c.Text(150)}
				res, err = e.SimilarText(ctx, text, q)
				v, verr := ref.Text(e.Analyzer(), text)
				if verr != nil {
					t.Fatal(verr)
				}
				want = ref.Similar(v, q)
			} else {
				id := batch[c.R.IntN(len(batch))].ID
				res, err = e.Similar(ctx, id, q)
				want = ref.SimilarID(id, q)
			}
			if err != nil {
				t.Fatal(err)
			}
			recommendtest.CheckNeighbors(t, fmt.Sprintf("%s %d %+v", kind.name, i, q), res.Neighbors, want, false)
		}
		st := e.Stats()
		skipped, scanned := st.PostingsSkipped-before.PostingsSkipped, st.PostingsScanned-before.PostingsScanned
		if skipped == 0 {
			t.Errorf("%s queries skipped no postings (%d read)", kind.name, scanned)
		}
		t.Logf("%s: skipped %.1f%% of postings, %d exact scores for %d queries", kind.name,
			100*float64(skipped)/float64(skipped+scanned), st.ExactScores-before.ExactScores, st.Queries-before.Queries)
	}
}
