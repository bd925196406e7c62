package recommendtest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/readalike/readalike/recommend"
	"github.com/readalike/readalike/vectorize"
)

// TestStore is the conformance suite of recommend.Store: every
// implementation runs it, each subtest on a new, empty store made by open
// (which registers its own cleanup). Stores that implement
// recommend.NeighborStore are held to its contract too.
func TestStore(t *testing.T, open func(t *testing.T) recommend.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s recommend.Store)
	}{
		{"RoundTrip", storeRoundTrip},
		{"NotFound", storeNotFound},
		{"ReplaceAndDelete", storeReplaceAndDelete},
		{"RepeatedID", storeRepeatedID},
		{"TermStatsMatchCounts", storeTermStats},
		{"Generation", storeGeneration},
		{"ConcurrentCommits", storeConcurrent},
		{"ScanStops", storeScanStops},
		{"NeighborLists", storeNeighborLists},
		{"Reads", storeReads},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, open(t)) })
	}
}

// PutOf returns a put of an article with that id whose term counts are the
// terms given, each counted once (repeats counted again).
func PutOf(id string, terms ...string) recommend.Put {
	m := map[string]uint32{}
	for _, t := range terms {
		m[t]++
	}
	return recommend.Put{
		Article: recommend.Article{ID: id, Title: "title of " + id, Body: "body of " + id},
		Counts:  vectorize.CountsFromMap(m),
	}
}

func mustCommit(t *testing.T, s recommend.Store, w recommend.Write) {
	t.Helper()
	if err := s.Commit(context.Background(), w); err != nil {
		t.Fatalf("commit: %v", err)
	}
}

