package storage

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/readalike/readalike/recommend"
	"github.com/readalike/readalike/vectorize"
)

// Recovery is what Open did to a store that was not closed cleanly.
type Recovery struct {
	// Unclean is set when the process that had the store open died, or the
	// machine lost power, before closing it. Open then read back every
	// record, rolled back what could not be read, and recounted the term
	// statistics; the other fields say what that found.
	Unclean bool
	// Transactions is how many transactions were rolled back because a
	// value they wrote could not be read back: writes that were never
	// acknowledged (see salvage.go).
	Transactions int
	// Dropped is how many records those roll-backs changed: each was put
	// back to its value before the transaction, or deleted if it had none.
	Dropped int
	// Articles are the ids of the articles among them, at most 100.
	Articles []string
	// Restored is how many values were read from the copy that the
	// value-log GC had moved them from, the new copy being lost.
	Restored int
	// Took is how long the recovery took, the recount included.
	Took time.Duration
}

// The salvage: what Open does when the store was not closed cleanly.
//
// Badger makes a transaction atomic in its write-ahead log: replayed at
// open, the log yields whole transactions and stops at the first torn
// one. But the values of 1 KiB and more live in the value log, a separate
// file, and nothing orders the kernel's writeback of the two: after a
// power loss a log entry can hold a pointer to value-log bytes that never
// reached the disk. Badger then reads an empty value (it logs ErrEOF, or
// an offset past the file, and returns no error), and the store would
// fail to decode it at every open. A memtable flushed to an SST before
// its values were synced leaves the same dangling pointer in the SST.
//
// Why such a record was never acknowledged. A Commit is acknowledged only
// after a sync that began once its transaction had committed (committer.go),
// and that sync fsyncs every log file the transaction wrote to, value log
// and write-ahead log, with their directory entries (sync.go). Badger
// writes its logs in one goroutine, in commit order, so every log byte of
// an acknowledged transaction, and every byte before it in the same file,
// is on the disk; Badger's replay and its truncation of the last value
// log at the first torn entry both stop after it. SSTs and the manifest
// Badger syncs itself before it uses them. So a value that cannot be read
// back (empty, cut short, failing its checksum, or failing to decode)
// belongs to a transaction that was not acknowledged, with two caveats
// this file handles:
//
//   - The value-log GC copies live values to the head of the value log
//     under the same key and version, and Badger then serves the copy.
//     After a power loss during a GC round the copy's bytes can be lost
//     while its pointer survived. The original is still in the old file,
//     which the GC deletes only after a sync (gc.go), so the salvage reads
//     it from there (scanLog) and writes it back.
//   - A record is rolled back to its previous version, which a compaction
//     could have dropped in favour of the lost one. Compactions never drop
//     a version in favour of one written after the last sync (the pin,
//     committer.go), and the salvage runs with compactions off.
//
// A transaction that lost a value is rolled back whole: in non-managed
// Badger every transaction has its own version, so every record at that
// version goes back to its newest earlier version not rolled back (or is
// deleted when there is none, with a tombstone under 'a' and 'c'). An
// article's 'a' and 'c' records are always written together, so they stay
// in step. A neighbor list that is not current is deleted instead, as
// lists are disposable; the 'g' record goes back to the generation saved
// before the refit that was cut short, and if none survives it is
// deleted, and the engine fits a new one from the term statistics. The
// term statistics are then recounted from the 'c' records, and
// checkpointed. A store of format 1 is upgraded (format.go).
//
// The salvage opens Badger on its own, with compactions off and value
// checksums verified, and closes it when done; Open then opens the store
// as usual.

