package corpus

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strings"
	"testing"
	"unicode"
)

func collect(t testing.TB, g *Generator, n, workers int) []Article {
	t.Helper()
	var arts []Article
	err := g.Generate(n, workers, func(a Article) error {
		arts = append(arts, a)
		return nil
	})
	if err != nil {
		t.Fatalf("Generate(%d, %d): %v", n, workers, err)
	}
	return arts
}

func TestGenerateSameForAnyWorkers(t *testing.T) {
	g := New(Options{Seed: 42})
	const n = 2500 // the last chunk is partial
	want := collect(t, g, n, 1)
	if len(want) != n {
		t.Fatalf("got %d articles, want %d", len(want), n)
	}
	for i, a := range want {
		if id := fmt.Sprintf("a%07d", i); a.ID != id {
			t.Fatalf("article %d: got ID %q, want %q", i, a.ID, id)
		}
	}
	for _, workers := range []int{0, 2, 3, 8} {
		t.Run(fmt.Sprintf("workers=%d", workers), func(t *testing.T) {
			if got := collect(t, g, n, workers); !slices.Equal(got, want) {
				t.Errorf("output differs from workers=1")
			}
		})
	}
	t.Run("new generator", func(t *testing.T) {
		if got := collect(t, New(Options{Seed: 42}), n, 2); !slices.Equal(got, want) {
			t.Errorf("a second New(42) generates different articles")
		}
	})
	t.Run("prefix", func(t *testing.T) {
		if got := collect(t, g, 1700, 2); !slices.Equal(got, want[:1700]) {
			t.Errorf("the first 1700 of 2500 articles differ from Generate(1700)")
		}
	})
	t.Run("Chunk", func(t *testing.T) {
		if got := g.Chunk(1); !slices.Equal(got, want[1000:2000]) {
			t.Errorf("Chunk(1) differs from articles 1000..1999")
		}
		if got := g.Chunk(2)[:500]; !slices.Equal(got, want[2000:]) {
			t.Errorf("Chunk(2)[:500] differs from articles 2000..2499")
		}
	})
}

func TestSeedsDiffer(t *testing.T) {
	a, b := New(Options{Seed: 1}), New(Options{Seed: 2})
	if slices.Equal(a.vocab.words, b.vocab.words) {
		t.Errorf("seeds 1 and 2 have the same vocabulary")
	}
	ca, cb := a.Chunk(0), b.Chunk(0)
	same := 0
	for i := range ca {
		if ca[i].Body == cb[i].Body || ca[i].Title == cb[i].Title {
			same++
		}
	}
	if same > 0 {
		t.Errorf("seeds 1 and 2: %d of %d articles share a title or body", same, len(ca))
	}
	if slices.Equal(a.Chunk(0), a.Chunk(1)) {
		t.Errorf("chunks 0 and 1 are equal")
	}
}

func TestGenerateStopsOnError(t *testing.T) {
	g := New(Options{Seed: 3})
	errStop := errors.New("stop")
	calls := 0
	err := g.Generate(5000, 4, func(a Article) error {
		calls++
		if calls == 1234 {
			return errStop
		}
		return nil
	})
	if !errors.Is(err, errStop) {
		t.Errorf("got error %v, want %v", err, errStop)
	}
	if calls != 1234 {
		t.Errorf("got %d calls, want 1234", calls)
	}
	if err := g.Generate(0, 4, nil); err != nil {
		t.Errorf("Generate(0): got %v, want nil", err)
	}
}

