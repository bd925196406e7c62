package benchmarks

import (
	"context"
	"math"
	"testing"

	"github.com/readalike/readalike/benchmarks/relevance"
)

// qualityFloors are the floors of precision@5 with the engine's defaults on
// each corpus of ../shared/data: what the defaults gave when they were
// chosen (README.md, Relevance) less a margin of about 0.005, so a change
// that costs relevance fails here while a harmless reordering of ties does
// not. heavy marks the corpora left out in -short mode.
var qualityFloors = []struct {
	file  string
	floor float64
	heavy bool
}{
	{"bbc_news.jsonl", 0.928, false},
	{"20newsgroups_bydate_test.jsonl", 0.807, true},
	{"agnews_test.jsonl", 0.786, true},
	{"medabs_test.jsonl", 0.479, false},
	{"sib200_en.jsonl", 0.532, false},
	{"sib200_es.jsonl", 0.494, false},
	{"sib200_fr.jsonl", 0.517, false},
	{"sib200_hu.jsonl", 0.514, false},
	{"sib200_nb.jsonl", 0.489, false},
	{"sib200_ru.jsonl", 0.539, false},
	{"sib200_sv.jsonl", 0.504, false},
}

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

// TestQuality runs the relevance benchmark on every shared corpus with the
// defaults, through the engine (a few seconds each, 20 Newsgroups and AG
// News left out in -short mode): precision@5 must stay at its measured
// level, and no article may be offered an exact duplicate of itself.
func TestQuality(t *testing.T) {
	for _, q := range qualityFloors {
		t.Run(q.file, func(t *testing.T) {
			if q.heavy && testing.Short() {
				t.Skipf("%s quality run skipped in -short mode", q.file)
			}
			c := sharedCorpus(t, q.file)
			r, err := relevance.Run(context.Background(), c, relevance.Defaults())
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: P@5 %.4f, per category %.4f, MAP@5 %.4f, %v", r.Corpus, r.P5, r.P5Macro, r.MAP5, r.Settings)
			if r.P5 < q.floor {
				t.Errorf("precision@5 = %.4f, want at least %.3f", r.P5, q.floor)
			}
			if r.TwinShown != 0 || r.Exact != 0 {
				t.Errorf("with the default dedup, %d articles are offered their exact twin and %d a neighbour scoring at least %g, want 0 and 0",
					r.TwinShown, r.Exact, relevance.ExactScore)
			}
			if r.TwiceShown > 0 {
				t.Errorf("%d lists offer two copies of one story, want none", r.TwiceShown)
			}
		})
	}
}

// TestQualityBBC checks what the BBC corpus alone can show: it has 98
// pairs of the same story under two ids, and no article may be offered its
// own twin.
func TestQualityBBC(t *testing.T) {
	c := sharedCorpus(t, "bbc_news.jsonl")
	r, err := relevance.Run(context.Background(), c, relevance.Defaults())
	if err != nil {
		t.Fatal(err)
	}
	if r.Short != 0 {
		t.Errorf("%.4f of articles have fewer than %d neighbours, want none", r.Short, relevance.K)
	}
	// The test must see the twins for the next check to mean anything.
	if got, want := r.NoDedup.TwinShown, c.Twins(); got != want {
		t.Errorf("with dedup off, %d articles are offered their twin, want all %d that have one", got, want)
	}
	if r.TwinShown != 0 {
		t.Errorf("with the default dedup, %d articles are offered their exact twin, want 0", r.TwinShown)
	}
	t.Run("no story twice", func(t *testing.T) {
		if r.TwiceShown > 0 {
			t.Errorf("%d lists offer two copies of one story, want none", r.TwiceShown)
		}
	})
}

// TestExactScorerIsTheEngine checks the brute-force scorer (quality -exact
// and -loo) against the engine on corpora in three languages, with the
// defaults and with other settings: the figures must be equal, as both
// rank the same vectors exactly and break ties by id.
func TestExactScorerIsTheEngine(t *testing.T) {
	other := relevance.Defaults()
	other.TitleWeight, other.ShortBody, other.MinDF, other.Grams = 1, 0, 2, -1
	for _, file := range []string{"bbc_news.jsonl", "sib200_fr.jsonl", "sib200_nb.jsonl"} {
		c := sharedCorpus(t, file)
		settings := []relevance.Settings{relevance.Defaults(), other}
		if testing.Short() || file == "bbc_news.jsonl" {
			settings = settings[1:] // TestQuality runs BBC with the defaults
		}
		for _, s := range settings {
			engine, err := relevance.Run(context.Background(), c, s)
			if err != nil {
				t.Fatal(err)
			}
			err = relevance.RunExact(context.Background(), c, []relevance.Settings{s}, func(exact relevance.Result) error {
				// Equal lists give equal figures up to the order of the sums.
				if !near(exact.P5, engine.P5) || !near(exact.P5Macro, engine.P5Macro) || !near(exact.MAP5, engine.MAP5) || !near(exact.Short, engine.Short) {
					t.Errorf("%s, %v: brute force P@5 %.6f per cat %.6f MAP@5 %.6f short %.4f, engine %.6f %.6f %.6f %.4f",
						file, s, exact.P5, exact.P5Macro, exact.MAP5, exact.Short, engine.P5, engine.P5Macro, engine.MAP5, engine.Short)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
	}
}

// near reports whether two figures agree but for rounding.
func near(a, b float64) bool { return math.Abs(a-b) < 1e-12 }
