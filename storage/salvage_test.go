package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/readalike/readalike/recommend"
	"github.com/readalike/readalike/vectorize"
)

// The tests here crash a store by copying its directory while it is open
// (Badger writes through mmap, so a copy sees what the page cache holds:
// what a power loss would keep if every page had reached the disk), then
// take from the copy what a power loss can take, and open it.

// salvageOptions keep background work out of the copies (no GC, no idle
// checkpoint), and the logs small, to copy.
var salvageOptions = Options{GCInterval: -1, checkpointIdle: time.Hour, MemTableSize: 4 << 20, valueLogFileSize: 4 << 20}

// crashCopy copies the directory of an open store, as a power loss would
// leave it if every page written had reached the disk.
func crashCopy(t testing.TB, d *DB) string {
	t.Helper()
	dst := t.TempDir()
	copyDir(t, d.dir, dst)
	return dst
}

func copyDir(t testing.TB, src, dst string) {
	t.Helper()
	// A store being copied while open may flush a memtable meanwhile and
	// remove its file: the copy is then started again, so that it is of
	// one moment.
	for attempt := 0; ; attempt++ {
		err := copyOnce(src, dst)
		if err == nil {
			return
		}
		if !errors.Is(err, fs.ErrNotExist) || attempt == 10 {
			t.Fatal(err)
		}
	}
}

func copyOnce(src, dst string) error {
	entries, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if !e.Type().IsRegular() || e.Name() == "LOCK" {
			continue
		}
		if err := copyFile(filepath.Join(src, e.Name()), filepath.Join(dst, e.Name())); err != nil {
			return err
		}
	}
	return nil
}

// copyFile copies a file, leaving holes where it has blocks of zeros:
// Badger preallocates its logs sparsely, and a dense copy would write
// hundreds of megabytes of zeros.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	buf := make([]byte, 64<<10)
	var off int64
	for {
		n, rerr := io.ReadFull(in, buf)
		if n > 0 && slices.ContainsFunc(buf[:n], func(b byte) bool { return b != 0 }) {
			if _, err := out.WriteAt(buf[:n], off); err != nil {
				out.Close()
				return err
			}
		}
		off += int64(n)
		if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
			break
		}
		if rerr != nil {
			out.Close()
			return rerr
		}
	}
	if err := out.Truncate(off); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// versionOf returns the Badger version of key's newest record.
func versionOf(t testing.TB, d *DB, key []byte) uint64 {
	t.Helper()
	var v uint64
	err := d.bdb.View(func(txn *badger.Txn) error {
		item, err := txn.Get(key)
		if err != nil {
			return err
		}
		v = item.Version()
		return nil
	})
	if err != nil {
		t.Fatalf("version of %q: %v", key, err)
	}
	return v
}