// scanAll returns every article and its counts, checking the id order.
func scanAll(t *testing.T, s recommend.Store, bodies bool) (map[string]recommend.Article, map[string]vectorize.Counts) {
	t.Helper()
	arts, counts := map[string]recommend.Article{}, map[string]vectorize.Counts{}
	last := ""
	err := s.Scan(context.Background(), bodies, func(a *recommend.Article, c vectorize.Counts) error {
		if len(arts) > 0 && a.ID <= last {
			return fmt.Errorf("scan: %q after %q, want id order", a.ID, last)
		}
		last = a.ID
		arts[a.ID] = *a
		counts[a.ID] = slices.Clone(c)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return arts, counts
}

// Recount returns the term statistics the stored counts give.
func Recount(t *testing.T, s recommend.Store) recommend.TermStats {
	t.Helper()
	_, counts := scanAll(t, s, false)
	ts := recommend.TermStats{N: len(counts), DF: map[string]uint32{}}
	for _, c := range counts {
		for _, tc := range c {
			ts.DF[tc.Term]++
		}
	}
	return ts
}

func checkTermStats(t *testing.T, s recommend.Store) {
	t.Helper()
	got, err := s.TermStats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := Recount(t, s)
	if got.N != want.N || !maps.Equal(got.DF, want.DF) {
		t.Fatalf("TermStats: N %d, %d terms; the stored counts give N %d, %d terms", got.N, len(got.DF), want.N, len(want.DF))
	}
}

func storeRoundTrip(t *testing.T, s recommend.Store) {
	ctx := context.Background()
	when := time.Date(2026, 1, 18, 6, 30, 0, 0, time.UTC)
	a := PutOf("b", "korea", "missil", "missil", "seoul")
	a.Article = recommend.Article{ID: "b", Title: "Title", Body: "Body text", URL: "https://example.com/b",
		Category: "world", Lang: "en", LangDetected: true, Published: when, Created: when.Add(time.Hour), Updated: when.Add(2 * time.Hour),
		ReadCount: 3, LastRead: when.Add(3 * time.Hour), Words: 42, Summary: "The summary."}
	mustCommit(t, s, recommend.Write{Puts: []recommend.Put{PutOf("c", "x"), a, PutOf("a", "y", "z")}})
	// A put does not store reads: they come from Write.Reads.
	a.Article.ReadCount, a.Article.LastRead = 0, time.Time{}
	got, err := s.Article(ctx, "b")
	if err != nil {
		t.Fatal(err)
	}
	if !equalArticles(got, a.Article) {
		t.Fatalf("Article: got %+v, want %+v", got, a.Article)
	}
	arts, counts := scanAll(t, s, true)
	if len(arts) != 3 || !slices.Equal(counts["b"], a.Counts) || !equalArticles(arts["b"], a.Article) {
		t.Fatalf("Scan: %d articles, b %+v %v; want 3, %+v %v", len(arts), arts["b"], counts["b"], a.Article, a.Counts)
	}
	arts, _ = scanAll(t, s, false)
	if arts["b"].Title != "Title" {
		t.Fatalf("Scan without bodies lost the title: %+v", arts["b"])
	}
	checkTermStats(t, s)
}

func equalArticles(a, b recommend.Article) bool {
	return a.ID == b.ID && a.Title == b.Title && a.Body == b.Body && a.URL == b.URL && a.Category == b.Category &&
		a.Lang == b.Lang && a.LangDetected == b.LangDetected && a.Published.Equal(b.Published) && a.Created.Equal(b.Created) && a.Updated.Equal(b.Updated) &&
		a.ReadCount == b.ReadCount && a.LastRead.Equal(b.LastRead) && a.Words == b.Words && a.Summary == b.Summary
}

func storeNotFound(t *testing.T, s recommend.Store) {
	if _, err := s.Article(context.Background(), "nope"); !errors.Is(err, recommend.ErrNotFound) {
		t.Fatalf("Article of an absent id: got %v, want ErrNotFound", err)
	}
	// Deleting an absent id is not an error.
	mustCommit(t, s, recommend.Write{Deletes: []string{"nope"}})
	checkTermStats(t, s)
}

func storeReplaceAndDelete(t *testing.T, s recommend.Store) {
	ctx := context.Background()
	mustCommit(t, s, recommend.Write{Puts: []recommend.Put{PutOf("a", "one", "two"), PutOf("b", "two", "three")}})
	mustCommit(t, s, recommend.Write{Puts: []recommend.Put{PutOf("a", "four")}, Deletes: []string{"b"}})
	if _, err := s.Article(ctx, "b"); !errors.Is(err, recommend.ErrNotFound) {
		t.Fatalf("deleted article: got %v, want ErrNotFound", err)
	}
	ts, err := s.TermStats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]uint32{"four": 1}; ts.N != 1 || !maps.Equal(ts.DF, want) {
		t.Fatalf("TermStats after a replace and a delete: %+v, want N 1, df %v", ts, want)
	}
	checkTermStats(t, s)
}

func storeRepeatedID(t *testing.T, s recommend.Store) {
	mustCommit(t, s, recommend.Write{Puts: []recommend.Put{PutOf("keep", "x")}})
	for _, w := range []recommend.Write{
		{Puts: []recommend.Put{PutOf("a", "x"), PutOf("a", "y")}},
		{Puts: []recommend.Put{PutOf("a", "x")}, Deletes: []string{"a"}},
		{Deletes: []string{"keep", "keep"}},
	} {
		if err := s.Commit(context.Background(), w); err == nil {
			t.Fatalf("a write repeating an id was accepted: %+v", w)
		}
	}
	if ts := Recount(t, s); ts.N != 1 {
		t.Fatalf("refused writes changed the store: N %d, want 1", ts.N)
	}
	checkTermStats(t, s)
}

func storeTermStats(t *testing.T, s recommend.Store) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 40 {
		var w recommend.Write
		used := map[string]bool{}
		for range 1 + rng.IntN(8) {
			id := fmt.Sprintf("a%02d", rng.IntN(30))
			if used[id] {
				continue
			}
			used[id] = true
			if rng.IntN(4) == 0 {
				w.Deletes = append(w.Deletes, id)
				continue
			}
			var terms []string
			for range 1 + rng.IntN(10) {
				terms = append(terms, fmt.Sprintf("t%d", rng.IntN(25)))
			}
			w.Puts = append(w.Puts, PutOf(id, terms...))
		}
		mustCommit(t, s, w)
	}
	checkTermStats(t, s)
}

