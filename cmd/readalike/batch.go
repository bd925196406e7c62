package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"syscall"
	"time"

	"github.com/readalike/readalike/recommend"
	"github.com/readalike/readalike/recommend/articleio"
	"github.com/readalike/readalike/storage"
)

func runBatch(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet("batch", "(--data DIR | --input FILE...) [--k 5] [--out FILE] [--format jsonl|csv]")
	var sf storeFlags
	sf.register(fs)
	var qf queryFlags
	qf.register(fs)
	input := fs.Bool("input", false, "read the articles from the FILE arguments (JSONL, CSV, .txt folders) and fit a model on them in a temporary collection, removed at the end")
	outPath := fs.String("out", "-", "output file (- for standard output); written under a temporary name and renamed when complete")
	format := fs.String("format", "jsonl", "output format: jsonl ({\"id\", \"neighbors\": [{\"id\", \"score\"}]} a line) or csv (id,rank,neighbor,score)")
	threads := fs.Int("threads", 0, "worker threads (0: all cores)")
	plain := fs.Bool("exhaustive", false, "scan every posting, without pruning (the baseline; same answers)")
	lang := langFlag(fs)
	given, err := parse(e, fs, args)
	if err != nil {
		return err
	}
	if err := checkLang(lang); err != nil {
		return err
	}
	if *lang != "" && !*input {
		return usagef("--lang is for the articles of --input")
	}
	q, err := qf.query()
	if err != nil {
		return err
	}
	if *format != articleio.JSONL && *format != articleio.CSV {
		return usagef("--format %q: want jsonl or csv", *format)
	}
	if *input && !given["data"] {
		sf.data = "" // --input wins over READALIKE_DATA
	}
	switch {
	case *input && sf.data != "":
		return usagef("give either --data DIR or --input with files, not both")
	case *input && fs.NArg() == 0:
		return usagef("--input needs at least one FILE argument")
	case !*input && sf.data == "":
		return usagef("give --data DIR, or --input and the files to score")
	case !*input && fs.NArg() > 0:
		return usagef("unexpected argument %q (did you mean --input?)", fs.Arg(0))
	}
	log, _ := newLogger(e.stderr, "text", "warn")
	dir := sf.data
	if *input {
		// On disk, not in memory: Badger in memory refuses a value over
		// 1 MiB and counts whole values against its transaction limit, so
		// articles ingest takes would fail here.
		if dir, err = os.MkdirTemp("", "readalike-batch-"); err != nil {
			return err
		}
		defer os.RemoveAll(dir)
	} else if err := needCollection(dir); err != nil {
		return err
	}
	opts := recommend.Options{RefitShare: -1, KeepNeighbors: -1}
	var store storage.Options
	if *input {
		// The collection is thrown away: no fsync, no df checkpoint, no
		// value-log GC, and no summary nobody reads.
		store = storage.Options{NoSync: true, GCInterval: -1}
		opts.NoSummaries = true
	}
	col, err := openCollectionWith(ctx, dir, store, opts, log, e.stderr)
	if err != nil {
		return err
	}
	defer col.Close() // before RemoveAll
	if *input {
		if err := loadInputs(ctx, e, col.Engine, fs.Args(), *lang); err != nil {
			return err
		}
	}

	var out io.Writer = e.stdout
	var file *articleio.File
	if *outPath != "-" {
		if file, err = articleio.CreateFile(*outPath); err != nil {
			return err
		}
		defer file.Abort()
		out = file
	}
	lw, err := articleio.NewListWriter(out, *format)
	if err != nil {
		return err
	}
	total := col.Engine.Stats().Articles
	bar := newProgress(e.stderr, "articles", int64(total))
	st, err := col.Engine.Batch(ctx, recommend.BatchOptions{
		Query: q, Threads: *threads, Exhaustive: *plain,
		Progress: func(done, _ int) { bar.set(int64(done)) },
	}, lw.Write)
	bar.finish()
	if err == nil {
		err = lw.Flush()
	}
	if err == nil && file != nil {
		err = file.Commit()
	}
	if err != nil {
		return err
	}
	scanned := float64(st.Postings + st.Skipped)
	fmt.Fprintf(e.stderr, "batch: %d articles, generation %d, %.2f s, %d postings scanned (%.1f%% skipped by the bounds), %d exact scores, peak memory %s\n",
		st.Articles, st.Generation, st.Elapsed.Seconds(), st.Postings, 100*float64(st.Skipped)/max(scanned, 1), st.Exact, bytesText(peakRSS()))
	return nil
}

// loadInputs ingests files into an empty collection, as ingest would, and
// fits the model on them; bad records are reported and skipped.
func loadInputs(ctx context.Context, e *env, eng *recommend.Engine, paths []string, lang string) error {
	start := time.Now()
	n, err := articleio.LoadFiles(ctx, eng, paths, e.stdin, articleio.LoadOptions{Report: reporter(e.stderr), Lang: lang})
	if err != nil {
		return err
	}
	if _, err := eng.Refit(ctx); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "batch: read and fitted %d articles in %.2f s, skipped %d bad records\n",
		n.Written, time.Since(start).Seconds(), n.Skipped)
	return nil
}

// peakRSS returns the process's peak resident memory in bytes.
func peakRSS() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Maxrss * 1024
}
