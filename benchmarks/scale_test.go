package benchmarks

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
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
		var a recommend.Article
		if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
			return nil, err
		}
		if a.Lang == "" {
			a.Lang = "en" // as the generator's, see corpus.Article.Article
		}
		arts = append(arts, a)
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
// articles, pruned and with the plain exhaustive loop.
func BenchmarkSimilar(b *testing.B) {
	c := synthetic(b)
	for _, mode := range []struct {
		name       string
		exhaustive bool
	}{{"pruned", false}, {"plain", true}} {
		b.Run(mode.name, func(b *testing.B) {
			e, closeAll := c.open(b, recommend.Options{Exhaustive: mode.exhaustive})
			defer closeAll()
			ctx := context.Background()
			var lat []time.Duration
			i := 0
			for b.Loop() {
				id := c.articles[(i*7919)%len(c.articles)].ID
				i++
				t := time.Now()
				if _, err := e.Similar(ctx, id, recommend.Query{}); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(t))
			}
			reportLatency(b, lat)
			st := e.Stats()
			b.ReportMetric(float64(st.PostingsSkipped)/float64(st.PostingsSkipped+st.PostingsScanned), "skipped-share")
			b.ReportMetric(float64(st.PostingsScanned)/float64(st.Queries), "postings/query")
			b.ReportMetric(float64(st.ExactScores)/float64(st.Queries), "exact/query")
		})
	}
}

// BenchmarkSimilarText reports SimilarText latency for article texts.
func BenchmarkSimilarText(b *testing.B) {
	c := synthetic(b)
	e, closeAll := c.open(b, recommend.Options{})
	defer closeAll()
	ctx := context.Background()
	var lat []time.Duration
	i := 0
	for b.Loop() {
		a := c.articles[(i*104729)%len(c.articles)]
		i++
		t := time.Now()
		if _, err := e.SimilarText(ctx, recommend.Text{Title: a.Title, Body: a.Body}, recommend.Query{}); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t))
	}
	reportLatency(b, lat)
}

func reportLatency(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	ms := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))]) / 1e6 }
	b.ReportMetric(ms(0.50), "p50-ms")
	b.ReportMetric(ms(0.99), "p99-ms")
}

// BenchmarkBatch computes every article's top 5 of the shared collection,
// pruned and with the plain exhaustive loop, on all cores (-cpu sets them).
//
//	go test ./benchmarks -run XXX -bench Batch -benchtime 1x -timeout 1h
func BenchmarkBatch(b *testing.B) {
	c := synthetic(b)
	for _, mode := range []struct {
		name       string
		exhaustive bool
	}{{"pruned", false}, {"plain", true}} {
		b.Run(mode.name, func(b *testing.B) {
			e, closeAll := c.open(b, recommend.Options{})
			defer closeAll()
			var st recommend.BatchStats
			for b.Loop() {
				var err error
				st, err = e.Batch(context.Background(), recommend.BatchOptions{Exhaustive: mode.exhaustive},
					func(string, []recommend.Neighbor) error { return nil })
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(st.Elapsed.Seconds(), "s/run")
			b.ReportMetric(float64(st.Skipped)/float64(st.Skipped+st.Postings), "skipped-share")
			b.ReportMetric(float64(st.Exact)/float64(st.Articles), "exact/article")
		})
	}
}
