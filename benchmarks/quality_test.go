package benchmarks

import (
	"context"
	"testing"

	"github.com/readalike/readalike/benchmarks/relevance"
)

// Floors of precision@5 with the engine's defaults: the figures measured
// when the defaults were chosen (README.md, Relevance: 0.9311 and
// 0.8122) less a margin of about 0.006, so a change that costs relevance
// fails here while a harmless reordering of ties does not.
const (
	minBBCP5  = 0.925
	min20NGP5 = 0.805
)

// sharedCorpus returns a corpus of ../shared/data for the relevance
// benchmark, skipping where the shared data is absent.
func sharedCorpus(tb testing.TB, name string) *relevance.Corpus {
	tb.Helper()
	var arts []relevance.Article
	for _, a := range loadShared(tb, name) {
		arts = append(arts, relevance.Article{ID: a.ID, Title: a.Title, Body: a.Body, Category: a.Category, Lang: a.Lang})
	}
	c, err := relevance.NewCorpus(name, arts)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// TestQualityBBC runs the relevance benchmark on BBC News with the
// defaults (a few seconds): precision@5 must stay at its measured level,
// and no article may be offered its own exact twin (the corpus has 98
// pairs of the same story under two ids).
func TestQualityBBC(t *testing.T) {
	c := sharedCorpus(t, "bbc_news.jsonl")
	r, err := relevance.Run(context.Background(), c, relevance.Defaults())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: P@5 %.4f, per category %.4f, MAP@5 %.4f, %v", r.Corpus, r.P5, r.P5Macro, r.MAP5, r.Settings)
	if r.P5 < minBBCP5 {
		t.Errorf("precision@5 = %.4f, want at least %.3f", r.P5, minBBCP5)
	}
	if r.Short != 0 {
		t.Errorf("%.4f of articles have fewer than %d neighbours, want none", r.Short, relevance.K)
	}
	// The test must see the twins for the next check to mean anything.
	if got, want := r.NoDedup.TwinShown, c.Twins(); got != want {
		t.Errorf("with dedup off, %d articles are offered their twin, want all %d that have one", got, want)
	}
	if r.TwinShown != 0 || r.Exact != 0 {
		t.Errorf("with the default dedup, %d articles are offered their exact twin and %d a neighbour scoring at least %g, want 0 and 0",
			r.TwinShown, r.Exact, relevance.ExactScore)
	}
	t.Run("no story twice", func(t *testing.T) {
		if r.TwiceShown > 0 {
			t.Errorf("%d lists offer two copies of one story, want none", r.TwiceShown)
		}
	})
}

// TestQuality20NG runs the relevance benchmark on the 20 Newsgroups test
// split with the defaults: a few seconds, half a minute on two busy cores.
func TestQuality20NG(t *testing.T) {
	if testing.Short() {
		t.Skip("20 Newsgroups quality run skipped in -short mode")
	}
	c := sharedCorpus(t, "20newsgroups_bydate_test.jsonl")
	r, err := relevance.Run(context.Background(), c, relevance.Defaults())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: P@5 %.4f, per category %.4f, MAP@5 %.4f, %v", r.Corpus, r.P5, r.P5Macro, r.MAP5, r.Settings)
	if r.P5 < min20NGP5 {
		t.Errorf("precision@5 = %.4f, want at least %.3f", r.P5, min20NGP5)
	}
	if r.TwinShown != 0 || r.Exact != 0 {
		t.Errorf("with the default dedup, %d articles are offered their exact twin and %d a neighbour scoring at least %g, want 0 and 0",
			r.TwinShown, r.Exact, relevance.ExactScore)
	}
}
