// Command quality is readalike's relevance benchmark. For each labelled
// JSONL corpus given (one object per line with id, title, body, category
// and optionally lang), or every corpus of ../shared/data when none is
// given, it loads the articles into a fresh store in a temporary directory,
// without their categories, fits the model, runs the batch path (every
// article's five nearest, Engine.Batch) and prints one row per corpus:
// precision@5 (the share of the five neighbours that carry the article's
// category) beside the corpus's textbook baseline, the same averaged per
// category, MAP@5, the share of articles with fewer than five neighbours,
// exact duplicates among the neighbours with the near-duplicate rule on and
// off, and the time it took; then the mean over the corpora and the mean
// per language.
//
//	go run ./benchmarks/quality                                  every shared corpus, the defaults
//	go run ./benchmarks/quality -tf raw -title-weight 1 FILE.jsonl   one setting
//	go run ./benchmarks/quality -exact FILE.jsonl                brute-force scorer, no store
//	go run ./benchmarks/quality -sweep -knobs title,stop FILE.jsonl  each knob in turn
//	go run ./benchmarks/quality -loo                             grid, then leave one corpus out
//	go run ./benchmarks/quality -proto second-order              what the engine cannot compute yet
//
// Every flag defaults to the engine's default, so with no flags the rows
// are what recommend.Options{} gives.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/readalike/readalike/benchmarks/relevance"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "quality:", err)
		os.Exit(1)
	}
}

