package benchmarks

import (
	"strings"
	"testing"

	"github.com/readalike/readalike/vectorize"
)

// BenchmarkAnalyze measures the whole text pipeline (normalise, drop
// repeated paragraphs, segment, stop, stem, count) on BBC News, one core,
// with and without the stem cache. words/s counts whitespace-separated words
// of title and body.
//
//	go test ./benchmarks -run XXX -bench Analyze -benchmem -cpu 1
func BenchmarkAnalyze(b *testing.B) {
	docs := loadShared(b, "bbc_news.jsonl")
	words := 0
	for _, d := range docs {
		words += len(strings.Fields(d.Title)) + len(strings.Fields(d.Body))
	}
	for _, bc := range []struct {
		name  string
		cache int
	}{{"stemcache=on", 0}, {"stemcache=off", -1}} {
		b.Run(bc.name, func(b *testing.B) {
			a := vectorize.NewAnalyzer(vectorize.Options{StemCacheSize: bc.cache})
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				d := docs[n%len(docs)]
				if _, err := a.Analyze(vectorize.Document{Title: d.Title, Body: d.Body, Lang: d.Lang}); err != nil {
					b.Fatal(err)
				}
				n++
			}
			perDoc := float64(words) / float64(len(docs))
			b.ReportMetric(perDoc*float64(n)/b.Elapsed().Seconds(), "words/s")
		})
	}
}
