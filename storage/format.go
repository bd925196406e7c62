package storage

import (
	"errors"
	"fmt"

	"github.com/dgraph-io/badger/v4"
)

// formatVersion is the store format this program writes and reads. Raise it
// when a change to keys.go or codec.go means an older program would misread
// the store; Open refuses stores of a newer format.
const formatVersion byte = 1

// checkFormat reads the format record: a store of another format is refused
// with ErrFormat; an empty store gets the current format, synced, so that it
// is never mistaken later for a foreign one (unless it is read-only).
func checkFormat(bdb *badger.DB, s *syncer, readOnly bool) error {
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
		return fmt.Errorf("read format: %w", err)
	}
	switch {
	case version == nil && empty && readOnly:
		return nil
	case version == nil && empty:
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
	case version == nil:
		return fmt.Errorf("%w: the store has no format record: not a readalike store", ErrFormat)
	case len(version) != 1:
		return fmt.Errorf("%w: format record of %d bytes", ErrFormat, len(version))
	case version[0] > formatVersion:
		return fmt.Errorf("%w: the store has format %d, newer than this program's %d; use a newer readalike",
			ErrFormat, version[0], formatVersion)
	case version[0] < formatVersion:
		return fmt.Errorf("%w: the store has format %d, older than this program's %d, and there is no upgrade",
			ErrFormat, version[0], formatVersion)
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
