package vectorize

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// seedBody returns the body of the reading-app page in ../shared/seed: its
// first 11 lines, five of them repeats.
func seedBody(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "shared", "seed", "reading-app-page.txt"))
	if err != nil {
		t.Skipf("seed page not available (%v): run with ../shared beside the repository", err)
	}
	lines := strings.Split(string(b), "\n")
	return strings.Join(lines[:11], "\n")
}

func TestAnalyzeSeedPage(t *testing.T) {
	body := seedBody(t)
	a := NewAnalyzer(Options{})
	got, err := a.Analyze(Document{Body: body})
	if err != nil {
		t.Fatal(err)
	}
	if got.Words != 244 {
		t.Errorf("Words = %d, want 244 (the page's own statistics)", got.Words)
	}
	if got.Repeated != 5 {
		t.Errorf("Repeated = %d, want 5", got.Repeated)
	}
	// The first six lines, each once, must give exactly the same counts:
	// the repeated half of the body adds nothing.
	once, err := a.Analyze(Document{Body: strings.Join(strings.Split(body, "\n")[:6], "\n")})
	if err != nil {
		t.Fatal(err)
	}
	if len(once.Counts) != len(got.Counts) {
		t.Fatalf("terms = %d, want %d", len(got.Counts), len(once.Counts))
	}
	for i := range once.Counts {
		if got.Counts[i] != once.Counts[i] {
			t.Errorf("term %d = %v, want %v", i, got.Counts[i], once.Counts[i])
		}
	}
	want := map[string]uint32{"korea": 9, "missil": 2, "provoc": 3, "diplomat": 2, "icbm": 1}
	for _, tc := range got.Counts {
		if w, ok := want[tc.Term]; ok && tc.Count != w {
			t.Errorf("count of %q = %d, want %d", tc.Term, tc.Count, w)
		}
	}
}

func TestAnalyzeTitleWeight(t *testing.T) {
	for _, w := range []int{1, 2, 3} {
		a := NewAnalyzer(Options{TitleWeight: w, ShortBody: -1})
		got, err := a.Analyze(Document{Title: "Missiles", Body: "A missile test."})
		if err != nil {
			t.Fatal(err)
		}
		want := Counts{{Term: "missil", Count: uint32(w + 1)}, {Term: "test", Count: 1}}
		if !equalCounts(got.Counts, want) {
			t.Errorf("TitleWeight %d: counts = %v, want %v", w, got.Counts, want)
		}
	}
}

func TestAnalyzeShortBody(t *testing.T) {
	a := NewAnalyzer(Options{TitleWeight: 3, ShortBody: 4})
	for _, tt := range []struct {
		body string
		want uint32
	}{
		{"A missile test.", 1 + 1},                // 3 words: the title counts once
		{"A missile test at sea.", 3 + 1},         // 5 words: TitleWeight
		{"", 1},                                   // no body
		{"Missile tests missile launches", 3 + 2}, // 4 words: not short
	} {
		got, err := a.Analyze(Document{Title: "Missiles", Body: tt.body})
		if err != nil {
			t.Fatal(err)
		}
		if got.Counts[slicesIndex(got.Counts, "missil")].Count != tt.want {
			t.Errorf("body %q: count of missil = %v, want %d", tt.body, got.Counts, tt.want)
		}
	}
}

func slicesIndex(c Counts, term string) int {
	for i, tc := range c {
		if tc.Term == term {
			return i
		}
	}
	return -1
}

