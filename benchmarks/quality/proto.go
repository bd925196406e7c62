package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/readalike/readalike/benchmarks/relevance"
)

// protoSets are the prototypes -proto compares with the engine's weighting,
// each on the analyzer settings of the flags: what the engine cannot do
// (yet), scored by the brute-force scorer.
var protoSets = map[string][]relevance.Proto{
	"tf": {{}, {TF: "log"}, {TF: "bm25", K1: 1.2, B: 0}, {TF: "bm25", K1: 1.6, B: 0.3}, {TF: "bm25", K1: 1.6, B: 0.75}, {TF: "bm25", K1: 2, B: 0}},
	// Pivoted normalisation's scores are not cosines: run it with -dedup off.
	"pivot":        {{}, {Pivot: 0.9}, {Pivot: 0.75}, {Pivot: 0.5}},
	"pairs":        {{}, {Pairs: 1}, {Pairs: 0.5}},
	"mindf":        {{}, {MinDFPer: 500}, {MinDFPer: 1000}, {MinDFPer: 2000}, {MinDFPer: 4000}},
	"prefix":       {{}, {Prefix: 5}, {Prefix: 6}, {Prefix: 7}},
	"second-order": {{}, {Smooth: 10}, {Smooth: 20}, {Smooth: 40, SmoothW: 2}, {Smooth: 20, Truncate: 400}, {Smooth: 20, Truncate: 200}, {Smooth: 20, Truncate: 100}},
}

func protoNames() []string {
	names := make([]string, 0, len(protoSets))
	for k := range protoSets {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

// runProto scores every prototype of the set on every file and prints
// P@5 by prototype and corpus, with the mean over corpora.
func runProto(ctx context.Context, c config, set string, stdout, stderr io.Writer) error {
	protos := protoSets[set]
	p5 := make([][]float64, len(protos))
	nnz := make([][]float64, len(protos))
	work := make([][]float64, len(protos))
	var names []string
	for _, f := range c.files {
		corpus, err := relevance.Load(f)
		if err != nil {
			return err
		}
		names = append(names, corpus.Name)
		for i, p := range protos {
			sp, err := relevance.ProtoSpace(ctx, corpus, c.base, p)
			if err != nil {
				return err
			}
			m, err := sp.Score(ctx, c.base.Dedup)
			if err != nil {
				return err
			}
			fmt.Fprintf(stderr, "%-26s P@5 %.4f  %v\n", corpus.Name, m.P5, p)
			p5[i] = append(p5[i], m.P5)
			nnz[i] = append(nnz[i], sp.NNZ)
			work[i] = append(work[i], sp.Work)
		}
	}
	fmt.Fprintf(stdout, "prototypes %q on %v\n", set, c.base)
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "weighting\t%s\tmean\t\n", strings.Join(shortNames(names), "\t"))
	for i, p := range protos {
		var sum float64
		cells := make([]string, len(p5[i]))
		for j, x := range p5[i] {
			cells[j] = fmt.Sprintf("%.4f", x)
			sum += x
		}
		fmt.Fprintf(tw, "%v\t%s\t%.4f\t\n", p, strings.Join(cells, "\t"), sum/float64(len(cells)))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	// What each costs the engine, against its own weighting (the first row).
	fmt.Fprintf(stdout, "\nterms a vector (× the engine's); exhaustive postings read, Σ df² (× the engine's)\n")
	tw = tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "weighting\t%s\t\n", strings.Join(shortNames(names), "\t"))
	for i, p := range protos {
		cells := make([]string, len(nnz[i]))
		for j := range nnz[i] {
			cells[j] = fmt.Sprintf("%.0f (×%.1f); %.2g (×%.0f)", nnz[i][j], nnz[i][j]/nnz[0][j], work[i][j], work[i][j]/work[0][j])
		}
		fmt.Fprintf(tw, "%v\t%s\t\n", p, strings.Join(cells, "\t"))
	}
	return tw.Flush()
}

// shortNames drops the parts of the shared corpora's names that say
// nothing in a column heading.
func shortNames(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		n = strings.TrimSuffix(strings.TrimSuffix(n, "_test"), "_bydate")
		out[i] = strings.TrimPrefix(strings.TrimPrefix(n, "sib200_"), "20newsgroups")
		if out[i] == "" {
			out[i] = "20ng"
		}
	}
	return out
}
