package relevance

import (
	"context"
	"fmt"
	"math"
	"testing"
)

// smallCorpus is two topics, a duplicate story and one article that
// shares no word with the rest.
func smallCorpus(t *testing.T) *Corpus {
	t.Helper()
	topics := map[string][]string{
		"space": {"rocket launch orbit", "moon landing crew", "satellite orbit launch", "astronaut crew station", "mars rover landing", "orbit station rocket"},
		"food":  {"bread flour oven", "cheese milk farm", "oven roast dinner", "flour pasta sauce", "farm milk butter", "sauce dinner recipe"},
	}
	var arts []Article
	for _, cat := range []string{"space", "food"} {
		for i, b := range topics[cat] {
			arts = append(arts, Article{ID: fmt.Sprintf("%s-%d", cat, i), Title: cat, Body: b, Category: cat})
		}
	}
	arts = append(arts,
		Article{ID: "space-twin", Title: "space", Body: topics["space"][0], Category: "space"},
		Article{ID: "alone", Body: "zebra xylophone", Category: "food"})
	c, err := NewCorpus("small", arts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestRunExactMatchesRun checks the brute-force scorer against the engine
// on a corpus small enough to need no shared data.
func TestRunExactMatchesRun(t *testing.T) {
	c := smallCorpus(t)
	other := Defaults()
	other.TitleWeight, other.Dedup = 1, Off
	for _, s := range []Settings{Defaults(), other} {
		engine, err := Run(context.Background(), c, s)
		if err != nil {
			t.Fatal(err)
		}
		err = RunExact(context.Background(), c, []Settings{s}, func(exact Result) error {
			if !near(exact.P5, engine.P5) || !near(exact.MAP5, engine.MAP5) || exact.Short != engine.Short || exact.TwinShown != engine.TwinShown {
				t.Errorf("%v: brute force %+v, engine %+v", s, exact.Metrics, engine.Metrics)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestProtoEngineRowIsTheEngine checks that the zero Proto weighs as the
// engine does, and that second-order vectors, whole (Gram matrix) or cut,
// give every article a list.
func TestProtoEngineRowIsTheEngine(t *testing.T) {
	c := smallCorpus(t)
	s := Defaults()
	var want Metrics
	if err := RunExact(context.Background(), c, []Settings{s}, func(r Result) error { want = r.Metrics; return nil }); err != nil {
		t.Fatal(err)
	}
	for _, p := range []Proto{{}, {Smooth: 3}, {Smooth: 3, Truncate: 4}} {
		sp, err := ProtoSpace(context.Background(), c, s, p)
		if err != nil {
			t.Fatal(err)
		}
		got, err := sp.Score(context.Background(), s.Dedup)
		if err != nil {
			t.Fatal(err)
		}
		if p == (Proto{}) && (!near(got.P5, want.P5) || !near(got.MAP5, want.MAP5)) {
			t.Errorf("zero Proto: P@5 %g MAP@5 %g, engine %g %g", got.P5, got.MAP5, want.P5, want.MAP5)
		}
		if got.P5 <= 0 || sp.NNZ <= 0 || sp.Work <= 0 {
			t.Errorf("%v: P@5 %g, %g terms a vector, work %g", p, got.P5, sp.NNZ, sp.Work)
		}
		if p.Truncate > 0 && sp.NNZ > float64(p.Truncate) {
			t.Errorf("%v: %g terms a vector, want at most %d", p, sp.NNZ, p.Truncate)
		}
	}
}

// near reports whether two figures agree but for the order of their sums.
func near(a, b float64) bool { return math.Abs(a-b) < 1e-12 }