func TestAnalyzeGrams(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		doc  Document
		want Counts
	}{
		// Norwegian gets 3-grams by default: the compound's parts match.
		{"norwegian default", Options{}, Document{Body: "verktøy", Lang: "nb"},
			Counts{{Term: "#erk", Count: 1}, {Term: "#ktø", Count: 1}, {Term: "#rkt", Count: 1}, {Term: "#tøy", Count: 1}, {Term: "#ver", Count: 1}, {Term: "verktøy", Count: 1}}},
		{"english default none", Options{}, Document{Body: "missiles"}, Counts{{Term: "missil", Count: 1}}},
		{"english asked", Options{Grams: 5, TitleWeight: 2, ShortBody: -1}, Document{Title: "Missiles", Body: "test"},
			Counts{{Term: "#issil", Count: 2}, {Term: "#missi", Count: 2}, {Term: "missil", Count: 2}, {Term: "test", Count: 1}}},
		{"none", Options{Grams: -1}, Document{Body: "verktøy", Lang: "nb"}, Counts{{Term: "verktøy", Count: 1}}},
		{"short term", Options{Grams: 4}, Document{Body: "test"}, Counts{{Term: "test", Count: 1}}},
		{"four-grams", Options{Grams: 4}, Document{Body: "verktøy", Lang: "sv"},
			Counts{{Term: "#erkt", Count: 1}, {Term: "#rktø", Count: 1}, {Term: "#verk", Count: 1}, {Term: "#ktøy", Count: 1}, {Term: "verktøy", Count: 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NewAnalyzer(tt.opts).Analyze(tt.doc)
			if err != nil {
				t.Fatal(err)
			}
			want := CountsFromMap(map[string]uint32{})
			for _, tc := range tt.want {
				want = append(want, tc)
			}
			want = CountsFromMap(countsMap(want))
			if !equalCounts(got.Counts, want) {
				t.Errorf("counts = %v, want %v", got.Counts, want)
			}
		})
	}
}

func countsMap(c Counts) map[string]uint32 {
	m := map[string]uint32{}
	for _, tc := range c {
		m[tc.Term] += tc.Count
	}
	return m
}