// salvage recovers the store in dir, which was not closed cleanly, as the
// comment above says, and closes it again.
func salvage(dir string, opts Options) (Recovery, error) {
	start := time.Now()
	rec := Recovery{Unclean: true}
	bopts := badgerOptions(dir, opts).
		WithNumCompactors(0).
		WithVerifyValueChecksum(true).
		// Without compactions level 0 never drains: flushes must not wait
		// for it.
		WithNumLevelZeroTablesStall(1 << 30).
		WithLogger(salvageLogger{badgerLogger{opts.Logger}})
	bdb, err := openBadger(bopts, opts.Logger)
	if err != nil {
		return rec, err
	}
	defer func() {
		if bdb != nil {
			bdb.Close()
		}
	}()
	s, err := newSyncer(dir, opts.syncHook)
	if err != nil {
		return rec, err
	}
	format, err := checkFormat(bdb, s, false)
	if err != nil {
		return rec, err
	}
	st := termStats{dfCurrent: false, recounted: true}
	st.recordN, _ = storedN(bdb)
	lost, err := unreadable(bdb, &st)
	if err != nil {
		return rec, fmt.Errorf("read back: %w", err)
	}
	if err := rollBack(bdb, dir, lost, &rec, opts.Logger); err != nil {
		return rec, fmt.Errorf("roll back: %w", err)
	}
	if err := dropOrphans(bdb, &rec, opts.Logger); err != nil {
		return rec, fmt.Errorf("drop orphans: %w", err)
	}
	if settled, err := upgradeFormat(bdb, s, format); err != nil {
		return rec, err
	} else if format < formatVersion {
		opts.Logger.Warn("store upgraded to a newer format: older programs refuse it now",
			"dir", dir, "from", format, "to", formatVersion, "tombstoned", settled.tombstoned, "purged", settled.purged)
	}
	if err := s.sync(); err != nil {
		return rec, err
	}
	if rec.Dropped+rec.Restored > 0 {
		// The counts read back are no longer all current.
		if st.n, st.df, err = recountTermStats(bdb); err != nil {
			return rec, fmt.Errorf("load term stats: %w", err)
		}
	}
	written, err := newCommitter(bdb, s, opts.Logger, st, opts, true, nil).checkpoint()
	if err != nil {
		return rec, err
	}
	err = bdb.Close()
	bdb = nil
	if err != nil {
		return rec, err
	}
	rec.Took = time.Since(start)
	log := opts.Logger
	log.Warn("store was not closed cleanly: recounted document frequencies from the term counts",
		"dir", dir, "n", st.n, "terms", len(st.df), "df_records_fixed", written,
		"took", rec.Took.Round(time.Millisecond))
	if st.n != st.recordN {
		log.Warn("stored article count was wrong", "dir", dir, "stored", st.recordN, "counted", st.n)
	}
	if rec.Dropped > 0 || rec.Restored > 0 {
		log.Warn("store was not closed cleanly: rolled back the writes whose values could not be read back, none of them acknowledged",
			"dir", dir, "transactions", rec.Transactions, "records_dropped", rec.Dropped,
			"articles", len(rec.Articles), "values_restored", rec.Restored)
	}
	return rec, nil
}

// version names one version of one key: a value Badger wrote.
type version struct {
	key     string
	version uint64
}

// rollBack finds every value that cannot be read back, restores those the
// value-log GC has a copy of, and rolls back the transactions of the
// others, adding what it did to rec.
func rollBack(bdb *badger.DB, dir string, lost map[version]bool, rec *Recovery, log *slog.Logger) error {
	if len(lost) == 0 {
		return nil
	}
	copies, err := gcCopies(dir, lost)
	if err != nil {
		return err
	}
	bad := map[uint64]bool{} // versions that lost a value no copy holds
	for v := range lost {
		if _, ok := copies[v]; !ok {
			bad[v.version] = true
		}
	}
	rec.Transactions = len(bad)

	wb := bdb.NewWriteBatch()
	defer wb.Cancel()
	logged := 0
	// fix writes what a key's versions call for: nothing when its newest
	// version stands, else the newest version that does, or a delete (a
	// tombstone under 'a' and 'c').
	fix := func(k *keyVersions) error {
		if k == nil || k.stands {
			return nil
		}
		key := k.key
		if key[0] == prefixNeighbor {
			k.val = nil
		}
		if k.val == nil && k.newestDeleted {
			return nil // deleted it stays
		}
		if k.val == nil && hasTombstones(key) {
			k.val = tombstone // deleted, as Commit deletes it (tombstone.go)
		}
		what := "deleted"
		switch {
		case k.restored:
			what = "restored from the value-log gc's copy"
			rec.Restored++
		case k.val != nil && !(hasTombstones(key) && isTombstone(k.val)):
			what = "put back to its earlier value"
			rec.Dropped++
		default:
			rec.Dropped++
		}
		if key[0] == prefixArticle && !k.restored && len(rec.Articles) < 100 {
			rec.Articles = append(rec.Articles, string(key[1:]))
		}
		if key[0] == prefixGen && !k.restored {
			if k.val == nil {
				log.Warn("the model generation could not be read back and no earlier one survives: deleted; the engine fits a new one from the term statistics")
			} else {
				log.Warn("a refit was cut short: the model generation is put back to the one saved before it")
			}
		}
		if logged < 100 {
			logged++
			log.Warn("record could not be read back: "+what, "kind", string(key[:1]), "key", string(key[1:]),
				"version", k.newest)
		}
		if k.val == nil {
			return wb.Delete(key)
		}
		return wb.Set(key, k.val)
	}
	err = bdb.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{AllVersions: true})
		defer it.Close()
		var k *keyVersions
		for it.Rewind(); it.Valid(); it.Next() {
			item := it.Item()
			if k == nil || string(item.Key()) != string(k.key) {
				if err := fix(k); err != nil {
					return err
				}
				k = &keyVersions{key: item.KeyCopy(nil), newest: item.Version(), newestDeleted: item.IsDeletedOrExpired()}
				if !bad[k.newest] && !lost[version{string(k.key), k.newest}] {
					k.stands, k.decided = true, true
				}
			}
			if k.decided {
				continue
			}
			v := version{string(k.key), item.Version()}
			if bad[v.version] || (lost[v] && copies[v] == nil) {
				continue // rolled back, or lost with its transaction
			}
			k.decided = true
			switch {
			case item.IsDeletedOrExpired():
			case lost[v]:
				k.val, k.restored = copies[v], v.version == k.newest
			default:
				var err error
				if k.val, err = item.ValueCopy(nil); err != nil {
					return err
				}
			}
		}
		return fix(k)
	})
	if err != nil {
		return err
	}
	if n := rec.Dropped + rec.Restored; logged < n {
		log.Warn("more records could not be read back than were logged", "logged", logged, "total", n)
	}
	return wb.Flush()
}

