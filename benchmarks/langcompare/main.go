// Command langcompare measures language detectors on the corpora of
// ../shared/data, lang field ignored: accuracy per file, cost per article
// (wall and CPU time, allocations), start-up (building the detector and its
// first calls) and the memory that start-up leaves live and at its peak.
// Each candidate runs in a process of its own, since lingua-go caches its
// models for the life of a process. It is how vectorize.DetectLang's
// detector was chosen; it is its own module so that readalike does not
// depend on the candidates it turned down.
//
//	cd benchmarks/langcompare && go run . ../../../shared/data
//
// Candidates: whatlanggo and lingua-go (low- and high-accuracy mode), each
// restricted to readalike's seven languages (Norwegian as Bokmål and
// Nynorsk); each of whatlanggo and lingua-go low with Snowball stop-word
// hits as a second opinion; and readalike's DetectLang. Every candidate
// reads the same first 512 bytes of each text, as DetectLang does.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/abadojack/whatlanggo"
	"github.com/kljensen/snowball/english"
	"github.com/kljensen/snowball/french"
	"github.com/kljensen/snowball/hungarian"
	"github.com/kljensen/snowball/norwegian"
	"github.com/kljensen/snowball/russian"
	"github.com/kljensen/snowball/spanish"
	"github.com/kljensen/snowball/swedish"
	"github.com/pemistahl/lingua-go"

	"github.com/readalike/readalike/vectorize"
)

// codes are readalike's languages, in vectorize.Languages() order.
var codes = []string{"en", "es", "fr", "hu", "no", "ru", "sv"}

var candidates = []string{"whatlanggo", "whatlanggo+stop", "lingua-low", "lingua-low+stop", "lingua-high", "readalike"}

var files = []struct{ name, lang string }{
	{"sib200_en.jsonl", "en"}, {"sib200_es.jsonl", "es"}, {"sib200_fr.jsonl", "fr"},
	{"sib200_hu.jsonl", "hu"}, {"sib200_nb.jsonl", "no"}, {"sib200_ru.jsonl", "ru"},
	{"sib200_sv.jsonl", "sv"}, {"bbc_news.jsonl", "en"}, {"agnews_test.jsonl", "en"},
}

var (
	candidate = flag.String("candidate", "", "run this candidate alone (default: each in a process of its own)")
	margin    = flag.Int("margin", 2, "stop-word hits by which another language must lead the detector's to overrule it")
	maxBytes  = flag.Int("cap", 512, "bytes of each text the detectors read")
	showErrs  = flag.Bool("errors", false, "print each SIB-200 sentence detected wrong")
)

func main() {
	flag.Parse()
	dir := flag.Arg(0)
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "data")
	}
	if *candidate != "" {
		run(*candidate, dir)
		return
	}
	for _, c := range candidates {
		args := append([]string{"-candidate", c}, os.Args[1:]...)
		cmd := exec.Command(os.Args[0], args...)
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		if err := cmd.Run(); err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", c, err)
			os.Exit(1)
		}
	}
}

// A detector returns one of codes, or "" when it cannot tell.
type detector func(text string) string

func build(name string) detector {
	switch name {
	case "whatlanggo":
		return newWhatlanggo()
	case "whatlanggo+stop":
		return withStopWords(newWhatlanggo())
	case "lingua-low":
		return newLingua(true)
	case "lingua-low+stop":
		return withStopWords(newLingua(true))
	case "lingua-high":
		return newLingua(false)
	case "readalike":
		return func(text string) string { return vectorize.DetectLang(text).Lang }
	}
	fmt.Fprintf(os.Stderr, "unknown candidate %q: one of %v\n", name, candidates)
	os.Exit(2)
	return nil
}

func newWhatlanggo() detector {
	ours := map[whatlanggo.Lang]string{
		whatlanggo.Eng: "en", whatlanggo.Spa: "es", whatlanggo.Fra: "fr", whatlanggo.Hun: "hu",
		whatlanggo.Nob: "no", whatlanggo.Nno: "no", whatlanggo.Rus: "ru", whatlanggo.Swe: "sv",
	}
	opts := whatlanggo.Options{Whitelist: map[whatlanggo.Lang]bool{}}
	for l := range ours {
		opts.Whitelist[l] = true
	}
	return func(text string) string { return ours[whatlanggo.DetectWithOptions(text, opts).Lang] }
}