func TestAnalyzeFilters(t *testing.T) {
	body := "I sold 2024 and 123456 and 12,345 and x y z of the running dogs"
	tests := []struct {
		name string
		opts Options
		want Counts
	}{
		{"defaults", Options{}, Counts{{Term: "2024", Count: 1}, {Term: "dog", Count: 1}, {Term: "run", Count: 1}, {Term: "sold", Count: 1}}},
		{"keep long numbers", Options{MaxDigits: -1}, Counts{{Term: "12,345", Count: 1}, {Term: "123456", Count: 1}, {Term: "2024", Count: 1}, {Term: "dog", Count: 1}, {Term: "run", Count: 1}, {Term: "sold", Count: 1}}},
		{"keep short", Options{MinLength: -1}, Counts{{Term: "2024", Count: 1}, {Term: "dog", Count: 1}, {Term: "run", Count: 1}, {Term: "sold", Count: 1}, {Term: "x", Count: 1}, {Term: "y", Count: 1}, {Term: "z", Count: 1}}},
		{"keep stop words", Options{KeepStopWords: true}, Counts{{Term: "2024", Count: 1}, {Term: "and", Count: 3}, {Term: "dog", Count: 1}, {Term: "of", Count: 1}, {Term: "run", Count: 1}, {Term: "sold", Count: 1}, {Term: "the", Count: 1}}},
		{"no stemming", Options{NoStemming: true}, Counts{{Term: "2024", Count: 1}, {Term: "dogs", Count: 1}, {Term: "running", Count: 1}, {Term: "sold", Count: 1}}},
		{"no cache", Options{StemCacheSize: -1}, Counts{{Term: "2024", Count: 1}, {Term: "dog", Count: 1}, {Term: "run", Count: 1}, {Term: "sold", Count: 1}}},
		{"extended list", Options{StopList: StopExtended}, Counts{{Term: "2024", Count: 1}, {Term: "dog", Count: 1}, {Term: "run", Count: 1}, {Term: "sold", Count: 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NewAnalyzer(tt.opts).Analyze(Document{Body: body})
			if err != nil {
				t.Fatal(err)
			}
			if !equalCounts(got.Counts, tt.want) {
				t.Errorf("counts = %v, want %v", got.Counts, tt.want)
			}
		})
	}
}

func TestStopLists(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		doc  Document
		want Counts
	}{
		// Snowball's list lacks the contraction "it's", which the stemmer
		// then turns into "it", and the filler of news copy.
		{"snowball", Options{StopList: StopSnowball}, Document{Body: "Mr Smith said it's also what the council would build."},
			Counts{{Term: "also", Count: 1}, {Term: "build", Count: 1}, {Term: "council", Count: 1}, {Term: "it", Count: 1}, {Term: "mr", Count: 1}, {Term: "said", Count: 1}, {Term: "smith", Count: 1}, {Term: "would", Count: 1}}},
		{"extended", Options{StopList: StopExtended}, Document{Body: "Mr Smith said it's also what the council would build."},
			Counts{{Term: "build", Count: 1}, {Term: "council", Count: 1}, {Term: "smith", Count: 1}}},
		{"default is extended", Options{}, Document{Body: "Mr Smith said it's also what the council would build."},
			Counts{{Term: "build", Count: 1}, {Term: "council", Count: 1}, {Term: "smith", Count: 1}}},
		{"mail attribution", Options{}, Document{Body: "In article <x> jo writes: the engine overheats"},
			Counts{{Term: "engin", Count: 1}, {Term: "jo", Count: 1}, {Term: "overheat", Count: 1}}},
		// Other languages have Snowball's list whatever StopList says.
		{"french unchanged", Options{StopList: StopExtended}, Document{Body: "le port de la ville", Lang: "fr"},
			Counts{{Term: "port", Count: 1}, {Term: "vill", Count: 1}}},
		// Snowball's later additions, and elisions stripped before the
		// list and the stemmer: "l'école" is "école", "qu'ils" is "ils".
		{"french les ils elision", Options{}, Document{Body: "Les écoles qu'ils ont vues, l'école d'été", Lang: "fr"},
			Counts{{Term: "vu", Count: 1}, {Term: "écol", Count: 2}}},
		// Bokmål reaches Snowball's Norwegian list: "den", "har", "seg",
		// "blir" are stop words; "folk" and "arbeid" are not.
		{"norwegian", Options{Grams: -1}, Document{Body: "Den har seg blir folk arbeid", Lang: "nb"},
			Counts{{Term: "arbeid", Count: 1}, {Term: "folk", Count: 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NewAnalyzer(tt.opts).Analyze(tt.doc)
			if err != nil {
				t.Fatal(err)
			}
			if !equalCounts(got.Counts, tt.want) {
				t.Errorf("counts = %v, want %v", got.Counts, tt.want)
			}
		})
	}
}

func TestOptionsString(t *testing.T) {
	tests := []struct {
		opts Options
		want string
	}{
		{Options{}, "title_weight=3 short_body=60 min_length=2 max_digits=4 stop_words=extended stemming=true grams=language"},
		{Options{StopList: StopSnowball, TitleWeight: 1, ShortBody: -1}, "title_weight=1 short_body=0 min_length=2 max_digits=4 stop_words=snowball stemming=true grams=language"},
		{Options{KeepStopWords: true, NoStemming: true, Grams: -1, ShortBody: 40}, "title_weight=3 short_body=40 min_length=2 max_digits=4 stop_words=none stemming=false grams=0"},
		{Options{Grams: 5, TitleWeight: 3, ShortBody: 60}, "title_weight=3 short_body=60 min_length=2 max_digits=4 stop_words=extended stemming=true grams=5"},
	}
	for _, tt := range tests {
		if got := tt.opts.String(); got != tt.want {
			t.Errorf("%+v.String() = %q, want %q", tt.opts, got, tt.want)
		}
	}
}

func TestAnalyzeLanguages(t *testing.T) {
	tests := []struct{ lang, body, stem string }{
		{"", "connections", "connect"},
		{"en", "connections", "connect"},
		{"EN-gb", "connections", "connect"},
		{"es", "ciudades", "ciudad"},
		{"fr", "continuellement", "continuel"},
		{"ru", "библиотеками", "библиотек"},
		{"sv", "klokheten", "klok"},
		{"no", "havnedistriktene", "havnedistrikt"},
		{"nb", "havnedistriktene", "havnedistrikt"},
		{"hu", "könyvtárban", "könyvtár"},
	}
	a := NewAnalyzer(Options{Grams: -1}) // the stems alone
	for _, tt := range tests {
		got, err := a.Analyze(Document{Body: tt.body, Lang: tt.lang})
		if err != nil {
			t.Errorf("lang %q: %v", tt.lang, err)
			continue
		}
		if len(got.Counts) != 1 || got.Counts[0].Term != tt.stem {
			t.Errorf("lang %q: %q -> %v, want %q", tt.lang, tt.body, got.Counts, tt.stem)
		}
	}
}

func TestAnalyzeErrors(t *testing.T) {
	a := NewAnalyzer(Options{})
	_, err := a.Analyze(Document{Body: "hola", Lang: "de"})
	var ul *UnsupportedLangError
	if !errors.As(err, &ul) || ul.Lang != "de" {
		t.Fatalf("lang de: got %v, want *UnsupportedLangError", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "en, es, fr, hu, no, ru, sv") {
		t.Errorf("error %q does not list the supported codes", msg)
	}
	for _, field := range []string{"title", "body"} {
		d := Document{Title: "ok", Body: "ok"}
		if field == "title" {
			d.Title = "bad \xff"
		} else {
			d.Body = "bad \xc3"
		}
		_, err := a.Analyze(d)
		if !errors.Is(err, ErrInvalidUTF8) || !strings.HasPrefix(err.Error(), field+":") {
			t.Errorf("invalid %s: got %v, want ErrInvalidUTF8 naming %s", field, err, field)
		}
	}
}

func TestAnalyzeHTML(t *testing.T) {
	a := NewAnalyzer(Options{})
	got, err := a.Analyze(Document{Body: "<p>Solar panels</p><script>tracking()</script><p>Solar panels</p><p>&lt;b&gt; cost</p>"})
	if err != nil {
		t.Fatal(err)
	}
	want := Counts{{Term: "cost", Count: 1}, {Term: "panel", Count: 1}, {Term: "solar", Count: 1}}
	if !equalCounts(got.Counts, want) || got.Repeated != 1 || got.Words != 4 {
		t.Errorf("got %+v, want counts %v, 1 repeated, 4 words", got, want)
	}
	plain := NewAnalyzer(Options{HTML: HTMLNever})
	got, _ = plain.Analyze(Document{Body: "<p>solar &amp; wind</p>"})
	if !equalCounts(got.Counts, Counts{{Term: "amp", Count: 1}, {Term: "solar", Count: 1}, {Term: "wind", Count: 1}}) { // "p" is short
		t.Errorf("HTMLNever: counts = %v", got.Counts)
	}
}

func TestAnalyzeConcurrent(t *testing.T) {
	a := NewAnalyzer(Options{StemCacheSize: 64})
	want, _ := a.Analyze(Document{Title: "Running dogs", Body: "The dogs were running faster than the connected cats."})
	done := make(chan bool)
	for g := 0; g < 8; g++ {
		go func() {
			defer func() { done <- true }()
			for i := 0; i < 200; i++ {
				got, err := a.Analyze(Document{Title: "Running dogs", Body: "The dogs were running faster than the connected cats."})
				if err != nil || !equalCounts(got.Counts, want.Counts) {
					t.Errorf("got %v, %v; want %v", got.Counts, err, want.Counts)
					return
				}
			}
		}()
	}
	for g := 0; g < 8; g++ {
		<-done
	}
}

// equalCounts compares terms and counts; TestAnalyzeWords checks words.
func equalCounts(a, b Counts) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Term != b[i].Term || a[i].Count != b[i].Count {
			return false
		}
	}
	return true
}

// Each term carries the word the article writes it as most often: "" when
// that is the term itself; of tied words, the first in byte order.
func TestAnalyzeWords(t *testing.T) {
	a := NewAnalyzer(Options{})
	got, err := a.Analyze(Document{Title: "Running dogs", Body: "The dog runs. Dogs run, dogs ran. A dog's test of running; runners ran."})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"dog": "dogs", "run": "running", "test": "", "ran": ""}
	for _, tc := range got.Counts {
		if w, ok := want[tc.Term]; ok && tc.Word != w {
			t.Errorf("term %q: word %q, want %q (counts %v)", tc.Term, tc.Word, w, got.Counts)
		}
	}
}
