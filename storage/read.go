package storage

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/readalike/readalike/recommend"
	"github.com/readalike/readalike/vectorize"
)

// Article returns the stored article with its body, or an error wrapping
// recommend.ErrNotFound. Its times are in UTC. It is safe for concurrent
// use.
func (d *DB) Article(ctx context.Context, id string) (recommend.Article, error) {
	var a recommend.Article
	err := d.get(ctx, articleKey(id), func(v []byte) error {
		return decodeArticle(id, v, true, &a)
	})
	if err == nil {
		err = d.get(ctx, readsKey(id), func(v []byte) error {
			var derr error
			a.ReadCount, a.LastRead, derr = decodeReads(v)
			return derr
		})
		if errors.Is(err, recommend.ErrNotFound) {
			err = nil // never read (or written by a version that kept reads in 'a')
		}
	}
	if err != nil {
		return recommend.Article{}, fmt.Errorf("article %q: %w", id, err)
	}
	return a, nil
}

// Reads returns the reads recorded for reader, newest first, at most limit
// (all when limit is 0 or less).
func (d *DB) Reads(ctx context.Context, reader string, limit int) ([]recommend.Read, error) {
	if !d.gate.enter() {
		return nil, fmt.Errorf("reads: %w", ErrClosed)
	}
	defer d.gate.leave()
	prefix := historyPrefix(reader)
	var out []recommend.Read
	err := d.bdb.View(func(txn *badger.Txn) error {
		opts := badger.DefaultIteratorOptions
		opts.Prefix, opts.PrefetchValues, opts.Reverse = prefix, false, true
		it := txn.NewIterator(opts)
		defer it.Close()
		// Reverse iteration starts at the last key at or before the seek
		// key: one past every key of the prefix.
		for it.Seek(append(slices.Clone(prefix), 0xff)); it.Valid(); it.Next() {
			if err := ctx.Err(); err != nil {
				return err
			}
			k := it.Item().Key()[len(prefix):]
			if len(k) < 8 {
				return fmt.Errorf("%w: read key of %q too short", ErrCorrupt, reader)
			}
			at := time.Unix(0, int64(binary.BigEndian.Uint64(k))).UTC()
			out = append(out, recommend.Read{ID: string(k[8:]), Reader: reader, At: at})
			if limit > 0 && len(out) == limit {
				break
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reads of %q: %w", reader, err)
	}
	return out, nil
}

// Counts returns the stored term counts of an article, sorted by term, or
// an error wrapping recommend.ErrNotFound. The caller owns the slice. It is
// safe for concurrent use.
func (d *DB) Counts(ctx context.Context, id string) (vectorize.Counts, error) {
	var c vectorize.Counts
	err := d.get(ctx, countsKey(id), func(v []byte) error {
		var err error
		c, err = decodeCounts(v, nil)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("article %q: %w", id, err)
	}
	return c, nil
}

// get calls decode with the value of key, translating Badger's not-found,
// and a tombstone, to recommend.ErrNotFound.
func (d *DB) get(ctx context.Context, key []byte, decode func(v []byte) error) error {
	if !d.gate.enter() {
		return ErrClosed
	}
	defer d.gate.leave()
	if err := ctx.Err(); err != nil {
		return err
	}
	err := d.bdb.View(func(txn *badger.Txn) error {
		item, err := txn.Get(key)
		if err != nil {
			return err
		}
		return item.Value(func(v []byte) error {
			if hasTombstones(key) && isTombstone(v) {
				return badger.ErrKeyNotFound
			}
			return decode(v)
		})
	})
	if errors.Is(err, badger.ErrKeyNotFound) {
		return recommend.ErrNotFound
	}
	return err
}

// Scan calls fn for every stored article and its term counts, in id order,
// from one consistent snapshot: commits acknowledged after Scan started are
// not seen. With bodies false, a.Body is empty and the body is not decoded.
// fn gets a new Article each call, which it may keep, but must not keep c,
// whose slice is reused. Scan stops at the first error fn returns and
// returns it as it is; it checks ctx before each article and returns ctx's
// error, wrapped, once it ends. Deleted articles (tombstones, see
// tombstone.go) are skipped. An article without term counts, or term
// counts without an article, is skipped with a warning in the log: a
// deleted record come back (see dropOrphans) in a store written before
// tombstones, which the next recovery deletes. Scan is safe for concurrent
// use; fn may call the DB's other methods.
func (d *DB) Scan(ctx context.Context, bodies bool, fn func(a *recommend.Article, c vectorize.Counts) error) error {
	if !d.gate.enter() {
		return fmt.Errorf("scan: %w", ErrClosed)
	}
	defer d.gate.leave()
	var fnErr error
	err := d.bdb.View(func(txn *badger.Txn) error {
		// The 'a' and 'c' ranges list the same ids in the same order: walk
		// them side by side.
		articles := txn.NewIterator(prefixOptions(prefixArticle))
		defer articles.Close()
		counts := txn.NewIterator(prefixOptions(prefixCounts))
		defer counts.Close()
		counts.Rewind()
		reads := txn.NewIterator(prefixOptions(prefixReads))
		defer reads.Close()
		reads.Rewind()
		var c vectorize.Counts
		for articles.Rewind(); ; articles.Next() {
			if err := skipTombstones(articles); err != nil {
				return err
			}
			if !articles.Valid() {
				break
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			id := articles.Item().Key()[1:]
			for {
				if err := skipTombstones(counts); err != nil {
					return err
				}
				if !counts.Valid() || bytes.Compare(counts.Item().Key()[1:], id) >= 0 {
					break
				}
				d.orphan(counts.Item().Key())
				counts.Next()
			}
			if !counts.Valid() || !bytes.Equal(counts.Item().Key()[1:], id) {
				d.orphan(articles.Item().Key())
				continue
			}
			a := &recommend.Article{}
			err := articles.Item().Value(func(v []byte) error {
				return decodeArticle(string(id), v, bodies, a)
			})
			if err != nil {
				return fmt.Errorf("article %q: %w", id, err)
			}
			// The 'r' range lists the ids ever read, in the same order.
			for reads.Valid() && bytes.Compare(reads.Item().Key()[1:], id) < 0 {
				reads.Next()
			}
			if reads.Valid() && bytes.Equal(reads.Item().Key()[1:], id) {
				err = reads.Item().Value(func(v []byte) error {
					var derr error
					a.ReadCount, a.LastRead, derr = decodeReads(v)
					return derr
				})
				if err != nil {
					return fmt.Errorf("reads of %q: %w", id, err)
				}
			}
			err = counts.Item().Value(func(v []byte) error {
				var derr error
				c, derr = decodeCounts(v, c)
				return derr
			})
			if err != nil {
				return fmt.Errorf("article %q: %w", id, err)
			}
			counts.Next()
			if err := fn(a, c); err != nil {
				fnErr = err
				return err
			}
		}
		for ; counts.Valid(); counts.Next() {
			if err := skipTombstones(counts); err != nil || !counts.Valid() {
				return err
			}
			d.orphan(counts.Item().Key())
		}
		return nil
	})
	if fnErr != nil {
		return fnErr
	}
	if err != nil {
		return fmt.Errorf("scan: %w", err)
	}
	return nil
}

// orphan logs an article or term-count record whose pair is missing.
func (d *DB) orphan(key []byte) {
	d.log.Warn("skipped a record without its pair: a deleted article came back (badger's value-log gc); the next recovery deletes it",
		"kind", string(key[:1]), "id", string(key[1:]))
}

// prefixOptions iterates over one record kind, fetching each value only when
// asked, inside its Value callback, so that nothing is copied.
func prefixOptions(prefix byte) badger.IteratorOptions {
	opts := badger.DefaultIteratorOptions
	opts.Prefix = []byte{prefix}
	opts.PrefetchValues = false
	return opts
}
