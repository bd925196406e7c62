package benchmarks

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"maps"
	"os"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/readalike/readalike/benchmarks/corpus"
	"github.com/readalike/readalike/recommend"
	"github.com/readalike/readalike/storage"
)

var (
	scaleN      = flag.Int("scale.n", 100_000, "articles in the synthetic collection of the scale benchmarks")
	scaleCorpus = flag.String("scale.corpus", "", "JSONL corpus (id, title, body) to use instead of the Go generator, e.g. one written by ../shared/peers/gen_corpus.py")
	scaleDir    = flag.String("scale.dir", "", "store directory to build once and reuse across runs (default: a temp dir)")
)

// collection is a store loaded with the synthetic corpus, built once per
// test binary and shared by the scale benchmarks.
type collection struct {
	dir      string
	articles []recommend.Article
	ingest   time.Duration // durable ingest of all articles
	err      error
}

var (
	sharedOnce sync.Once
	shared     collection
)

// synthetic returns the shared collection, ingesting it on first use.
func synthetic(b *testing.B) *collection {
	b.Helper()
	if testing.Short() {
		b.Skip("scale benchmarks skipped in -short mode")
	}
	sharedOnce.Do(func() { shared = buildCollection(*scaleN) })
	if shared.err != nil {
		b.Fatal(shared.err)
	}
	return &shared
}

func readArticles(n int) ([]recommend.Article, error) {
	arts := make([]recommend.Article, 0, n)
	if *scaleCorpus == "" {
		g := corpus.New(corpus.Options{Seed: 42})
		err := g.Generate(n, 0, func(a corpus.Article) error {
			arts = append(arts, a.Article())
			return nil
		})
		return arts, err
	}
	f, err := os.Open(*scaleCorpus)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() && len(arts) < n {
		var a struct {
			recommend.Article
			Topic *int `json:"topic"` // gen_corpus.py's; a category, as the Go generator's
		}
		if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
			return nil, err
		}
		if a.Topic != nil && a.Category == "" {
			a.Category = fmt.Sprint("topic-", *a.Topic)
		}
		if a.Lang == "" {
			a.Lang = "en" // as the generator's, see corpus.Article.Article
		}
		arts = append(arts, a.Article)
	}
	return arts, sc.Err()
}

func buildCollection(n int) collection {
	arts, err := readArticles(n)
	if err != nil {
		return collection{err: err}
	}
	dir := *scaleDir
	if dir == "" {
		dir, err = os.MkdirTemp("", "readalike-scale-")
		if err != nil {
			return collection{err: err}
		}
	} else if st, err := os.Stat(dir); err == nil && st.IsDir() {
		return collection{dir: dir, articles: arts} // reuse a built store
	}
	ctx := context.Background()
	col, err := storage.OpenCollection(ctx, dir, storage.Options{}, recommend.Options{RefitShare: -1}, nil)
	if err != nil {
		return collection{err: err}
	}
	defer col.Close()
	e := col.Engine
	start := time.Now()
	if err := ingest(ctx, e, arts, 16, 256); err != nil {
		return collection{err: err}
	}
	took := time.Since(start)
	if _, err := e.Refit(ctx); err != nil {
		return collection{err: err}
	}
	return collection{dir: dir, articles: arts, ingest: took}
}

