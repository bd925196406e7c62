package benchmarks

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/readalike/readalike/recommend"
	"github.com/readalike/readalike/storage"
)

var (
	flowRate    = flag.Int("flow.rate", 10, "writes per second flowing during BenchmarkWriteFlow")
	flowFor     = flag.Duration("flow.for", 20*time.Second, "how long BenchmarkWriteFlow reads, once idle and once with writes flowing")
	churnWrites = flag.Int("churn.writes", 50_000, "upserts of existing articles in BenchmarkUpsertChurn")
)

// writable copies the shared collection into a directory of its own, so a
// benchmark that writes leaves the others' collection as it was, and opens
// it as serve does: neighbor lists kept, refits automatic.
func writable(b *testing.B, c *collection) (*recommend.Engine, func()) {
	b.Helper()
	dir := b.TempDir()
	if err := os.CopyFS(dir, os.DirFS(c.dir)); err != nil {
		b.Fatal(err)
	}
	col, err := storage.OpenCollection(context.Background(), dir, storage.Options{}, recommend.Options{}, nil)
	if err != nil {
		b.Fatal(err)
	}
	waitKept(b, col.Engine)
	return col.Engine, func() { col.Close() }
}

// waitKept waits until the engine's neighbor lists are built and exact.
func waitKept(b *testing.B, e *recommend.Engine) {
	b.Helper()
	for deadline := time.Now().Add(30 * time.Minute); e.Stats().Lists != "kept"; {
		if time.Now().After(deadline) {
			b.Fatalf("neighbor lists still %q after 30 minutes", e.Stats().Lists)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// edited returns a replacement of a that keeps its title and takes
// other's body, so the collection's size stays as it was while the text
// changes.
func edited(a, other recommend.Article, round int) recommend.Article {
	a.Body = fmt.Sprintf("%s\n\nUpdate %d.", other.Body, round)
	return a
}

// readFor runs Similar(id) on random articles from one goroutine for d and
// returns its latencies, while the caller's writes flow or not.
func readFor(b *testing.B, e *recommend.Engine, c *collection, d time.Duration, seed uint64) []time.Duration {
	ctx := context.Background()
	r := rand.New(rand.NewPCG(seed, 1))
	var lat []time.Duration
	for end := time.Now().Add(d); time.Now().Before(end); {
		id := c.articles[r.IntN(len(c.articles))].ID
		t := time.Now()
		if _, err := e.Similar(ctx, id, recommend.Query{}); err != nil {
			b.Error(err)
			return lat
		}
		lat = append(lat, time.Since(t))
	}
	return lat
}

// BenchmarkWriteFlow measures what a page view sees while articles keep
// arriving: unfiltered Similar(id) latency in-process with no writes, then
// with -flow.rate durable writes of new articles per second flowing
// through list maintenance (writeFlow), and the latency of each of those
// writes, list maintenance included.
//
//	go test ./benchmarks -run XXX -bench WriteFlow -benchtime 1x -timeout 1h
func BenchmarkWriteFlow(b *testing.B) {
	c := synthetic(b)
	e, closeAll := writable(b, c)
	defer closeAll()
	for b.Loop() {
		idle := readFor(b, e, c, *flowFor, 1)

		stop := c.writeFlow(b, e, *flowRate)
		busy := readFor(b, e, c, *flowFor, 3)
		writes := stop()

		report := func(name string, lat []time.Duration) {
			b.ReportMetric(percentileMS(lat, 0.50), name+"-p50-ms")
			b.ReportMetric(percentileMS(lat, 0.99), name+"-p99-ms")
		}
		report("similar-idle", idle)
		report("similar-writes", busy)
		report("upsert", writes)
		st := e.Stats()
		b.ReportMetric(float64(len(writes)), "writes")
		b.ReportMetric(float64(st.ListAnswers)/float64(st.Queries), "list-share")
		if st.Lists != "kept" {
			b.Logf("lists %s after the flow", st.Lists)
		}
	}
}

// BenchmarkUpsertChurn replaces -churn.writes existing articles one per
// write from eight concurrent writers, as fast as durable writes go, with
// automatic refits and list maintenance on, and reports the write
// latencies and how the index, the lists and the Go heap grew: replacing
// articles must not grow them beyond the replaced articles an automatic
// refit has yet to drop (at most about Options.RefitShare), at the end, at
// the peak sampled during the writes, and after one more refit.
//
//	go test ./benchmarks -run XXX -bench UpsertChurn -benchtime 1x -timeout 1h
func BenchmarkUpsertChurn(b *testing.B) {
	c := synthetic(b)
	e, closeAll := writable(b, c)
	defer closeAll()
	for b.Loop() {
		before, heapBefore := e.Stats(), heapInuse()
		const writers = 8
		lat := make([][]time.Duration, writers)
		var next atomic.Int64
		var wg sync.WaitGroup
		start := time.Now()
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := rand.New(rand.NewPCG(uint64(w), 7))
				for {
					i := int(next.Add(1)) - 1
					if i >= *churnWrites {
						return
					}
					a := edited(c.articles[r.IntN(len(c.articles))], c.articles[r.IntN(len(c.articles))], i)
					t := time.Now()
					rs, err := e.Upsert(context.Background(), a)
					if err == nil {
						err = rs.Err()
					}
					if err != nil {
						b.Error(err)
						return
					}
					lat[w] = append(lat[w], time.Since(t))
				}
			}()
		}
		peak := before.IndexBytes + before.ListBytes
		sampled := make(chan struct{})
		go func() {
			defer close(sampled)
			for next.Load() < int64(*churnWrites) {
				st := e.Stats()
				peak = max(peak, st.IndexBytes+st.ListBytes)
				time.Sleep(100 * time.Millisecond)
			}
		}()
		wg.Wait()
		took := time.Since(start)
		<-sampled
		// The last automatic refit may still run; growth is measured once
		// it is in and the lists are exact again.
		for e.Stats().Refitting {
			time.Sleep(50 * time.Millisecond)
		}
		waitKept(b, e)
		after, heapAfter := e.Stats(), heapInuse()
		if _, err := e.Refit(context.Background()); err != nil {
			b.Fatal(err)
		}
		waitKept(b, e)
		refitted := e.Stats()

		var all []time.Duration
		for _, l := range lat {
			all = append(all, l...)
		}
		b.ReportMetric(float64(len(all))/took.Seconds(), "upserts/s")
		b.ReportMetric(percentileMS(all, 0.50), "upsert-p50-ms")
		b.ReportMetric(percentileMS(all, 0.99), "upsert-p99-ms")
		b.ReportMetric(float64(after.Refits-before.Refits), "refits")
		b.ReportMetric(float64(before.IndexBytes)/1e6, "index-before-MB")
		b.ReportMetric(float64(after.IndexBytes)/1e6, "index-after-MB")
		growth := func(st int64) float64 {
			return 100 * (float64(st)/float64(before.IndexBytes+before.ListBytes) - 1)
		}
		b.ReportMetric(growth(after.IndexBytes+after.ListBytes), "index+lists-growth-%")
		b.ReportMetric(growth(peak), "index+lists-peak-growth-%")
		b.ReportMetric(growth(refitted.IndexBytes+refitted.ListBytes), "index+lists-refitted-growth-%")
		b.ReportMetric(100*(float64(heapAfter)/float64(heapBefore)-1), "heap-growth-%")
		b.Logf("index %d → %d bytes, lists %d → %d bytes, heap in use %d → %d bytes, tombstones %d → %d",
			before.IndexBytes, after.IndexBytes, before.ListBytes, after.ListBytes, heapBefore, heapAfter, before.Tombstones, after.Tombstones)
	}
}

func heapInuse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

// percentileMS sorts lat and returns its quantile p in milliseconds.
func percentileMS(lat []time.Duration, p float64) float64 {
	slices.Sort(lat)
	return ms(lat, p)
}
