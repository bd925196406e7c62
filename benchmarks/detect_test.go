package benchmarks

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/readalike/readalike/vectorize"
)

// The language detector's speed and start-up cost:
//
//	go test ./benchmarks -run XXX -bench DetectLang -benchmem
//
// and its accuracy on longer texts than SIB-200's single sentences (whose
// floors are asserted in vectorize):
//
//	go test ./benchmarks -run DetectLang -v

// sib200Files names the SIB-200 file of each language.
var sib200Files = map[string]string{"en": "en", "es": "es", "fr": "fr", "hu": "hu", "no": "nb", "ru": "ru", "sv": "sv"}

// articleText is what DetectLang is given for an article: title and body.
func articleText(a sharedArticle) string {
	return strings.TrimSpace(a.Title + "\n\n" + a.Body)
}

// sib200Texts returns the SIB-200 sentences of lang, joined n at a time
// into texts of n sentences (one paragraph each).
func sib200Texts(tb testing.TB, lang string, n int) []string {
	var texts []string
	arts := loadShared(tb, "sib200_"+sib200Files[lang]+".jsonl")
	for i := 0; i+n <= len(arts); i += n {
		var ps []string
		for _, a := range arts[i : i+n] {
			ps = append(ps, articleText(a))
		}
		texts = append(texts, strings.Join(ps, "\n\n"))
	}
	return texts
}

// BenchmarkDetectLang measures DetectLang per article, models loaded: the
// SIB-200 sentences of all seven languages in turn (about 25 words each),
// the same joined five at a time (about 125 words, the length of a short
// news item), AG News items (about 40 words) and BBC News articles (about
// 400 words, of which DetectLang reads the first 512 bytes).
func BenchmarkDetectLang(b *testing.B) {
	corpora := []struct {
		name  string
		texts func(b *testing.B) []string
	}{
		{"sib200", func(b *testing.B) []string { return interleavedSIB200(b, 1) }},
		{"sib200x5", func(b *testing.B) []string { return interleavedSIB200(b, 5) }},
		{"agnews_test", func(b *testing.B) []string { return sharedTextsOf(b, "agnews_test.jsonl") }},
		{"bbc_news", func(b *testing.B) []string { return sharedTextsOf(b, "bbc_news.jsonl") }},
	}
	for _, c := range corpora {
		b.Run(c.name, func(b *testing.B) {
			texts := c.texts(b)
			for _, t := range texts[:min(len(texts), 50)] {
				vectorize.DetectLang(t) // load the models
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				vectorize.DetectLang(texts[i%len(texts)])
				i++
			}
		})
	}
}

// interleavedSIB200 returns the SIB-200 texts of sib200Texts, one language
// after another, so every benchmark run sees all seven.
func interleavedSIB200(b *testing.B, n int) []string {
	var per [][]string
	for _, lang := range vectorize.Languages() {
		per = append(per, sib200Texts(b, lang, n))
	}
	var texts []string
	for i := range per[0] {
		for _, ts := range per {
			texts = append(texts, ts[i])
		}
	}
	return texts
}

func sharedTextsOf(tb testing.TB, name string) []string {
	var texts []string
	for _, a := range loadShared(tb, name) {
		texts = append(texts, articleText(a))
	}
	return texts
}

// startupEnv, when set, makes TestDetectLangStartupChild measure instead
// of skipping: BenchmarkDetectLangStartup runs it in a new process.
const startupEnv = "READALIKE_DETECT_STARTUP_CHILD"

// startup is what TestDetectLangStartupChild measures in a fresh process.
type startup struct {
	FirstMs, NordicMs   float64 // first call; first Norwegian call after it
	HeapMB, NordicMB    float64 // live heap after each, after a GC
	BaseHeapMB, MaxRSSM float64 // live heap before the first call; peak RSS
}

