package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/readalike/readalike/recommend"
	"github.com/readalike/readalike/recommend/recommendtest"
	"github.com/readalike/readalike/vectorize"
)

var _ recommend.NeighborStore = (*DB)(nil)

// TestConformance holds DB, on disk and in memory, to the Store contract.
func TestConformance(t *testing.T) {
	t.Run("disk", func(t *testing.T) {
		recommendtest.TestStore(t, func(t *testing.T) recommend.Store { return openTest(t, t.TempDir(), Options{}) })
	})
	t.Run("memory", func(t *testing.T) {
		recommendtest.TestStore(t, func(t *testing.T) recommend.Store { return openTest(t, "", Options{}) })
	})
	t.Run("nosync", func(t *testing.T) {
		recommendtest.TestStore(t, func(t *testing.T) recommend.Store { return openTest(t, t.TempDir(), Options{NoSync: true}) })
	})
}

// openTest opens a store in dir (in memory if dir is "") and closes it at
// the end of the test.
func openTest(t testing.TB, dir string, opts Options) *DB {
	t.Helper()
	if dir == "" {
		opts.InMemory = true
	}
	d, err := Open(dir, opts)
	if err != nil {
		t.Fatalf("open %s: %v", dir, err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func commit(t testing.TB, d *DB, b recommend.Write) {
	t.Helper()
	if err := d.Commit(context.Background(), b); err != nil {
		t.Fatalf("commit: %v", err)
	}
}

func put(id string, terms ...string) recommend.Put {
	m := map[string]uint32{}
	for _, term := range terms {
		m[term]++
	}
	return recommend.Put{
		Article: recommend.Article{ID: id, Title: "title of " + id, Body: "body of " + id, Words: len(terms)},
		Counts:  vectorize.CountsFromMap(m),
	}
}

// recount computes N and df from the stored term counts, by brute force.
func recount(t testing.TB, d *DB) recommend.TermStats {
	t.Helper()
	st := recommend.TermStats{DF: map[string]uint32{}}
	var last string
	err := d.Scan(context.Background(), false, func(a *recommend.Article, c vectorize.Counts) error {
		if st.N > 0 && a.ID <= last {
			return fmt.Errorf("scan order: %q after %q", a.ID, last)
		}
		last = a.ID
		st.N++
		for _, tc := range c {
			st.DF[tc.Term]++
		}
		return nil
	})
	if err != nil {
		t.Fatalf("scan: %v", err)
	}
	return st
}

func liveStats(t testing.TB, d *DB) recommend.TermStats {
	t.Helper()
	st, err := d.TermStats(context.Background())
	if err != nil {
		t.Fatalf("term stats: %v", err)
	}
	return st
}

// checkStats checks that the live term statistics equal a recount and want.
func checkStats(t testing.TB, d *DB, want recommend.TermStats) {
	t.Helper()
	got := liveStats(t, d)
	re := recount(t, d)
	if got.N != re.N || !maps.Equal(got.DF, re.DF) {
		t.Fatalf("term stats disagree with a recount: got N=%d %v, recount N=%d %v", got.N, got.DF, re.N, re.DF)
	}
	if want.DF != nil && (got.N != want.N || !maps.Equal(got.DF, want.DF)) {
		t.Fatalf("got N=%d %v, want N=%d %v", got.N, got.DF, want.N, want.DF)
	}
}

func TestRoundTrip(t *testing.T) {
	ctx := context.Background()
	d := openTest(t, t.TempDir(), Options{})
	a := fullArticle()
	counts := vectorize.Counts{{Term: "straß", Count: 2}, {Term: "straße", Count: 1}, {Term: "über", Count: 3}}
	commit(t, d, recommend.Write{Puts: []recommend.Put{{Article: a, Counts: counts}, put("b", "über")}})

	gotA, err := d.Article(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if gotA != a {
		t.Errorf("article: got %+v, want %+v", gotA, a)
	}
	gotC, err := d.Counts(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(gotC, counts) {
		t.Errorf("counts: got %v, want %v", gotC, counts)
	}
	checkStats(t, d, recommend.TermStats{N: 2, DF: map[string]uint32{"straß": 1, "straße": 1, "über": 2}})

	g, err := d.Generation(ctx)
	if err != nil || g.Number != 0 || g.DF != nil {
		t.Fatalf("generation before any: got %+v, %v, want the zero generation", g, err)
	}
	want := recommend.Generation{Number: 1, N: 2, DF: map[string]uint32{"über": 2}, Settings: "x", FittedAt: time.Now().UTC()}
	if err := d.SaveGeneration(ctx, want); err != nil {
		t.Fatal(err)
	}
	if g, err = d.Generation(ctx); err != nil || !equalGeneration(g, want) {
		t.Errorf("generation: got %+v, %v, want %+v", g, err, want)
	}
}

func TestNotFound(t *testing.T) {
	ctx := context.Background()
	d := openTest(t, "", Options{})
	commit(t, d, recommend.Write{Puts: []recommend.Put{put("a", "x")}})
	_, err := d.Article(ctx, "nope")
	if !errors.Is(err, recommend.ErrNotFound) || err.Error() != `article "nope": not found` {
		t.Errorf("article: got %v, want ErrNotFound", err)
	}
	if _, err := d.Counts(ctx, "nope"); !errors.Is(err, recommend.ErrNotFound) {
		t.Errorf("counts: got %v, want ErrNotFound", err)
	}
	if _, err := d.Article(ctx, ""); !errors.Is(err, recommend.ErrNotFound) {
		t.Errorf("empty id: got %v, want ErrNotFound", err)
	}
}

func TestReplaceAndDelete(t *testing.T) {
	d := openTest(t, "", Options{})
	steps := []struct {
		name  string
		batch recommend.Write
		want  recommend.TermStats
	}{
		{"two puts", recommend.Write{Puts: []recommend.Put{put("a", "x", "y"), put("b", "y", "z")}},
			recommend.TermStats{N: 2, DF: map[string]uint32{"x": 1, "y": 2, "z": 1}}},
		{"replace", recommend.Write{Puts: []recommend.Put{put("a", "y", "w", "w")}},
			recommend.TermStats{N: 2, DF: map[string]uint32{"w": 1, "y": 2, "z": 1}}},
		{"replace with the same terms", recommend.Write{Puts: []recommend.Put{put("a", "y", "w")}},
			recommend.TermStats{N: 2, DF: map[string]uint32{"w": 1, "y": 2, "z": 1}}},
		{"delete", recommend.Write{Deletes: []string{"b"}},
			recommend.TermStats{N: 1, DF: map[string]uint32{"w": 1, "y": 1}}},
		{"delete absent", recommend.Write{Deletes: []string{"b", "never"}},
			recommend.TermStats{N: 1, DF: map[string]uint32{"w": 1, "y": 1}}},
		{"put", recommend.Write{Puts: []recommend.Put{put("c", "q")}},
			recommend.TermStats{N: 2, DF: map[string]uint32{"q": 1, "w": 1, "y": 1}}},
		{"put one and delete another", recommend.Write{Puts: []recommend.Put{put("e", "r")}, Deletes: []string{"a"}},
			recommend.TermStats{N: 2, DF: map[string]uint32{"q": 1, "r": 1}}},
		{"no terms", recommend.Write{Puts: []recommend.Put{put("f")}},
			recommend.TermStats{N: 3, DF: map[string]uint32{"q": 1, "r": 1}}},
		{"empty write", recommend.Write{},
			recommend.TermStats{N: 3, DF: map[string]uint32{"q": 1, "r": 1}}},
		{"delete all", recommend.Write{Deletes: []string{"c", "e", "f"}},
			recommend.TermStats{N: 0, DF: map[string]uint32{}}},
	}
	for _, s := range steps {
		commit(t, d, s.batch)
		t.Run(s.name, func(t *testing.T) { checkStats(t, d, s.want) })
	}
}

func TestCommitValidation(t *testing.T) {
	d := openTest(t, "", Options{})
	commit(t, d, recommend.Write{Puts: []recommend.Put{put("keep", "x")}})
	long := strings.Repeat("x", maxKeyLen+1)
	good := put("new", "y")
	tests := []struct {
		name  string
		batch recommend.Write
		want  string
	}{
		{"empty id", recommend.Write{Puts: []recommend.Put{good, put("")}}, "put 1 (id \"\"): id is empty"},
		{"long id", recommend.Write{Puts: []recommend.Put{put(long)}}, "id is 1025 bytes long"},
		{"unsorted", recommend.Write{Puts: []recommend.Put{good, {Article: recommend.Article{ID: "u"},
			Counts: vectorize.Counts{{Term: "b", Count: 1}, {Term: "a", Count: 1}}}}}, `counts not sorted by term: "a" after "b"`},
		{"duplicate term", recommend.Write{Puts: []recommend.Put{{Article: recommend.Article{ID: "u"},
			Counts: vectorize.Counts{{Term: "a", Count: 1}, {Term: "a", Count: 2}}}}}, `term "a" appears twice`},
		{"empty term", recommend.Write{Puts: []recommend.Put{{Article: recommend.Article{ID: "u"},
			Counts: vectorize.Counts{{Term: "", Count: 1}}}}}, "term 0 is empty"},
		{"zero count", recommend.Write{Puts: []recommend.Put{{Article: recommend.Article{ID: "u"},
			Counts: vectorize.Counts{{Term: "a", Count: 0}}}}}, `term 0 ("a") has count 0`},
		{"empty delete", recommend.Write{Puts: []recommend.Put{good}, Deletes: []string{"keep", ""}}, "delete 1: id is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := d.Commit(context.Background(), tt.batch)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error containing %q", err, tt.want)
			}
			// Nothing of the batch was written: not the valid put, not the delete.
			checkStats(t, d, recommend.TermStats{N: 1, DF: map[string]uint32{"x": 1}})
			if _, err := d.Article(context.Background(), "new"); !errors.Is(err, recommend.ErrNotFound) {
				t.Errorf("valid put of a refused batch: got %v, want ErrNotFound", err)
			}
		})
	}
}

// TestStatsMatchRecount applies random puts, replaces and deletes, and checks
// the term statistics against a model and a brute-force recount, then again
// after reopening.
func TestStatsMatchRecount(t *testing.T) {
	dir := t.TempDir()
	d, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	model := map[string]recommend.Put{}
	for round := range 200 {
		var b recommend.Write
		used := map[string]bool{}
		for range rng.IntN(6) {
			if id := fmt.Sprintf("id%02d", rng.IntN(40)); !used[id] {
				used[id] = true
				b.Puts = append(b.Puts, randPut(rng, id, 30, 1+rng.IntN(12)))
			}
		}
		for range rng.IntN(3) {
			if id := fmt.Sprintf("id%02d", rng.IntN(45)); !used[id] {
				used[id] = true
				b.Deletes = append(b.Deletes, id)
			}
		}
		commit(t, d, b)
		for _, p := range b.Puts {
			model[p.Article.ID] = p
		}
		for _, id := range b.Deletes {
			delete(model, id)
		}
		if round%20 == 0 {
			checkStats(t, d, modelStats(model))
		}
	}
	checkStats(t, d, modelStats(model))
	for id, p := range model {
		a, err := d.Article(context.Background(), id)
		if err != nil || a != p.Article {
			t.Fatalf("article %s: got %+v, %v, want %+v", id, a, err, p.Article)
		}
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	d = openTest(t, dir, Options{})
	checkStats(t, d, modelStats(model))
}

func modelStats(model map[string]recommend.Put) recommend.TermStats {
	st := recommend.TermStats{N: len(model), DF: map[string]uint32{}}
	for _, p := range model {
		for _, tc := range p.Counts {
			st.DF[tc.Term]++
		}
	}
	return st
}

// randPut makes an article with about n of vocab terms, the first ones more
// often than the last, and a body of a few hundred bytes.
func randPut(rng *rand.Rand, id string, vocab, n int) recommend.Put {
	m := map[string]uint32{}
	for range n {
		k := int(float64(vocab) * rng.Float64() * rng.Float64()) // skewed to common terms
		m[fmt.Sprintf("t%04d", k)] += uint32(1 + rng.IntN(3))
	}
	body := strings.Repeat("lorem ipsum ", 10+rng.IntN(200))
	return recommend.Put{
		Article: recommend.Article{
			ID: id, Title: "title " + id, Body: body, Lang: "en", Words: n,
			Published: time.Unix(rng.Int64N(2e9), 0).UTC(), Summary: "summary of " + id,
		},
		Counts: vectorize.CountsFromMap(m),
	}
}

func TestConcurrentCommits(t *testing.T) {
	d := openTest(t, t.TempDir(), Options{MaxGroup: 16})
	const writers, perWriter = 32, 40
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			for i := range perWriter {
				shared := rng.IntN(10)
				b := recommend.Write{Puts: []recommend.Put{
					randPut(rng, fmt.Sprintf("w%02d-%03d", w, i), 200, 20),
					randPut(rng, fmt.Sprintf("shared-%02d", shared), 200, 20), // raced over by all writers
				}}
				if i%5 == 4 {
					other := (shared + 1 + rng.IntN(9)) % 10 // not the one put
					b.Deletes = []string{fmt.Sprintf("w%02d-%03d", w, i-2), fmt.Sprintf("shared-%02d", other)}
				}
				if err := d.Commit(context.Background(), b); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	// Readers run alongside.
	stop := make(chan struct{})
	var readers sync.WaitGroup
	readers.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := d.TermStats(context.Background()); err != nil {
				errs <- err
				return
			}
			if _, err := d.Article(context.Background(), "w00-000"); err != nil && !errors.Is(err, recommend.ErrNotFound) {
				errs <- err
				return
			}
		}
	})
	wg.Wait()
	close(stop)
	readers.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	checkStats(t, d, recommend.TermStats{})
	if st := liveStats(t, d); st.N < writers*perWriter*3/5 {
		t.Errorf("got N=%d, want at least %d", st.N, writers*perWriter*3/5)
	}
}

func TestReopen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	d, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	commit(t, d, recommend.Write{Puts: []recommend.Put{put("a", "x", "y"), put("b", "y")}})
	gen := recommend.Generation{Number: 3, N: 2, DF: map[string]uint32{"x": 1, "y": 2}, Settings: "s", FittedAt: time.Now()}
	if err := d.SaveGeneration(ctx, gen); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	d = openTest(t, dir, Options{})
	checkStats(t, d, recommend.TermStats{N: 2, DF: map[string]uint32{"x": 1, "y": 2}})
	if g, err := d.Generation(ctx); err != nil || !equalGeneration(g, gen) {
		t.Errorf("generation: got %+v, %v, want %+v", g, err, gen)
	}
	if a, err := d.Article(ctx, "a"); err != nil || a != put("a", "x", "y").Article {
		t.Errorf("article: got %+v, %v", a, err)
	}
}

