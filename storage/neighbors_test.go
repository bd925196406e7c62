package storage

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/readalike/readalike/recommend"
)

func neighborList(id string, ns ...string) recommend.NeighborList {
	l := recommend.NeighborList{ID: id, Generation: 3, Settings: 0xfeedface, K: 5, Dedup: 0.9,
		Neighbors: []recommend.Neighbor{}}
	for i, n := range ns {
		l.Neighbors = append(l.Neighbors, recommend.Neighbor{ID: n, Score: 0.5 / float64(i+1)})
	}
	return l
}

func putNeighbors(t testing.TB, d *DB, lists ...recommend.NeighborList) {
	t.Helper()
	if err := d.PutNeighbors(context.Background(), lists); err != nil {
		t.Fatalf("put neighbors: %v", err)
	}
}

// checkNeighbors checks that the store serves want for its id, or nothing
// when want has no id.
func checkNeighborList(t testing.TB, d *DB, id string, want recommend.NeighborList) {
	t.Helper()
	got, err := d.Neighbors(context.Background(), id)
	if want.ID == "" {
		if !errors.Is(err, recommend.ErrNotFound) {
			t.Errorf("neighbors of %s: got %+v, %v, want ErrNotFound", id, got, err)
		}
		return
	}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("neighbors of %s: got %+v, %v, want %+v", id, got, err, want)
	}
}

// hasKey reports whether the store holds a record under key, stale or not.
func hasKey(t testing.TB, d *DB, key []byte) bool {
	t.Helper()
	err := d.bdb.View(func(txn *badger.Txn) error {
		_, err := txn.Get(key)
		return err
	})
	if err != nil && !errors.Is(err, badger.ErrKeyNotFound) {
		t.Fatal(err)
	}
	return err == nil
}

func TestNeighborsRoundTrip(t *testing.T) {
	d := openTest(t, t.TempDir(), Options{})
	commit(t, d, recommend.Write{Puts: []recommend.Put{put("a", "x"), put("b", "x"), put("c", "y")}})
	a := neighborList("a", "b", "c")
	a.Dedup, a.MinScore = math.Inf(1), 0.125
	a.Neighbors[1].Score = math.Nextafter(0.1, 1) // any float64 comes back bit for bit
	b := neighborList("b")                        // no neighbor
	putNeighbors(t, d, a, b)
	checkNeighborList(t, d, "a", a)
	checkNeighborList(t, d, "b", b)
	checkNeighborList(t, d, "c", recommend.NeighborList{})
	// A second put replaces.
	a2 := neighborList("a", "c")
	putNeighbors(t, d, a2)
	checkNeighborList(t, d, "a", a2)
}

// TestNeighborsGoStale checks that every commit that puts or deletes an
// article makes every stored list stale, and that the list of an article
// that is replaced or deleted goes in the same transaction.
func TestNeighborsGoStale(t *testing.T) {
	tests := []struct {
		name    string
		b       recommend.Write
		removed []string // ids whose 'n' record must be gone
	}{
		{"add", recommend.Write{Puts: []recommend.Put{put("new", "x")}}, nil},
		{"replace", recommend.Write{Puts: []recommend.Put{put("b", "x", "z")}}, []string{"b"}},
		{"replace unchanged", recommend.Write{Puts: []recommend.Put{put("a", "x")}}, []string{"a"}},
		{"delete", recommend.Write{Deletes: []string{"c"}}, []string{"c"}},
		{"delete absent", recommend.Write{Deletes: []string{"nobody"}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := openTest(t, "", Options{})
			commit(t, d, recommend.Write{Puts: []recommend.Put{put("a", "x"), put("b", "x"), put("c", "y")}})
			lists := []recommend.NeighborList{neighborList("a", "b"), neighborList("b", "a"), neighborList("c")}
			putNeighbors(t, d, lists...)
			commit(t, d, tt.b)
			for _, l := range lists {
				checkNeighborList(t, d, l.ID, recommend.NeighborList{})
				removed := strings.Contains(strings.Join(tt.removed, " "), l.ID)
				if has := hasKey(t, d, neighborKey(l.ID)); has == removed {
					t.Errorf("record of %s there: %v, want %v", l.ID, has, !removed)
				}
			}
			// Stored again, they are current again.
			putNeighbors(t, d, lists...)
			for _, l := range lists {
				checkNeighborList(t, d, l.ID, l)
			}
		})
	}
}

