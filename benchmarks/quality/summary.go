package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/readalike/readalike/benchmarks/relevance"
)

// baselines are the textbook figures of ../shared/data/README.md for its
// corpora: precision@5 of scikit-learn's TfidfVectorizer(sublinear_tf=True),
// its default tokenizer, no stemming, no stop words, title and body, exact
// cosine, top 5 without the article itself.
var baselines = map[string]float64{
	"bbc_news":                 0.932,
	"20newsgroups_bydate_test": 0.791,
	"agnews_test":              0.789,
	"medabs_test":              0.476,
	"sib200_en":                0.482,
	"sib200_es":                0.462,
	"sib200_fr":                0.479,
	"sib200_hu":                0.384,
	"sib200_nb":                0.405,
	"sib200_ru":                0.402,
	"sib200_sv":                0.420,
}

// sharedFiles returns the labelled corpora of ../shared/data, found beside
// the repository: the directory holding go.mod is searched for upwards
// from the working directory.
func sharedFiles() ([]string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return nil, err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return nil, fmt.Errorf("no go.mod above the working directory: give the corpora as arguments")
		}
		dir = parent
	}
	files, err := filepath.Glob(filepath.Join(dir, "..", "shared", "data", "*.jsonl"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no corpora in %s: give them as arguments", filepath.Join(dir, "..", "shared", "data"))
	}
	return files, nil
}

// printSummary prints, for each setting of rs, the mean over corpora of
// each figure, beside the textbook baselines where every corpus has one,
// and the mean of P@5 per language.
func printSummary(w io.Writer, rs []relevance.Result) {
	var order []string
	groups := map[string][]relevance.Result{}
	for _, r := range rs {
		key := r.Settings.String()
		if _, ok := groups[key]; !ok {
			order = append(order, key)
		}
		groups[key] = append(groups[key], r)
	}
	for _, key := range order {
		g := groups[key]
		fmt.Fprintf(w, "\nmean over %d corpora, %s\n", len(g), key)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		var p5, macro, ap, base float64
		withBase := 0
		for _, r := range g {
			p5 += r.P5
			macro += r.P5Macro
			ap += r.MAP5
			if b, ok := baselines[r.Corpus]; ok {
				base += b
				withBase++
			}
		}
		n := float64(len(g))
		fmt.Fprintf(tw, "P@5\tP@5 per cat\tMAP@5\ttextbook P@5\tdifference\t\n")
		if withBase == len(g) {
			fmt.Fprintf(tw, "%.4f\t%.4f\t%.4f\t%.4f\t%+.4f\t\n", p5/n, macro/n, ap/n, base/n, (p5-base)/n)
		} else {
			fmt.Fprintf(tw, "%.4f\t%.4f\t%.4f\t-\t-\t\n", p5/n, macro/n, ap/n)
		}
		tw.Flush()
		byLang := map[string][]float64{}
		for _, r := range g {
			byLang[r.Lang] = append(byLang[r.Lang], r.P5)
		}
		langs := make([]string, 0, len(byLang))
		for l := range byLang {
			langs = append(langs, l)
		}
		slices.Sort(langs)
		var cells []string
		for _, l := range langs {
			var s float64
			for _, x := range byLang[l] {
				s += x
			}
			cells = append(cells, fmt.Sprintf("%s %.4f (%d)", l, s/float64(len(byLang[l])), len(byLang[l])))
		}
		fmt.Fprintf(w, "P@5 by language (corpora): %s\n", strings.Join(cells, "  "))
	}
}

// printExactTable prints the rows of the brute-force scorer, which has no
// figures without dedup and no timings but the whole.
func printExactTable(w io.Writer, rs []relevance.Result, categories bool) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "corpus\tarticles\tP@5\ttextbook\tP@5 per cat\tMAP@5\t<5 nbrs\tdup≥.9999\town twin\tstory twice\twall\t settings")
	for _, r := range rs {
		fmt.Fprintf(tw, "%s\t%d\t%.4f\t%s\t%.4f\t%.4f\t%.4f\t%d\t%d\t%d\t%s\t %v\n",
			r.Corpus, r.Articles, r.P5, baseline(r.Corpus), r.P5Macro, r.MAP5, r.Short,
			r.Exact, r.TwinShown, r.TwiceShown, secs(r.Wall), r.Settings)
	}
	tw.Flush()
	if categories {
		printCategories(w, rs)
	}
}
