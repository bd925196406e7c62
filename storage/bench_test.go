package storage

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/readalike/readalike/recommend"
	"github.com/readalike/readalike/vectorize"
)

// BenchmarkCommit measures durable commits from many concurrent writers,
// on disk, each committing batches of one or more new articles:
//
//	go test -run '^$' -bench Commit -benchtime 100000x ./storage/
//
// Each article has 140 distinct terms drawn from a Zipf-distributed
// vocabulary of 50,000 and a 3 KB body of such words. ns/op is per batch;
// articles/s is the throughput; batches/sync shows how many commits shared
// each sync.
func BenchmarkCommit(b *testing.B) {
	corpus := benchCorpus(2048, 140, 50_000)
	for _, bc := range []struct{ writers, perBatch int }{
		{1, 1}, {16, 1}, {64, 1}, {256, 1}, {64, 4}, {64, 16},
	} {
		b.Run(fmt.Sprintf("writers=%d/batch=%d", bc.writers, bc.perBatch), func(b *testing.B) {
			d := openTest(b, b.TempDir(), Options{})
			var next atomic.Int64
			b.SetParallelism((bc.writers + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				batch := recommend.Write{Puts: make([]recommend.Put, bc.perBatch)}
				for pb.Next() {
					for j := range batch.Puts {
						i := next.Add(1)
						batch.Puts[j] = corpus[i%int64(len(corpus))]
						batch.Puts[j].Article.ID = benchID(i)
					}
					if err := d.Commit(context.Background(), batch); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.StopTimer()
			b.ReportMetric(float64(next.Load())/b.Elapsed().Seconds(), "articles/s")
			if syncs := d.c.syncs.Load(); syncs > 0 {
				b.ReportMetric(float64(d.c.batches.Load())/float64(syncs), "batches/sync")
			}
		})
	}
}

// benchID spreads ids over the key space, as real ones would be.
func benchID(i int64) string {
	return fmt.Sprintf("%016x", uint64(i)*0x9e3779b97f4a7c15)
}

func benchCorpus(n, terms, vocab int) []recommend.Put {
	rng := rand.New(rand.NewPCG(11, 12))
	zipf := rand.NewZipf(rng, 1.07, 2, uint64(vocab-1))
	corpus := make([]recommend.Put, n)
	for i := range corpus {
		m := map[string]uint32{}
		var body strings.Builder
		for len(m) < terms || body.Len() < 3000 {
			w := benchTerm(zipf.Uint64())
			if len(m) < terms {
				m[w] += 1 + uint32(rng.IntN(2))
			}
			body.WriteString(w)
			body.WriteByte(' ')
		}
		corpus[i] = recommend.Put{
			Article: recommend.Article{Title: "a title", Body: body.String(), Lang: "en", Words: 500},
			Counts:  vectorize.CountsFromMap(m),
		}
	}
	return corpus
}

// benchTerm makes a word-like term for a vocabulary rank.
func benchTerm(k uint64) string {
	const syllables = "ba be bi bo bu ca ce ci co cu da de di do du fa fe fi fo fu"
	s := strings.Fields(syllables)
	var w strings.Builder
	for {
		w.WriteString(s[k%uint64(len(s))])
		k /= uint64(len(s))
		if k == 0 {
			return w.String()
		}
	}
}

// BenchmarkOpen measures Open on a store of 100,000 articles (3 KB bodies,
// 140 distinct terms each), closed cleanly or left open as a crash leaves
// it, when Open reads every record back and recounts (salvage.go):
//
//	go test -run '^$' -bench Open -benchtime 3x ./storage/
//
// The files are in the page cache: this is the CPU's share, not the disk's.
func BenchmarkOpen(b *testing.B) {
	const n = 100_000
	corpus := benchCorpus(2048, 140, 50_000)
	src := b.TempDir()
	d := openTest(b, src, Options{GCInterval: -1})
	for i := 0; i < n; i += 1000 {
		var w recommend.Write
		for j := range 1000 {
			p := corpus[(i+j)%len(corpus)]
			p.Article.ID = benchID(int64(i + j))
			w.Puts = append(w.Puts, p)
		}
		if err := d.Commit(context.Background(), w); err != nil {
			b.Fatal(err)
		}
	}
	crashed := crashCopy(b, d)
	if err := d.Close(); err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		dir  string
	}{{"clean", src}, {"crashed", crashed}} {
		b.Run(bc.name, func(b *testing.B) {
			var took time.Duration
			for b.Loop() {
				b.StopTimer()
				dir := b.TempDir()
				copyDir(b, bc.dir, dir)
				b.StartTimer()
				d, err := Open(dir, Options{GCInterval: -1})
				if err != nil {
					b.Fatal(err)
				}
				took += d.Recovery().Took
				b.StopTimer()
				if err := d.Close(); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
			b.ReportMetric(float64(took.Milliseconds())/float64(b.N), "recovery-ms/op")
		})
	}
}