// ingest writes arts with writers concurrent Upserts of size articles.
func ingest(ctx context.Context, e *recommend.Engine, arts []recommend.Article, writers, size int) error {
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	next := make(chan []recommend.Article)
	for range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range next {
				rs, err := e.Upsert(ctx, b...)
				if err == nil {
					err = rs.Err()
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	for i := 0; i < len(arts); i += size {
		select {
		case next <- arts[i:min(i+size, len(arts))]:
		case err := <-errs:
			close(next)
			wg.Wait()
			return err
		}
	}
	close(next)
	wg.Wait()
	select {
	case err := <-errs:
		return err
	default:
		return nil
	}
}

// open loads the collection's store into an engine, as serve does at
// start-up.
func (c *collection) open(b *testing.B, opts recommend.Options) (*recommend.Engine, func()) {
	b.Helper()
	opts.RefitShare = -1
	col, err := storage.OpenCollection(context.Background(), c.dir, storage.Options{}, opts, nil)
	if err != nil {
		b.Fatal(err)
	}
	return col.Engine, func() { col.Close() }
}

// BenchmarkIngest reports the durable ingest rate measured while building
// the shared collection: 16 concurrent writers of 256 articles, each write
// acknowledged only once synced.
//
//	go test ./benchmarks -run XXX -bench Ingest -benchtime 1x -timeout 1h
func BenchmarkIngest(b *testing.B) {
	c := synthetic(b)
	if c.ingest == 0 {
		b.Skip("collection reused from -scale.dir; ingest not measured")
	}
	for b.Loop() {
	}
	b.ReportMetric(float64(len(c.articles))/c.ingest.Seconds(), "articles/s")
	b.ReportMetric(c.ingest.Seconds(), "ingest-s")
}

// BenchmarkLoad measures start-up, opening the store and building the
// index, and the heap the engine keeps per article beyond its raw text (the
// id, title and URL strings it keeps for answers): the heap grown by the
// load, which also holds what Badger caches while the index is read, and
// the index's own estimate of its structures (Stats.IndexBytes).
//
//	go test ./benchmarks -run XXX -bench Load -benchtime 1x
func BenchmarkLoad(b *testing.B) {
	c := synthetic(b)
	var heap, raw, index, text float64
	for b.Loop() {
		db, err := storage.Open(c.dir, storage.Options{})
		if err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		e, err := recommend.Open(context.Background(), db, recommend.Options{RefitShare: -1}, nil)
		if err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		heap = float64(after.HeapAlloc) - float64(before.HeapAlloc)
		raw = 0
		for _, a := range c.articles {
			raw += float64(len(a.ID) + len(a.Title) + len(a.URL))
		}
		st := e.Stats()
		index, text = float64(st.IndexBytes), float64(st.IndexTextBytes)
		e.Close()
		db.Close()
	}
	n := float64(len(c.articles))
	b.ReportMetric(heap/n, "heap-B/article")
	b.ReportMetric((heap-raw)/n, "heap-beyond-raw-B/article")
	b.ReportMetric((index-text)/n, "index-beyond-text-B/article")
}

// BenchmarkSimilar reports Similar(id) latency percentiles over random
// articles, unfiltered: "lists" answers from the neighbor lists while 10
// writes a second (durable Upserts of new articles, list upkeep included)
// flow, and reports the writes' latency too; "live" searches (the lists
// off), pruned, and "plain" with the exhaustive loop. cpu-p50-us and
// cpu-p99-us are the query's own CPU time, which the machine's other load
// does not inflate; ns/posting is CPU time over the postings an exhaustive
// scan reads.
//
//	go test ./benchmarks -run XXX -bench Similar -benchtime 20000x -timeout 2h
func BenchmarkSimilar(b *testing.B) {
	c := synthetic(b)
	for _, mode := range []struct {
		name       string
		lists      bool
		exhaustive bool
	}{{"lists", true, false}, {"live", false, false}, {"plain", false, true}} {
		b.Run(mode.name, func(b *testing.B) {
			opts := recommend.Options{Exhaustive: mode.exhaustive, KeepNeighbors: -1}
			if mode.lists {
				opts.KeepNeighbors = 0 // the default
			}
			e, closeAll := c.open(b, opts)
			defer closeAll()
			ctx := context.Background()
			var stop func() []time.Duration
			if mode.lists {
				waitLists(b, e)
				stop = c.writeFlow(b, e, 10)
			}
			before := e.Stats()
			q := func(i int) error {
				_, err := e.Similar(ctx, c.articles[(i*7919)%len(c.articles)].ID, recommend.Query{})
				return err
			}
			r := timeQueries(b, q)
			if stop != nil {
				writes := stop()
				reportPercentiles(b, "add", writes)
				st := e.Stats()
				b.ReportMetric(float64(st.ListAnswers-before.ListAnswers)/float64(st.Queries-before.Queries), "from-lists")
				if st.Lists != "kept" {
					b.Errorf("the lists are %s after the writes", st.Lists)
				}
			}
			r.report(b, e.Stats(), before)
		})
	}
}

// waitLists waits until e keeps its neighbor lists (rebuilt in the
// background after a load), and reports how long that took.
func waitLists(b *testing.B, e *recommend.Engine) {
	b.Helper()
	start := time.Now()
	for e.Stats().Lists != "kept" {
		if time.Since(start) > 2*time.Hour {
			b.Fatal("the neighbor lists were not built in two hours")
		}
		time.Sleep(100 * time.Millisecond)
	}
	b.ReportMetric(time.Since(start).Seconds(), "lists-build-s")
}

// writeFlow upserts perSecond new articles a second into e, one per write,
// until the returned function is called; it returns each write's latency.
// A new article joins the first half of one article's body to the second
// half of another's, under a new id.
func (c *collection) writeFlow(b *testing.B, e *recommend.Engine, perSecond int) (stop func() []time.Duration) {
	done := make(chan struct{})
	var lat []time.Duration
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(time.Second / time.Duration(perSecond))
		defer tick.Stop()
		for i := 0; ; i++ {
			select {
			case <-done:
				return
			case <-tick.C:
			}
			x, y := c.articles[(i*31)%len(c.articles)], c.articles[(i*97+13)%len(c.articles)]
			a := recommend.Article{ID: fmt.Sprintf("flow-%d", i), Title: y.Title, Category: x.Category,
				Body: x.Body[:len(x.Body)/2] + " " + y.Body[len(y.Body)/2:]}
			t := time.Now()
			rs, err := e.Upsert(context.Background(), a)
			if err == nil {
				err = rs.Err()
			}
			if err != nil {
				b.Error(err)
				return
			}
			lat = append(lat, time.Since(t))
		}
	})
	return func() []time.Duration {
		close(done)
		wg.Wait()
		// Leave the collection as it was, for the next benchmark and run,
		// in writes small enough that the engine keeps its lists (a bigger
		// one is a bulk load, after which they are rebuilt).
		ids := make([]string, len(lat))
		for i := range ids {
			ids[i] = fmt.Sprintf("flow-%d", i)
		}
		for len(ids) > 0 {
			n := min(len(ids), 32)
			if _, err := e.Delete(context.Background(), ids[:n]...); err != nil {
				b.Error(err)
			}
			ids = ids[n:]
		}
		return lat
	}
}