// A store opened with NoSync syncs no log file, and what it wrote is all
// there when it is opened again, the df records recounted.
func TestNoSync(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	var fsyncs atomic.Int64
	opts := Options{NoSync: true}
	opts.syncHook = func(string) func() { fsyncs.Add(1); return nil }
	d, err := Open(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	commit(t, d, recommend.Write{Puts: []recommend.Put{put("a", "x", "y"), put("b", "y")}})
	commit(t, d, recommend.Write{Puts: []recommend.Put{put("c", "z")}, Deletes: []string{"b"}})
	want := recommend.TermStats{N: 2, DF: map[string]uint32{"x": 1, "y": 1, "z": 1}}
	checkStats(t, d, want)
	gen := recommend.Generation{Number: 1, N: 2, DF: want.DF, Settings: "s", FittedAt: time.Now()}
	if err := d.SaveGeneration(ctx, gen); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if n := fsyncs.Load(); n != 0 {
		t.Errorf("%d log files synced, want 0", n)
	}
	d = openTest(t, dir, Options{})
	checkStats(t, d, want)
	if g, err := d.Generation(ctx); err != nil || !equalGeneration(g, gen) {
		t.Errorf("generation: got %+v, %v, want %+v", g, err, gen)
	}
	if a, err := d.Article(ctx, "c"); err != nil || a != put("c", "z").Article {
		t.Errorf("article: got %+v, %v", a, err)
	}
}

func TestFormat(t *testing.T) {
	tests := []struct {
		name  string
		setup func(txn *badger.Txn) error
		want  string
	}{
		{"newer", func(txn *badger.Txn) error { return txn.Set(formatKey(), []byte{formatVersion + 1}) },
			"newer than this program's"},
		{"garbled", func(txn *badger.Txn) error { return txn.Set(formatKey(), []byte{1, 2}) },
			"format record of 2 bytes"},
		{"foreign", func(txn *badger.Txn) error {
			if err := txn.Delete(formatKey()); err != nil {
				return err
			}
			return txn.Set([]byte("other"), []byte("data"))
		}, "not a readalike store"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			d, err := Open(dir, Options{})
			if err != nil {
				t.Fatal(err)
			}
			commit(t, d, recommend.Write{Puts: []recommend.Put{put("a", "x")}})
			d.Close()
			if tt.name == "foreign" {
				dir = t.TempDir()
			}
			bdb, err := badger.Open(badger.DefaultOptions(dir).WithLogger(nil))
			if err != nil {
				t.Fatal(err)
			}
			if err := bdb.Update(tt.setup); err != nil {
				t.Fatal(err)
			}
			bdb.Close()
			d, err = Open(dir, Options{})
			if err == nil {
				d.Close()
			}
			if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want ErrFormat saying %q", err, tt.want)
			}
		})
	}
}

