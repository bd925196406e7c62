package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"time"

	"github.com/readalike/readalike/recommend"
	"github.com/readalike/readalike/storage"
)

// storeFlags are the flags of every command that opens a collection.
type storeFlags struct {
	data string
}

func (s *storeFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&s.data, "data", "", "the collection's directory (created if absent)")
}

// collection is an open store and the engine over it.
type collection struct {
	db     *storage.DB
	engine *recommend.Engine
}

func (c *collection) Close() error {
	return errors.Join(c.engine.Close(), c.db.Close())
}

// openCollection opens the store in dir (in memory when dir is "") and
// loads its index, reporting progress to w when it takes a while.
func openCollection(ctx context.Context, dir string, opts recommend.Options, log *slog.Logger, w io.Writer) (*collection, error) {
	db, err := storage.Open(dir, storage.Options{Logger: log, InMemory: dir == ""})
	if err != nil {
		return nil, err
	}
	opts.Logger = log
	start := time.Now()
	e, err := recommend.Open(ctx, db, opts, loadProgress(w, start))
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("load index: %w", err)
	}
	return &collection{db: db, engine: e}, nil
}

// loadProgress prints a line per progress report, and none for a quick
// load.
func loadProgress(w io.Writer, start time.Time) func(done, total int) {
	if w == nil {
		return nil
	}
	return func(done, total int) {
		if total == 0 || time.Since(start) < time.Second {
			return
		}
		el := time.Since(start).Seconds()
		fmt.Fprintf(w, "loading index: %d of %d articles (%.0f/s)\n", done, total, float64(done)/max(el, 1e-9))
	}
}

func needData(s *storeFlags) error {
	if s.data == "" {
		return usagef("--data is required: the collection's directory")
	}
	return nil
}

// needCollection checks that dir holds a collection, for the commands that
// only read one: a mistyped --data would otherwise open a new, empty store
// there, and every id would be "not found".
// openExisting opens the collection of a command that reads an existing
// one: --data must name a directory that exists, and the engine never
// starts a refit, which would write a new generation into the store.
func openExisting(ctx context.Context, e *env, sf *storeFlags) (*collection, error) {
	if err := needData(sf); err != nil {
		return nil, err
	}
	if err := needCollection(sf.data); err != nil {
		return nil, err
	}
	log, _ := newLogger(io.Discard, "text", "info")
	return openCollection(ctx, sf.data, recommend.Options{RefitShare: -1}, log, e.stderr)
}

func needCollection(dir string) error {
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("no collection at %s: the directory does not exist (create one with ingest)", dir)
	case err != nil:
		return err
	case !st.IsDir():
		return fmt.Errorf("no collection at %s: not a directory", dir)
	}
	return nil
}