// queryRun is what timeQueries measured.
type queryRun struct {
	lat, cpu []time.Duration
}

// timeQueries calls q(i) for i from 0 while b.Loop says, timing each call
// and its CPU time on the calling thread.
func timeQueries(b *testing.B, q func(i int) error) queryRun {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var r queryRun
	i := 0
	for b.Loop() {
		t, c := time.Now(), threadCPU()
		if err := q(i); err != nil {
			b.Fatal(err)
		}
		r.cpu = append(r.cpu, threadCPU()-c)
		r.lat = append(r.lat, time.Since(t))
		i++
	}
	return r
}

// report reports the latency and CPU percentiles and the engine's work
// per query between two Stats.
func (r queryRun) report(b *testing.B, after, before recommend.Stats) {
	reportLatency(b, r.lat)
	reportPercentiles(b, "cpu", r.cpu)
	q := float64(after.Queries - before.Queries)
	searched := float64(after.Queries-before.Queries) - float64(after.ListAnswers-before.ListAnswers)
	postings := float64(after.PostingsScanned-before.PostingsScanned) + float64(after.PostingsSkipped-before.PostingsSkipped)
	if searched > 0 && postings > 0 {
		var cpu time.Duration
		for _, c := range r.cpu {
			cpu += c
		}
		b.ReportMetric(float64(cpu.Nanoseconds())/postings, "ns/posting")
		b.ReportMetric(float64(after.PostingsSkipped-before.PostingsSkipped)/postings, "skipped-share")
		b.ReportMetric(float64(after.ExactScores-before.ExactScores)/q, "exact/query")
	}
}

