package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/readalike/readalike/recommend"
)

// How Badger v4.9.6 brings a deleted record back (read in value.go's
// rewrite and discardEntry, levels.go's subcompact and levelTargets):
//
//  1. An article is put: its 'a' and 'c' values, over the 1 KiB value
//     threshold, go to a value-log file F; the LSM tree holds key@v with a
//     pointer into F. Other values in F go stale and are compacted away,
//     which counts them as discardable in F.
//  2. The article is deleted: a delete marker key@w, w > v, lands in L0,
//     while key@v sits in a lower level. Neither is dropped yet: they are
//     not in the same compaction.
//  3. The value-log GC rewrites F. For each value in F it looks up the LSM
//     tree at that exact version (db.get(key@v) finds key@v, whatever is
//     newer) and, since key@v still points into F, writes key@v back, with
//     its old version v, into the memtable: an older version now sits above
//     a newer one. (Badger's fix for #2286 only holds back compactions for
//     deletes committed during a rewrite, not for one made before it.)
//  4. A compaction merges key@w and key@v; with no overlap below, it drops
//     the delete and every version under it. The copy, in a level the
//     compaction did not touch, is now the newest version: the article is
//     back, with its 'c' record if that was in the value log too.
//
// Only a delete can be outranked so: it is the one newest version that a
// compaction removes. A put stays, and a copy (always of an older version)
// stays under it. So deletes of records that can reach the value log write
// a tombstone value instead (keys.go).

// resurrectionOptions: 1 MiB value logs, so that a few hundred articles
// fill several, and no background GC: the test runs it.
var resurrectionOptions = Options{MemTableSize: 1 << 20, valueLogFileSize: 1 << 20, GCInterval: -1}

// TestDeletedStayDeleted walks the steps above and checks that the deleted
// articles stay deleted, through a reopen.
func TestDeletedStayDeleted(t *testing.T) {
	checkDeletedStayDeleted(t, func(t *testing.T, d *DB, ids []string) {
		commit(t, d, recommend.Write{Deletes: ids})
	})
}