func TestClosed(t *testing.T) {
	ctx := context.Background()
	d, err := Open("", Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	calls := map[string]error{
		"close again":   d.Close(),
		"commit":        d.Commit(ctx, recommend.Write{Puts: []recommend.Put{put("a")}}),
		"scan":          d.Scan(ctx, true, func(*recommend.Article, vectorize.Counts) error { return nil }),
		"save gen":      d.SaveGeneration(ctx, recommend.Generation{}),
		"put neighbors": d.PutNeighbors(ctx, []recommend.NeighborList{{ID: "a", K: 1}}),
	}
	_, calls["neighbors"] = d.Neighbors(ctx, "a")
	_, calls["article"] = d.Article(ctx, "a")
	_, calls["counts"] = d.Counts(ctx, "a")
	_, calls["term stats"] = d.TermStats(ctx)
	_, calls["generation"] = d.Generation(ctx)
	_, _, calls["size"] = d.Size()
	for name, err := range calls {
		if !errors.Is(err, ErrClosed) {
			t.Errorf("%s: got %v, want ErrClosed", name, err)
		}
	}
}

func TestCommitCancelled(t *testing.T) {
	d := openTest(t, "", Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := d.Commit(ctx, recommend.Write{Puts: []recommend.Put{put("a", "x")}}); !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
}

func TestBatchTooBig(t *testing.T) {
	// 1 MiB memtables: a transaction holds about 150 KB, 1600 records.
	d := openTest(t, t.TempDir(), Options{MemTableSize: 1 << 20})
	big := recommend.Write{}
	for i := range 3000 {
		big.Puts = append(big.Puts, put(fmt.Sprintf("big%04d", i), "x"))
	}
	if err := d.Commit(context.Background(), big); !errors.Is(err, ErrBatchTooBig) {
		t.Fatalf("got %v, want ErrBatchTooBig", err)
	}
	checkStats(t, d, recommend.TermStats{N: 0, DF: map[string]uint32{}})

	// Batches that fit one by one but not together all go through, in
	// several transactions of one group.
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			var b recommend.Write
			for i := range 250 {
				b.Puts = append(b.Puts, put(fmt.Sprintf("w%d-%03d", w, i), fmt.Sprintf("t%d", i%50), "common"))
			}
			if err := d.Commit(context.Background(), b); err != nil {
				t.Errorf("writer %d: %v", w, err)
			}
		})
	}
	wg.Wait()
	want := recommend.TermStats{N: 2000, DF: map[string]uint32{"common": 2000}}
	for i := range 50 {
		want.DF[fmt.Sprintf("t%d", i)] = 8 * 5
	}
	checkStats(t, d, want)
}