// TestNeighborsSurviveReopen stores lists right after commits, so that a
// checkpoint is due, and checks that neither the idle checkpoint nor the
// one at Close makes them stale.
func TestNeighborsSurviveReopen(t *testing.T) {
	dir := t.TempDir()
	d, err := Open(dir, Options{checkpointIdle: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	commit(t, d, recommend.Write{Puts: []recommend.Put{put("a", "x"), put("b", "x")}})
	commit(t, d, recommend.Write{Deletes: []string{"b"}, Puts: []recommend.Put{put("c", "x")}})
	a := neighborList("a", "c")
	putNeighbors(t, d, a)
	time.Sleep(100 * time.Millisecond) // an idle checkpoint would be due by now
	checkNeighborList(t, d, "a", a)
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	d = openTest(t, dir, Options{})
	checkNeighborList(t, d, "a", a)
	commit(t, d, recommend.Write{Puts: []recommend.Put{put("d", "x")}})
	checkNeighborList(t, d, "a", recommend.NeighborList{})
}

func TestPutNeighborsValidation(t *testing.T) {
	d := openTest(t, "", Options{})
	good := neighborList("a", "b")
	tests := []struct {
		name string
		l    recommend.NeighborList
		want string
	}{
		{"empty id", neighborList(""), "id is empty"},
		{"long id", neighborList(strings.Repeat("x", 1025)), "over the limit"},
		{"k 0", func() recommend.NeighborList { l := neighborList("a"); l.K = 0; return l }(), "k is 0"},
		{"more than k", neighborList("a", "1", "2", "3", "4", "5", "6"), "6 neighbors, more than k = 5"},
		{"empty neighbor", neighborList("a", "b", ""), "neighbor 1 id is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := d.PutNeighbors(context.Background(), []recommend.NeighborList{good, tt.l})
			if err == nil || !strings.Contains(err.Error(), "list 1") || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error about list 1 saying %q", err, tt.want)
			}
			if hasKey(t, d, neighborKey("a")) {
				t.Error("a list was written")
			}
		})
	}
}

// TestEngineAnswersFromStoredLists runs the engine on the store: a batch
// stores its lists, Similar answers from them, also after a reopen, and
// stops when an article is added.
func TestEngineAnswersFromStoredLists(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	open := func() (*DB, *recommend.Engine) {
		d := openTest(t, dir, Options{})
		e, err := recommend.Open(ctx, d, recommend.Options{RefitShare: -1}, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { e.Close() })
		return d, e
	}
	d, e := open()
	var arts []recommend.Article
	for i := range 60 {
		arts = append(arts, recommend.Article{ID: fmt.Sprintf("art-%02d", i), Title: fmt.Sprintf("story %d", i%7),
			Body: fmt.Sprintf("words about topic%d and topic%d, shared by some, story %d", i%5, i%3, i)})
	}
	if rs, err := e.Create(ctx, arts...); err != nil || rs.Err() != nil {
		t.Fatal(err, rs.Err())
	}
	if _, err := e.Refit(ctx); err != nil {
		t.Fatal(err)
	}
	q := recommend.Query{K: 4}
	st, err := e.Batch(ctx, recommend.BatchOptions{Query: q, Store: true}, nil)
	if err != nil || st.Stored != len(arts) {
		t.Fatalf("batch: %+v, %v; want %d stored", st, err, len(arts))
	}
	all := recommend.Query{K: 4, Categories: []string{""}} // every article, answered live
	want := map[string]recommend.Result{}
	for _, a := range arts {
		if want[a.ID], err = e.Similar(ctx, a.ID, all); err != nil {
			t.Fatal(err)
		}
	}
	check := func(e *recommend.Engine, stored bool) {
		t.Helper()
		before := e.Stats().StoredAnswers
		for _, a := range arts {
			got, err := e.Similar(ctx, a.ID, q)
			if err != nil {
				t.Fatal(err)
			}
			if !sameResult(got, want[a.ID]) {
				t.Fatalf("similar %s: got %+v, want %+v", a.ID, got, want[a.ID])
			}
		}
		n, wantN := e.Stats().StoredAnswers-before, uint64(0)
		if stored {
			wantN = uint64(len(arts))
		}
		if n != wantN {
			t.Errorf("%d of %d answers from stored lists, want %d", n, len(arts), wantN)
		}
	}
	check(e, true)
	e.Close()
	d.Close()
	d, e = open()
	check(e, true)
	if rs, err := e.Create(ctx, recommend.Article{ID: "late", Body: "nothing in common"}); err != nil || rs.Err() != nil {
		t.Fatal(err, rs.Err())
	}
	check(e, false)
}