// BenchmarkLive reports the latency of the queries that always search:
// filtered (the article's own category and nine others, about 3% of the
// collection; and one id excluded, which filters nothing but makes the
// query search), by text (an article's title and body), and by a reading
// history of five articles.
//
//	go test ./benchmarks -run XXX -bench Live -benchtime 5000x -timeout 2h
func BenchmarkLive(b *testing.B) {
	c := synthetic(b)
	e, closeAll := c.open(b, recommend.Options{KeepNeighbors: -1})
	defer closeAll()
	ctx := context.Background()
	cats := map[string]bool{}
	for _, a := range c.articles {
		cats[a.Category] = true
	}
	catList := slices.Sorted(maps.Keys(cats))
	art := func(i int) recommend.Article { return c.articles[(i*7919)%len(c.articles)] }
	kinds := []struct {
		name string
		q    func(i int) error
	}{
		{"filtered", func(i int) error {
			q := recommend.Query{Categories: []string{art(i).Category}}
			for j := range 9 {
				q.Categories = append(q.Categories, catList[(i*13+j*7)%len(catList)])
			}
			_, err := e.Similar(ctx, art(i).ID, q)
			return err
		}},
		{"exclude", func(i int) error {
			_, err := e.Similar(ctx, art(i).ID, recommend.Query{Exclude: []string{art(i + 1).ID}})
			return err
		}},
		{"text", func(i int) error {
			a := art(i)
			_, err := e.SimilarText(ctx, recommend.Text{Title: a.Title, Body: a.Body}, recommend.Query{})
			return err
		}},
		{"history", func(i int) error {
			ids := make([]string, 5)
			for j := range ids {
				ids[j] = art(i*5 + j).ID
			}
			_, err := e.SimilarHistory(ctx, ids, recommend.Query{})
			return err
		}},
	}
	for _, kind := range kinds {
		b.Run(kind.name, func(b *testing.B) {
			before := e.Stats()
			r := timeQueries(b, kind.q)
			r.report(b, e.Stats(), before)
		})
	}
}

func reportLatency(b *testing.B, lat []time.Duration) {
	reportPercentiles(b, "", lat)
}

// reportPercentiles reports the 50th and 99th percentiles of ds in
// milliseconds, as PREFIX-p50-ms and PREFIX-p99-ms.
func reportPercentiles(b *testing.B, prefix string, ds []time.Duration) {
	if len(ds) == 0 {
		return
	}
	if prefix != "" {
		prefix += "-"
	}
	ds = slices.Clone(ds)
	slices.Sort(ds)
	ms := func(p float64) float64 { return float64(ds[int(p*float64(len(ds)-1))]) / 1e6 }
	b.ReportMetric(ms(0.50), prefix+"p50-ms")
	b.ReportMetric(ms(0.99), prefix+"p99-ms")
}

// BenchmarkBatch computes every article's top 5 of the shared collection,
// pruned and with the plain exhaustive loop, on all cores (-cpu sets them).
// cpu-s is the process's CPU time over the run, divided by the threads:
// what the run takes on cores of its own, whatever else the machine runs.
//
//	go test ./benchmarks -run XXX -bench Batch -benchtime 1x -timeout 2h
func BenchmarkBatch(b *testing.B) {
	c := synthetic(b)
	for _, mode := range []struct {
		name       string
		exhaustive bool
	}{{"pruned", false}, {"plain", true}} {
		b.Run(mode.name, func(b *testing.B) {
			e, closeAll := c.open(b, recommend.Options{KeepNeighbors: -1})
			defer closeAll()
			var st recommend.BatchStats
			var cpu time.Duration
			threads := runtime.GOMAXPROCS(0)
			for b.Loop() {
				c0 := processCPU()
				var err error
				st, err = e.Batch(context.Background(), recommend.BatchOptions{Exhaustive: mode.exhaustive},
					func(string, []recommend.Neighbor) error { return nil })
				if err != nil {
					b.Fatal(err)
				}
				cpu = processCPU() - c0
			}
			all := float64(st.Skipped + st.Postings)
			b.ReportMetric(st.Elapsed.Seconds(), "s/run")
			b.ReportMetric(cpu.Seconds()/float64(threads), "cpu-s")
			b.ReportMetric(float64(cpu.Nanoseconds())/all, "ns/posting-core")
			b.ReportMetric(float64(st.Skipped)/all, "skipped-share")
			b.ReportMetric(float64(st.Exact)/float64(st.Articles), "exact/article")
		})
	}
}