// keyVersions is what rollBack learns of one key as it walks its
// versions, newest first.
type keyVersions struct {
	key           []byte
	newest        uint64
	newestDeleted bool
	stands        bool   // the newest version is readable and not rolled back
	decided       bool   // the version to keep is found (or the newest stands)
	val           []byte // the value to put back; nil deletes
	restored      bool   // val is the newest version's, from the GC's copy
}

// dropOrphans deletes (with a tombstone) every article record without
// term counts, and every term-count record without an article. A
// transaction writes or deletes both, and the roll-back keeps them in
// step, so an orphan is a deleted record come back, from a delete written
// before tombstones (tombstone.go): Badger v4.9.6's value-log GC copies a
// version that a delete has shadowed (it moves every version still in the
// LSM tree), and once a compaction drops the delete, and the shadowed
// versions beside it, the copy in a higher level is the newest version
// left. Only values in the value log come back, so an article's record
// can, while its smaller term counts, kept in the LSM tree, stay deleted.
func dropOrphans(bdb *badger.DB, rec *Recovery, log *slog.Logger) error {
	wb := bdb.NewWriteBatch()
	defer wb.Cancel()
	n := 0
	err := bdb.View(func(txn *badger.Txn) error {
		articles := txn.NewIterator(prefixOptions(prefixArticle))
		defer articles.Close()
		counts := txn.NewIterator(prefixOptions(prefixCounts))
		defer counts.Close()
		articles.Rewind()
		counts.Rewind()
		drop := func(it *badger.Iterator) error {
			key := it.Item().KeyCopy(nil)
			if n++; n <= 100 {
				log.Warn("a deleted record came back (badger's value-log gc): deleted again", "kind", string(key[:1]), "key", string(key[1:]))
			}
			it.Next()
			return wb.Set(key, tombstone)
		}
		for {
			if err := skipTombstones(articles); err != nil {
				return err
			}
			if err := skipTombstones(counts); err != nil {
				return err
			}
			if !articles.Valid() && !counts.Valid() {
				break
			}
			var cmp int
			switch {
			case !counts.Valid():
				cmp = -1
			case !articles.Valid():
				cmp = 1
			default:
				cmp = bytes.Compare(articles.Item().Key()[1:], counts.Item().Key()[1:])
			}
			var err error
			switch cmp {
			case -1:
				err = drop(articles)
			case 1:
				err = drop(counts)
			default:
				articles.Next()
				counts.Next()
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	rec.Dropped += n
	return wb.Flush()
}

// unreadable returns every version of every key whose value cannot be read
// back: Badger returns it empty (it lost the value-log bytes, or their
// checksum fails) or it does not decode. As it reads them, it counts N and
// df into st from the newest term counts, which are the recount unless
// something is rolled back.
func unreadable(bdb *badger.DB, st *termStats) (map[version]bool, error) {
	lost := map[version]bool{}
	st.n, st.df = 0, map[string]uint32{}
	err := bdb.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{AllVersions: true})
		defer it.Close()
		var last []byte // the key of the previous item
		var counts vectorize.Counts
		for it.Rewind(); it.Valid(); it.Next() {
			item := it.Item()
			key := item.Key()
			newest := !bytes.Equal(key, last)
			last = append(last[:0], key...)
			if item.IsDeletedOrExpired() {
				continue
			}
			err := item.Value(func(v []byte) error {
				if key[0] != prefixCounts {
					return checkRecord(key, v)
				}
				if isTombstone(v) {
					return nil
				}
				var err error
				if counts, err = decodeCounts(v, counts); err == nil && newest {
					st.n++
					for _, tc := range counts {
						st.df[tc.Term]++
					}
				}
				return err
			})
			if err != nil {
				lost[version{string(key), item.Version()}] = true
			}
		}
		return nil
	})
	return lost, err
}

// checkRecord decodes v as the record its key says it is; a tombstone
// passes where deletes write one.
func checkRecord(key, v []byte) error {
	if len(key) == 0 || (hasTombstones(key) && isTombstone(v)) {
		return nil
	}
	var err error
	switch key[0] {
	case prefixArticle:
		// Badger checked the body's checksum; decoding it would copy it.
		var a recommend.Article
		err = decodeArticle(string(key[1:]), v, false, &a)
	case prefixCounts:
		_, err = decodeCounts(v, nil)
	case prefixGen:
		_, err = decodeGeneration(v)
	case prefixNeighbor:
		_, _, err = decodeNeighbors(string(key[1:]), v)
	case prefixStats:
		_, err = decodeStats(v)
	case prefixTerm:
		_, err = decodeDF(v)
	case prefixReads:
		_, _, err = decodeReads(v)
	case prefixHistory:
		if len(key) < 1+1+8 { // the reader's NUL, the time
			err = fmt.Errorf("%w: read key of %d bytes", ErrCorrupt, len(key))
		}
	case prefixFormat:
		if len(v) != 1 {
			err = fmt.Errorf("%w: format record of %d bytes", ErrCorrupt, len(v))
		}
	}
	return err
}

// gcCopies reads the value logs in dir for intact copies of the lost
// versions, which the value-log GC leaves behind in the files it rewrote
// until the copies it made are synced.
func gcCopies(dir string, lost map[version]bool) (map[version][]byte, error) {
	names, err := filepath.Glob(filepath.Join(dir, "*.vlog"))
	if err != nil {
		return nil, err
	}
	copies := map[version][]byte{}
	for _, name := range names {
		_, err := scanLog(name, 0, func(e *logEntry) error {
			v := version{string(e.key), e.version}
			if !lost[v] || copies[v] != nil || checkRecord(e.key, e.value) != nil {
				return nil
			}
			copies[v] = append([]byte{}, e.value...)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return copies, nil
}

// storedN returns N as the 's' record says.
func storedN(bdb *badger.DB) (int, error) {
	var rec statsRecord
	err := bdb.View(func(txn *badger.Txn) error {
		item, err := txn.Get(statsKey())
		if err != nil {
			return err
		}
		return item.Value(func(v []byte) error {
			var err error
			rec, err = decodeStats(v)
			return err
		})
	})
	return rec.n, err
}

// hasWAL reports whether dir holds a memtable write-ahead log: Badger
// removes them all when it closes cleanly, so one left means the process
// died (or the machine lost power) with the store open.
func hasWAL(dir string) (bool, error) {
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".mem") {
			return true, nil
		}
	}
	return false, nil
}

// salvageLogger is Badger's logger during the salvage: Badger logs every
// value it cannot read as an error, with every version of its key, and the
// salvage logs what it does about them itself.
type salvageLogger struct {
	badgerLogger
}

func (s salvageLogger) Errorf(format string, args ...any) {
	if strings.HasPrefix(format, "Unable to read") || strings.HasPrefix(format, "Key: ") {
		s.log(slog.LevelDebug, format, args)
		return
	}
	s.badgerLogger.Errorf(format, args...)
}
