package main

import (
	"fmt"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"

	"github.com/readalike/readalike/recommend"
	"github.com/readalike/readalike/recommend/articleio"
	"github.com/readalike/readalike/vectorize"
)

// Config is what one run does.
type Config struct {
	Inputs     []string // file patterns, in order: a later record of an id wins
	Out        string   // the lists' file ("" for none); sharded as OUT-SSSSS-of-NNNNN when Shards > 1
	Format     string   // articleio.JSONL or articleio.CSV
	Snapshot   string   // the snapshot's folder ("" for none)
	DeadLetter string   // the bad records' file ("" for none: only counted)
	BlockSize  int      // articles per block
	Shards     int      // files per output
	Query      recommend.Query
	Engine     recommend.Options // of it: Analyzer, Model, Dedup, MaxBodyBytes, Exhaustive
}

// Validate checks c once, before the pipeline is built.
func (c *Config) Validate() error {
	switch {
	case len(c.Inputs) == 0:
		return fmt.Errorf("name at least one input (--input)")
	case c.Out == "" && c.Snapshot == "":
		return fmt.Errorf("name an output: --out, --snapshot or both")
	case c.Format != articleio.JSONL && c.Format != articleio.CSV:
		return fmt.Errorf("--format %q: want jsonl or csv", c.Format)
	case c.BlockSize < 1 || c.Shards < 1:
		return fmt.Errorf("--block-size and --shards must be at least 1")
	}
	if err := c.Query.Validate(); err != nil {
		return err
	}
	return c.Engine.Model.Validate()
}

// settings is what DoFns carry of the engine's options; it travels as
// JSON to the workers.
type settings struct {
	Analyzer     vectorize.Options
	Model        vectorize.ModelOptions
	Dedup        float64
	Exhaustive   bool
	MaxBodyBytes int
}

func (c *Config) settings() settings {
	o := c.Engine
	return settings{Analyzer: o.Analyzer, Model: o.Model, Dedup: o.Dedup, Exhaustive: o.Exhaustive, MaxBodyBytes: o.MaxBodyBytes}
}

// blockOptions are the options a Block takes from the engine's.
func (s settings) blockOptions() recommend.Options {
	return recommend.Options{Dedup: s.Dedup, Exhaustive: s.Exhaustive}
}

// settingsText is what a generation records of the settings, as the engine
// writes it: the analyzer's and the model's.
func (s settings) settingsText() string {
	return vectorize.NewAnalyzer(s.Analyzer).Options().String() + " " + s.Model.String()
}

