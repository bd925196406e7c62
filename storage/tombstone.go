package storage

import (
	"bytes"
	"fmt"

	"github.com/dgraph-io/badger/v4"
)

// Tombstones: how an article is deleted (keys.go has the layout).
//
// Deleting an article sets its 'a' and 'c' keys to a tombstone, the one
// byte 0, instead of deleting them in Badger. Badger v4.9.6's value-log GC
// copies a value that a delete already hides back into the LSM tree, under
// its old version, and a compaction can then drop the delete and leave the
// copy as the newest version: the article comes back (tombstone_test.go
// walks through it). A compaction drops a delete, never a value that is a
// key's newest version, and every GC copy is of an older version than the
// tombstone, so it stays hidden under it. A tombstone is one byte, kept in
// the LSM tree and never in the value log, which the GC alone rewrites.
//
// Only the 'a' and 'c' records need them: their values reach the value
// log (1 KiB and more). An 'r' record is a few bytes, always in the LSM
// tree, so a delete of it is safe. An 'n' record can reach the value log,
// but one that comes back is stale for good (its stamp is the version of
// an 's' record since rewritten, see keys.go), so Neighbors never serves
// it, and the next PutNeighbors for the id replaces it.
//
// Every reader of 'a' and 'c' treats a tombstone as no record: Article,
// Counts, Scan, the committer (puts, deletes, reads), the recount, the
// salvage. A tombstone costs its key, a byte and Badger's overhead, some
// 30 bytes plus the id twice per deleted article; a put of the same id
// replaces it. settleDeletes, at every Open, deletes the tombstones it
// can (purge), and turns into tombstones the deletes of a store written
// before them (migration).

// tombstone is the value a delete writes under an article's 'a' and 'c'
// keys: a version byte no record uses. Badger never changes a value it is
// given, so every write may share it.
var tombstone = []byte{tombstoneV}

// isTombstone reports whether v, a value of an 'a' or 'c' key, is a
// tombstone.
func isTombstone(v []byte) bool { return len(v) == 1 && v[0] == tombstoneV }

// hasTombstones reports whether key is of a kind that deletes write a
// tombstone under.
func hasTombstones(key []byte) bool {
	return len(key) > 0 && (key[0] == prefixArticle || key[0] == prefixCounts)
}

// tombstoned reports whether item holds a tombstone, reading its value only
// when it is one byte long: a tombstone is kept in the LSM tree, so its
// size is known without a read of the value log.
func tombstoned(item *badger.Item) (bool, error) {
	if item.IsDeletedOrExpired() || item.ValueSize() != 1 {
		return false, nil
	}
	var t bool
	err := item.Value(func(v []byte) error {
		t = isTombstone(v)
		return nil
	})
	return t, err
}

// skipTombstones moves it past the tombstones at its position.
func skipTombstones(it *badger.Iterator) error {
	for ; it.Valid(); it.Next() {
		t, err := tombstoned(it.Item())
		if err != nil {
			return fmt.Errorf("read %q: %w", it.Item().Key(), err)
		}
		if !t {
			return nil
		}
	}
	return nil
}

// settled is what settleDeletes did.
type settled struct {
	tombstoned int // deletes turned into tombstones
	purged     int // tombstones deleted
}

// settleDeletes walks every version of every 'a' and 'c' key and
//
//   - writes a tombstone over a key whose newest version is a Badger delete
//     while an older version holding a value is still in the LSM tree: a
//     delete written before tombstones (format 1), which the value-log GC
//     can still undo;
//   - deletes a tombstone that is its key's only version holding anything:
//     with no older value in the LSM tree, the GC has nothing to copy back
//     (it copies only a version it finds there), now or later, so the
//     delete cannot be undone, and Badger's compactions then drop both.
//
// It must run while nothing else writes and no value-log GC runs: Open
// calls it before the committer and the GC start. A crash part way leaves
// the store as correct as before; the next Open goes on.
func settleDeletes(bdb *badger.DB) (settled, error) {
	var s settled
	wb := bdb.NewWriteBatch()
	defer wb.Cancel()
	err := bdb.View(func(txn *badger.Txn) error {
		for _, prefix := range []byte{prefixArticle, prefixCounts} {
			opts := prefixOptions(prefix)
			opts.AllVersions = true
			it := txn.NewIterator(opts)
			err := settleRange(it, wb, &s)
			it.Close()
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return settled{}, fmt.Errorf("settle deletes: %w", err)
	}
	if err := wb.Flush(); err != nil {
		return settled{}, fmt.Errorf("settle deletes: %w", err)
	}
	return s, nil
}

// settleRange settles the keys it iterates over, every version of each,
// newest first.
func settleRange(it *badger.Iterator, wb *badger.WriteBatch, s *settled) error {
	var key []byte // the key whose versions are being read
	var newestDeleted, newestTombstone, olderValue bool
	settle := func() error {
		switch {
		case key == nil:
		case newestDeleted && olderValue:
			s.tombstoned++
			return wb.Set(key, tombstone)
		case newestTombstone && !olderValue:
			s.purged++
			return wb.Delete(key)
		}
		return nil
	}
	for it.Rewind(); it.Valid(); it.Next() {
		item := it.Item()
		t, err := tombstoned(item)
		if err != nil {
			return fmt.Errorf("read %q: %w", item.Key(), err)
		}
		if !bytes.Equal(item.Key(), key) {
			if err := settle(); err != nil {
				return err
			}
			key = item.KeyCopy(nil)
			newestDeleted, newestTombstone, olderValue = item.IsDeletedOrExpired(), t, false
			continue
		}
		if !item.IsDeletedOrExpired() && !t {
			olderValue = true
		}
	}
	return settle()
}