// config is what the command line asks for.
type config struct {
	base     relevance.Settings
	files    []string
	json     bool
	sweep    bool
	knobs    []string
	category bool
	exact    bool // brute-force scorer instead of the engine
	loo      bool // grid on every corpus, then leave one corpus out
	proto    string
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	d := relevance.Defaults()
	var c config
	fs := flag.NewFlagSet("quality", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: go run ./benchmarks/quality [flags] FILE.jsonl...\n\nflags (defaults are the engine's):\n")
		fs.PrintDefaults()
	}
	fs.IntVar(&c.base.TitleWeight, "title-weight", d.TitleWeight, "each title term counts this many times")
	fs.IntVar(&c.base.ShortBody, "short-body", d.ShortBody, "a body of fewer words counts its title once (0: never)")
	fs.IntVar(&c.base.Grams, "grams", d.Grams, "character n-grams: 0 each language's default, -1 none, n for every language")
	fs.Float64Var(&c.base.GramWeight, "gram-weight", d.GramWeight, "an n-gram term's share of a word term's weight")
	tf := fs.String("tf", d.TF.String(), "term frequency: raw, sublinear (1 + ln tf) or bm25 (tf·(k1+1)/(tf+k1))")
	fs.Float64Var(&c.base.K1, "k1", d.K1, "with -tf bm25: the saturation k1")
	fs.StringVar(&c.base.Stop, "stop", d.Stop, "stop words removed: none, snowball or extended")
	fs.BoolVar(&c.base.Stemming, "stem", d.Stemming, "Snowball stemming")
	fs.IntVar(&c.base.MinLength, "min-length", d.MinLength, "terms shorter than this many runes are dropped (1 keeps all)")
	fs.IntVar(&c.base.MinDF, "min-df", d.MinDF, "terms in fewer articles are dropped (1 keeps all)")
	fs.Float64Var(&c.base.MaxDF, "max-df", d.MaxDF, "terms in more than this share of articles are dropped (1 keeps all)")
	dedup := fs.String("dedup", relevance.DedupString(d.Dedup), "near-duplicate threshold: neighbours scoring at least this are left out; off keeps them")
	fs.BoolVar(&c.json, "json", false, "print one JSON object per row instead of a table")
	fs.BoolVar(&c.sweep, "sweep", false, "vary each knob in turn around the settings of the flags, one row per (setting, corpus)")
	knobs := fs.String("knobs", strings.Join(knobNames(), ","), "with -sweep: the knobs to vary")
	fs.BoolVar(&c.category, "categories", false, "also print precision@5 of each category")
	fs.BoolVar(&c.exact, "exact", false, "score with the brute-force scorer (the engine's vectors, no store) instead of the engine: the same P@5, faster for grids")
	fs.StringVar(&c.proto, "proto", "", "compare a set of prototypes the engine cannot compute with its weighting, brute force: "+strings.Join(protoNames(), ", "))
	fs.BoolVar(&c.loo, "loo", false, "run the grid (loo.go) on every corpus with the brute-force scorer, then for each corpus pick the setting best on the others and report it on the one left out")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	var err error
	if c.base.TF, err = relevance.ParseTF(*tf); err != nil {
		return c, err
	}
	if c.base.Dedup, err = relevance.ParseDedup(*dedup); err != nil {
		return c, err
	}
	if err := c.base.Validate(); err != nil {
		return c, err
	}
	for k := range strings.SplitSeq(*knobs, ",") {
		if k = strings.TrimSpace(k); k == "" {
			continue
		}
		if _, ok := grid[k]; !ok {
			return c, fmt.Errorf("unknown knob %q: the knobs are %s", k, strings.Join(knobNames(), ", "))
		}
		c.knobs = append(c.knobs, k)
	}
	if _, ok := protoSets[c.proto]; c.proto != "" && !ok {
		return c, fmt.Errorf("unknown prototype set %q: the sets are %s", c.proto, strings.Join(protoNames(), ", "))
	}
	c.files = fs.Args()
	if len(c.files) == 0 {
		if c.files, err = sharedFiles(); err != nil {
			return c, err
		}
	}
	return c, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	if c.proto != "" {
		return runProto(ctx, c, c.proto, stdout, stderr)
	}
	settings := []relevance.Settings{c.base}
	if c.sweep {
		settings = sweep(c.base, c.knobs)
	}
	if c.loo {
		settings = looGrid(c.base)
	}
	var results []relevance.Result
	enc := json.NewEncoder(stdout)
	for _, f := range c.files {
		corpus, err := relevance.Load(f)
		if err != nil {
			return err
		}
		runAll := relevance.RunAll
		if c.exact || c.loo {
			runAll = relevance.RunExact
		}
		err = runAll(ctx, corpus, settings, func(r relevance.Result) error {
			if c.sweep || c.loo {
				fmt.Fprintf(stderr, "%-32s P@5 %.4f  %6.1fs  %v\n", r.Corpus, r.P5, r.Wall.Seconds(), r.Settings)
			}
			if c.json {
				return enc.Encode(r)
			}
			results = append(results, r)
			return nil
		})
		if err != nil {
			return err
		}
	}
	switch {
	case c.json:
	case c.loo:
		newLOOTable(settings, results).print(stdout, 0)
	default:
		printTable(stdout, results, c.category, c.exact)
		printSummary(stdout, results)
	}
	return nil
}

// printTable prints one row per result and, with categories, the
// precision@5 of each category after it.
func printTable(w io.Writer, rs []relevance.Result, categories, exact bool) {
	if exact {
		printExactTable(w, rs, categories)
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "corpus\tarticles\tP@5\ttextbook\tP@5 per cat\tMAP@5\t<5 nbrs\tdup≥.9999 on/off\town twin on/off\tstory twice on/off/coll\tP@5 off/coll\tload\trefit\tbatch\twall\t settings")
	for _, r := range rs {
		fmt.Fprintf(tw, "%s\t%d\t%.4f\t%s\t%.4f\t%.4f\t%.4f\t%d/%d\t%d/%d\t%d/%d/%s\t%.4f/%s\t%s\t%s\t%s\t%s\t %v\n",
			r.Corpus, r.Articles, r.P5, baseline(r.Corpus), r.P5Macro, r.MAP5, r.Short,
			r.Exact, r.NoDedup.Exact, r.TwinShown, r.NoDedup.TwinShown,
			r.TwiceShown, r.NoDedup.TwiceShown, collapsed(r, func(m relevance.Metrics) string { return fmt.Sprint(m.TwiceShown) }),
			r.NoDedup.P5, collapsed(r, func(m relevance.Metrics) string { return fmt.Sprintf("%.4f", m.P5) }),
			secs(r.Load), secs(r.Refit), secs(r.Batch), secs(r.Wall), r.Settings)
	}
	tw.Flush()
	if categories {
		printCategories(w, rs)
	}
}

// printCategories prints the precision@5 of each category of each result.
func printCategories(w io.Writer, rs []relevance.Result) {
	for _, r := range rs {
		fmt.Fprintf(w, "\n%s, %v\n", r.Corpus, r.Settings)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		for _, cat := range r.SortedCategories() {
			fmt.Fprintf(tw, "%s\t%.4f\t\n", cat, r.ByCategory[cat])
		}
		tw.Flush()
	}
}

// collapsed formats a figure of r.Collapsed, "-" when dedup is off.
func collapsed(r relevance.Result, f func(relevance.Metrics) string) string {
	if r.Settings.Dedup > 1 {
		return "-"
	}
	return f(r.Collapsed)
}

// baseline formats the textbook P@5 of a corpus, "-" when there is none.
func baseline(corpus string) string {
	if b, ok := baselines[corpus]; ok {
		return fmt.Sprintf("%.3f", b)
	}
	return "-"
}

func secs(d time.Duration) string { return fmt.Sprintf("%.1fs", d.Seconds()) }
