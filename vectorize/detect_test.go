package vectorize

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"
)

func TestDetectLang(t *testing.T) {
	tests := []struct {
		name     string
		text     string
		lang     string
		reliable bool
	}{
		{"empty", "", "en", false},
		{"spaces", " \n\t ", "en", false},
		{"numbers only", "2024 1.13 464,000 +47 22 33 44 55", "en", false},
		{"punctuation only", "!!! ??? ... --- ***", "en", false},
		{"one short word", "Hola", "en", false},
		{"under ten letters", "Привет мир", "en", false},
		{"invalid UTF-8 only", "\xff\xfe\xfd\xc3", "en", false},
		{"en", "The committee approved the new budget after a long debate on Tuesday.", "en", true},
		{"es", "El comité aprobó el nuevo presupuesto después de un largo debate el martes.", "es", true},
		{"fr", "Le comité a approuvé le nouveau budget après un long débat mardi.", "fr", true},
		{"hu", "A bizottság kedden hosszú vita után elfogadta az új költségvetést.", "hu", true},
		{"no", "Komiteen godkjente det nye budsjettet etter en lang debatt på tirsdag.", "no", true},
		{"nn", "Komiteen godkjende det nye budsjettet etter ein lang debatt på tysdag.", "no", true},
		{"ru", "Комитет одобрил новый бюджет после долгих дебатов во вторник.", "ru", true},
		{"sv", "Kommittén godkände den nya budgeten efter en lång debatt på tisdagen.", "sv", true},
		{"Cyrillic title", "Новости дня", "ru", true},
		{"es with numbers", "En 2024 el 45 % de los 1.200 hogares del país no tenía acceso a internet.", "es", true},
		{"sv with invalid UTF-8", "Kommittén godkände \xff\xfe den nya budgeten efter en lång debatt på tisdagen.", "sv", true},
		{"fr in HTML-less markup", "<p>Le comité a approuvé le nouveau budget après un long débat mardi.</p>", "fr", true},
		// Mixed: the language of most of the text wins.
		{"es after an en lead-in", "Breaking news: el comité aprobó el nuevo presupuesto después de un largo debate el martes por la tarde.", "es", true},
		{"mostly en, es quote", `The minister said "gracias a todos" and left the room before the vote on the budget was taken.`, "en", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := DetectLang(tt.text)
			if got.Lang != tt.lang || got.Reliable != tt.reliable {
				t.Errorf("DetectLang(%q) = %+v, want Lang %q Reliable %v", tt.text, got, tt.lang, tt.reliable)
			}
			if got.Confidence < 0 || got.Confidence > 1+1e-9 {
				t.Errorf("DetectLang(%q).Confidence = %v, want within [0, 1]", tt.text, got.Confidence)
			}
			if got.Reliable && got.Confidence < detectMinConfidence {
				t.Errorf("DetectLang(%q) = %+v: reliable under the minimum confidence", tt.text, got)
			}
		})
	}
}

// TestDetectLangMixedHalves checks that a text made of two languages comes
// out as one of them, whichever it is, and never as a third.
func TestDetectLangMixedHalves(t *testing.T) {
	en := "The committee approved the new budget after a long debate on Tuesday. "
	ru := "Комитет одобрил новый бюджет после долгих дебатов во вторник. "
	got := DetectLang(en + ru)
	if got.Lang != "en" && got.Lang != "ru" {
		t.Errorf("DetectLang(en + ru) = %+v, want en or ru", got)
	}
}

func TestDetectLangLongText(t *testing.T) {
	// Far past detectMaxBytes: only the start is read, and the cut must not
	// split a rune.
	sv := strings.Repeat("Kommittén godkände den nya budgeten efter en lång debatt på tisdagen. ", 200)
	if got := DetectLang(sv); got.Lang != "sv" || !got.Reliable {
		t.Errorf("DetectLang(long sv) = %+v, want sv, reliable", got)
	}
	ru := strings.Repeat("ж", 3*detectMaxBytes) // 2 bytes a rune, no space to cut at
	if s := detectSample(ru); !utf8.ValidString(s) || len(s) > detectMaxBytes {
		t.Errorf("detectSample(long ru) is %d bytes, valid %v; want at most %d, valid", len(s), utf8.ValidString(s), detectMaxBytes)
	}
}

