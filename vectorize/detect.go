package vectorize

import (
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/pemistahl/lingua-go"
)

// Detection is what DetectLang found out about a text's language.
type Detection struct {
	// Lang is one of Languages(): the language detected, or DefaultLang
	// when Reliable is false.
	Lang string
	// Confidence is the detector's confidence that the text is in Lang,
	// from 0 (a text without letters) to 1.
	Confidence float64
	// Reliable is false when the text is too short or too ambiguous to
	// tell: Lang is then DefaultLang, a fallback to be stored as such.
	Reliable bool
}

// Limits of DetectLang.
const (
	// detectMaxBytes bounds the text read: its first bytes, cut after a
	// word. Half a kilobyte is some 80 words, more than the detector needs,
	// and lingua-go's cost grows faster than the text: on BBC News, 0.6 ms
	// of CPU an article at 256 bytes, 1.0 ms at 512, 3.3 ms at 1024 and
	// 4.3 ms at 2048, every article detected right at each (measured on a
	// loaded machine).
	detectMaxBytes = 512
	// detectMinLetters is the fewest letters a text must hold to be
	// detected at all: two short words.
	detectMinLetters = 10
	// detectMinConfidence is the least confidence of a reliable detection.
	// On SIB-200, 0.5 keeps 6,683 of the 6,685 sentences, 8 of them wrong;
	// 0.7 would turn away 6 more Norwegian sentences detected right,
	// leaving Norwegian at 98.95%. On the first four words of each sentence
	// it keeps 96% of them, 94.5% of those right.
	detectMinConfidence = 0.5
)

// DetectLang returns the language of text among Languages(), for an article
// that names none: pass the title and the body as plain text (an HTML body
// through VisibleText first). It reads the first 512 bytes, with runs of
// invalid UTF-8 read as spaces. When text has fewer than 10 letters, or its
// likeliest language a confidence under 0.5, the result is not reliable:
// Lang is DefaultLang, and Confidence the confidence in DefaultLang.
//
// DetectLang is safe for concurrent use. Its models load on first use, not
// before: the first call takes 0.1 to 0.25 s and leaves 8 MB of models,
// the first on a text that looks Norwegian or Swedish a further 0.5 to
// 1.3 s and 41 MB (peak RSS about 110 MB). After that a sentence takes about 0.4 ms of CPU
// and a long article 1 ms. Linking it adds some 128 MB to a binary, since
// lingua-go embeds the models of all its 75 languages. Figures from
// benchmarks/detect_test.go and benchmarks/langcompare, measured on a
// loaded 2-core machine.
//
// The detector is github.com/pemistahl/lingua-go restricted to our seven
// languages (Norwegian as Bokmål and Nynorsk), in two steps: its
// low-accuracy mode (trigram models, small and quick) over all seven; then,
// when that says Norwegian or Swedish, which trigrams alone confuse on one
// sentence in a hundred, its high-accuracy mode (1- to 5-gram models) over
// Bokmål and Swedish alone. On the 955 sentences of SIB-200 in each
// language it is right on at least 99.5% of each (en 100%, es 99.7%,
// fr 100%, hu 100%, no 99.6%, ru 100%, sv 99.8%), and on 100% of BBC
// News. It was chosen over github.com/abadojack/whatlanggo, small and quick
// but right on 92.7% of the Swedish sentences and 98.5% of the Hungarian
// ones, and over lingua-go's high-accuracy mode for all seven languages,
// a little more accurate (es 100%, no and sv 99.7%) but for 184 MB of
// models, 2.3 to 4.5 s to load them and 360 MB of peak RSS. Snowball's stop
// words as a second opinion did not close the gap for either library:
// they cost Norwegian more than they gave Swedish, as the Norwegian list of
// github.com/kljensen/snowball lacks "den", "de" and "har", which the
// Swedish list has.
func DetectLang(text string) Detection {
	return detector.detect(text)
}

// detector is DetectLang's: its zero value costs nothing until first use.
var detector langDetector

