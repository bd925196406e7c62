package storage

import (
	"context"
	"errors"
	"fmt"

	"github.com/readalike/readalike/recommend"
)

// Collection is a store and the engine over it: what the command line,
// the server and the benchmarks open to work on a collection.
type Collection struct {
	DB     *DB
	Engine *recommend.Engine
}

// OpenCollection opens the store in dir (created if absent; in memory
// when store.InMemory is set) and loads its engine with the given options;
// progress, when not nil, is told of the load as recommend.Open says. A
// store opened read-only, for want of free disk space, gets an engine that
// never refits on its own, and whose writes fail with an error wrapping
// recommend.ErrNoSpace.
func OpenCollection(ctx context.Context, dir string, store Options, engine recommend.Options, progress func(done, total int)) (*Collection, error) {
	db, err := Open(dir, store)
	if err != nil {
		return nil, err
	}
	if engine.Logger == nil {
		engine.Logger = store.Logger
	}
	if db.readOnly && engine.RefitShare >= 0 {
		// A refit ends by saving its generation: it would do all its work
		// for a write that is refused.
		engine.RefitShare = -1
		db.log.Warn("automatic refits are off while the store is read-only")
	}
	e, err := recommend.Open(ctx, db, engine, progress)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("load index: %w", err)
	}
	return &Collection{DB: db, Engine: e}, nil
}

// Close stops the engine's background work, then closes the store.
func (c *Collection) Close() error {
	return errors.Join(c.Engine.Close(), c.DB.Close())
}
