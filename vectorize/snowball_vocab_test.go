package vectorize

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestSnowballVocabulary runs a sample of Snowball's own vocabulary lists
// (shipped in the module's tests) through our stem step, cached and not,
// and checks every stem. Hungarian ships no list; the whole-word pairs of
// its stemmer's TestStem stand in.
func TestSnowballVocabulary(t *testing.T) {
	dir := snowballDir(t)
	lists := map[string]string{
		"en": "english_vocab/vocab_test.go",
		"es": "spanish_vocab/vocab_test.go",
		"fr": "french_vocab/vocab_test.go",
		"no": "norwegian_vocab/vocab_test.go",
		"ru": "russian_vocab/vocab_test.go",
		"sv": "swedish_vocab/vocab_test.go",
		"hu": "hungarian/stem_test.go",
	}
	pair := regexp.MustCompile(`(?m)^\s*(?:\{("(?:[^"\\]|\\.)*"), ("(?:[^"\\]|\\.)*")\}|("(?:[^"\\]|\\.)*"): ("(?:[^"\\]|\\.)*")),?\s*$`)
	cached := NewAnalyzer(Options{})
	uncached := NewAnalyzer(Options{StemCacheSize: -1})
	for _, lang := range Languages() {
		t.Run(lang, func(t *testing.T) {
			src, err := os.ReadFile(filepath.Join(dir, lists[lang]))
			if err != nil {
				t.Fatal(err)
			}
			text, least := string(src), 1000
			if lang == "hu" {
				text, least = funcBody(text, "TestStem"), 2
			}
			ms := pair.FindAllStringSubmatch(text, -1)
			if len(ms) < least {
				t.Fatalf("%s: found %d pairs, want a list", lists[lang], len(ms))
			}
			step := max(1, len(ms)/3000) // a sample of about 3000 words
			li := findLanguage(lang)
			checked := 0
			for i := 0; i < len(ms); i += step {
				in, out := ms[i][1]+ms[i][3], ms[i][2]+ms[i][4]
				word, err1 := strconv.Unquote(in)
				want, err2 := strconv.Unquote(out)
				if err1 != nil || err2 != nil {
					t.Fatalf("unquote %s %s: %v %v", in, out, err1, err2)
				}
				if normalize(word) != word {
					continue // not a word our pipeline would hand the stemmer
				}
				checked++
				if got := cached.stem(li, word); got != want {
					t.Errorf("cached stem(%q) = %q, want %q", word, got, want)
				}
				if got := uncached.stem(li, word); got != want {
					t.Errorf("stem(%q) = %q, want %q", word, got, want)
				}
			}
			t.Logf("%s: checked %d of %d pairs", lang, checked, len(ms))
		})
	}
}

// snowballDir finds the snowball module's source in the module cache.
func snowballDir(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/kljensen/snowball").Output()
	dir := strings.TrimSpace(string(out))
	if err != nil || dir == "" {
		t.Skipf("snowball module source not found (%v); run go mod download", err)
	}
	return dir
}

// funcBody returns the source of the named top-level function in src.
func funcBody(src, name string) string {
	i := strings.Index(src, "\nfunc "+name+"(")
	if i < 0 {
		return ""
	}
	src = src[i+1:]
	if j := strings.Index(src, "\nfunc "); j >= 0 {
		src = src[:j]
	}
	return src
}
