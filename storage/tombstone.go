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
// salvage. A tombstone costs its key, a byte and Badger's overhead: 50
// bytes per deleted article of a 16-byte id, both keys, in compacted
// tables (measured). A put of the same id replaces them. Kept forever,
// they would add up in a store that deletes much (news that expire), and
// every Scan and recount steps over them; so at every Open, settleDeletes
// deletes those it can (purge). It also turns into tombstones the deletes
// of a store written before them (the upgrade from format 1).

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

// settleDeletes settles the deletes of 'a' and 'c' keys: it
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
// With all set (a store of format 1), it reads every version of every 'a'
// and 'c' key. Otherwise it reads the 'a' keys, whose values are mostly in
// the value log, so that their part of the LSM tree is small, and the 'c'
// key of each tombstone among them: a store of format 2 has no other
// deletes to settle, and that walk costs a tenth of one over the 'c' keys,
// whose values are mostly in the LSM tree. At 100,000 articles of 140
// terms, it adds some 50 ms to a clean Open (about 100 ms against 45,
// machine under load); purging 100,000 deleted articles takes about 2 s,
// once.
//
// It must run while nothing else writes and no value-log GC runs: Open
// calls it before the committer and the GC start. A crash part way leaves
// the store as correct as before; the next Open goes on.
func settleDeletes(bdb *badger.DB, all bool) (settled, error) {
	var s settled
	wb := bdb.NewWriteBatch()
	defer wb.Cancel()
	err := bdb.View(func(txn *badger.Txn) error {
		iter := func(prefix byte) *badger.Iterator {
			opts := prefixOptions(prefix)
			opts.AllVersions = true
			return txn.NewIterator(opts)
		}
		articles, counts := iter(prefixArticle), iter(prefixCounts)
		defer articles.Close()
		defer counts.Close()
		for articles.Rewind(); articles.Valid(); {
			k, err := readVersions(articles)
			if err != nil {
				return err
			}
			if err := k.settle(wb, &s); err != nil {
				return err
			}
			if all || !k.newestTombstone {
				continue
			}
			key := countsKey(string(k.key[1:]))
			if counts.Seek(key); !counts.Valid() || !bytes.Equal(counts.Item().Key(), key) {
				continue
			}
			if k, err = readVersions(counts); err != nil {
				return err
			}
			if err := k.settle(wb, &s); err != nil {
				return err
			}
		}
		for counts.Rewind(); all && counts.Valid(); {
			k, err := readVersions(counts)
			if err != nil {
				return err
			}
			if err := k.settle(wb, &s); err != nil {
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

// keyState is what the versions of a key hold, as far as deletes go.
type keyState struct {
	key             []byte
	newestDeleted   bool // a Badger delete
	newestTombstone bool
	olderValue      bool // an older version holds a value, not a tombstone
}

// readVersions reads the versions of the key at its position, newest
// first, and moves it to the next key.
func readVersions(it *badger.Iterator) (keyState, error) {
	var k keyState
	for newest := true; it.Valid(); it.Next() {
		item := it.Item()
		if !newest && !bytes.Equal(item.Key(), k.key) {
			break
		}
		t, err := tombstoned(item)
		if err != nil {
			return keyState{}, fmt.Errorf("read %q: %w", item.Key(), err)
		}
		switch {
		case newest:
			k = keyState{key: item.KeyCopy(nil), newestDeleted: item.IsDeletedOrExpired(), newestTombstone: t}
			newest = false
		case !item.IsDeletedOrExpired() && !t:
			k.olderValue = true
		}
	}
	return k, nil
}

// settle writes what the versions call for, counting it in s.
func (k keyState) settle(wb *badger.WriteBatch, s *settled) error {
	switch {
	case k.newestDeleted && k.olderValue:
		s.tombstoned++
		return wb.Set(k.key, tombstone)
	case k.newestTombstone && !k.olderValue:
		s.purged++
		return wb.Delete(k.key)
	}
	return nil
}
