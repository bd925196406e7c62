package benchmarks

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/readalike/readalike/benchmarks/corpus"
	"github.com/readalike/readalike/httpapi"
	"github.com/readalike/readalike/recommend"
	"github.com/readalike/readalike/storage"
)

var (
	httpN     = flag.Int("http.n", 100_000, "articles in the collection of BenchmarkHTTP")
	httpConns = flag.Int("http.conns", 64, "concurrent connections of BenchmarkHTTP's load generator")
	httpDir   = flag.String("http.dir", "", "store directory for BenchmarkHTTP, built once and reused when it exists (default: a temp dir)")
)

// BenchmarkHTTP measures GET /v1/articles/{id}/similar over loopback at
// -http.n synthetic articles: -http.conns clients, each with its own
// keep-alive connection, ask for the neighbors of random ids, b.N requests
// in all, so -benchtime sets how long the load runs. It reports requests/s,
// the latency percentiles the clients see, and the engine's work per query.
// The server runs with the defaults of httpapi.Options but rate limiting
// off and logging discarded; server and clients share the machine's cores.
// Building the collection is not timed; the sub-benchmark's ramp-up runs
// warm up the connections.
//
//	go test ./benchmarks -run XXX -bench HTTP -benchtime 10s -timeout 1h
func BenchmarkHTTP(b *testing.B) {
	if testing.Short() {
		b.Skip("HTTP benchmark skipped in -short mode: it builds a large collection")
	}
	e, ids, closeAll := httpEngine(b, *httpN)
	defer closeAll()

	srv := httpapi.New(httpapi.Options{Logger: slog.New(slog.DiscardHandler), RateLimit: -1})
	srv.SetEngine(e)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	hs := srv.HTTPServer() // as serve builds it
	go hs.Serve(srv.Listener(ln))
	defer hs.Shutdown(context.Background())
	base := "http://" + ln.Addr().String() + "/v1/articles/"

	conns := *httpConns
	client := &http.Client{Transport: &http.Transport{
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		MaxConnsPerHost:     conns,
		IdleConnTimeout:     time.Minute,
		DisableCompression:  true,
	}}
	defer client.CloseIdleConnections()

	// As a server runs once its start is done: answering from the
	// neighbor lists, rebuilt after an unclean stop.
	waitKept(b, e)
	b.Run(fmt.Sprintf("similar/n=%d/conns=%d", len(ids), conns), func(b *testing.B) {
		before := e.Stats()
		res := load(b, client, base, ids, conns, b.N)
		after := e.Stats()
		b.ReportMetric(float64(b.N)/res.elapsed.Seconds(), "req/s")
		b.ReportMetric(res.percentile(0.50), "p50-ms")
		b.ReportMetric(res.percentile(0.99), "p99-ms")
		b.ReportMetric(res.percentile(0.999), "p99.9-ms")
		// The engine's work per query, to tell its share from the server's.
		q := float64(after.Queries - before.Queries)
		b.ReportMetric(float64(after.PostingsScanned-before.PostingsScanned)/q, "postings/query")
		b.ReportMetric(float64(after.ExactScores-before.ExactScores)/q, "exact/query")
		b.ReportMetric(float64(after.ListAnswers-before.ListAnswers)/q, "from-lists")
	})
}

// loadResult is what the clients of one load run saw.
type loadResult struct {
	elapsed time.Duration
	lat     []time.Duration // of every request, sorted
}

// percentile returns the latency at quantile p, in milliseconds.
func (r loadResult) percentile(p float64) float64 {
	if len(r.lat) == 0 {
		return 0
	}
	return float64(r.lat[int(p*float64(len(r.lat)-1))]) / 1e6
}

// load sends n requests for the neighbors of random ids from conns
// clients at once, timing them.
func load(b *testing.B, client *http.Client, base string, ids []string, conns, n int) loadResult {
	b.Helper()
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		sent     atomic.Int64
		all      = make([]time.Duration, 0, n)
		firstErr error
	)
	b.ResetTimer()
	start := time.Now()
	for w := range conns {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(w), uint64(n)))
			lat := make([]time.Duration, 0, n/conns+1)
			var err error
			for sent.Add(1) <= int64(n) {
				t := time.Now()
				if err = similar(client, base+ids[r.IntN(len(ids))]+"/similar"); err != nil {
					break
				}
				lat = append(lat, time.Since(t))
			}
			mu.Lock()
			all = append(all, lat...)
			if firstErr == nil {
				firstErr = err
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if firstErr != nil {
		b.Fatal(firstErr)
	}
	slices.Sort(all)
	return loadResult{elapsed: elapsed, lat: all}
}

// similar sends one request and reads the whole answer, so the connection
// is reused.
func similar(client *http.Client, url string) error {
	res, err := client.Get(url)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if _, err := io.Copy(io.Discard, res.Body); err != nil {
		return err
	}
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: status %d", url, res.StatusCode)
	}
	return nil
}

// httpEngine returns an engine over a store holding the first n articles of
// the synthetic corpus (seed 42), ingested with Upserts of 1000 and refitted
// once, and the articles' ids. With -http.dir naming an existing store it
// opens that one instead.
func httpEngine(b *testing.B, n int) (*recommend.Engine, []string, func()) {
	b.Helper()
	return httpStore(b, *httpDir, n, nil, nil)
}

// httpStore is httpEngine over the store in dir (a temporary one when
// dir is ""), holding the extra articles too. keep, when not nil, sees
// every corpus article, built or not, in order.
func httpStore(b *testing.B, dir string, n int, extra []recommend.Article, keep func(corpus.Article)) (*recommend.Engine, []string, func()) {
	b.Helper()
	build := true
	if dir == "" {
		dir = b.TempDir()
	} else if _, err := os.Stat(dir); err == nil {
		build = false
	}
	ctx := context.Background()
	col, err := storage.OpenCollection(ctx, dir, storage.Options{}, recommend.Options{RefitShare: -1}, nil)
	if err != nil {
		b.Fatal(err)
	}
	e := col.Engine
	closeAll := func() { col.Close() }
	ids := make([]string, 0, n)
	batch := make([]recommend.Article, 0, 1000)
	flush := func() error {
		if !build || len(batch) == 0 {
			return nil
		}
		rs, err := e.Upsert(ctx, batch...)
		batch = batch[:0]
		if err == nil {
			err = rs.Err()
		}
		return err
	}
	start := time.Now()
	err = corpus.New(corpus.Options{Seed: 42}).Generate(n, 0, func(a corpus.Article) error {
		ids = append(ids, a.ID)
		if keep != nil {
			keep(a)
		}
		if !build {
			return nil
		}
		batch = append(batch, a.Article())
		if len(batch) < cap(batch) {
			return nil
		}
		return flush()
	})
	for i := 0; err == nil && build && i < len(extra); i += cap(batch) {
		batch = append(batch[:0], extra[i:min(i+cap(batch), len(extra))]...)
		err = flush()
	}
	if err == nil {
		err = flush()
	}
	if err == nil && build {
		_, err = e.Refit(ctx)
	}
	if want := n + len(extra); err == nil && e.Stats().Articles != want {
		err = fmt.Errorf("the store in %s holds %d articles, not %d; remove it to rebuild it", dir, e.Stats().Articles, want)
	}
	if err != nil {
		closeAll()
		b.Fatal(err)
	}
	if build {
		b.Logf("built %d articles in %v", n+len(extra), time.Since(start).Round(time.Second))
	}
	return e, ids, closeAll
}
