package recommend_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/readalike/readalike/recommend"
	"github.com/readalike/readalike/recommend/recommendtest"
)

// TestReadsUnderLoad records many reads of one article at once, from many
// goroutines, while a refit runs: no increment is lost, in memory or in the
// store, and nothing else about the article changes.
func TestReadsUnderLoad(t *testing.T) {
	ctx := context.Background()
	ms := recommend.NewMemoryStore()
	e, err := recommend.Open(ctx, ms, recommend.Options{RefitShare: -1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	c := recommendtest.NewCorpus(41, 300)
	arts := c.Articles(200)
	mustWrite(t)(e.Create(ctx, arts...))
	if _, err := e.Refit(ctx); err != nil { // the refit during the reads then fits the same model
		t.Fatal(err)
	}
	waitLists(t, e)
	id := arts[7].ID
	before, err := e.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	similarBefore, _ := e.Similar(ctx, id, recommend.Query{K: 8})
	const workers, each = 8, 50
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				r := recommend.Read{ID: id, Reader: fmt.Sprintf("reader-%d", w)}
				if i%10 == 0 {
					r.ID = arts[w].ID // other articles read too
				}
				if _, err := e.Read(ctx, r); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	if _, err := e.Refit(ctx); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	want := uint64(workers * each * 9 / 10)
	if id == arts[7].ID {
		want += each / 10 // worker 7 reads it for the others too
	}
	after, err := e.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if after.ReadCount != want || after.LastRead.IsZero() {
		t.Errorf("stored: read count %d, last read %v; want %d", after.ReadCount, after.LastRead, want)
	}
	rr, err := e.Read(ctx, recommend.Read{ID: id})
	if err != nil || rr.ReadCount != want+1 {
		t.Errorf("in memory after the refit: %+v, %v; want read count %d", rr, err, want+1)
	}
	after.ReadCount, after.LastRead, before.ReadCount, before.LastRead = 0, time.Time{}, 0, time.Time{}
	if !reflect.DeepEqual(after, before) {
		t.Errorf("reads changed the article:\nbefore %+v\nafter  %+v", before, after)
	}
	similarAfter, _ := e.Similar(ctx, id, recommend.Query{K: 8})
	similarBefore.Generation = similarAfter.Generation
	if !reflect.DeepEqual(similarAfter, similarBefore) {
		t.Errorf("reads changed the neighbors:\nbefore %+v\nafter  %+v", similarBefore, similarAfter)
	}
	reads, err := ms.Reads(ctx, "reader-3", 0)
	if err != nil || len(reads) != each {
		t.Errorf("reads of reader-3: %d, %v; want %d", len(reads), err, each)
	}
	if _, err := e.Read(ctx, recommend.Read{ID: "nope"}); err == nil {
		t.Error("a read of an unknown article was recorded")
	}
	if _, err := e.Read(ctx, recommend.Read{ID: id, Reader: "bad\x00reader"}); err == nil {
		t.Error("a read by an unprintable reader was recorded")
	}
}

// TestRecommendForReader recommends from the reads recorded for a reader.
func TestRecommendForReader(t *testing.T) {
	ctx := context.Background()
	ms := recommend.NewMemoryStore()
	e, err := recommend.Open(ctx, ms, recommend.Options{RefitShare: -1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	c := recommendtest.NewCorpus(42, 300)
	arts := c.Articles(150)
	mustWrite(t)(e.Create(ctx, arts...))
	for _, a := range arts[:3] {
		if _, err := e.Read(ctx, recommend.Read{ID: a.ID, Reader: "r1"}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := e.Recommend(ctx, recommend.Profile{Reader: "r1", History: []string{"gone"}}, recommend.Query{K: 6})
	if err != nil {
		t.Fatal(err)
	}
	ref := reference(t, ms, recommend.Options{})
	want, missing := ref.Recommend([]string{"gone", arts[2].ID, arts[1].ID, arts[0].ID}, nil, recommend.Centroid, recommend.Query{K: 6})
	recommendtest.CheckNeighbors(t, "recommend for r1", got.Neighbors, want, true)
	if !reflect.DeepEqual(got.Missing, missing) || len(missing) != 1 {
		t.Errorf("missing %v, want %v", got.Missing, missing)
	}
	for _, n := range got.Neighbors {
		if n.ID == arts[0].ID || n.ID == arts[1].ID || n.ID == arts[2].ID {
			t.Errorf("recommended %s, which r1 read", n.ID)
		}
	}
	if _, err := e.Recommend(ctx, recommend.Profile{History: []string{"gone"}}, recommend.Query{}); err == nil {
		t.Error("a history of unknown ids gave no error")
	}
	if _, err := e.Recommend(ctx, recommend.Profile{History: []string{arts[0].ID}, Strategy: "median"}, recommend.Query{}); err == nil {
		t.Error("an unknown strategy was accepted")
	}
}

// TestSummaryAndList: every article gets a summary, made again when it is
// replaced; List pages through the collection newest first, by category and
// language; Overview counts them.
func TestSummaryAndList(t *testing.T) {
	ctx := context.Background()
	e, err := recommend.Open(ctx, recommend.NewMemoryStore(), recommend.Options{RefitShare: -1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	day := func(d int) time.Time { return time.Date(2026, 1, d, 9, 0, 0, 0, time.UTC) }
	arts := []recommend.Article{
		{ID: "a", Title: "Rover", Body: "The rover found ice. It was under the crater rim. Scientists were pleased.", Category: "science", Published: day(3)},
		{ID: "b", Title: "Budget", Body: "The budget passed. Taxes rose.", Category: "politics", Published: day(5)},
		{ID: "c", Title: "Vote", Body: "El voto fue ayer. Ganó la oposición.", Category: "politics", Lang: "es", Published: day(4)},
		{ID: "d", Title: "Undated", Body: "No date here at all.", Category: "science"},
	}
	mustWrite(t)(e.Create(ctx, arts...))
	a, err := e.Get(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	if a.Summary == "" || !strings.HasPrefix(a.Body, strings.Fields(a.Summary)[0]) || len(a.Summary) > 300 {
		t.Errorf("summary %q of %q", a.Summary, a.Body)
	}
	arts[0].Body = "Another text entirely. Nothing about rovers."
	mustWrite(t)(e.Upsert(ctx, arts[0]))
	if a2, _ := e.Get(ctx, "a"); a2.Summary == a.Summary {
		t.Errorf("the summary was not made again: %q", a2.Summary)
	}
	ids := func(l recommend.ArticleList) (out []string) {
		for _, a := range l.Articles {
			out = append(out, a.ID)
			if a.Body != "" || a.Summary == "" {
				t.Errorf("listed %+v, want a summary and no body", a)
			}
		}
		return out
	}
	for _, tc := range []struct {
		lq    recommend.ListQuery
		want  []string
		total int
	}{
		{recommend.ListQuery{}, []string{"d", "b", "c", "a"}, 4}, // d: written now, no date
		{recommend.ListQuery{Limit: 2, Offset: 1}, []string{"b", "c"}, 4},
		{recommend.ListQuery{Category: "politics"}, []string{"b", "c"}, 2},
		{recommend.ListQuery{Lang: "ES"}, []string{"c"}, 1},
		{recommend.ListQuery{Category: "nothing"}, nil, 0},
		{recommend.ListQuery{Offset: 10}, nil, 4},
	} {
		l, err := e.List(ctx, tc.lq)
		if err != nil {
			t.Fatal(err)
		}
		if got := ids(l); !reflect.DeepEqual(got, tc.want) || l.Total != tc.total {
			t.Errorf("List(%+v): %v of %d, want %v of %d", tc.lq, got, l.Total, tc.want, tc.total)
		}
	}
	for _, lq := range []recommend.ListQuery{{Limit: 101}, {Offset: -1}, {Lang: "de"}} {
		if _, err := e.List(ctx, lq); err == nil {
			t.Errorf("List(%+v) accepted", lq)
		}
	}
	for range 3 {
		e.Read(ctx, recommend.Read{ID: "b"})
	}
	e.Read(ctx, recommend.Read{ID: "c"})
	o := e.Overview(5)
	if o.Categories["politics"] != 2 || o.Categories["science"] != 2 || o.Languages["es"] != 1 || o.Languages["en"] != 3 || o.Reads != 4 ||
		len(o.MostRead) != 2 || o.MostRead[0].ID != "b" || o.MostRead[0].ReadCount != 3 {
		t.Errorf("overview %+v", o)
	}
}

// TestNoSummaries: with Options.NoSummaries an article is written without
// a summary, and scores as it would with one.
func TestNoSummaries(t *testing.T) {
	ctx := context.Background()
	arts := []recommend.Article{
		{ID: "a", Title: "Rover", Body: "The rover found ice. It was under the crater rim. Scientists were pleased."},
		{ID: "b", Title: "Ice", Body: "Ice was found under a crater on the moon. The rover keeps looking."},
		{ID: "c", Title: "Budget", Body: "The budget passed. Taxes rose."},
	}
	var lists [2]recommend.Result
	for i, no := range []bool{false, true} {
		e, err := recommend.Open(ctx, recommend.NewMemoryStore(), recommend.Options{RefitShare: -1, NoSummaries: no}, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer e.Close()
		mustWrite(t)(e.Create(ctx, arts...))
		a, err := e.Get(ctx, "a")
		if err != nil {
			t.Fatal(err)
		}
		if (a.Summary == "") != no {
			t.Errorf("NoSummaries %v: summary %q", no, a.Summary)
		}
		if lists[i], err = e.Similar(ctx, "a", recommend.Query{K: 2}); err != nil {
			t.Fatal(err)
		}
	}
	if len(lists[0].Neighbors) == 0 || !reflect.DeepEqual(lists[0], lists[1]) {
		t.Errorf("got %v without summaries, want %v", lists[1], lists[0])
	}
}

// TestSeedPage stores the seed page's article as the page shows it (its
// body nearly twice): 244 words, a summary from its first paragraphs within
// the budget, and after one read a read count of 1 and a last read.
func TestSeedPage(t *testing.T) {
	page, err := os.ReadFile(filepath.Join(repoRoot(t), "..", "shared", "seed", "reading-app-page.txt"))
	if err != nil {
		t.Skipf("the seed page is not there (run with ../shared beside the repository): %v", err)
	}
	lines := strings.Split(string(page), "\n")
	body := strings.Join(lines[:11], "\n")
	ctx := context.Background()
	e, err := recommend.Open(ctx, recommend.NewMemoryStore(), recommend.Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	id := "44c1c4f8-a57e-44e6-8485-8a51bb359640"
	mustWrite(t)(e.Create(ctx, recommend.Article{ID: id, Body: body, Category: "nhk",
		URL: "https://www3.nhk.or.jp/nhkworld/en/news/20240118_27/", Published: time.Date(2024, 1, 18, 0, 0, 0, 0, time.UTC)}))
	a, err := e.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if a.Words != 244 {
		t.Errorf("words %d, want 244", a.Words)
	}
	first := strings.Join(lines[:6], "\n")
	if a.Summary == "" || len([]rune(a.Summary)) > 300 || !strings.HasPrefix(a.Summary, "Senior diplomats from Japan") {
		t.Errorf("summary %q: want the first sentence first, within 300 characters", a.Summary)
	}
	for _, sentence := range strings.SplitAfter(a.Summary, ". ") {
		if !strings.Contains(first, strings.TrimSpace(sentence)) {
			t.Errorf("summary sentence %q is not from the first paragraphs", sentence)
		}
	}
	r, err := e.Read(ctx, recommend.Read{ID: id})
	if err != nil {
		t.Fatal(err)
	}
	a, _ = e.Get(ctx, id)
	if r.ReadCount != 1 || a.ReadCount != 1 || a.LastRead.IsZero() {
		t.Errorf("after one read: %+v, article read count %d, last read %v", r, a.ReadCount, a.LastRead)
	}
}

// repoRoot returns the directory holding go.mod.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test")
		}
		dir = parent
	}
}
