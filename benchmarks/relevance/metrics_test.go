package relevance

import (
	"math"
	"testing"

	"github.com/readalike/readalike/recommend"
)

func TestMetricsByHand(t *testing.T) {
	c, err := NewCorpus("hand", []Article{
		{ID: "a1", Title: "one", Body: "x", Category: "a"},
		{ID: "a2", Title: "two", Body: "y", Category: "a"},
		{ID: "a3", Title: "two", Body: "y", Category: "a"}, // a2's twin
		{ID: "b1", Title: "four", Body: "z", Category: "b"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if c.Twins() != 2 {
		t.Fatalf("Twins() = %d, want 2", c.Twins())
	}
	lists := map[string][]recommend.Neighbor{
		// hits at 1 and 2 of R = 2: AP 1; a2 and a3 are one story twice.
		"a1": {{ID: "a2", Score: 0.5}, {ID: "a3", Score: 0.5}, {ID: "b1", Score: 0.1}},
		// its own twin first, an exact duplicate by score too: AP 1.
		"a2": {{ID: "a3", Score: 1}, {ID: "a1", Score: 0.5}},
		// a hit at 2 only: AP (1/2) / 2 = 0.25.
		"a3": {{ID: "b1", Score: 0.2}, {ID: "a1", Score: 0.1}},
		// alone in its category: no AP, precision 0.
		"b1": {{ID: "a1", Score: 0.1}},
	}
	s := newScorer(c)
	for _, a := range c.Articles {
		if err := s.add(a.ID, lists[a.ID]); err != nil {
			t.Fatal(err)
		}
	}
	m, err := s.metrics()
	if err != nil {
		t.Fatal(err)
	}
	floats := []struct {
		name      string
		got, want float64
	}{
		{"P5", m.P5, (0.4 + 0.4 + 0.2 + 0) / 4},
		{"P5 of a", m.ByCategory["a"], (0.4 + 0.4 + 0.2) / 3},
		{"P5 of b", m.ByCategory["b"], 0},
		{"P5Macro", m.P5Macro, (1.0/3 + 0) / 2},
		{"MAP5", m.MAP5, (1 + 1 + 0.25) / 3},
		{"Short", m.Short, 1},
	}
	for _, f := range floats {
		if math.Abs(f.got-f.want) > 1e-12 {
			t.Errorf("%s = %.15g, want %.15g", f.name, f.got, f.want)
		}
	}
	ints := []struct {
		name      string
		got, want int
	}{{"Exact", m.Exact, 1}, {"TwinShown", m.TwinShown, 1}, {"TwiceShown", m.TwiceShown, 1}}
	for _, f := range ints {
		if f.got != f.want {
			t.Errorf("%s = %d, want %d", f.name, f.got, f.want)
		}
	}
}

func TestMetricsFullList(t *testing.T) {
	// Five neighbours, hits at 1, 3 and 5, R = 5: AP = (1 + 2/3 + 3/5) / 5.
	arts := []Article{{ID: "q", Category: "a", Body: "q"}}
	for i, cat := range []string{"a", "b", "a", "b", "a", "a", "a"} {
		arts = append(arts, Article{ID: string(rune('c' + i)), Category: cat, Body: string(rune('c' + i))})
	}
	c, err := NewCorpus("full", arts)
	if err != nil {
		t.Fatal(err)
	}
	s := newScorer(c)
	if err := s.add("q", []recommend.Neighbor{{ID: "c"}, {ID: "d"}, {ID: "e"}, {ID: "f"}, {ID: "g"}}); err != nil {
		t.Fatal(err)
	}
	if got, want := s.ap, (1+2.0/3+3.0/5)/5; math.Abs(got-want) > 1e-12 {
		t.Errorf("AP@5 = %.15g, want %.15g", got, want)
	}
	if got, want := s.p5, 0.6; math.Abs(got-want) > 1e-12 {
		t.Errorf("P@5 = %g, want %g", got, want)
	}
}

func TestNewCorpusErrors(t *testing.T) {
	for _, arts := range [][]Article{
		{{ID: "a"}},
		{{Category: "x"}},
		{{ID: "a", Category: "x"}, {ID: "a", Category: "y"}},
	} {
		if _, err := NewCorpus("bad", arts); err == nil {
			t.Errorf("NewCorpus(%+v) gave no error", arts)
		}
	}
}