// checkDeletedStayDeleted runs the steps: del deletes the articles named.
func checkDeletedStayDeleted(t *testing.T, del func(t *testing.T, d *DB, ids []string)) {
	skipGCUnderRace(t)
	ctx := context.Background()
	dir := t.TempDir()
	reopen := func(d *DB) *DB {
		t.Helper()
		if err := d.Close(); err != nil {
			t.Fatal(err)
		}
		return openTest(t, dir, resurrectionOptions)
	}
	d := openTest(t, dir, resurrectionOptions)
	// One article in four is deleted later; the other three are replaced,
	// so that the value-log files holding the first ones are mostly stale.
	var gone, kept []string
	for i := range 400 {
		id := fmt.Sprintf("a%03d", i)
		if i%4 == 0 {
			gone = append(gone, id)
		} else {
			kept = append(kept, id)
		}
		commit(t, d, recommend.Write{Puts: []recommend.Put{bigPut(id, "one")}})
	}
	for _, id := range kept {
		commit(t, d, recommend.Write{Puts: []recommend.Put{bigPut(id, "two")}})
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	// The replaced versions go, which counts their values as discardable.
	compactL0(t, dir)
	d = openTest(t, dir, resurrectionOptions)
	del(t, d, gone)
	d = reopen(d) // the deletes in L0, the values they delete below
	n, pin, err := runGC(ctx, d.bdb, d.sync)
	if err != nil || pin != nil || n == 0 {
		t.Fatalf("value-log gc: %d files rewritten, %v, want some, no error and no pin left", n, err)
	}
	// L0 into the level below: the deletes meet the values they delete.
	if err := d.bdb.Flatten(2); err != nil {
		t.Fatal(err)
	}
	check := func(when string) {
		t.Helper()
		back := 0
		for _, id := range gone {
			if _, err := d.Article(ctx, id); err == nil {
				back++
			}
		}
		if back > 0 {
			t.Errorf("%s: %d of %d deleted articles are back", when, back, len(gone))
		}
		want := recommend.TermStats{N: len(kept), DF: map[string]uint32{}}
		for _, id := range kept {
			for _, tc := range bigPut(id, "two").Counts {
				want.DF[tc.Term]++
			}
		}
		for what, st := range map[string]recommend.TermStats{"term stats": liveStats(t, d), "a recount": recount(t, d)} {
			if st.N != want.N || !maps.Equal(st.DF, want.DF) {
				t.Errorf("%s: %s: N=%d and %d terms, want N=%d and %d terms", when, what, st.N, len(st.DF), want.N, len(want.DF))
			}
		}
	}
	check("after the gc and a compaction")
	d = reopen(d)
	check("after a reopen")
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	compactL0(t, dir)
	d = openTest(t, dir, resurrectionOptions)
	check("after another compaction")
}

// compactL0 opens the closed store in dir with Badger alone and closes it,
// which compacts level 0 into the level below: unlike DB.Flatten, also when
// level 0 is the only one holding tables.
func compactL0(t *testing.T, dir string) {
	t.Helper()
	// No background compactor may hold L0 when Close compacts it: Badger
	// skips that compaction without a word (errFillTables) when a compactor
	// holds the tables it would take.
	bdb, err := badger.Open(badgerOptions(dir, resurrectionOptions.withDefaults()).WithCompactL0OnClose(true).WithNumCompactors(0))
	if err != nil {
		t.Fatal(err)
	}
	if err := bdb.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestOldDeletesSettled deletes the articles as a program of format 1 did,
// with Badger deletes: Open upgrades the store and writes tombstones over
// the deletes that the GC could still undo, so they stay deleted too.
func TestOldDeletesSettled(t *testing.T) {
	checkDeletedStayDeleted(t, func(t *testing.T, d *DB, ids []string) {
		st := liveStats(t, d)
		err := d.bdb.Update(func(txn *badger.Txn) error {
			for _, id := range ids {
				if err := errors.Join(txn.Delete(articleKey(id)), txn.Delete(countsKey(id))); err != nil {
					return err
				}
			}
			// N as it was, with df to recount at the next open, in a store of
			// format 1.
			return errors.Join(txn.Set(statsKey(), encodeStats(statsRecord{n: st.N - len(ids)})),
				txn.Set(formatKey(), []byte{1}))
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// rawValue returns the newest value stored under key, and whether there is
// one (a tombstone counts), reading Badger directly.
func rawValue(t testing.TB, d *DB, key []byte) ([]byte, bool) {
	t.Helper()
	var v []byte
	err := d.bdb.View(func(txn *badger.Txn) error {
		item, err := txn.Get(key)
		if err != nil {
			return err
		}
		v, err = item.ValueCopy(nil)
		return err
	})
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, false
	}
	if err != nil {
		t.Fatal(err)
	}
	return v, true
}

// versionsOf returns what every version of key in the LSM tree holds,
// newest first: "delete", "tombstone" or "value".
func versionsOf(t testing.TB, d *DB, key []byte) []string {
	t.Helper()
	var out []string
	err := d.bdb.View(func(txn *badger.Txn) error {
		opts := badger.DefaultIteratorOptions
		opts.AllVersions, opts.PrefetchValues, opts.Prefix = true, false, key
		it := txn.NewIterator(opts)
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			if !bytes.Equal(it.Item().Key(), key) {
				continue
			}
			t, err := tombstoned(it.Item())
			switch {
			case err != nil:
				return err
			case it.Item().IsDeletedOrExpired():
				out = append(out, "delete")
			case t:
				out = append(out, "tombstone")
			default:
				out = append(out, "value")
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestTombstonesPurged follows a tombstone from the delete to its purge:
// kept while a value it hides is in the LSM tree, deleted by Open once a
// compaction dropped that value, gone from the LSM tree after the next
// compaction, and the id free to be put again.
func TestTombstonesPurged(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	reopen := func(d *DB, compact bool) (*DB, *syncBuffer) {
		t.Helper()
		if err := d.Close(); err != nil {
			t.Fatal(err)
		}
		if compact {
			compactL0(t, dir)
		}
		var logged syncBuffer
		opts := resurrectionOptions
		opts.Logger = slog.New(slog.NewTextHandler(&logged, nil))
		return openTest(t, dir, opts), &logged
	}
	d := openTest(t, dir, resurrectionOptions)
	commit(t, d, recommend.Write{Puts: []recommend.Put{bigPut("a", "one"), put("b", "x"), put("c", "x", "y")}})
	d, _ = reopen(d, true) // the values in the last level
	commit(t, d, recommend.Write{Deletes: []string{"a", "b"}})
	for _, key := range [][]byte{articleKey("a"), countsKey("a"), articleKey("b"), countsKey("b")} {
		if got := versionsOf(t, d, key); !slices.Equal(got, []string{"tombstone", "value"}) {
			t.Errorf("%s after the delete: got %v, want a tombstone over the value", key, got)
		}
	}
	if _, ok := rawValue(t, d, readsKey("a")); ok {
		t.Errorf("reads of a: still there")
	}

	d, logged := reopen(d, false) // the tombstones in L0, the values below
	if strings.Contains(logged.String(), "purged") {
		t.Errorf("tombstones purged while the values they hide are in the LSM tree:\n%s", logged.String())
	}
	d, logged = reopen(d, true) // the tombstones meet the values, which go
	if !strings.Contains(logged.String(), "purged=4") {
		t.Errorf("want 4 tombstones purged; log:\n%s", logged.String())
	}
	for _, key := range [][]byte{articleKey("a"), countsKey("a"), articleKey("b"), countsKey("b")} {
		if got := versionsOf(t, d, key); !slices.Equal(got, []string{"delete", "tombstone"}) {
			t.Errorf("%s after the purge: got %v, want a delete over the tombstone", key, got)
		}
	}
	wantArticle(t, d, "a", "")
	wantArticle(t, d, "b", "")
	checkStats(t, d, recommend.TermStats{N: 1, DF: map[string]uint32{"x": 1, "y": 1}})

	d, logged = reopen(d, true)
	if logged.String() != "" {
		t.Errorf("nothing left to settle, got:\n%s", logged.String())
	}
	for _, key := range [][]byte{articleKey("a"), countsKey("a"), articleKey("b"), countsKey("b")} {
		if got := versionsOf(t, d, key); len(got) != 0 {
			t.Errorf("%s after a compaction: got %v, want nothing left", key, got)
		}
	}
	commit(t, d, recommend.Write{Puts: []recommend.Put{put("a", "y")}})
	wantArticle(t, d, "a", "title of a")
	if c, err := d.Counts(ctx, "a"); err != nil || len(c) != 1 {
		t.Errorf("counts of a: got %v, %v", c, err)
	}
	checkStats(t, d, recommend.TermStats{N: 2, DF: map[string]uint32{"x": 1, "y": 2}})
}

// TestTombstonesRead checks that every reader takes a tombstone for no
// record: Article, Counts, Scan, TermStats, a read of the id, a delete of
// it, a put of it, the recount at Open.
func TestTombstonesRead(t *testing.T) {
	ctx := context.Background()
	for _, dir := range []string{"", t.TempDir()} {
		d := openTest(t, dir, Options{})
		commit(t, d, recommend.Write{Puts: []recommend.Put{put("a", "x"), put("b", "x", "y"), put("c", "y")}})
		commit(t, d, recommend.Write{Reads: []recommend.Read{{ID: "b", At: time.Unix(100, 0)}}})
		commit(t, d, recommend.Write{Deletes: []string{"b"}})
		if v, ok := rawValue(t, d, articleKey("b")); !ok || !isTombstone(v) {
			t.Errorf("article b: got %v, %v, want a tombstone", v, ok)
		}
		wantArticle(t, d, "b", "")
		if _, err := d.Counts(ctx, "b"); !errors.Is(err, recommend.ErrNotFound) {
			t.Errorf("counts of b: got %v, want ErrNotFound", err)
		}
		want := recommend.TermStats{N: 2, DF: map[string]uint32{"x": 1, "y": 1}}
		checkStats(t, d, want)
		// A read and a second delete of the deleted article change nothing.
		commit(t, d, recommend.Write{Reads: []recommend.Read{{ID: "b", Reader: "r", At: time.Unix(200, 0)}}, Deletes: []string{"b"}})
		if _, ok := rawValue(t, d, readsKey("b")); ok {
			t.Errorf("reads of b: recorded for a deleted article")
		}
		checkStats(t, d, want)
		// Put again: a new article, without the reads of the old one.
		commit(t, d, recommend.Write{Puts: []recommend.Put{put("b", "y")}})
		if a, err := d.Article(ctx, "b"); err != nil || a.ReadCount != 0 {
			t.Errorf("article b put again: got %+v, %v, want it without reads", a, err)
		}
		checkStats(t, d, recommend.TermStats{N: 3, DF: map[string]uint32{"x": 1, "y": 2}})
		commit(t, d, recommend.Write{Deletes: []string{"b", "c"}})
		checkStats(t, d, recommend.TermStats{N: 1, DF: map[string]uint32{"x": 1}})
		if dir == "" {
			continue
		}
		// The recount at Open, as after a crash: the df records stale.
		if err := d.bdb.Update(func(txn *badger.Txn) error {
			return txn.Set(statsKey(), encodeStats(statsRecord{n: 7}))
		}); err != nil {
			t.Fatal(err)
		}
		if err := d.Close(); err != nil {
			t.Fatal(err)
		}
		d = openTest(t, dir, Options{})
		checkStats(t, d, recommend.TermStats{N: 1, DF: map[string]uint32{"x": 1}})
	}
}

// TestFormatUpgrade opens a store of format 1: a read-only open leaves it
// so, a writable one upgrades it (TestOldDeletesSettled checks the deletes
// it settles).
func TestFormatUpgrade(t *testing.T) {
	dir := t.TempDir()
	d := openTest(t, dir, Options{})
	commit(t, d, recommend.Write{Puts: []recommend.Put{put("a", "x"), put("b", "y")}})
	if err := d.bdb.Update(func(txn *badger.Txn) error { return txn.Set(formatKey(), []byte{1}) }); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	format := func(d *DB) byte {
		v, ok := rawValue(t, d, formatKey())
		if !ok || len(v) != 1 {
			t.Fatalf("format record: got %v, %v", v, ok)
		}
		return v[0]
	}

	ro := Options{MinFreeBytes: 1 << 40} // more than any test disk has free: read-only
	d = openTest(t, dir, ro)
	if !d.readOnly || format(d) != 1 {
		t.Errorf("read-only open: got read-only %v, format %d, want format 1 left as it is", d.readOnly, format(d))
	}
	checkStats(t, d, recommend.TermStats{N: 2, DF: map[string]uint32{"x": 1, "y": 1}})
	d.Close()

	d = openTest(t, dir, Options{})
	if got := format(d); got != formatVersion {
		t.Errorf("got format %d, want %d", got, formatVersion)
	}
	commit(t, d, recommend.Write{Deletes: []string{"a"}})
	checkStats(t, d, recommend.TermStats{N: 1, DF: map[string]uint32{"y": 1}})
}

// TestSalvageUpgrades crashes a store of format 1 whose deletes the GC
// could still undo: the salvage upgrades it, tombstones over those deletes.
func TestSalvageUpgrades(t *testing.T) {
	d := openTest(t, t.TempDir(), salvageOptions)
	commit(t, d, recommend.Write{Puts: []recommend.Put{bigPut("a", "one"), bigPut("b", "one")}})
	st := liveStats(t, d)
	err := d.bdb.Update(func(txn *badger.Txn) error {
		return errors.Join(txn.Delete(articleKey("a")), txn.Delete(countsKey("a")),
			txn.Set(statsKey(), encodeStats(statsRecord{n: st.N - 1})), txn.Set(formatKey(), []byte{1}))
	})
	if err != nil {
		t.Fatal(err)
	}
	dir := crashCopy(t, d)
	d2, logged := openLogged(t, dir, salvageOptions)
	if !d2.Recovery().Unclean || !strings.Contains(logged.String(), "store upgraded") {
		t.Errorf("got %+v, want a salvage that upgrades; log:\n%s", d2.Recovery(), logged.String())
	}
	if v, ok := rawValue(t, d2, formatKey()); !ok || !bytes.Equal(v, []byte{formatVersion}) {
		t.Errorf("format record: got %v, %v, want %d", v, ok, formatVersion)
	}
	for _, key := range [][]byte{articleKey("a"), countsKey("a")} {
		if got := versionsOf(t, d2, key); !slices.Equal(got, []string{"tombstone", "delete", "value"}) {
			t.Errorf("%s: got %v, want a tombstone over the delete", key, got)
		}
	}
	wantArticle(t, d2, "a", "")
	wantArticle(t, d2, "b", "b one")
	checkStats(t, d2, recommend.TermStats{})
}