// Build adds the pipeline of c to s:
//
//	read (dead letters aside) -> latest record per id -> analyse
//	  -> df (combine) and N -> the model, as a side input -> vectors
//	  -> round 1: tasks (block i, block j), i <= j, each scoring both
//	     blocks' articles against the other's with recommend.Block;
//	     FirstCandidates per article merged with a combine; the
//	     candidates' vectors joined back; Block.Nearest answers
//	  -> round 2, for the few articles round 1 did not settle: every
//	     block again for CandidateCount candidates, merged, joined,
//	     answered
//	  -> the lists (articleio.ListWriter) and the snapshot.
func Build(s beam.Scope, c Config) {
	st := c.settings()
	files := beam.ParDo(s.Scope("expand"), &expandFn{Patterns: c.Inputs}, beam.Impulse(s))
	docs, bad := beam.ParDo2(s.Scope("read"), &readFn{Settings: st}, beam.Reshuffle(s, files))
	docs = beam.CombinePerKey(s.Scope("latest"), latestFn, docs)

	terms := beam.ParDo(s.Scope("terms"), termsFn, docs)
	df := beam.CombinePerKey(s.Scope("df"), sumFn, terms)
	n := count(s.Scope("n"), beam.ParDo(s.Scope("ones"), oneFn, docs))
	shared := beam.ParDo(s.Scope("shared terms"), sharedTermsFn, df)
	vecs := beam.ParDo(s.Scope("vectors"), &vectorFn{Settings: st, BlockSize: c.BlockSize}, docs,
		beam.SideInput{Input: n}, beam.SideInput{Input: shared})

	// Round 1.
	first := recommend.FirstCandidates(c.Query)
	tasks := beam.ParDo(s.Scope("round 1 tasks"), &pairTasksFn{BlockSize: c.BlockSize}, vecs, beam.SideInput{Input: n})
	cands := scoreTasks(s.Scope("round 1"), st, c.Query, first, tasks)
	lists, pending := answer(s.Scope("round 1 answer"), st, c.Query, first, cands, vecs, vecs)

	// Round 2: the few queries that need more candidates.
	if last := recommend.CandidateCount(c.Query); last > first {
		pendingN := count(s.Scope("pending"), beam.ParDo(s.Scope("pending ones"), oneFn, pending))
		qs := beam.ParDo(s.Scope("round 2 queries"), &queryTasksFn{BlockSize: c.BlockSize}, pending, beam.SideInput{Input: n})
		cs := beam.ParDo(s.Scope("round 2 candidates"), &candidateTasksFn{}, vecs, beam.SideInput{Input: pendingN})
		cands2 := scoreTasks(s.Scope("round 2"), st, c.Query, last, beam.Flatten(s, qs, cs))
		lists2, _ := answer(s.Scope("round 2 answer"), st, c.Query, last, cands2, vecs, pending)
		lists = beam.Flatten(s, lists, lists2)
	}

	if c.DeadLetter != "" {
		writeShards(s.Scope("dead letters"), &writeLinesFn{Path: c.DeadLetter, Shards: 1}, 1, beam.ParDo(s, badLineFn, bad))
	}
	if c.Out != "" {
		writeShards(s.Scope("lists"), &writeListsFn{Path: c.Out, Format: c.Format, Shards: c.Shards}, c.Shards, lists)
	}
	if c.Snapshot != "" {
		dir := c.Snapshot
		writeShards(s.Scope("snapshot lists"), &writeListsFn{Path: join(dir, "lists.jsonl"), Format: articleio.JSONL, Shards: c.Shards}, c.Shards, lists)
		arts := beam.ParDo(s.Scope("snapshot articles"), articleLineFn, docs)
		writeShards(s.Scope("snapshot articles"), &writeLinesFn{Path: join(dir, "articles.jsonl"), Shards: c.Shards}, c.Shards, arts)
		dfLines := beam.ParDo(s.Scope("snapshot df"), dfLineFn, df)
		writeShards(s.Scope("snapshot df"), &writeLinesFn{Path: join(dir, "df.jsonl"), Shards: c.Shards}, c.Shards, dfLines)
		nTerms := count(s.Scope("terms count"), beam.ParDo(s.Scope("term ones"), oneTermFn, df))
		beam.ParDo0(s.Scope("manifest"), &manifestFn{Dir: dir, Shards: c.Shards, Query: articleio.NewSnapshotQuery(c.Query),
			Settings: st.settingsText()}, n, beam.SideInput{Input: nTerms})
	}
}

// scoreTasks groups the tasks' articles and scores each task, then merges
// every query's candidates over the tasks: the collection's best n.
func scoreTasks(s beam.Scope, st settings, q recommend.Query, n int, tasks beam.PCollection) beam.PCollection {
	cands := beam.ParDo(s, &scoreFn{Settings: st, Query: q, N: n}, beam.GroupByKey(s, tasks))
	return beam.CombinePerKey(s.Scope("merge"), &mergeFn{N: n}, cands)
}

// answer joins every query's candidates with their vectors and answers
// it with a Block over them: the settled answers, and the queries (with
// their vectors) that need more candidates.
func answer(s beam.Scope, st settings, q recommend.Query, n int, cands, vecs, queries beam.PCollection) (lists, pending beam.PCollection) {
	wanted := beam.ParDo(s.Scope("want"), wantFn, cands)
	joined := beam.ParDo(s.Scope("join"), joinFn, beam.CoGroupByKey(s, vecs, wanted))
	return beam.ParDo2(s.Scope("nearest"), &nearestFn{Settings: st, Query: q, N: n},
		beam.CoGroupByKey(s, queries, cands, joined))
}

// count sums ones into a single element, 0 for none (a global Combine of
// nothing gives no element, and a side input needs one).
func count(s beam.Scope, ones beam.PCollection) beam.PCollection {
	return beam.Combine(s, sumFn, beam.Flatten(s, beam.Create(s, 0), ones))
}
