package benchmarks

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/readalike/readalike/recommend"
	"github.com/readalike/readalike/recommend/articleio"
	"github.com/readalike/readalike/storage"
	"github.com/readalike/readalike/vectorize"
)

// Language detection through the real ingest path: the SIB-200 sentences of
// the seven languages, their lang removed, written to a JSONL file and
// loaded as `readalike ingest` loads it (articleio.LoadFiles into a Badger
// collection); each article's stored language is then compared with the
// language of its file.
//
//	go test ./benchmarks -run IngestDetect -v
//	go test ./benchmarks -run XXX -bench IngestDetect -benchmem

// sib200WithoutLang writes the SIB-200 sentences of every language to one
// JSONL file without their lang (interleaved, so that every write batch
// holds them all), and returns its path and the language of each id.
func sib200WithoutLang(tb testing.TB, keepLang bool) (string, map[string]string) {
	want := map[string]string{}
	var b strings.Builder
	per := map[string][]sharedArticle{}
	for _, lang := range vectorize.Languages() {
		per[lang] = loadShared(tb, "sib200_"+sib200Files[lang]+".jsonl")
	}
	for i := range per["en"] {
		for _, lang := range vectorize.Languages() {
			a := per[lang][i]
			id := lang + "-" + a.ID
			want[id] = lang
			rec := map[string]string{"id": id, "title": a.Title, "body": a.Body, "category": a.Category}
			if keepLang {
				rec["lang"] = lang
			}
			line, _ := json.Marshal(rec)
			b.Write(line)
			b.WriteByte('\n')
		}
	}
	path := filepath.Join(tb.TempDir(), "sib200.jsonl")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		tb.Fatal(err)
	}
	return path, want
}

func openTempCollection(tb testing.TB) *storage.Collection {
	col, err := storage.OpenCollection(context.Background(), filepath.Join(tb.TempDir(), "data"), storage.Options{},
		recommend.Options{RefitShare: -1, KeepNeighbors: -1}, nil)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { col.Close() })
	return col
}

// TestIngestDetectSIB200 checks the accuracy of detection per language,
// through ingest: at least 99% of each language's 955 sentences.
func TestIngestDetectSIB200(t *testing.T) {
	path, want := sib200WithoutLang(t, false)
	col := openTempCollection(t)
	ctx := context.Background()
	start := time.Now()
	n, err := articleio.LoadFiles(ctx, col.Engine, []string{path}, nil, articleio.LoadOptions{})
	if err != nil || n.Written != len(want) {
		t.Fatalf("loaded %+v, %v; want %d written", n, err, len(want))
	}
	took := time.Since(start)
	right, total := map[string]int{}, map[string]int{}
	confused := map[string]int{}
	for id, lang := range want {
		a, err := col.Engine.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		total[lang]++
		if !a.LangDetected {
			t.Errorf("%s: lang %q not marked as detected", id, a.Lang)
		}
		switch {
		case a.Lang == lang:
			right[lang]++
		default:
			confused[lang+"→"+a.Lang]++
		}
	}
	var rows []string
	for _, lang := range vectorize.Languages() {
		acc := float64(right[lang]) / float64(total[lang])
		rows = append(rows, fmt.Sprintf("%s %d/%d %.2f%%", lang, right[lang], total[lang], 100*acc))
		if acc < 0.99 {
			t.Errorf("%s: %d of %d detected right (%.2f%%), want at least 99%%", lang, right[lang], total[lang], 100*acc)
		}
	}
	t.Logf("detected through ingest: %s; wrong: %v (English: detected so, or too short to tell); %d articles loaded in %s (%.0f/s, detection included)",
		strings.Join(rows, ", "), confused, n.Written, took.Round(time.Millisecond), float64(n.Written)/took.Seconds())
}

// BenchmarkIngestDetect loads the 6,685 SIB-200 sentences through ingest's
// loader into a Badger collection, with their lang given and removed; the
// difference per article is what detection costs an ingest.
func BenchmarkIngestDetect(b *testing.B) {
	for _, given := range []bool{true, false} {
		b.Run(fmt.Sprintf("lang_given=%v", given), func(b *testing.B) {
			path, want := sib200WithoutLang(b, given)
			vectorize.DetectLang("Kommittén godkände den nya budgeten efter en lång debatt.") // load the models
			b.ReportAllocs()
			for b.Loop() {
				col := openTempCollection(b)
				n, err := articleio.LoadFiles(context.Background(), col.Engine, []string{path}, nil, articleio.LoadOptions{})
				if err != nil || n.Written != len(want) {
					b.Fatalf("loaded %+v, %v", n, err)
				}
				col.Close()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(want)), "ns/article")
		})
	}
}
