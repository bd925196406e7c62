package main

import (
	"fmt"
	"io"
	"slices"
	"text/tabwriter"

	"github.com/readalike/readalike/benchmarks/relevance"
	"github.com/readalike/readalike/vectorize"
)

// looTable holds precision@5 of every setting of a grid on every corpus.
type looTable struct {
	settings []relevance.Settings
	corpora  []string
	p5       [][]float64 // [setting][corpus]
}

// mean returns the mean P@5 of setting s over every corpus but skip (-1
// skips none).
func (t *looTable) mean(s, skip int) float64 {
	var sum float64
	n := 0
	for c, x := range t.p5[s] {
		if c != skip {
			sum += x
			n++
		}
	}
	return sum / float64(n)
}

// best returns the setting with the highest mean over every corpus but
// skip; ties go to the earlier setting.
func (t *looTable) best(skip int) int {
	b := 0
	for s := range t.settings {
		if t.mean(s, skip) > t.mean(b, skip) {
			b = s
		}
	}
	return b
}

// print writes the grid's macro means, then for each corpus left out the
// setting chosen on the others and what it gives the one left out, beside
// what the setting at index def (the defaults) gives it.
func (t *looTable) print(w io.Writer, def int) {
	fmt.Fprintf(w, "\ngrid: %d settings, mean P@5 over %d corpora\n", len(t.settings), len(t.corpora))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "macro P@5\t setting")
	for s := range t.settings {
		mark := ""
		if s == def {
			mark = "  (defaults)"
		}
		fmt.Fprintf(tw, "%.4f\t %v%s\n", t.mean(s, -1), t.settings[s], mark)
	}
	tw.Flush()
	fmt.Fprintf(w, "\nleave one corpus out: the setting with the best mean P@5 on the other %d, scored on the one left out\n", len(t.corpora)-1)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "left out\tdefaults P@5\tchosen P@5\tdifference\tbest P@5 on it\t chosen setting")
	var sumDef, sumLOO float64
	for c, name := range t.corpora {
		b := t.best(c)
		top := 0
		for s := range t.settings {
			if t.p5[s][c] > t.p5[top][c] {
				top = s
			}
		}
		sumDef += t.p5[def][c]
		sumLOO += t.p5[b][c]
		fmt.Fprintf(tw, "%s\t%.4f\t%.4f\t%+.4f\t%.4f\t %v\n", name, t.p5[def][c], t.p5[b][c], t.p5[b][c]-t.p5[def][c], t.p5[top][c], t.settings[b])
	}
	n := float64(len(t.corpora))
	fmt.Fprintf(tw, "mean\t%.4f\t%.4f\t%+.4f\t\t\n", sumDef/n, sumLOO/n, (sumLOO-sumDef)/n)
	tw.Flush()
}

// newLOOTable arranges results, given corpus by corpus with every setting
// in order, by setting and corpus.
func newLOOTable(settings []relevance.Settings, rs []relevance.Result) *looTable {
	t := &looTable{settings: settings, p5: make([][]float64, len(settings))}
	for i, r := range rs {
		if i%len(settings) == 0 {
			t.corpora = append(t.corpora, r.Corpus)
		}
		t.p5[i%len(settings)] = append(t.p5[i%len(settings)], r.P5)
	}
	return t
}

// looGrid returns the settings the leave-one-out mode chooses from: base
// first, then every combination of the knobs that moved some corpus (README,
// Relevance): title weight, the short-body rule, character n-grams and
// their weight, tf. (min_df 2 lost on the mean in every combination tried,
// and is left to -sweep.)
func looGrid(base relevance.Settings) []relevance.Settings {
	out := []relevance.Settings{base}
	for _, tf := range []vectorize.TF{vectorize.TFBM25, vectorize.TFSublinear} {
		for _, title := range []int{1, 2, 3, 4} {
			for _, short := range []int{0, 60} {
				if title == 1 && short > 0 {
					continue // the title counts once either way
				}
				for _, grams := range []int{0, -1} {
					for _, gw := range []float64{0.5, 0.7, 1} {
						if grams < 0 && gw != base.GramWeight {
							continue // no grams to weigh
						}
						s := base
						s.TF, s.TitleWeight, s.ShortBody, s.Grams, s.GramWeight = tf, title, short, grams, gw
						if !slices.Contains(out, s) {
							out = append(out, s)
						}
					}
				}
			}
		}
	}
	return out
}
