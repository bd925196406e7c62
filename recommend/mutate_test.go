package recommend

import (
	"context"
	"fmt"
	"testing"
)

// TestPruningIsExercised runs queries on a corpus with enough articles that
// the bound stops admission, and checks that answers still equal the
// reference's — the check that would catch an unsound bound.
func TestPruningIsExercised(t *testing.T) {
	ctx := context.Background()
	c := newCorpus(99, 2000)
	ms := newMemStore()
	e, err := Open(ctx, ms, Options{RefitShare: -1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	batch := make([]Article, 1500)
	for i := range batch {
		batch[i] = c.newArticle()
		batch[i].Body = c.text(80 + c.r.IntN(200))
	}
	if err := e.Add(ctx, batch...); err != nil {
		t.Fatal(err)
	}
	gen, err := e.Refit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ref := newReference(ms.generation(gen), defaultSublinear, ms)
	for i := 0; i < 300; i++ {
		id := batch[c.r.IntN(len(batch))].ID
		q := Query{K: 1 + c.r.IntN(20), NoDedup: i%2 == 0}
		res, err := e.Similar(ctx, id, q)
		if err != nil {
			t.Fatal(err)
		}
		checkMatches(t, fmt.Sprintf("similar %s %+v", id, q), res.Matches, ref.similar(ref.vecs[id], id, q, DefaultDedup))
	}
	st := e.Stats()
	if st.PostingsSkipped == 0 {
		t.Fatalf("no postings skipped: %+v", st)
	}
	t.Logf("skipped %.1f%% of postings, %d exact scores for %d queries",
		100*float64(st.PostingsSkipped)/float64(st.PostingsSkipped+st.PostingsScanned), st.ExactScores, st.Queries)
}
