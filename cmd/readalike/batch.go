package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/readalike/readalike/recommend"
)

func runBatch(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet("batch", "(--data DIR [--store] | --input FILE...) [--k 5] [--out FILE] [--format jsonl|csv]")
	var sf storeFlags
	sf.register(fs)
	var qf queryFlags
	qf.register(fs)
	input := fs.Bool("input", false, "read the articles from the FILE arguments (JSONL, CSV, .txt folders) and fit a model on them in a temporary collection, removed at the end")
	out := fs.String("out", "-", "output file (- for standard output); written under a temporary name and renamed when complete")
	format := fs.String("format", "jsonl", "output format: jsonl ({\"id\", \"neighbors\": [{\"id\", \"score\"}]} a line) or csv (id,rank,neighbor,score)")
	threads := fs.Int("threads", 0, "worker threads (0: all cores)")
	plain := fs.Bool("exhaustive", false, "scan every posting, without pruning (the baseline; same answers)")
	store := fs.Bool("store", false, "also write the lists into the collection (--data), where similar and GET /v1/articles/{id}/similar answer from them until an article is written or deleted or the model refitted; not with --category, --from, --to or --exclude")
	given, err := parse(e, fs, args)
	if err != nil {
		return err
	}
	q, err := qf.query()
	if err != nil {
		return err
	}
	if *format != "jsonl" && *format != "csv" {
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
	case *store && *input:
		return usagef("--store writes into the collection of --data; with --input there is none to keep the lists")
	case *store && (len(q.Categories) > 0 || len(q.Exclude) > 0 || !q.From.IsZero() || !q.To.IsZero()):
		return usagef("--store keeps only unfiltered lists: drop --category, --from, --to and --exclude")
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
	col, err := openCollection(ctx, dir, recommend.Options{RefitShare: -1}, log, e.stderr)
	if err != nil {
		return err
	}
	defer col.Close() // before RemoveAll
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
		Query: q, Threads: *threads, Exhaustive: *plain, Store: *store,
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
	if *store {
		fmt.Fprintf(e.stderr, "batch: stored %d lists in %s\n", st.Stored, dir)
	}
	return nil
}

// loadInputs ingests files into an empty collection, as ingest would, and
// fits the model on them; bad records are reported and skipped.
func loadInputs(ctx context.Context, e *env, eng *recommend.Engine, paths []string) error {
	start := time.Now()
	n, err := load(ctx, eng, paths, e.stdin, e.stderr, loadOptions{batch: 256, writers: 4})
	if err != nil {
		return err
	}
	if _, err := eng.Refit(ctx); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "batch: read and fitted %d articles in %.2f s, skipped %d bad records\n",
		n.written, time.Since(start).Seconds(), n.skipped)
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
	f, err := createPartial(path)
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
		if err := os.Rename(f.Name(), path); err != nil {
			return err
		}
		done = true
		return nil
	}
	abort = func() {
		if !done {
			f.Close()
			os.Remove(f.Name())
		}
	}
	return w, commit, abort, nil
}

// createPartial creates a new file .BASE.partial-N beside path. Unlike
// os.CreateTemp, which makes it private (0600), it asks for 0666 and lets
// the umask decide, as the shell's > would.
func createPartial(path string) (*os.File, error) {
	for try := 0; ; try++ {
		name := filepath.Join(filepath.Dir(path), fmt.Sprintf(".%s.partial-%d", filepath.Base(path), rand.Uint32()))
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o666)
		if errors.Is(err, fs.ErrExist) && try < 100 {
			continue
		}
		return f, err
	}
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
	ns := []neighborJSON{} // an article without neighbours gets [], not null
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
	writeHeader := func() error {
		if header {
			return nil
		}
		header = true
		return cw.Write([]string{"id", "rank", "neighbor", "score"})
	}
	return emitter{
		write: func(id string, ms []recommend.Match) error {
			if err := writeHeader(); err != nil {
				return err
			}
			for i, m := range ms {
				if err := cw.Write([]string{id, strconv.Itoa(i + 1), m.ID, strconv.FormatFloat(m.Score, 'f', 6, 64)}); err != nil {
					return err
				}
			}
			return nil
		},
		flush: func() error {
			// The header even when no article had a line.
			if err := writeHeader(); err != nil {
				return err
			}
			cw.Flush()
			return errors.Join(cw.Error(), w.Flush())
		},
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
