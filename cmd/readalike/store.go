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

// openCollection opens the store in dir (in memory when dir is "") and
// loads its index, reporting progress to w when it takes a while.
func openCollection(ctx context.Context, dir string, opts recommend.Options, log *slog.Logger, w io.Writer) (*storage.Collection, error) {
	return openCollectionWith(ctx, dir, storage.Options{}, opts, log, w)
}

// openCollectionWith is openCollection with store options; their Logger and
// InMemory are set here.
func openCollectionWith(ctx context.Context, dir string, store storage.Options, opts recommend.Options, log *slog.Logger, w io.Writer) (*storage.Collection, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	store.Logger, store.InMemory = log, dir == ""
	return storage.OpenCollection(ctx, dir, store, opts, loadProgress(w, time.Now()))
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

// openExisting opens the collection of a command that reads an existing
// one: --data must name a directory that exists, and the engine never
// starts a refit, which would write a new generation into the store.
func openExisting(ctx context.Context, e *env, sf *storeFlags) (*storage.Collection, error) {
	if err := needData(sf); err != nil {
		return nil, err
	}
	if err := needCollection(sf.data); err != nil {
		return nil, err
	}
	log, _ := newLogger(io.Discard, "text", "info")
	return openCollection(ctx, sf.data, recommend.Options{RefitShare: -1, KeepNeighbors: -1}, log, e.stderr)
}

// needCollection checks that dir holds a collection, for the commands that
// only read one: a mistyped --data would otherwise open a new, empty store
// there, and every id would be "not found".
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