func TestScan(t *testing.T) {
	ctx := context.Background()
	d := openTest(t, "", Options{})
	commit(t, d, recommend.Write{Puts: []recommend.Put{put("c", "z"), put("a", "x"), put("b", "y", "y")}})

	var ids []string
	err := d.Scan(ctx, true, func(a *recommend.Article, c vectorize.Counts) error {
		ids = append(ids, a.ID)
		if a.Body != "body of "+a.ID || len(c) != 1 {
			t.Errorf("%s: got body %q and counts %v", a.ID, a.Body, c)
		}
		return nil
	})
	if err != nil || !slices.Equal(ids, []string{"a", "b", "c"}) {
		t.Errorf("got %v, %v, want [a b c], nil", ids, err)
	}

	err = d.Scan(ctx, false, func(a *recommend.Article, c vectorize.Counts) error {
		if a.Body != "" || a.Title != "title of "+a.ID {
			t.Errorf("without bodies: got %+v", a)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	stop := errors.New("stop")
	n := 0
	err = d.Scan(ctx, false, func(*recommend.Article, vectorize.Counts) error { n++; return stop })
	if err != stop || n != 1 {
		t.Errorf("fn error: got %v after %d calls, want stop after 1", err, n)
	}

	cctx, cancel := context.WithCancel(ctx)
	n = 0
	err = d.Scan(cctx, false, func(*recommend.Article, vectorize.Counts) error { n++; cancel(); return nil })
	if !errors.Is(err, context.Canceled) || n != 1 {
		t.Errorf("cancelled: got %v after %d calls, want context.Canceled after 1", err, n)
	}

	// fn may call the store, even while Close waits.
	err = d.Scan(ctx, false, func(a *recommend.Article, _ vectorize.Counts) error {
		_, err := d.Article(ctx, a.ID)
		return err
	})
	if err != nil {
		t.Errorf("nested call: %v", err)
	}
}

// TestScanSkipsOrphans gives articles and term counts without their pair,
// as Badger's value-log GC could bring a deleted record back before
// tombstones: Scan skips them and says so. A pair that is a tombstone on
// one side (never written so) is an orphan too; two tombstones are a
// deleted article, skipped without a word.
func TestScanSkipsOrphans(t *testing.T) {
	var logged syncBuffer
	log := slog.New(slog.NewTextHandler(&logged, &slog.HandlerOptions{Level: slog.LevelWarn}))
	d := openTest(t, "", Options{Logger: log})
	var puts []recommend.Put
	for _, id := range []string{"a", "b", "c", "d", "e", "f", "g", "h"} {
		puts = append(puts, put(id, "x"))
	}
	commit(t, d, recommend.Write{Puts: puts})
	commit(t, d, recommend.Write{Deletes: []string{"g"}})
	err := d.bdb.Update(func(txn *badger.Txn) error {
		return errors.Join(txn.Delete(countsKey("a")), txn.Delete(articleKey("c")), txn.Set(countsKey("d"), tombstone),
			txn.Set(articleKey("f"), tombstone), txn.Delete(countsKey("h")))
	})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	err = d.Scan(context.Background(), false, func(a *recommend.Article, _ vectorize.Counts) error {
		ids = append(ids, a.ID)
		return nil
	})
	if err != nil || !slices.Equal(ids, []string{"b", "e"}) {
		t.Errorf("got %v, %v, want [b e]", ids, err)
	}
	if n := strings.Count(logged.String(), "without its pair"); n != 5 {
		t.Errorf("got %d warnings, want 5:\n%s", n, logged.String())
	}
}

// TestRotatedLogsAreSynced makes memtables and value-log files fill up
// during commits and checks that the syncer notices and syncs the files
// that stopped being active.
func TestRotatedLogsAreSynced(t *testing.T) {
	d := openTest(t, t.TempDir(), Options{MemTableSize: 1 << 20, valueLogFileSize: 1 << 20})
	for i := range 300 {
		var b recommend.Write
		for j := range 20 {
			p := put(fmt.Sprintf("a%03d-%02d", i, j), "x", fmt.Sprint(j))
			p.Article.Body = strings.Repeat("b", 900) // under ValueThreshold: goes to the WAL
			if j%2 == 0 {
				p.Article.Body = strings.Repeat("v", 2000) // over: goes to the value log
			}
			b.Puts = append(b.Puts, p)
		}
		commit(t, d, b)
	}
	d.sync.mu.Lock()
	wal, vlog := d.sync.wal.rotations, d.sync.vlog.rotations
	d.sync.mu.Unlock()
	if wal == 0 || vlog == 0 {
		t.Errorf("got %d WAL and %d value-log rotations, want some of each; has Badger's file naming changed (see sync.go)?", wal, vlog)
	}
	checkStats(t, d, recommend.TermStats{})
}

func TestSize(t *testing.T) {
	d := openTest(t, t.TempDir(), Options{})
	rng := rand.New(rand.NewPCG(5, 6))
	for i := range 50 {
		commit(t, d, recommend.Write{Puts: []recommend.Put{randPut(rng, fmt.Sprint(i), 100, 50)}})
	}
	lsm, vlog, err := d.Size()
	if err != nil || lsm <= 0 || vlog <= 0 {
		t.Errorf("got lsm=%d vlog=%d, %v, want both > 0", lsm, vlog, err)
	}
	if d.Path() == "" {
		t.Error("got no path")
	}
	m := openTest(t, "", Options{})
	if lsm, vlog, err := m.Size(); lsm != 0 || vlog != 0 || err != nil {
		t.Errorf("in memory: got %d, %d, %v, want 0, 0, nil", lsm, vlog, err)
	}
}

func TestGCRunsAndStops(t *testing.T) {
	var buf syncBuffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelWarn}))
	d, err := Open(t.TempDir(), Options{GCInterval: time.Millisecond, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(7, 8))
	for i := range 100 {
		commit(t, d, recommend.Write{Puts: []recommend.Put{randPut(rng, fmt.Sprint(i%10), 100, 50)}})
	}
	deadline := time.Now().Add(10 * time.Second)
	for d.gc.rounds.Load() < 3 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if n := d.gc.rounds.Load(); n < 3 {
		t.Fatalf("%d GC rounds in 10 s at an interval of 1 ms", n)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-d.gc.done:
	default:
		t.Fatal("the GC loop still runs after Close")
	}
	if strings.Contains(buf.String(), "gc failed") {
		t.Errorf("gc logged a failure: %s", buf.String())
	}
}

func TestBadgerLogGoesToSlog(t *testing.T) {
	var buf syncBuffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	d := openTest(t, t.TempDir(), Options{Logger: log})
	d.Close()
	out := buf.String()
	if !strings.Contains(out, "component=badger") {
		t.Fatalf("got no badger log records in:\n%s", out)
	}
	for line := range strings.Lines(out) {
		_, msg, _ := strings.Cut(line, "msg=")
		msg = strings.TrimPrefix(msg, `"`)
		if r := msg[0]; r >= 'A' && r <= 'Z' && len(msg) > 1 && !(msg[1] >= 'A' && msg[1] <= 'Z' || msg[1] >= '0' && msg[1] <= '9') {
			t.Errorf("message not lowercase: %s", line)
		}
	}
}

func TestLowerFirst(t *testing.T) {
	for in, want := range map[string]string{
		"Replaying file": "replaying file", "L0 was stalled": "L0 was stalled",
		"MANIFEST": "MANIFEST", "already": "already", "": "", "Über": "über",
	} {
		if got := lowerFirst(in); got != want {
			t.Errorf("lowerFirst(%q): got %q, want %q", in, got, want)
		}
	}
}

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a logger.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