func newLingua(low bool) detector {
	ours := map[lingua.Language]string{
		lingua.English: "en", lingua.Spanish: "es", lingua.French: "fr", lingua.Hungarian: "hu",
		lingua.Bokmal: "no", lingua.Nynorsk: "no", lingua.Russian: "ru", lingua.Swedish: "sv",
	}
	var langs []lingua.Language
	for l := range ours {
		langs = append(langs, l)
	}
	b := lingua.NewLanguageDetectorBuilder().FromLanguages(langs...).WithPreloadedLanguageModels()
	if low {
		b = b.WithLowAccuracyMode()
	}
	d := b.Build()
	return func(text string) string {
		sum := map[string]float64{}
		for _, cv := range d.ComputeLanguageConfidenceValues(text) {
			sum[ours[cv.Language()]] += cv.Value() // Bokmål and Nynorsk add up
		}
		best := ""
		for _, c := range codes {
			if sum[c] > sum[best] {
				best = c
			}
		}
		return best
	}
}

// stopWords are the Snowball lists vectorize removes, in codes order.
var stopWords = []func(string) bool{english.IsStopWord, spanish.IsStopWord, french.IsStopWord,
	hungarian.IsStopWord, norwegian.IsStopWord, russian.IsStopWord, swedish.IsStopWord}

// withStopWords overrules d where another language's Snowball stop words
// occur at least margin times more often in the text than those of the
// language d chose: the difference in hits between two languages counts
// the words in one list and not the other.
func withStopWords(d detector) detector {
	return func(text string) string {
		got := d(text)
		var hits [7]int
		for _, w := range strings.FieldsFunc(strings.ToLower(text), func(r rune) bool { return !unicode.IsLetter(r) }) {
			for i, stop := range stopWords {
				if stop(w) {
					hits[i]++
				}
			}
		}
		base := 0
		for i, c := range codes {
			if c == got {
				base = hits[i]
			}
		}
		best := 0
		for i := range hits {
			if hits[i] > hits[best] {
				best = i
			}
		}
		if hits[best]-base >= *margin {
			return codes[best]
		}
		return got
	}
}

type article struct{ text, lang string }

func load(dir, name, lang string) []article {
	f, err := os.Open(filepath.Join(dir, name))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer f.Close()
	var out []article
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var a struct{ Title, Body string }
		if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
			fmt.Fprintln(os.Stderr, name, err)
			os.Exit(1)
		}
		out = append(out, article{sample(strings.TrimSpace(a.Title + "\n\n" + a.Body)), lang})
	}
	return out
}

// sample returns the first maxBytes of text, cut at a rune boundary.
func sample(text string) string {
	if len(text) <= *maxBytes {
		return text
	}
	cut := *maxBytes
	for cut > 0 && !utf8.RuneStart(text[cut]) {
		cut--
	}
	return text[:cut]
}

func run(name, dir string) {
	baseHeap := liveHeapMB()
	start := time.Now()
	d := build(name)
	// Two texts, so that a detector that loads models by language (as
	// readalike's does for Norwegian and Swedish) has loaded them all.
	d("The committee approved the new budget after a long debate on Tuesday.")
	d("Komiteen godkjente det nye budsjettet etter en lang debatt på tirsdag.")
	startup := time.Since(start)
	heap, peak := liveHeapMB()-baseHeap, peakRSSMB()

	fmt.Printf("== %s: start-up %v, live heap after start-up %.1f MB, peak RSS so far %.0f MB\n",
		name, startup.Round(time.Millisecond), heap, peak)
	var sib []article
	for _, f := range files {
		arts := load(dir, f.name, f.lang)
		if strings.HasPrefix(f.name, "sib200_") {
			sib = append(sib, arts...)
		}
		right := 0
		for _, a := range arts {
			got := d(a.text)
			if got == a.lang {
				right++
			} else if *showErrs && strings.HasPrefix(f.name, "sib200_") {
				fmt.Printf("   %s: got %q: %q\n", f.name, got, a.text)
			}
		}
		fmt.Printf("%-18s %5d/%5d %7.2f%%\n", f.name, right, len(arts), 100*float64(right)/float64(len(arts)))
	}
	// Cost on SIB-200, every text once more, models loaded.
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	cpu0, wall0 := cpuNanos(), time.Now()
	for _, a := range sib {
		d(a.text)
	}
	wall, cpu := time.Since(wall0), cpuNanos()-cpu0
	runtime.ReadMemStats(&m1)
	n := float64(len(sib))
	fmt.Printf("cost on sib200: %.0f ns/article wall, %.0f ns/article CPU, %.0f allocs/article, %.0f B/article\n",
		float64(wall.Nanoseconds())/n, float64(cpu)/n, float64(m1.Mallocs-m0.Mallocs)/n, float64(m1.TotalAlloc-m0.TotalAlloc)/n)
}

func liveHeapMB() float64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return float64(m.HeapAlloc) / 1e6
}

func peakRSSMB() float64 {
	var r syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &r)
	return float64(r.Maxrss) / 1024
}

func cpuNanos() int64 {
	var r syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &r)
	return r.Utime.Nano() + r.Stime.Nano()
}