func TestDetectLangConcurrent(t *testing.T) {
	texts := map[string]string{
		"en": "The committee approved the new budget after a long debate on Tuesday.",
		"no": "Komiteen godkjente det nye budsjettet etter en lang debatt på tirsdag.",
		"sv": "Kommittén godkände den nya budgeten efter en lång debatt på tisdagen.",
		"ru": "Комитет одобрил новый бюджет после долгих дебатов во вторник.",
	}
	var wg sync.WaitGroup
	for range 4 {
		for want, text := range texts {
			wg.Go(func() {
				if got := DetectLang(text); got.Lang != want {
					t.Errorf("DetectLang(%q) = %+v, want %s", text, got, want)
				}
			})
		}
	}
	wg.Wait()
}

// sib200Floor is the share of each language's SIB-200 sentences DetectLang
// must get right (the issue asks for 0.99); measured: en 1.0000, es 0.9969,
// fr 1.0000, hu 1.0000, no 0.9958, ru 1.0000, sv 0.9979.
const sib200Floor = 0.995

// TestDetectLangSIB200 detects the language of the 955 sentences of SIB-200
// in each of our seven languages, lang field ignored. With -short it takes
// every fifth sentence and asserts no floor (that sample is for the race
// detector).
func TestDetectLangSIB200(t *testing.T) {
	files := map[string]string{"en": "en", "es": "es", "fr": "fr", "hu": "hu", "no": "nb", "ru": "ru", "sv": "sv"}
	for _, lang := range Languages() {
		t.Run(lang, func(t *testing.T) {
			texts := sharedTexts(t, "sib200_"+files[lang]+".jsonl")
			right, n, unreliable := 0, 0, 0
			for i, text := range texts {
				if testing.Short() && i%5 != 0 {
					continue
				}
				got := DetectLang(text)
				n++
				if got.Lang == lang {
					right++
				} else {
					t.Logf("got %s (%.3f, reliable %v), want %s: %q", got.Lang, got.Confidence, got.Reliable, lang, text)
				}
				if !got.Reliable {
					unreliable++
				}
			}
			acc := float64(right) / float64(n)
			t.Logf("%s: %d of %d right (%.4f), %d not reliable", lang, right, n, acc, unreliable)
			if !testing.Short() && acc < sib200Floor {
				t.Errorf("%s: accuracy %.4f, want at least %.3f", lang, acc, sib200Floor)
			}
		})
	}
}

// sharedTexts returns title and body of each article of a corpus of
// ../shared/data (beside the repository root), skipping the test with a
// clear message where the shared data is absent.
func sharedTexts(t *testing.T, name string) []string {
	t.Helper()
	path := filepath.Join(repoRoot(t), "..", "shared", "data", name)
	f, err := os.Open(path)
	if err != nil {
		t.Skipf("shared corpus not available (%v): run with ../shared beside the repository", err)
	}
	defer f.Close()
	var texts []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var a struct{ Title, Body string }
		if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		texts = append(texts, strings.TrimSpace(a.Title+"\n\n"+a.Body))
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return texts
}

// repoRoot returns the directory holding go.mod, walking up from the
// package directory.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Skip("go.mod not found above the package directory")
		}
		dir = parent
	}
}

func FuzzDetectLang(f *testing.F) {
	for _, s := range []string{
		"", "a", "2024", "\xff", "Hola mundo, ¿qué tal?", "Привет, мир", "ø æ å ä ö",
		"The committee approved the new budget.", "日本語のテキスト", "\u0300\u0301",
		strings.Repeat("é", detectMaxBytes), "a\x00b\x00c\x00d\x00e\x00f\x00g\x00h\x00i\x00j",
	} {
		f.Add(s)
	}
	langs := Languages()
	f.Fuzz(func(t *testing.T, text string) {
		d := DetectLang(text)
		found := false
		for _, l := range langs {
			found = found || l == d.Lang
		}
		if !found {
			t.Fatalf("DetectLang(%q).Lang = %q, not one of %v", text, d.Lang, langs)
		}
		if !(d.Confidence >= 0 && d.Confidence <= 1+1e-9) {
			t.Fatalf("DetectLang(%q).Confidence = %v, want within [0, 1]", text, d.Confidence)
		}
		if !d.Reliable && d.Lang != DefaultLang {
			t.Fatalf("DetectLang(%q) = %+v: not reliable but not %s", text, d, DefaultLang)
		}
	})
}