// BenchmarkDetectLangStartup measures what DetectLang's first calls cost a
// fresh process: the first call loads the trigram models of all seven
// languages, the first Norwegian or Swedish text the full models of those
// two. Each iteration is a new process; the figures are that process's.
func BenchmarkDetectLangStartup(b *testing.B) {
	var s startup
	for b.Loop() {
		cmd := exec.Command(os.Args[0], "-test.run=^TestDetectLangStartupChild$", "-test.v")
		cmd.Env = append(os.Environ(), startupEnv+"=1")
		out, err := cmd.CombinedOutput()
		if err != nil {
			b.Fatalf("child: %v\n%s", err, out)
		}
		_, js, ok := strings.Cut(string(out), "startup: ")
		if !ok {
			b.Fatalf("child printed no figures:\n%s", out)
		}
		js, _, _ = strings.Cut(js, "\n")
		if err := json.Unmarshal([]byte(js), &s); err != nil {
			b.Fatalf("child figures %q: %v", js, err)
		}
	}
	b.ReportMetric(s.FirstMs, "ms-first-call")
	b.ReportMetric(s.HeapMB-s.BaseHeapMB, "MB-heap-after-first")
	b.ReportMetric(s.NordicMs, "ms-first-nordic-call")
	b.ReportMetric(s.NordicMB-s.BaseHeapMB, "MB-heap-after-nordic")
	b.ReportMetric(s.MaxRSSM, "MB-peak-RSS")
}

// TestDetectLangStartupChild is BenchmarkDetectLangStartup's fresh process;
// it skips unless that benchmark runs it.
func TestDetectLangStartupChild(t *testing.T) {
	if os.Getenv(startupEnv) == "" {
		t.Skip("run by BenchmarkDetectLangStartup in a process of its own")
	}
	heap := func() float64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return float64(m.HeapAlloc) / 1e6
	}
	var s startup
	s.BaseHeapMB = heap()
	start := time.Now()
	vectorize.DetectLang("The committee approved the new budget after a long debate on Tuesday.")
	s.FirstMs = float64(time.Since(start).Microseconds()) / 1000
	s.HeapMB = heap()
	start = time.Now()
	vectorize.DetectLang("Komiteen godkjente det nye budsjettet etter en lang debatt på tirsdag.")
	s.NordicMs = float64(time.Since(start).Microseconds()) / 1000
	s.NordicMB = heap()
	s.MaxRSSM = peakRSSMB()
	js, _ := json.Marshal(s)
	fmt.Printf("startup: %s\n", js)
}

// peakRSSMB returns this process's peak resident set (VmHWM), 0 where
// /proc is absent.
func peakRSSMB() float64 {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(status)) {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}

// TestDetectLangLongerTexts checks DetectLang on texts longer than one
// sentence: English news (BBC News, AG News), and SIB-200 sentences joined
// five at a time in each language (191 texts of about 125 words each).
func TestDetectLangLongerTexts(t *testing.T) {
	if testing.Short() {
		t.Skip("reads the whole of two English corpora")
	}
	type corpus struct {
		name, lang string
		texts      []string
		// floor: measured 1.0 on every corpus but agnews_test, 0.9999: its
		// one miss is an item in French ("AMD et Chartered signent des
		// contrats..."), detected as French.
		floor float64
	}
	var corpora []corpus
	for _, name := range []string{"bbc_news.jsonl", "agnews_test.jsonl"} {
		corpora = append(corpora, corpus{name, "en", sharedTextsOf(t, name), 0.999})
	}
	for _, lang := range vectorize.Languages() {
		corpora = append(corpora, corpus{"sib200_" + sib200Files[lang] + " x5", lang, sib200Texts(t, lang, 5), 1})
	}
	for _, c := range corpora {
		right, unreliable := 0, 0
		for _, text := range c.texts {
			d := vectorize.DetectLang(text)
			if d.Lang == c.lang {
				right++
			} else {
				t.Logf("%s: got %+v, want %s: %.200q", c.name, d, c.lang, text)
			}
			if !d.Reliable {
				unreliable++
			}
		}
		acc := float64(right) / float64(len(c.texts))
		t.Logf("%-20s %s: %d of %d right (%.4f), %d not reliable", c.name, c.lang, right, len(c.texts), acc, unreliable)
		if acc < c.floor {
			t.Errorf("%s: accuracy %.4f, want at least %.3f", c.name, acc, c.floor)
		}
	}
}
