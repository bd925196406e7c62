package storage

import (
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/dgraph-io/badger/v4"
)

// checkpoint makes the df records equal the df in memory: it writes the
// record of every term whose df changed since the last checkpoint (deleting
// those that reached 0), syncs them, and then sets the flag in the 's'
// record that says the df records are current, and syncs again. Each term
// is written once however many commits changed it. It returns how many df
// records it wrote.
//
// It runs in the committer goroutine (or in Open, before that starts), so
// no commit changes df meanwhile, once the changes of the last committed
// groups are applied. It finds the changed terms by reading
// every df record, which costs a read of the vocabulary but nothing per
// commit. Terms are written in as many transactions as needed; a crash
// between them leaves the flag clear, and Open recounts.
func (c *committer) checkpoint() (int, error) {
	if c.dfCurrent {
		return 0, nil
	}
	if !c.persistent {
		c.dfCurrent = true
		return 0, nil
	}
	// df must hold every committed change; the acknowledger may still be
	// applying some. Nothing changes df while the read lock is held.
	c.waitApplied()
	c.mu.RLock()
	defer c.mu.RUnlock()
	terms, err := c.staleTerms()
	if err != nil {
		return 0, fmt.Errorf("checkpoint df: %w", err)
	}
	written := len(terms)
	chunk := max(1, int(c.bdb.MaxBatchCount()/2))
	for len(terms) > 0 {
		n := min(chunk, len(terms))
		err := c.bdb.Update(func(txn *badger.Txn) error {
			for _, t := range terms[:n] {
				var err error
				if df := c.df[t]; df == 0 {
					err = txn.Delete(termKey(t))
				} else {
					err = txn.Set(termKey(t), encodeDF(df))
				}
				if err != nil {
					return err
				}
			}
			return nil
		})
		if errors.Is(err, badger.ErrTxnTooBig) && n > 1 {
			chunk = n / 2
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("checkpoint df: %w", err)
		}
		terms = terms[n:]
	}
	// The flag vouches for the df records: they must be durable before it.
	if err := c.sync.sync(); err != nil {
		return 0, fmt.Errorf("checkpoint df: %w", err)
	}
	err = c.bdb.Update(func(txn *badger.Txn) error {
		return txn.Set(statsKey(), encodeStats(statsRecord{n: c.committedN, dfCurrent: true}))
	})
	if err == nil {
		err = c.sync.sync()
	}
	if err != nil {
		return 0, fmt.Errorf("checkpoint df: %w", err)
	}
	c.dfCurrent = true
	return written, nil
}

// staleTerms returns, in order, the terms whose df record differs from df:
// missing, stale or holding another number. It walks the df records and
// the sorted terms of df side by side.
func (c *committer) staleTerms() ([]string, error) {
	terms := slices.Sorted(maps.Keys(c.df))
	var stale []string
	err := c.bdb.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(prefixOptions(prefixTerm))
		defer it.Close()
		i := 0
		for it.Rewind(); it.Valid(); it.Next() {
			stored := it.Item().Key()[1:]
			for i < len(terms) && terms[i] < string(stored) {
				stale = append(stale, terms[i]) // no record yet
				i++
			}
			if i == len(terms) || terms[i] != string(stored) {
				stale = append(stale, string(stored)) // df now 0
				continue
			}
			var df uint32
			err := it.Item().Value(func(v []byte) error {
				var err error
				df, err = decodeDF(v)
				return err
			})
			// A record that does not decode gets rewritten.
			if err != nil || df != c.df[terms[i]] {
				stale = append(stale, terms[i])
			}
			i++
		}
		stale = append(stale, terms[i:]...)
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.Sort(stale)
	return stale, nil
}
