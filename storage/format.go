package storage

import (
	"errors"
	"fmt"

	"github.com/dgraph-io/badger/v4"
)

// formatVersion is the store format this program writes and reads. Raise it
// when a change to keys.go or codec.go means an older program would misread
// the store; Open refuses stores of a newer format.
//
//	1  the first
//	2  deletes write tombstones under 'a' and 'c' (tombstone.go), which a
//	   program of format 1 cannot decode
//
// Open upgrades a store of format 1 (upgradeFormat) before anything writes
// to it, but for the salvage's roll-backs.
const formatVersion byte = 2

// oldestFormat is the oldest format Open upgrades.
const oldestFormat byte = 1

// checkFormat reads the format record and returns the store's format: a
// store of a format newer than formatVersion, or older than oldestFormat,
// is refused with ErrFormat. An empty store gets the current format,
// synced, so that it is never mistaken later for a foreign one (unless it
// is read-only).
func checkFormat(bdb *badger.DB, s *syncer, readOnly bool) (byte, error) {
	var version []byte
	empty := false
	err := bdb.View(func(txn *badger.Txn) error {
		item, err := txn.Get(formatKey())
		if errors.Is(err, badger.ErrKeyNotFound) {
			empty = isEmpty(txn)
			return nil
		}
		if err != nil {
			return err
		}
		version, err = item.ValueCopy(nil)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("read format: %w", err)
	}
	switch {
	case version == nil && empty && readOnly:
		return formatVersion, nil
	case version == nil && empty:
		return formatVersion, writeFormat(bdb, s)
	case version == nil:
		return 0, fmt.Errorf("%w: the store has no format record: not a readalike store", ErrFormat)
	case len(version) != 1:
		return 0, fmt.Errorf("%w: format record of %d bytes", ErrFormat, len(version))
	case version[0] > formatVersion:
		return 0, fmt.Errorf("%w: the store has format %d, newer than this program's %d; use a newer readalike",
			ErrFormat, version[0], formatVersion)
	case version[0] < oldestFormat:
		return 0, fmt.Errorf("%w: the store has format %d, older than this program's %d, and there is no upgrade",
			ErrFormat, version[0], formatVersion)
	}
	return version[0], nil
}

// upgradeFormat upgrades a store of an older format to formatVersion: from
// format 1, it turns every delete of an 'a' or 'c' key that the value-log
// GC could still undo into a tombstone (settleDeletes), then writes the
// format record and syncs. A crash before the format record leaves the
// store of format 1, with some tombstones a program of this format reads;
// the next Open upgrades it again. Nothing else may write meanwhile.
func upgradeFormat(bdb *badger.DB, s *syncer, format byte) (settled, error) {
	if format >= formatVersion {
		return settled{}, nil
	}
	st, err := settleDeletes(bdb, true)
	if err != nil {
		return settled{}, fmt.Errorf("upgrade format %d: %w", format, err)
	}
	if err := writeFormat(bdb, s); err != nil {
		return settled{}, fmt.Errorf("upgrade format %d: %w", format, err)
	}
	return st, nil
}

// writeFormat writes the current format record and syncs it.
func writeFormat(bdb *badger.DB, s *syncer) error {
	err := bdb.Update(func(txn *badger.Txn) error {
		return txn.Set(formatKey(), []byte{formatVersion})
	})
	if err == nil {
		err = s.sync()
	}
	if err != nil {
		return fmt.Errorf("write format: %w", err)
	}
	return nil
}

func isEmpty(txn *badger.Txn) bool {
	opts := badger.DefaultIteratorOptions
	opts.PrefetchValues = false
	it := txn.NewIterator(opts)
	defer it.Close()
	it.Rewind()
	return !it.Valid()
}