// findValue returns the value-log file and offset of key's value at
// version, failing the test if the value is not in a value log.
func findValue(t testing.TB, dir string, key []byte, version uint64) (string, logEntry) {
	t.Helper()
	names, _ := filepath.Glob(filepath.Join(dir, "*.vlog"))
	for _, name := range names {
		var found *logEntry
		_, err := scanLog(name, 0, func(e *logEntry) error {
			if string(e.key) == string(key) && e.version == version {
				found = &logEntry{offset: e.offset, size: e.size}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if found != nil {
			return name, *found
		}
	}
	t.Fatalf("no value of %q at version %d in a value log", key, version)
	return "", logEntry{}
}

// loseValue zeroes the value-log bytes of key's value at version: its
// pointer reached the disk, its value did not.
func loseValue(t testing.TB, dir string, key []byte, version uint64) {
	t.Helper()
	name, e := findValue(t, dir, key, version)
	f, err := os.OpenFile(name, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(make([]byte, e.size), e.offset); err != nil {
		t.Fatal(err)
	}
}

// bigPut is an article whose record and term counts are both over the
// value threshold: both live in the value log.
func bigPut(id, edition string) recommend.Put {
	m := map[string]uint32{}
	for i := range 150 {
		m[fmt.Sprintf("%s-%x", edition, uint32(i)*2654435761)] = 1 // little for front coding to share
	}
	return recommend.Put{
		Article: recommend.Article{ID: id, Title: id + " " + edition, Body: strings.Repeat(edition+" ", 400)},
		Counts:  vectorize.CountsFromMap(m),
	}
}

func openLogged(t testing.TB, dir string, opts Options) (*DB, *syncBuffer) {
	t.Helper()
	var logged syncBuffer
	opts.Logger = slog.New(slog.NewTextHandler(&logged, &slog.HandlerOptions{Level: slog.LevelWarn}))
	d, err := Open(dir, opts)
	if err != nil {
		t.Fatalf("open after the crash: %v\nlog:\n%s", err, logged.String())
	}
	t.Cleanup(func() { d.Close() })
	return d, &logged
}

func wantArticle(t testing.TB, d *DB, id, title string) {
	t.Helper()
	a, err := d.Article(context.Background(), id)
	switch {
	case title == "" && !errors.Is(err, recommend.ErrNotFound):
		t.Errorf("article %s: got %q, %v, want it gone", id, a.Title, err)
	case title != "" && (err != nil || a.Title != title):
		t.Errorf("article %s: got %q, %v, want %q", id, a.Title, err, title)
	}
}

func TestScanLogReadsBadgersEntries(t *testing.T) {
	d := openTest(t, t.TempDir(), salvageOptions)
	commit(t, d, recommend.Write{Puts: []recommend.Put{bigPut("a", "one"), bigPut("b", "one")}})
	commit(t, d, recommend.Write{Puts: []recommend.Put{bigPut("a", "two")}})
	for _, key := range [][]byte{articleKey("a"), countsKey("a"), articleKey("b")} {
		name, e := findValue(t, d.dir, key, versionOf(t, d, key))
		if e.size < 1024 || !strings.HasSuffix(name, ".vlog") {
			t.Errorf("%q: entry of %d bytes in %s", key, e.size, name)
		}
	}
	// The write-ahead log holds the same transactions, marked as such.
	wals, _ := filepath.Glob(filepath.Join(d.dir, "*.mem"))
	txns, fins := 0, 0
	for _, w := range wals {
		if _, err := scanLog(w, 0, func(e *logEntry) error {
			if e.meta&logBitTxn != 0 {
				txns++
			}
			if e.meta&logBitFinTxn != 0 {
				fins++
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	if txns == 0 || fins < 2 {
		t.Errorf("write-ahead log: %d entries in transactions, %d ends, want some and at least 2", txns, fins)
	}
}

// TestSalvageRollsBackLostWrite loses the value of an article that a later
// write replaced: the whole later write goes, and the article is as it was.
func TestSalvageRollsBackLostWrite(t *testing.T) {
	tests := []struct {
		name string
		lose func(t testing.TB, dir string, key []byte, version uint64)
	}{
		{"value zeroed", loseValue},
		{"value log cut short", func(t testing.TB, dir string, key []byte, version uint64) {
			name, e := findValue(t, dir, key, version)
			if err := os.Truncate(name, e.offset); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := openTest(t, t.TempDir(), salvageOptions)
			commit(t, d, recommend.Write{Puts: []recommend.Put{bigPut("a", "one"), bigPut("b", "one")}})
			commit(t, d, recommend.Write{Puts: []recommend.Put{bigPut("d", "two")}})
			commit(t, d, recommend.Write{Puts: []recommend.Put{bigPut("a", "three"), bigPut("c", "three")}, Deletes: []string{"b"}})
			lost := versionOf(t, d, articleKey("a"))
			dir := crashCopy(t, d)
			tt.lose(t, dir, articleKey("a"), lost)

			d2, logged := openLogged(t, dir, salvageOptions)
			rec := d2.Recovery()
			if !rec.Unclean || rec.Transactions != 1 {
				t.Errorf("got %+v, want 1 transaction rolled back", rec)
			}
			slices.Sort(rec.Articles)
			if !slices.Contains(rec.Articles, "a") || !slices.Contains(rec.Articles, "c") {
				t.Errorf("articles rolled back: got %v, want a and c among them", rec.Articles)
			}
			if !strings.Contains(logged.String(), "record could not be read back") {
				t.Errorf("no log line per record:\n%s", logged.String())
			}
			wantArticle(t, d2, "a", "a one")
			wantArticle(t, d2, "b", "b one")
			wantArticle(t, d2, "c", "")
			for _, key := range [][]byte{articleKey("c"), countsKey("c")} {
				if v, ok := rawValue(t, d2, key); !ok || !isTombstone(v) {
					t.Errorf("%s: got %v, %v, want a tombstone, as a delete writes", key, v, ok)
				}
			}
			wantArticle(t, d2, "d", "d two")
			c, err := d2.Counts(context.Background(), "a")
			if err != nil || !strings.HasPrefix(c[0].Term, "one-") {
				t.Errorf("counts of a: got %v, %v, want the first edition's", c[:min(1, len(c))], err)
			}
			checkStats(t, d2, recommend.TermStats{})

			// The salvage left a clean store behind.
			if err := d2.Close(); err != nil {
				t.Fatal(err)
			}
			d3, logged := openLogged(t, dir, salvageOptions)
			if rec := d3.Recovery(); rec.Unclean || logged.String() != "" {
				t.Errorf("reopen after the salvage: got %+v, log:\n%s", rec, logged.String())
			}
			wantArticle(t, d3, "a", "a one")
		})
	}
}

// TestSalvageRefitCutShort loses the value of the generation a refit saved:
// the one before it comes back, and without one the record goes.
func TestSalvageRefitCutShort(t *testing.T) {
	ctx := context.Background()
	gen := func(n uint64) recommend.Generation {
		g := recommend.Generation{Number: n, N: 3, DF: map[string]uint32{}, Settings: "s", FittedAt: time.Unix(int64(n), 0).UTC()}
		for i := range 200 {
			g.DF[fmt.Sprintf("%x", uint32(i)*2654435761)] = uint32(n)
		}
		return g
	}
	for _, saved := range []int{1, 2} {
		t.Run(fmt.Sprint(saved, " saved"), func(t *testing.T) {
			d := openTest(t, t.TempDir(), salvageOptions)
			commit(t, d, recommend.Write{Puts: []recommend.Put{bigPut("a", "one")}})
			for n := range saved {
				if err := d.SaveGeneration(ctx, gen(uint64(n+1))); err != nil {
					t.Fatal(err)
				}
			}
			dir := crashCopy(t, d)
			loseValue(t, dir, genKey(), versionOf(t, d, genKey()))
			d2, logged := openLogged(t, dir, salvageOptions)
			g, err := d2.Generation(ctx)
			if err != nil {
				t.Fatalf("generation after the salvage: %v", err)
			}
			want := recommend.Generation{}
			if saved == 2 {
				want = gen(1)
			}
			if g.Number != want.Number || (want.Number > 0 && !equalGeneration(g, want)) {
				t.Errorf("got generation %d, want %d", g.Number, want.Number)
			}
			if !strings.Contains(logged.String(), "model generation") {
				t.Errorf("no word of the generation in the log:\n%s", logged.String())
			}
			wantArticle(t, d2, "a", "a one")

			// The engine opens on it, fitting a new generation if need be.
			e, err := recommend.Open(ctx, d2, recommend.Options{RefitShare: -1}, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			if st := e.Stats(); st.Articles != 1 || st.Generation < 1 {
				t.Errorf("engine: got %+v", st)
			}
		})
	}
}

// TestSalvageDropsNeighborLists loses a neighbor list's value: the list is
// dropped, and the others are stale after the salvage's checkpoint.
func TestSalvageDropsNeighborLists(t *testing.T) {
	ctx := context.Background()
	d := openTest(t, t.TempDir(), salvageOptions)
	commit(t, d, recommend.Write{Puts: []recommend.Put{bigPut("a", "one"), bigPut("b", "one")}})
	var lists []recommend.NeighborList
	for _, id := range []string{"a", "b"} {
		l := recommend.NeighborList{ID: id, Generation: 1, K: 100, MinScore: 0}
		for i := range 100 {
			l.Neighbors = append(l.Neighbors, recommend.Neighbor{ID: fmt.Sprintf("neighbor-%03d", i), Score: 0.5})
		}
		lists = append(lists, l)
	}
	if err := d.PutNeighbors(ctx, lists); err != nil {
		t.Fatal(err)
	}
	dir := crashCopy(t, d)
	loseValue(t, dir, neighborKey("a"), versionOf(t, d, neighborKey("a")))
	d2, _ := openLogged(t, dir, salvageOptions)
	err := d2.bdb.View(func(txn *badger.Txn) error {
		_, err := txn.Get(neighborKey("a"))
		return err
	})
	if !errors.Is(err, badger.ErrKeyNotFound) {
		t.Errorf("lost list: got %v, want it deleted", err)
	}
	for _, id := range []string{"a", "b"} {
		if _, err := d2.Neighbors(ctx, id); !errors.Is(err, recommend.ErrNotFound) {
			t.Errorf("list of %s: got %v, want not found", id, err)
		}
	}
	wantArticle(t, d2, "a", "a one")
	// The lists were written in one transaction: both go.
	if rec := d2.Recovery(); rec.Transactions != 1 || rec.Dropped != 2 || len(rec.Articles) != 0 {
		t.Errorf("got %+v, want one transaction and two records, no article", rec)
	}
}

// TestSalvageDropsUndecodable writes a record that does not decode in the
// same transaction as a good one: both go.
func TestSalvageDropsUndecodable(t *testing.T) {
	d := openTest(t, t.TempDir(), salvageOptions)
	commit(t, d, recommend.Write{Puts: []recommend.Put{bigPut("a", "one")}})
	good := bigPut("b", "one")
	err := d.bdb.Update(func(txn *badger.Txn) error {
		return errors.Join(
			txn.Set(articleKey("b"), []byte{99, 1, 2, 3}), // an unknown codec version
			txn.Set(countsKey("b"), encodeCounts(good.Counts)),
		)
	})
	if err != nil {
		t.Fatal(err)
	}
	dir := crashCopy(t, d)
	d2, _ := openLogged(t, dir, salvageOptions)
	wantArticle(t, d2, "a", "a one")
	wantArticle(t, d2, "b", "")
	if _, err := d2.Counts(context.Background(), "b"); !errors.Is(err, recommend.ErrNotFound) {
		t.Errorf("counts of b: got %v, want them gone with the article", err)
	}
	checkStats(t, d2, recommend.TermStats{N: 1, DF: modelStats(map[string]recommend.Put{"a": bigPut("a", "one")}).DF})
}

// TestSalvageRestoresGCCopies crashes a store during a value-log GC round,
// before the values it moved were synced, and loses them: the originals,
// still in the files the round rewrote, come back.
func TestSalvageRestoresGCCopies(t *testing.T) {
	skipGCUnderRace(t)
	if testing.Short() {
		t.Skip("churns the value log; skipped in short mode")
	}
	opts := Options{MemTableSize: 1 << 20, valueLogFileSize: 1 << 20, GCInterval: -1, checkpointIdle: time.Hour}
	d := openTest(t, t.TempDir(), opts)
	// Three articles in four are rewritten each round, so that the first
	// round's files keep live values for the GC to move.
	body := func(round, j int) string {
		if j%4 == 3 {
			round = 0
		}
		return strings.Repeat(fmt.Sprint(round%10), 2000)
	}
	var pin *gcPin
	last := -1
	for round := 0; round < 30 && last < 0; round++ {
		for i := range 30 {
			var b recommend.Write
			for j := range 100 {
				if round == 0 || j%4 != 3 {
					p := put(fmt.Sprintf("a%02d-%03d", i, j), "x", fmt.Sprint(j%7))
					p.Article.Body = body(round, j)
					b.Puts = append(b.Puts, p)
				}
			}
			commit(t, d, b)
		}
		// A round rewrites every file worth it, as gcLoop's do, and keeps
		// them pinned.
		pin = pinValueLog(d.bdb)
		rewritten := 0
		for {
			err := d.bdb.RunValueLogGC(gcDiscardRatio)
			if errors.Is(err, badger.ErrNoRewrite) || errors.Is(err, badger.ErrRejected) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			rewritten++
		}
		if rewritten > 0 {
			last = round
			break
		}
		pin.abandon()
	}
	if last < 0 {
		t.Fatal("badger's value-log gc found nothing to rewrite in 30 rounds")
	}
	defer pin.abandon()
	dir := crashCopy(t, d)

	// Lose every value the round moved: the second copy of a version.
	seen := map[version]bool{}
	moved := 0
	names, _ := filepath.Glob(filepath.Join(dir, "*.vlog"))
	for _, name := range names { // in id order: originals first
		var zero []logEntry
		if _, err := scanLog(name, 0, func(e *logEntry) error {
			v := version{string(e.key), e.version}
			if seen[v] {
				zero = append(zero, logEntry{offset: e.offset, size: e.size})
			}
			seen[v] = true
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		f, err := os.OpenFile(name, os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range zero {
			if _, err := f.WriteAt(make([]byte, e.size), e.offset); err != nil {
				t.Fatal(err)
			}
		}
		f.Close()
		moved += len(zero)
	}
	if moved == 0 {
		t.Fatal("the GC round moved nothing")
	}
	d2, logged := openLogged(t, dir, opts)
	n := 0
	err := d2.Scan(context.Background(), true, func(a *recommend.Article, _ vectorize.Counts) error {
		var j int
		fmt.Sscanf(a.ID[len(a.ID)-3:], "%d", &j)
		if n++; a.Body != body(last, j) {
			return fmt.Errorf("%s: body %.10q, want %.10q", a.ID, a.Body, body(last, j))
		}
		return nil
	})
	if err != nil || n != 3000 {
		t.Fatalf("got %d articles, %v, want 3000 intact", n, err)
	}
	checkStats(t, d2, recommend.TermStats{})
	if rec := d2.Recovery(); rec.Transactions != 0 || rec.Restored == 0 {
		t.Errorf("got %+v, want values restored and nothing rolled back; log:\n%s", rec, logged.String())
	}
	t.Logf("%d values moved and lost; %+v", moved, d2.Recovery())
}
