package benchmarks

import (
	"testing"

	"github.com/readalike/readalike/vectorize"
)

// BenchmarkSummarize measures Summarize on BBC News, one article an op,
// with the model of the whole corpus, beside Analyze for scale: both run on
// every write.
//
//	go test ./benchmarks -run XXX -bench Summarize -benchmem -cpu 1
func BenchmarkSummarize(b *testing.B) {
	docs := loadShared(b, "bbc_news.jsonl")
	a := vectorize.NewAnalyzer(vectorize.Options{})
	counts := make([]vectorize.Counts, len(docs))
	for i, d := range docs {
		res, err := a.Analyze(vectorize.Document{Title: d.Title, Body: d.Body, Lang: d.Lang})
		if err != nil {
			b.Fatal(err)
		}
		counts[i] = res.Counts
	}
	m := vectorize.Fit(counts, vectorize.ModelOptions{})
	b.Run("analyze", func(b *testing.B) {
		b.ReportAllocs()
		n := 0
		for b.Loop() {
			d := docs[n%len(docs)]
			if _, err := a.Analyze(vectorize.Document{Title: d.Title, Body: d.Body, Lang: d.Lang}); err != nil {
				b.Fatal(err)
			}
			n++
		}
	})
	b.Run("sentences", func(b *testing.B) {
		b.ReportAllocs()
		n := 0
		for b.Loop() {
			d := docs[n%len(docs)]
			vectorize.Sentences(d.Body, d.Lang)
			n++
		}
	})
	b.Run("summarize", func(b *testing.B) {
		b.ReportAllocs()
		n := 0
		for b.Loop() {
			d := docs[n%len(docs)]
			if _, err := a.Summarize(vectorize.Document{Title: d.Title, Body: d.Body, Lang: d.Lang}, m, 0); err != nil {
				b.Fatal(err)
			}
			n++
		}
	})
}
