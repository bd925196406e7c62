package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"readalike/recommend"
)

func runBatch(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet("batch", "(--data DIR | --input FILE...) [--k 5] [--out FILE] [--format jsonl|csv]")
	var sf storeFlags
	sf.register(fs)
	var qf queryFlags
	qf.register(fs)
	input := fs.Bool("input", false, "read the articles from the FILE arguments (JSONL, CSV, .txt folders) and fit a model on them in memory, leaving nothing behind")
	out := fs.String("out", "-", "output file (- for standard output); written under a temporary name and renamed when complete")
	format := fs.String("format", "jsonl", "output format: jsonl ({\"id\", \"neighbors\": [{\"id\", \"score\"}]} a line) or csv (id,rank,neighbor,score)")
	threads := fs.Int("threads", 0, "worker threads (0: all cores)")
	plain := fs.Bool("exhaustive", false, "scan every posting, without pruning (the baseline; same answers)")
	if err := parse(e, fs, args); err != nil {
		return err
	}
	q, err := qf.query()
	if err != nil {
		return err
	}
	if *format != "jsonl" && *format != "csv" {
		return usagef("--format %q: want jsonl or csv", *format)
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
	col, err := openCollection(ctx, sf.data, recommend.Options{RefitShare: -1}, log, e.stderr)
	if err != nil {
		return err
	}
	defer col.Close()
	if *input {
		if err := loadInputs(ctx, e, col.engine, fs.Args()); err != nil {
			return err
		}
	}

	w, commit, abort, err := createOutput(*out, e.stdout)
	if err != nil {
		return err
	}
	defer abort()
	emit := jsonlEmitter(w)
	if *format == "csv" {
		emit = csvEmitter(w)
	}
	total := col.engine.Stats().Articles
	bar := newProgress(e.stderr, "articles", int64(total))
	st, err := col.engine.Batch(ctx, recommend.BatchOptions{
		Query: q, Threads: *threads, Exhaustive: *plain,
		Progress: func(done, _ int) { bar.set(int64(done)) },
	}, emit.write)
	bar.finish()
	if err == nil {
		err = emit.flush()
	}
	if err != nil {
		return err
	}
	if err := commit(); err != nil {
		return err
	}
	scanned := float64(st.Postings + st.Skipped)
	fmt.Fprintf(e.stderr, "batch: %d articles, generation %d, %.2f s, %d postings scanned (%.1f%% skipped by the bounds), %d exact scores, peak memory %s\n",
		st.Articles, st.Generation, st.Elapsed.Seconds(), st.Postings, 100*float64(st.Skipped)/max(scanned, 1), st.Exact, bytesText(peakRSS()))
	return nil
}

// loadInputs ingests files into an empty in-memory collection and fits the
// model on them; bad records are reported and skipped.
func loadInputs(ctx context.Context, e *env, eng *recommend.Engine, paths []string) error {
	w := newBatchWriter(ctx, eng, 2)
	var pending []recommend.Article
	seen := map[string]bool{}
	start := time.Now()
	err := readInputs(paths, e.stdin, func(r record) error {
		if r.Err == nil {
			r.Err = eng.Validate(&r.Article)
		}
		if r.Err == nil && seen[r.Article.ID] {
			r.Err = fmt.Errorf("id %q repeats an earlier article", r.Article.ID)
		}
		if r.Err != nil {
			fmt.Fprintf(e.stderr, "%s: skipped: %v\n", r.where(), r.Err)
			return nil
		}
		seen[r.Article.ID] = true
		if pending = append(pending, r.Article); len(pending) == 512 {
			w.write(pending)
			pending = nil
		}
		return w.err()
	})
	if err == nil && len(pending) > 0 {
		w.write(pending)
	}
	if err = errors.Join(err, w.wait()); err != nil {
		return err
	}
	if _, err := eng.Refit(ctx); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "batch: read and fitted %d articles in %.2f s\n", w.written, time.Since(start).Seconds())
	return nil
}

// createOutput opens the output: standard output for "-", else a temporary
// file beside path that commit renames to path and abort removes, so a
// half-written file never stands under the final name.
func createOutput(path string, stdout io.Writer) (w *bufio.Writer, commit func() error, abort func(), err error) {
	if path == "-" {
		w = bufio.NewWriterSize(stdout, 1<<20)
		return w, w.Flush, func() {}, nil
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".partial-*")
	if err != nil {
		return nil, nil, nil, err
	}
	w = bufio.NewWriterSize(f, 1<<20)
	done := false
	commit = func() error {
		if err := w.Flush(); err != nil {
			return err
		}
		if err := f.Sync(); err != nil {
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
		done = true
		return os.Rename(f.Name(), path)
	}
	abort = func() {
		if !done {
			f.Close()
			os.Remove(f.Name())
		}
	}
	return w, commit, abort, nil
}

type emitter struct {
	write func(id string, ms []recommend.Match) error
	flush func() error
}

type neighborJSON struct {
	ID    string  `json:"id"`
	Score float64 `json:"score"`
}

func jsonlEmitter(w *bufio.Writer) emitter {
	enc := json.NewEncoder(w)
	var ns []neighborJSON
	return emitter{
		write: func(id string, ms []recommend.Match) error {
			ns = ns[:0]
			for _, m := range ms {
				ns = append(ns, neighborJSON{m.ID, m.Score})
			}
			return enc.Encode(struct {
				ID        string         `json:"id"`
				Neighbors []neighborJSON `json:"neighbors"`
			}{id, ns})
		},
		flush: w.Flush,
	}
}

func csvEmitter(w *bufio.Writer) emitter {
	cw := csv.NewWriter(w)
	header := false
	return emitter{
		write: func(id string, ms []recommend.Match) error {
			if !header {
				header = true
				if err := cw.Write([]string{"id", "rank", "neighbor", "score"}); err != nil {
					return err
				}
			}
			for i, m := range ms {
				if err := cw.Write([]string{id, strconv.Itoa(i + 1), m.ID, strconv.FormatFloat(m.Score, 'f', 6, 64)}); err != nil {
					return err
				}
			}
			return nil
		},
		flush: func() error { cw.Flush(); return errors.Join(cw.Error(), w.Flush()) },
	}
}

// peakRSS returns the process's peak resident memory in bytes.
func peakRSS() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Maxrss * 1024
}