func TestVocabulary(t *testing.T) {
	g := New(Options{Seed: 42})
	v := g.vocab
	if len(v.words) != vocabSize {
		t.Fatalf("got %d words, want %d", len(v.words), vocabSize)
	}
	seen := make(map[string]bool, len(v.words))
	for i, w := range v.words {
		if seen[w] {
			t.Fatalf("word %q twice", w)
		}
		seen[w] = true
		upper := unicode.IsUpper(rune(w[0]))
		if upper != (i >= v.nCommon) {
			t.Fatalf("word %d %q: capitalised %v, want %v", i, w, upper, i >= v.nCommon)
		}
	}
	if got, want := v.words[:3], []string{"the", "of", "and"}; !slices.Equal(got, want) {
		t.Errorf("got top words %q, want %q", got, want)
	}
	if v.nStop != 162 || v.nCommon != vocabSize-vocabSize/16 {
		t.Errorf("got nStop %d, nCommon %d, want 162, %d", v.nStop, v.nCommon, vocabSize-vocabSize/16)
	}
	// Suffix families: many common words are inflections of another word.
	inflected := 0
	for _, w := range v.words[v.nStop:v.nCommon] {
		for _, suf := range []string{"s", "ed", "ing", "ly", "ness", "tion", "ment", "ity", "ical", "ism"} {
			if stem, ok := strings.CutSuffix(w, suf); ok && seen[stem] {
				inflected++
				break
			}
		}
	}
	frac := float64(inflected) / float64(v.nCommon-v.nStop)
	t.Logf("common words that are a stem plus a suffix: %.1f%%", 100*frac)
	if frac < 0.4 || frac > 0.8 {
		t.Errorf("got %.2f of common words inflected, want 0.4..0.8", frac)
	}
	for tp := range g.nTopics {
		ws := g.topicWords(tp)
		if len(slices.Compact(slices.Sorted(slices.Values(ws)))) != topicWords {
			t.Fatalf("topic %d has repeated words", tp)
		}
		for _, w := range ws {
			if int(w) < v.nStop+50 || int(w) >= v.nCommon {
				t.Fatalf("topic %d: word rank %d outside [%d, %d)", tp, w, v.nStop+50, v.nCommon)
			}
		}
	}
}

func TestStatistics(t *testing.T) {
	g := New(Options{Seed: 42})
	chunks := 10
	if testing.Short() {
		chunks = 3
	}
	stop := make(map[string]bool)
	for _, w := range g.vocab.words[:g.vocab.nStop] {
		stop[w] = true
	}
	var words, stops, titleWords int
	storySize := make(map[int]int)
	var arts []Article
	for c := range chunks {
		arts = append(arts, g.Chunk(c)...)
	}
	for _, a := range arts {
		tw := len(strings.Fields(a.Title))
		if tw < 6 || tw > 12 {
			t.Errorf("%s: title has %d words, want 6..12: %q", a.ID, tw, a.Title)
		}
		titleWords += tw
		for _, w := range strings.Fields(a.Body) {
			words++
			if stop[strings.ToLower(strings.TrimRight(w, ".,"))] {
				stops++
			}
		}
		if a.Topic < 0 || a.Topic >= defaultTopics {
			t.Errorf("%s: topic %d out of range", a.ID, a.Topic)
		}
		storySize[a.Story]++
	}
	n := float64(len(arts))
	meanWords := float64(words) / n
	stopFrac := float64(stops) / float64(words)
	meanStory := n / float64(len(storySize))
	t.Logf("%d articles: %.1f body words, %.2f title words, %.1f%% stop words, %d stories of %.2f articles",
		len(arts), meanWords, float64(titleWords)/n, 100*stopFrac, len(storySize), meanStory)
	check := func(name string, got, lo, hi float64) {
		if got < lo || got > hi {
			t.Errorf("%s: got %.3f, want %.3f..%.3f", name, got, lo, hi)
		}
	}
	check("mean body words", meanWords, 300*0.85, 300*1.15)
	check("stop word share", stopFrac, 0.35, 0.45)
	check("mean story size", meanStory, 5, 7)

	if !strings.Contains(arts[0].Body, "\n\n") || !strings.HasSuffix(arts[0].Body, ".") {
		t.Errorf("body is not paragraphs of sentences: %q", arts[0].Body)
	}
}