// langDetector holds lingua-go's detectors, each built on first use.
type langDetector struct {
	broadOnce  sync.Once
	broad      lingua.LanguageDetector // low accuracy, all seven languages
	nordicOnce sync.Once
	nordic     lingua.LanguageDetector // high accuracy, Bokmål and Swedish
}

// linguaCode returns our code of one of lingua-go's languages, "" for one
// we do not stem.
func linguaCode(l lingua.Language) string {
	switch l {
	case lingua.English:
		return "en"
	case lingua.Spanish:
		return "es"
	case lingua.French:
		return "fr"
	case lingua.Hungarian:
		return "hu"
	case lingua.Bokmal, lingua.Nynorsk:
		return "no"
	case lingua.Russian:
		return "ru"
	case lingua.Swedish:
		return "sv"
	}
	return ""
}

func (d *langDetector) broadDetector() lingua.LanguageDetector {
	d.broadOnce.Do(func() {
		d.broad = lingua.NewLanguageDetectorBuilder().
			FromLanguages(lingua.English, lingua.Spanish, lingua.French, lingua.Hungarian,
				lingua.Bokmal, lingua.Nynorsk, lingua.Russian, lingua.Swedish).
			WithLowAccuracyMode().
			WithPreloadedLanguageModels().
			Build()
	})
	return d.broad
}

func (d *langDetector) nordicDetector() lingua.LanguageDetector {
	d.nordicOnce.Do(func() {
		d.nordic = lingua.NewLanguageDetectorBuilder().
			FromLanguages(lingua.Bokmal, lingua.Swedish).
			WithPreloadedLanguageModels().
			Build()
	})
	return d.nordic
}

// langScores holds a confidence per language, indexed like languages.
type langScores [7]float64

func (s *langScores) best() (int, float64) {
	bi := 0
	for i, v := range s {
		if v > s[bi] {
			bi = i
		}
	}
	return bi, s[bi]
}

func (d *langDetector) detect(text string) Detection {
	fallback := findLanguage(DefaultLang)
	text = detectSample(text)
	if countLetters(text, detectMinLetters) < detectMinLetters {
		return Detection{Lang: DefaultLang}
	}
	scores := confidences(d.broadDetector(), text)
	bi, _ := scores.best()
	if no, sv := findLanguage("no"), findLanguage("sv"); bi == no || bi == sv {
		pair := confidences(d.nordicDetector(), text)
		if total := pair[no] + pair[sv]; total > 0 {
			nordic := scores[no] + scores[sv]
			scores[no], scores[sv] = nordic*pair[no]/total, nordic*pair[sv]/total
		}
	}
	bi, conf := scores.best()
	if conf < detectMinConfidence {
		return Detection{Lang: DefaultLang, Confidence: scores[fallback]}
	}
	return Detection{Lang: languages[bi].code, Confidence: conf, Reliable: true}
}

// confidences returns the confidence of each of our languages for text.
func confidences(l lingua.LanguageDetector, text string) langScores {
	var s langScores
	for _, cv := range l.ComputeLanguageConfidenceValues(text) {
		if i := findLanguage(linguaCode(cv.Language())); i >= 0 {
			s[i] += cv.Value()
		}
	}
	return s
}

// detectSample returns the part of text DetectLang reads: valid UTF-8, at
// most detectMaxBytes long, cut after a word where there is one to cut at.
func detectSample(text string) string {
	if len(text) > detectMaxBytes {
		cut := detectMaxBytes
		for cut > 0 && !utf8.RuneStart(text[cut]) {
			cut--
		}
		if sp := strings.LastIndexFunc(text[:cut], unicode.IsSpace); sp > detectMaxBytes/2 {
			cut = sp
		}
		text = text[:cut]
	}
	if !utf8.ValidString(text) {
		text = strings.ToValidUTF8(text, " ")
	}
	return text
}

// countLetters returns the number of letters in text, counting no further
// than enough.
func countLetters(text string, enough int) int {
	n := 0
	for _, r := range text {
		if unicode.IsLetter(r) {
			if n++; n >= enough {
				break
			}
		}
	}
	return n
}
