package storage

import (
	"context"
	"errors"
	"fmt"
	"maps"

	"github.com/dgraph-io/badger/v4"

	"github.com/readalike/readalike/recommend"
	"github.com/readalike/readalike/vectorize"
)

// TermStats returns N and the df of every term with df > 0, as of the last
// acknowledged commits, from memory. The caller owns the map; building it
// copies the whole vocabulary. It is safe for concurrent use, and returns an
// error only after Close.
func (d *DB) TermStats(ctx context.Context) (recommend.TermStats, error) {
	if !d.gate.enter() {
		return recommend.TermStats{}, fmt.Errorf("term stats: %w", ErrClosed)
	}
	defer d.gate.leave()
	c := d.c
	c.mu.RLock()
	defer c.mu.RUnlock()
	return recommend.TermStats{N: c.n, DF: maps.Clone(c.df)}, nil
}

// termStats are what Open loads for the committer.
type termStats struct {
	n         int
	df        map[string]uint32
	dfCurrent bool // the df records on disk equal df

	recounted bool // the df records were not current: df was recounted
	recordN   int  // N as the 's' record says, when recounted
}

// loadTermStats reads N and the df records; if the 's' record says these are
// not current (the process died since the last checkpoint), it recounts N
// and df from the 'c' records instead.
func loadTermStats(bdb *badger.DB) (termStats, error) {
	st := termStats{df: map[string]uint32{}}
	err := bdb.View(func(txn *badger.Txn) error {
		item, err := txn.Get(statsKey())
		switch {
		case errors.Is(err, badger.ErrKeyNotFound): // a new store
			st.dfCurrent = true
			return nil
		case err != nil:
			return err
		}
		var rec statsRecord
		err = item.Value(func(v []byte) error {
			rec, err = decodeStats(v)
			return err
		})
		if err != nil {
			return err
		}
		st.n, st.dfCurrent = rec.n, rec.dfCurrent
		if !st.dfCurrent {
			return nil // recounted below
		}
		it := txn.NewIterator(prefixOptions(prefixTerm))
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			term := string(it.Item().Key()[1:])
			err := it.Item().Value(func(v []byte) error {
				df, err := decodeDF(v)
				st.df[term] = df
				return err
			})
			if err != nil {
				return fmt.Errorf("df of %q: %w", term, err)
			}
		}
		return nil
	})
	if err != nil {
		return termStats{}, fmt.Errorf("load term stats: %w", err)
	}
	if st.dfCurrent {
		return st, nil
	}
	st.recounted, st.recordN = true, st.n
	if st.n, st.df, err = recountTermStats(bdb); err != nil {
		return termStats{}, fmt.Errorf("load term stats: %w", err)
	}
	return st, nil
}

// recountTermStats counts N and df from the 'c' records, tombstones
// aside.
func recountTermStats(bdb *badger.DB) (int, map[string]uint32, error) {
	n, df := 0, map[string]uint32{}
	err := bdb.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(prefixOptions(prefixCounts))
		defer it.Close()
		var c vectorize.Counts
		for it.Rewind(); it.Valid(); it.Next() {
			deleted := false
			err := it.Item().Value(func(v []byte) error {
				if deleted = isTombstone(v); deleted {
					return nil
				}
				var err error
				c, err = decodeCounts(v, c)
				return err
			})
			if err != nil {
				return fmt.Errorf("counts of %q: %w", it.Item().Key()[1:], err)
			}
			if deleted {
				continue
			}
			n++
			for _, tc := range c {
				df[tc.Term]++
			}
		}
		return nil
	})
	if err != nil {
		return 0, nil, fmt.Errorf("recount: %w", err)
	}
	return n, df, nil
}