// TestNeighbors checks the point of the model: articles of one story are
// much more alike than articles of one topic, which are more alike than
// unrelated ones (TF-IDF cosine of content words, IDF over the articles).
func TestNeighbors(t *testing.T) {
	g := New(Options{Seed: 42})
	stop := make(map[string]bool)
	for _, w := range g.vocab.words[:g.vocab.nStop] {
		stop[w] = true
	}
	arts := g.Chunk(0)
	if testing.Short() {
		arts = arts[:400]
	}
	vecs := make([]map[string]float64, len(arts))
	for i, a := range arts {
		v := make(map[string]float64)
		for _, w := range strings.Fields(a.Title + " " + a.Body) {
			if w = strings.ToLower(strings.TrimRight(w, ".,")); !stop[w] {
				v[w]++
			}
		}
		vecs[i] = v
	}
	df := make(map[string]float64)
	for _, v := range vecs {
		for w := range v {
			df[w]++
		}
	}
	for _, v := range vecs {
		for w, x := range v {
			v[w] = x * math.Log(float64(len(vecs))/df[w])
		}
	}
	var sum [3]float64 // same story, same topic, unrelated
	var cnt [3]int
	for i := range arts {
		for j := i + 1; j < len(arts); j++ {
			k := 2
			switch {
			case arts[i].Story == arts[j].Story:
				k = 0
			case arts[i].Topic == arts[j].Topic:
				k = 1
			}
			sum[k] += cosine(vecs[i], vecs[j])
			cnt[k]++
		}
	}
	var mean [3]float64
	for k := range mean {
		mean[k] = sum[k] / float64(cnt[k])
	}
	t.Logf("mean cosine: same story %.3f (%d pairs), same topic %.3f (%d), unrelated %.3f (%d)",
		mean[0], cnt[0], mean[1], cnt[1], mean[2], cnt[2])
	if !(mean[0] > 2*mean[1] && mean[1] > 10*mean[2]) {
		t.Errorf("got mean cosines %.3f, want same story > 2 x same topic > 20 x unrelated", mean)
	}
}

func cosine(a, b map[string]float64) float64 {
	var dot, na, nb float64
	for w, x := range a {
		dot += x * b[w]
		na += x * x
	}
	for _, y := range b {
		nb += y * y
	}
	return dot / math.Sqrt(na*nb)
}

func TestAlias(t *testing.T) {
	w := []float64{5, 0, 1, 3, 1, 0.5}
	a := newAlias(w)
	const n = 1 << 20
	got := make([]float64, len(w))
	x := uint64(12345)
	for range n {
		x = mix(x)
		got[a.sample(x)]++
	}
	total := 0.0
	for _, v := range w {
		total += v
	}
	for i := range w {
		want := w[i] / total
		if p := got[i] / n; math.Abs(p-want) > 0.003 {
			t.Errorf("index %d: got frequency %.4f, want %.4f", i, p, want)
		}
	}
}

func BenchmarkNew(b *testing.B) {
	for b.Loop() {
		New(Options{Seed: 42})
	}
}

// BenchmarkGenerate generates 10,000 articles per iteration on all CPUs.
func BenchmarkGenerate(b *testing.B) {
	benchmarkGenerate(b, runtime.GOMAXPROCS(0))
}

// BenchmarkGenerateOneWorker is BenchmarkGenerate on one goroutine.
func BenchmarkGenerateOneWorker(b *testing.B) {
	benchmarkGenerate(b, 1)
}

func benchmarkGenerate(b *testing.B, workers int) {
	const n = 10000
	g := New(Options{Seed: 42})
	b.ReportAllocs()
	var iters, bytes int
	for b.Loop() {
		iters++
		err := g.Generate(n, workers, func(a Article) error {
			bytes += len(a.Title) + len(a.Body)
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	sec := b.Elapsed().Seconds()
	b.ReportMetric(float64(iters*n)/sec, "articles/s")
	b.ReportMetric(float64(bytes)/sec/1e6, "MB/s")
}
