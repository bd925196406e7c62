package storage

import (
	"errors"
	"log/slog"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/readalike/readalike/recommend"
)

// onDisk reads the 's' record and the df records.
func onDisk(t *testing.T, bdb *badger.DB) (statsRecord, map[string]uint32) {
	t.Helper()
	var rec statsRecord
	df := map[string]uint32{}
	err := bdb.View(func(txn *badger.Txn) error {
		item, err := txn.Get(statsKey())
		if err != nil {
			return err
		}
		if err := item.Value(func(v []byte) error { rec, err = decodeStats(v); return err }); err != nil {
			return err
		}
		it := txn.NewIterator(prefixOptions(prefixTerm))
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			err := it.Item().Value(func(v []byte) error {
				n, err := decodeDF(v)
				df[string(it.Item().Key()[1:])] = n
				return err
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("read stats on disk: %v", err)
	}
	return rec, df
}

func TestIdleCheckpoint(t *testing.T) {
	d := openTest(t, t.TempDir(), Options{checkpointIdle: 20 * time.Millisecond})
	commit(t, d, recommend.Write{Puts: []recommend.Put{put("a", "x", "y"), put("b", "y")}})
	if rec, _ := onDisk(t, d.bdb); rec.dfCurrent || rec.n != 2 {
		t.Fatalf("right after a commit: got %+v, want n=2 and the df records not current", rec)
	}
	commit(t, d, recommend.Write{Puts: []recommend.Put{put("a", "z")}})
	want := map[string]uint32{"y": 1, "z": 1}
	deadline := time.Now().Add(5 * time.Second)
	for {
		rec, df := onDisk(t, d.bdb)
		if rec.dfCurrent {
			if rec.n != 2 || !maps.Equal(df, want) {
				t.Fatalf("after the checkpoint: got %+v %v, want n=2 %v", rec, df, want)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no checkpoint after commits paused")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// The next commit clears the flag again, with its data.
	commit(t, d, recommend.Write{Deletes: []string{"b"}})
	if rec, _ := onDisk(t, d.bdb); rec.dfCurrent || rec.n != 1 {
		t.Fatalf("after another commit: got %+v, want n=1 and not current", rec)
	}
}

func TestCloseCheckpoints(t *testing.T) {
	dir := t.TempDir()
	d, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	commit(t, d, recommend.Write{Puts: []recommend.Put{put("a", "x", "y"), put("b", "y")}})
	commit(t, d, recommend.Write{Deletes: []string{"a"}})
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	bdb, err := badger.Open(badger.DefaultOptions(dir).WithLogger(nil))
	if err != nil {
		t.Fatal(err)
	}
	rec, df := onDisk(t, bdb)
	bdb.Close()
	if !rec.dfCurrent || rec.n != 1 || !maps.Equal(df, map[string]uint32{"y": 1}) {
		t.Errorf("after close: got %+v %v, want n=1, current, y:1", rec, df)
	}
	// Reopening a cleanly closed store recounts nothing.
	var logged syncBuffer
	log := slog.New(slog.NewTextHandler(&logged, &slog.HandlerOptions{Level: slog.LevelWarn}))
	d = openTest(t, dir, Options{Logger: log})
	if strings.Contains(logged.String(), "recounted") {
		t.Errorf("clean reopen recounted:\n%s", logged.String())
	}
	checkStats(t, d, recommend.TermStats{N: 1, DF: map[string]uint32{"y": 1}})
}

// TestRecount fakes a process that died after commits: the flag is clear
// and the df records are stale. Open must recount, warn, and fix them.
func TestRecount(t *testing.T) {
	dir := t.TempDir()
	d, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	commit(t, d, recommend.Write{Puts: []recommend.Put{put("a", "x", "y"), put("b", "y")}})
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	bdb, err := badger.Open(badger.DefaultOptions(dir).WithLogger(nil))
	if err != nil {
		t.Fatal(err)
	}
	err = bdb.Update(func(txn *badger.Txn) error {
		return errors.Join(
			txn.Set(statsKey(), encodeStats(statsRecord{n: 7})), // wrong N too
			txn.Set(termKey("y"), encodeDF(5)),
			txn.Set(termKey("stale"), encodeDF(1)),
			txn.Delete(termKey("x")),
		)
	})
	bdb.Close()
	if err != nil {
		t.Fatal(err)
	}

	var logged syncBuffer
	log := slog.New(slog.NewTextHandler(&logged, &slog.HandlerOptions{Level: slog.LevelWarn}))
	d, err = Open(dir, Options{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	out := logged.String()
	if !strings.Contains(out, "recounted document frequencies") || !strings.Contains(out, "df_records_fixed=3") ||
		!strings.Contains(out, "stored=7 counted=2") {
		t.Errorf("got log:\n%s\nwant the recount, 3 terms changed and the wrong N", out)
	}
	want := recommend.TermStats{N: 2, DF: map[string]uint32{"x": 1, "y": 2}}
	checkStats(t, d, want)
	rec, df := onDisk(t, d.bdb)
	if !rec.dfCurrent || rec.n != 2 || !maps.Equal(df, want.DF) {
		t.Errorf("records after open: got %+v %v, want n=2, current, %v", rec, df, want.DF)
	}
	d.Close()
}
