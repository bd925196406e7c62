package storage

import (
	"context"
	"errors"
	"fmt"

	"github.com/dgraph-io/badger/v4"

	"github.com/readalike/readalike/recommend"
)

// PutNeighbors stores the lists, each replacing its article's, and returns
// once they are durable against power loss, as recommend.Store says. It
// first has the committer write a pending checkpoint, then stamps every list
// with the version of the 's' record (see keys.go), and writes them through
// a Badger WriteBatch, in as many transactions as they need: a list is
// never split, but the lists of one call may land in part if it fails.
//
// It checks the lists first and returns an error naming the list and the
// problem, writing nothing, for an empty id or one over 1024 bytes, in the
// list or among its neighbors, for a k below 1, and for more neighbors
// than k. It returns an error wrapping recommend.ErrNoSpace on a nearly
// full disk (see Options.MinFreeBytes), and one wrapping ErrClosed after
// Close. It is safe for concurrent use, and does not keep lists or anything
// in them.
func (d *DB) PutNeighbors(ctx context.Context, lists []recommend.NeighborList) error {
	if !d.gate.enter() {
		return fmt.Errorf("put neighbors: %w", ErrClosed)
	}
	defer d.gate.leave()
	for i := range lists {
		if err := checkNeighbors(&lists[i]); err != nil {
			return fmt.Errorf("put neighbors: list %d (id %q): %w", i, lists[i].ID, err)
		}
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("put neighbors: %w", err)
	}
	if d.readOnly {
		return fmt.Errorf("put neighbors: %w", errReadOnly(d.space.min))
	}
	var need int64
	for i := range lists {
		need += int64(64 + len(lists[i].ID) + entryOverhead)
		for _, n := range lists[i].Neighbors {
			need += int64(10 + len(n.ID))
		}
	}
	if err := d.space.check(need); err != nil {
		return fmt.Errorf("put neighbors: %w", err)
	}
	// Until the next commit no checkpoint follows, so the stamp stays.
	if err := d.c.checkpointNow(ctx); err != nil {
		return fmt.Errorf("put neighbors: %w", err)
	}
	stamp, err := d.stamp()
	if err != nil {
		return fmt.Errorf("put neighbors: %w", err)
	}
	wb := d.bdb.NewWriteBatch()
	defer wb.Cancel()
	for i := range lists {
		l := &lists[i]
		if err := wb.Set(neighborKey(l.ID), encodeNeighbors(l, stamp)); err != nil {
			return fmt.Errorf("put neighbors of %q: %w", l.ID, err)
		}
	}
	if err := wb.Flush(); err != nil {
		return fmt.Errorf("put neighbors: %w", err)
	}
	if err := d.sync.sync(); err != nil {
		return fmt.Errorf("put neighbors: %w", err)
	}
	return nil
}

// Neighbors returns the list stored for the article with that id, or an
// error wrapping recommend.ErrNotFound when there is none or it is stale:
// when the 's' record was rewritten since it was stored, by a commit or by
// the checkpoint after a crash (see keys.go). The caller owns the list;
// Neighbors is never nil. It is safe for concurrent use.
func (d *DB) Neighbors(ctx context.Context, id string) (recommend.NeighborList, error) {
	if !d.gate.enter() {
		return recommend.NeighborList{}, fmt.Errorf("neighbors of %q: %w", id, ErrClosed)
	}
	defer d.gate.leave()
	if err := ctx.Err(); err != nil {
		return recommend.NeighborList{}, fmt.Errorf("neighbors of %q: %w", id, err)
	}
	var l recommend.NeighborList
	var stamp, current uint64
	// One snapshot: a commit between the two reads would otherwise pass
	// unseen.
	err := d.bdb.View(func(txn *badger.Txn) error {
		item, err := txn.Get(neighborKey(id))
		if err != nil {
			return err
		}
		err = item.Value(func(v []byte) error {
			var err error
			l, stamp, err = decodeNeighbors(id, v)
			return err
		})
		if err != nil {
			return err
		}
		current, err = statsVersion(txn)
		return err
	})
	switch {
	case errors.Is(err, badger.ErrKeyNotFound):
		return recommend.NeighborList{}, fmt.Errorf("neighbors of %q: %w", id, recommend.ErrNotFound)
	case err != nil:
		return recommend.NeighborList{}, fmt.Errorf("neighbors of %q: %w", id, err)
	case stamp != current:
		return recommend.NeighborList{}, fmt.Errorf("neighbors of %q: stale, articles changed since they were stored: %w",
			id, recommend.ErrNotFound)
	}
	return l, nil
}

// stamp returns the version of the 's' record now.
func (d *DB) stamp() (uint64, error) {
	var v uint64
	err := d.bdb.View(func(txn *badger.Txn) error {
		var err error
		v, err = statsVersion(txn)
		return err
	})
	return v, err
}

// statsVersion returns the Badger version of the 's' record, 0 in a store
// that has none yet.
func statsVersion(txn *badger.Txn) (uint64, error) {
	item, err := txn.Get(statsKey())
	if errors.Is(err, badger.ErrKeyNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read stats: %w", err)
	}
	return item.Version(), nil
}

func checkNeighbors(l *recommend.NeighborList) error {
	if err := checkKey("id", l.ID); err != nil {
		return err
	}
	if l.K < 1 {
		return fmt.Errorf("k is %d, want at least 1", l.K)
	}
	if len(l.Neighbors) > l.K {
		return fmt.Errorf("%d neighbors, more than k = %d", len(l.Neighbors), l.K)
	}
	for i, n := range l.Neighbors {
		if err := checkKey(fmt.Sprintf("neighbor %d id", i), n.ID); err != nil {
			return err
		}
	}
	return nil
}