func storeGeneration(t *testing.T, s recommend.Store) {
	ctx := context.Background()
	g, err := s.Generation(ctx)
	if err != nil || g.Number != 0 {
		t.Fatalf("Generation of a new store: %+v, %v; want the zero Generation", g, err)
	}
	want := recommend.Generation{Number: 3, N: 2, DF: map[string]uint32{"a": 2, "b": 1},
		Settings: "some settings", FittedAt: time.Date(2026, 2, 3, 4, 5, 6, 0, time.UTC)}
	if err := s.SaveGeneration(ctx, want); err != nil {
		t.Fatal(err)
	}
	want.DF["a"] = 9 // the store keeps no reference to the caller's map
	got, err := s.Generation(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got.Number != 3 || got.N != 2 || got.DF["a"] != 2 || got.DF["b"] != 1 || len(got.DF) != 2 ||
		got.Settings != want.Settings || !got.FittedAt.Equal(want.FittedAt) {
		t.Fatalf("Generation: got %+v, want %+v with df a=2", got, want)
	}
}

func storeConcurrent(t *testing.T, s recommend.Store) {
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 20 {
				id := fmt.Sprintf("w%d-%02d", w, i)
				if err := s.Commit(context.Background(), recommend.Write{Puts: []recommend.Put{PutOf(id, "shared", id)}}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	ts, err := s.TermStats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if ts.N != 160 || ts.DF["shared"] != 160 {
		t.Fatalf("after 160 concurrent puts: N %d, df(shared) %d", ts.N, ts.DF["shared"])
	}
	checkTermStats(t, s)
}

func storeScanStops(t *testing.T, s recommend.Store) {
	mustCommit(t, s, recommend.Write{Puts: []recommend.Put{PutOf("a", "x"), PutOf("b", "x"), PutOf("c", "x")}})
	stop := errors.New("stop")
	n := 0
	err := s.Scan(context.Background(), false, func(*recommend.Article, vectorize.Counts) error {
		n++
		return stop
	})
	if !errors.Is(err, stop) || n != 1 {
		t.Fatalf("Scan: %v after %d articles, want the callback's error after 1", err, n)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err = s.Scan(ctx, false, func(*recommend.Article, vectorize.Counts) error { return nil })
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Scan with a cancelled context: %v, want context.Canceled", err)
	}
}

func storeNeighborLists(t *testing.T, s recommend.Store) {
	ns, ok := s.(recommend.NeighborStore)
	if !ok {
		t.Skip("the store keeps no neighbor lists")
	}
	ctx := context.Background()
	mustCommit(t, s, recommend.Write{Puts: []recommend.Put{PutOf("a", "x"), PutOf("b", "x"), PutOf("c", "x")}})
	list := func(id string, nbrs ...string) recommend.NeighborList {
		l := recommend.NeighborList{ID: id, Generation: 1, Settings: 7, K: 5, Dedup: 0.9, MinScore: 0.1}
		for i, n := range nbrs {
			l.Neighbors = append(l.Neighbors, recommend.Neighbor{ID: n, Score: 0.5 / float64(i+1)})
		}
		return l
	}
	if err := ns.PutNeighbors(ctx, []recommend.NeighborList{list("a", "b", "c"), list("b", "a")}); err != nil {
		t.Fatal(err)
	}
	got, err := ns.Neighbors(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	want := list("a", "b", "c")
	if got.ID != "a" || got.Generation != 1 || got.Settings != 7 || got.K != 5 || got.Dedup != 0.9 || got.MinScore != 0.1 ||
		!slices.EqualFunc(got.Neighbors, want.Neighbors, func(x, y recommend.Neighbor) bool { return x.ID == y.ID && x.Score == y.Score }) {
		t.Fatalf("Neighbors: got %+v, want %+v", got, want)
	}
	if _, err := ns.Neighbors(ctx, "c"); !errors.Is(err, recommend.ErrNotFound) {
		t.Fatalf("Neighbors of an article without a list: %v, want ErrNotFound", err)
	}
	if err := ns.PutNeighbors(ctx, []recommend.NeighborList{list("c"), {}}); err == nil {
		t.Fatal("a list without an id was accepted")
	}
	mustCommit(t, s, recommend.Write{Puts: []recommend.Put{PutOf("d", "x")}})
	if _, err := ns.Neighbors(ctx, "a"); !errors.Is(err, recommend.ErrNotFound) {
		t.Fatalf("a list stored before a commit: %v, want ErrNotFound (stale)", err)
	}
}

func storeReads(t *testing.T, s recommend.Store) {
	ctx := context.Background()
	t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	mustCommit(t, s, recommend.Write{Puts: []recommend.Put{PutOf("a", "x"), PutOf("b", "y")}})
	mustCommit(t, s, recommend.Write{Reads: []recommend.Read{
		{ID: "a", Reader: "r1", At: t0.Add(2 * time.Hour)},
		{ID: "a", At: t0},                  // anonymous, earlier: the last read stays
		{ID: "nope", Reader: "r1", At: t0}, // no such article: ignored
		{ID: "b", Reader: "r1", At: t0.Add(time.Hour)},
	}})
	mustCommit(t, s, recommend.Write{Reads: []recommend.Read{{ID: "a", Reader: "r2", At: t0.Add(3 * time.Hour)}}})
	a, err := s.Article(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	if a.ReadCount != 3 || !a.LastRead.Equal(t0.Add(3*time.Hour)) {
		t.Fatalf("article a: read count %d, last read %v; want 3 and %v", a.ReadCount, a.LastRead, t0.Add(3*time.Hour))
	}
	arts, _ := scanAll(t, s, false)
	if arts["a"].ReadCount != 3 || arts["b"].ReadCount != 1 {
		t.Fatalf("Scan: read counts a %d, b %d; want 3 and 1", arts["a"].ReadCount, arts["b"].ReadCount)
	}
	reads, err := s.Reads(ctx, "r1", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(reads) != 2 || reads[0].ID != "a" || reads[1].ID != "b" || !reads[0].At.Equal(t0.Add(2*time.Hour)) || reads[0].Reader != "r1" {
		t.Fatalf("Reads(r1): %+v, want a then b, newest first", reads)
	}
	if reads, _ := s.Reads(ctx, "r1", 1); len(reads) != 1 || reads[0].ID != "a" {
		t.Fatalf("Reads(r1, 1): %+v", reads)
	}
	if reads, _ := s.Reads(ctx, "nobody", 0); len(reads) != 0 {
		t.Fatalf("Reads of an unknown reader: %+v", reads)
	}
	// Replacing an article keeps its reads; deleting it forgets them.
	mustCommit(t, s, recommend.Write{Puts: []recommend.Put{PutOf("a", "z")}})
	if a, _ := s.Article(ctx, "a"); a.ReadCount != 3 {
		t.Fatalf("after a replace: read count %d, want 3", a.ReadCount)
	}
	mustCommit(t, s, recommend.Write{Deletes: []string{"a"}})
	mustCommit(t, s, recommend.Write{Puts: []recommend.Put{PutOf("a", "z")}})
	if a, _ := s.Article(ctx, "a"); a.ReadCount != 0 || !a.LastRead.IsZero() {
		t.Fatalf("deleted and written again: read count %d, last read %v; want none", a.ReadCount, a.LastRead)
	}
	// Reads change no term statistics.
	checkTermStats(t, s)
}