func FuzzNeighborsCodec(f *testing.F) {
	l := neighborList("x", "a", "bb")
	f.Add(encodeNeighbors(&l, 7), "a b", uint64(1), 0.25, 3)
	f.Add([]byte{neighV1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, "", uint64(0), math.Inf(1), 0)
	f.Fuzz(func(t *testing.T, data []byte, ids string, stamp uint64, score float64, k int) {
		// Arbitrary bytes: an error or a list that survives a round trip.
		if got, st, err := decodeNeighbors("id", data); err == nil {
			again, st2, err := decodeNeighbors("id", encodeNeighbors(&got, st))
			if err != nil || st2 != st || !sameList(again, got) {
				t.Fatalf("re-encoded: got %+v %d, %v, want %+v %d", again, st2, err, got, st)
			}
		}
		// A made-up list survives a round trip.
		want := recommend.NeighborList{ID: "id", Generation: stamp >> 3, Settings: ^stamp, K: k & 0xffff,
			Dedup: score, MinScore: -score, Neighbors: []recommend.Neighbor{}}
		for i, id := range strings.Fields(ids) {
			want.Neighbors = append(want.Neighbors, recommend.Neighbor{ID: id, Score: score * float64(i)})
		}
		got, st, err := decodeNeighbors("id", encodeNeighbors(&want, stamp))
		if err != nil || st != stamp || !sameList(got, want) {
			t.Fatalf("round trip: got %+v %d, %v, want %+v %d", got, st, err, want, stamp)
		}
	})
}

// sameList compares lists bit for bit, so that NaN equals itself.
func sameList(a, b recommend.NeighborList) bool {
	bits := math.Float64bits
	if a.ID != b.ID || a.Generation != b.Generation || a.Settings != b.Settings || a.K != b.K ||
		bits(a.Dedup) != bits(b.Dedup) || bits(a.MinScore) != bits(b.MinScore) || len(a.Neighbors) != len(b.Neighbors) {
		return false
	}
	for i, n := range a.Neighbors {
		if n.ID != b.Neighbors[i].ID || bits(n.Score) != bits(b.Neighbors[i].Score) {
			return false
		}
	}
	return true
}

// sameResult compares results, scores to 1e-12: a live query in another
// process may differ in the last bits.
func sameResult(a, b recommend.Result) bool {
	if a.Generation != b.Generation || len(a.Neighbors) != len(b.Neighbors) {
		return false
	}
	for i, m := range a.Neighbors {
		n := b.Neighbors[i]
		if math.Abs(m.Score-n.Score) > 1e-12 {
			return false
		}
		m.Score = n.Score
		if m != n {
			return false
		}
	}
	return true
}

// BenchmarkSimilarStored measures Similar by id on the BBC corpus of
// ../shared/data, on disk: searched live before a batch stored the lists
// (live: with the store lookup that finds none; filtered: a query that
// skips it), and answered from them after (stored).
//
//	go test -run '^$' -bench SimilarStored -count 10 ./storage/
func BenchmarkSimilarStored(b *testing.B) {
	ctx := context.Background()
	arts := loadBBC(b)
	d := openTest(b, b.TempDir(), Options{})
	e, err := recommend.Open(ctx, d, recommend.Options{RefitShare: -1}, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	for i := 0; i < len(arts); i += 256 {
		if rs, err := e.Create(ctx, arts[i:min(i+256, len(arts))]...); err != nil || rs.Err() != nil {
			b.Fatal(err, rs.Err())
		}
	}
	if _, err := e.Refit(ctx); err != nil {
		b.Fatal(err)
	}
	var cats []string // every category: a filter that lets all through
	for _, a := range arts {
		if !slices.Contains(cats, a.Category) {
			cats = append(cats, a.Category)
		}
	}
	run := func(name string, q recommend.Query, stored bool) {
		b.Run(name, func(b *testing.B) {
			before := e.Stats().StoredAnswers
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if _, err := e.Similar(ctx, arts[i%len(arts)].ID, q); err != nil {
					b.Fatal(err)
				}
				i++
			}
			if got := e.Stats().StoredAnswers > before; got != stored {
				b.Fatalf("answered from stored lists: %v, want %v", got, stored)
			}
		})
	}
	run("live", recommend.Query{}, false)
	run("filtered", recommend.Query{Categories: cats}, false)
	if _, err := e.Batch(ctx, recommend.BatchOptions{Store: true}, nil); err != nil {
		b.Fatal(err)
	}
	run("stored", recommend.Query{}, true)
}

// loadBBC reads ../shared/data/bbc_news.jsonl, skipping the benchmark
// where it is absent.
func loadBBC(tb testing.TB) []recommend.Article {
	tb.Helper()
	path := filepath.Join("..", "..", "shared", "data", "bbc_news.jsonl")
	f, err := os.Open(path)
	if err != nil {
		tb.Skipf("shared corpus not available (%v): run with ../shared beside the repository", err)
	}
	defer f.Close()
	var arts []recommend.Article
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var a recommend.Article
		if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
			tb.Fatalf("%s: %v", path, err)
		}
		arts = append(arts, a)
	}
	if err := sc.Err(); err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
	return arts
}
