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
// progress, when not nil, is told of the load as recommend.Open says.
func OpenCollection(ctx context.Context, dir string, store Options, engine recommend.Options, progress func(done, total int)) (*Collection, error) {
	db, err := Open(dir, store)
	if err != nil {
		return nil, err
	}
	if engine.Logger == nil {
		engine.Logger = store.Logger
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
