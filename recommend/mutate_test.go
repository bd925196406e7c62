package recommend_test

import (
	"context"
	"fmt"
	"github.com/readalike/readalike/recommend"
	"github.com/readalike/readalike/recommend/recommendtest"
	"testing"
)

// TestPruningIsExercised runs queries on a corpus with enough articles that
// the bound stops admission, and checks that answers still equal the
// reference's — the check that would catch an unsound bound.
func TestPruningIsExercised(t *testing.T) {
	ctx := context.Background()
	c := recommendtest.NewCorpus(99, 2000)
	ms := recommend.NewMemoryStore()
	e, err := recommend.Open(ctx, ms, recommend.Options{RefitShare: -1}, nil)
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
	for i := 0; i < 300; i++ {
		id := batch[c.R.IntN(len(batch))].ID
		q := recommend.Query{K: 1 + c.R.IntN(20), NoDedup: i%2 == 0}
		res, err := e.Similar(ctx, id, q)
		if err != nil {
			t.Fatal(err)
		}
		recommendtest.CheckNeighbors(t, fmt.Sprintf("similar %s %+v", id, q), res.Neighbors, ref.SimilarID(id, q), false)
	}
	st := e.Stats()
	if st.PostingsSkipped == 0 {
		t.Fatalf("no postings skipped: %+v", st)
	}
	t.Logf("skipped %.1f%% of postings, %d exact scores for %d queries",
		100*float64(st.PostingsSkipped)/float64(st.PostingsSkipped+st.PostingsScanned), st.ExactScores, st.Queries)
}
