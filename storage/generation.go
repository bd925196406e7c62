package storage

import (
	"context"
	"errors"
	"fmt"

	"github.com/dgraph-io/badger/v4"

	"github.com/readalike/readalike/recommend"
)

// Generation returns the fitted model's record, or the zero Generation when
// none was saved yet. The caller owns its DF map; FittedAt is in UTC. It is
// safe for concurrent use.
func (d *DB) Generation(ctx context.Context) (recommend.Generation, error) {
	var g recommend.Generation
	err := d.get(ctx, genKey(), func(v []byte) error {
		var err error
		g, err = decodeGeneration(v)
		return err
	})
	if errors.Is(err, recommend.ErrNotFound) {
		return recommend.Generation{}, nil
	}
	if err != nil {
		return recommend.Generation{}, fmt.Errorf("generation: %w", err)
	}
	return g, nil
}

// SaveGeneration replaces the fitted model's record and returns once it is
// durable against power loss. It refuses a negative N or an empty term, and
// returns an error wrapping recommend.ErrNoSpace on a nearly full disk (see
// Options.MinFreeBytes). It is safe for concurrent use, and independent of
// Commit: it does not wait for the committer.
func (d *DB) SaveGeneration(ctx context.Context, g recommend.Generation) error {
	if !d.gate.enter() {
		return fmt.Errorf("save generation: %w", ErrClosed)
	}
	defer d.gate.leave()
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("save generation: %w", err)
	}
	if d.readOnly {
		return fmt.Errorf("save generation %d: %w", g.Number, errReadOnly(d.space.min))
	}
	v, err := encodeGeneration(&g)
	if err != nil {
		return fmt.Errorf("save generation %d: %w", g.Number, err)
	}
	if err := d.space.check(int64(len(v) + entryOverhead)); err != nil {
		return fmt.Errorf("save generation %d: %w", g.Number, err)
	}
	err = d.bdb.Update(func(txn *badger.Txn) error {
		return txn.Set(genKey(), v)
	})
	if err == nil {
		err = d.sync.sync()
	}
	if err != nil {
		return fmt.Errorf("save generation %d: %w", g.Number, err)
	}
	return nil
}
