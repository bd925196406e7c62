package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"readalike/recommend"
)

// errSkipped says ingest skipped bad records (exit status 3).
var errSkipped = errors.New("skipped bad records")

func runIngest(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet("ingest", "--data DIR FILE|FOLDER|- ...")
	var sf storeFlags
	sf.register(fs)
	strict := fs.Bool("strict", false, "stop at the first bad record instead of skipping it")
	batch := fs.Int("batch", 256, "articles per write")
	writers := fs.Int("writers", 4, "concurrent writes (their syncs are shared)")
	noRefit := fs.Bool("no-refit", false, "do not refit the model at the end")
	logLevel := fs.String("log-level", "warn", "log level: debug, info, warn or error")
	if err := parse(e, fs, args); err != nil {
		return err
	}
	if err := needData(&sf); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usagef("name at least one input: a .jsonl or .csv file, a folder of .txt files, or - for standard input")
	}
	if *batch < 1 || *writers < 1 {
		return usagef("--batch and --writers must be at least 1")
	}
	log, err := newLogger(e.stderr, "text", *logLevel)
	if err != nil {
		return err
	}
	col, err := openCollection(ctx, sf.data, recommend.Options{RefitShare: -1}, log, e.stderr)
	if err != nil {
		return err
	}
	defer col.Close()

	total := countRecords(fs.Args())
	bar := newProgress(e.stderr, "articles", total)
	w := newBatchWriter(ctx, col.engine, *writers)
	var pending []recommend.Article
	inBatch := map[string]bool{}
	read, skipped := 0, 0
	flush := func() {
		if len(pending) > 0 {
			w.write(pending)
			pending, inBatch = nil, map[string]bool{}
		}
	}
	start := time.Now()
	err = readInputs(fs.Args(), e.stdin, func(r record) error {
		read++
		bar.set(int64(read))
		if r.Err == nil {
			r.Err = col.engine.Validate(&r.Article)
		}
		if r.Err != nil {
			skipped++
			fmt.Fprintf(e.stderr, "%s: %v\n", r.where(), r.Err)
			if *strict {
				return fmt.Errorf("%s: bad record (--strict)", r.where())
			}
			return nil
		}
		if inBatch[r.Article.ID] { // a later line with the same id wins
			flush()
		}
		pending = append(pending, r.Article)
		inBatch[r.Article.ID] = true
		if len(pending) >= *batch {
			flush()
		}
		return w.err()
	})
	if err == nil {
		flush()
	}
	werr := w.wait()
	bar.finish()
	if err = errors.Join(err, werr); err != nil {
		return err
	}
	took := time.Since(start)
	fmt.Fprintf(e.stdout, "ingested %d articles in %s (%.0f/s), skipped %d bad records\n",
		w.written, took.Round(time.Millisecond), float64(w.written)/took.Seconds(), skipped)
	if !*noRefit && w.written > 0 {
		gen, err := col.engine.Refit(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "refitted: generation %d, %d articles\n", gen, col.engine.Stats().Articles)
	}
	if skipped > 0 {
		return fmt.Errorf("%w: %d of %d", errSkipped, skipped, read)
	}
	return nil
}

// batchWriter upserts batches from several goroutines, so their durable
// writes share syncs.
type batchWriter struct {
	ctx     context.Context
	e       *recommend.Engine
	ch      chan []recommend.Article
	wg      sync.WaitGroup
	mu      sync.Mutex
	first   error
	written int
}

func newBatchWriter(ctx context.Context, e *recommend.Engine, n int) *batchWriter {
	w := &batchWriter{ctx: ctx, e: e, ch: make(chan []recommend.Article, n)}
	for range n {
		w.wg.Add(1)
		go func() {
			defer w.wg.Done()
			for b := range w.ch {
				err := e.Upsert(ctx, b...)
				w.mu.Lock()
				if err != nil && w.first == nil {
					w.first = err
				} else if err == nil {
					w.written += len(b)
				}
				w.mu.Unlock()
			}
		}()
	}
	return w
}

func (w *batchWriter) write(b []recommend.Article) { w.ch <- b }

func (w *batchWriter) err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.first == nil {
		return w.ctx.Err()
	}
	return w.first
}

func (w *batchWriter) wait() error {
	close(w.ch)
	w.wg.Wait()
	return w.err()
}

// countRecords estimates the records in the inputs, for the progress bar:
// lines of files, .txt files of folders; -1 when one input is standard
// input.
func countRecords(paths []string) int64 {
	var n int64
	for _, p := range paths {
		if p == "-" {
			return -1
		}
		if st, err := os.Stat(p); err == nil && st.IsDir() {
			m, _ := filepath.Glob(filepath.Join(p, "*.txt"))
			n += int64(len(m))
			continue
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return -1
		}
		lines := int64(bytes.Count(b, []byte{'\n'}))
		if len(b) > 0 && b[len(b)-1] != '\n' {
			lines++
		}
		if strings.EqualFold(filepath.Ext(p), ".csv") {
			lines-- // the header
		}
		n += lines
	}
	return n
}
