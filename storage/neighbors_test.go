package storage

import (
	"context"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/readalike/readalike/recommend"
	"github.com/readalike/readalike/recommend/recommendtest"
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

// TestCollectionListsAcrossRestarts: a collection closed cleanly opens with
// its neighbor lists kept at once, loaded rather than rebuilt; one whose
// process ended after a write without closing the engine (a crash, as far
// as the lists go) rebuilds them, and answers as the search does.
func TestCollectionListsAcrossRestarts(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	c := recommendtest.NewCorpus(5, 300)
	open := func() *Collection {
		t.Helper()
		col, err := OpenCollection(ctx, dir, Options{GCInterval: -1}, recommend.Options{RefitShare: -1}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return col
	}
	waitKept := func(e *recommend.Engine) {
		t.Helper()
		for deadline := time.Now().Add(time.Minute); e.Stats().Lists != "kept"; time.Sleep(5 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("lists not kept after a minute: %+v", e.Stats())
			}
		}
	}
	col := open()
	if rs, err := col.Engine.Create(ctx, c.Articles(120)...); err != nil || rs.Err() != nil {
		t.Fatal(err, rs.Err())
	}
	waitKept(col.Engine)
	if err := col.Close(); err != nil {
		t.Fatal(err)
	}

	col = open()
	if st := col.Engine.Stats(); st.Lists != "kept" || st.ListRebuilds != 0 {
		t.Fatalf("after a clean restart: lists %q, %d rebuilds; want kept, loaded", st.Lists, st.ListRebuilds)
	}
	if rs, err := col.Engine.Create(ctx, c.NewArticle()); err != nil || rs.Err() != nil {
		t.Fatal(err, rs.Err())
	}
	// The store closes before the engine: the engine cannot save its lists.
	if err := col.DB.Close(); err != nil {
		t.Fatal(err)
	}
	col.Engine.Close()

	col = open()
	defer col.Close()
	if st := col.Engine.Stats(); st.Lists == "kept" {
		t.Fatalf("lists saved before a write were loaded after it: %+v", st)
	}
	waitKept(col.Engine)
	ref, err := recommendtest.FromStore(ctx, col.DB, recommend.Options{})
	if err != nil {
		t.Fatal(err)
	}
	before := col.Engine.Stats().ListAnswers
	for id := range ref.Articles {
		got, err := col.Engine.Similar(ctx, id, recommend.Query{})
		if err != nil {
			t.Fatal(err)
		}
		recommendtest.CheckNeighbors(t, "similar "+id, got.Neighbors, ref.SimilarID(id, recommend.Query{}), true)
	}
	if col.Engine.Stats().ListAnswers == before {
		t.Error("no answer came from the rebuilt lists")
	}
}
