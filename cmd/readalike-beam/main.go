// Command readalike-beam computes every article's nearest articles, as
// `readalike batch` does, as an Apache Beam pipeline: on one machine with
// Beam's prism runner, or on Dataflow, Flink or Spark by flags. It reads
// JSONL or CSV (local files, gs://, s3://), fits the model, scores the
// collection in blocks with the engine's own search (recommend.Block),
// and writes the lists in batch's formats and, with --snapshot, a
// snapshot that `readalike import-snapshot` loads into a collection.
//
//	readalike-beam --input articles.jsonl --out lists.jsonl
//	readalike-beam --runner dataflow --project P --region R \
//	    --staging_location gs://B/staging --input 'gs://B/in/*.jsonl' \
//	    --out gs://B/lists.jsonl --snapshot gs://B/snap --shards 64
//
// It is a module of its own, so that Beam's dependencies stay out of the
// readalike binary.
package main

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	_ "net/http/pprof" // --pprof
	"os"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem/s3"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/x/beamx"

	"github.com/readalike/readalike/recommend"
	"github.com/readalike/readalike/recommend/articleio"
)

// inputs is a flag given once per input.
type inputs []string

func (i *inputs) String() string     { return strings.Join(*i, " ") }
func (i *inputs) Set(v string) error { *i = append(*i, v); return nil }

func main() {
	var c Config
	var in inputs
	flag.Var(&in, "input", "an input file or pattern, JSONL or CSV (.csv), local, gs:// or s3://; give it once per input")
	flag.StringVar(&c.Out, "out", "", "the lists' file, in --format; with --shards N, N files OUT-SSSSS-of-NNNNN")
	flag.StringVar(&c.Format, "format", articleio.JSONL, "output format: jsonl or csv, as readalike batch writes them")
	flag.StringVar(&c.Snapshot, "snapshot", "", "a folder for the snapshot: the articles, the model and every list, for readalike import-snapshot")
	flag.StringVar(&c.DeadLetter, "dead-letter", "", "a file for the bad records, one JSON line each (they are counted either way)")
	flag.IntVar(&c.BlockSize, "block-size", 5000, "articles per block: a task scores two blocks against each other")
	flag.IntVar(&c.Shards, "shards", 1, "files per output")
	k := flag.Int("k", recommend.DefaultK, fmt.Sprintf("neighbors per article, 1 to %d", recommend.MaxK))
	cats := flag.String("category", "", "only articles of these categories (comma-separated)")
	from := flag.String("from", "", "only articles published at or after this time (RFC 3339, or a date YYYY-MM-DD)")
	to := flag.String("to", "", "only articles published at or before this time (a date includes that whole day)")
	exclude := flag.String("exclude", "", "ids never returned (comma-separated)")
	dedup := flag.Bool("dedup", true, "leave out near-duplicates of the query (the same story)")
	minScore := flag.Float64("min-score", 0, "leave out neighbors scoring below this")
	pprofAddr := flag.String("pprof", "", "serve Go's profiles (net/http/pprof) at this address, such as localhost:6060, while the pipeline runs")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: readalike-beam --input FILE... (--out FILE | --snapshot DIR) [flags]\n\n"+
			"--runner picks the runner (prism, the default, direct, dataflow, flink, spark); --endpoint a job server.\n"+
			"Every flag of Beam's runners is accepted and passed on.\n\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	beam.Init() // a worker started by a runner does its work here and exits
	if *pprofAddr != "" {
		go func() {
			fmt.Fprintf(os.Stderr, "readalike-beam: pprof: %v\n", http.ListenAndServe(*pprofAddr, nil))
		}()
	}

	c.Inputs = in
	c.Query = recommend.Query{K: *k, NoDedup: !*dedup, MinScore: *minScore, Categories: splitList(*cats), Exclude: splitList(*exclude)}
	var err error
	if c.Query.From, err = articleio.ParseBound(*from, false); err == nil {
		c.Query.To, err = articleio.ParseBound(*to, true)
	}
	if err == nil {
		err = c.Validate()
	}
	if err == nil {
		err = run(context.Background(), c)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "readalike-beam: %v\n", err)
		os.Exit(1)
	}
}

// run builds and runs the pipeline and reports its counters.
func run(ctx context.Context, c Config) error {
	for _, dir := range []string{c.Snapshot} {
		if dir != "" && !strings.Contains(dir, "://") {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return err
			}
		}
	}
	start := time.Now()
	p, s := beam.NewPipelineWithRoot()
	Build(s, c)
	res, err := beamx.RunWithMetrics(ctx, p)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "readalike-beam: %.2f s, peak memory %d MiB\n", time.Since(start).Seconds(), peakRSS()>>20)
	if res == nil {
		return nil
	}
	counters := map[string]int64{}
	for _, r := range res.Metrics().AllMetrics().Counters() {
		if r.Key.Namespace == "readalike" {
			counters[r.Key.Name] += r.Result()
		}
	}
	var names []string
	for name := range counters {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		fmt.Fprintf(os.Stderr, "  %-26s %d\n", name, counters[name])
	}
	return nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// peakRSS returns the process's peak resident memory in bytes.
func peakRSS() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Maxrss * 1024
}
