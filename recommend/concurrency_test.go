package recommend_test

import (
	"context"
	"testing"
	"time"

	"github.com/readalike/readalike/recommend"
	"github.com/readalike/readalike/recommend/recommendtest"
)

// TestWritesDoNotWaitForQueries holds a batch run (a query over the whole
// collection) in the middle of its work, and checks that writes are still
// applied and searchable meanwhile.
func TestWritesDoNotWaitForQueries(t *testing.T) {
	ctx := context.Background()
	ms := recommend.NewMemoryStore()
	e, err := recommend.Open(ctx, ms, recommend.Options{RefitShare: -1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	c := recommendtest.NewCorpus(21, 300)
	mustWrite(t)(e.Create(ctx, c.Articles(200)...))
	inside, release := make(chan struct{}), make(chan struct{})
	batched := make(chan error, 1)
	go func() {
		first := true
		_, err := e.Batch(ctx, recommend.BatchOptions{Threads: 1}, func(string, []recommend.Neighbor) error {
			if first {
				first = false
				close(inside)
				<-release
			}
			return nil
		})
		batched <- err
	}()
	<-inside
	added := c.NewArticle()
	wrote := make(chan error, 1)
	go func() { wrote <- writeErr(e.Create(ctx, added)) }()
	select {
	case err := <-wrote:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a write waited for a running batch")
	}
	if _, err := e.Similar(ctx, added.ID, recommend.Query{}); err != nil {
		t.Fatalf("the article written during the batch: %v", err)
	}
	close(release)
	if err := <-batched; err != nil {
		t.Fatal(err)
	}
}

// TestQueriesDoNotWaitForWriters holds the lock of the index's writer, as
// a write being applied does, and checks that every kind of query still
// answers.
func TestQueriesDoNotWaitForWriters(t *testing.T) {
	ctx := context.Background()
	e, err := recommend.Open(ctx, recommend.NewMemoryStore(), recommend.Options{RefitShare: -1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	c := recommendtest.NewCorpus(22, 300)
	arts := c.Articles(100)
	mustWrite(t)(e.Create(ctx, arts...))
	release := recommend.HoldWriter(e)
	defer release()
	done := make(chan error, 1)
	go func() {
		_, err := e.Similar(ctx, arts[0].ID, recommend.Query{Exclude: []string{arts[1].ID}})
		if err == nil {
			_, err = e.SimilarText(ctx, recommend.Text{Body: c.Text(30)}, recommend.Query{})
		}
		if err == nil {
			_, err = e.SimilarHistory(ctx, []string{arts[2].ID, arts[3].ID}, recommend.Query{})
		}
		if err == nil && !e.Has(arts[4].ID) {
			t.Error("Has: an article is missing")
		}
		_ = e.Stats()
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a query waited for the writer")
	}
}
