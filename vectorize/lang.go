package vectorize

import (
	"fmt"
	"strings"

	"github.com/kljensen/snowball/english"
	"github.com/kljensen/snowball/french"
	"github.com/kljensen/snowball/hungarian"
	"github.com/kljensen/snowball/norwegian"
	"github.com/kljensen/snowball/russian"
	"github.com/kljensen/snowball/spanish"
	"github.com/kljensen/snowball/swedish"
)

// DefaultLang is the language of an article that names none.
const DefaultLang = "en"

// language is what the pipeline needs of one language: its Snowball stemmer
// and its stop words.
type language struct {
	code string
	stem func(word string, stemStopWords bool) string
	stop func(word string) bool // Snowball's list
	// extra, when not nil, holds the words StopExtended removes beyond stop.
	extra func(word string) bool
	// elide, when not nil, strips what the language joins to a word with
	// an apostrophe ("l'école"), before the stop list and the stemmer.
	elide func(word string) string
	grams int // DefaultGrams
}

// languages lists every language github.com/kljensen/snowball ships, by ISO
// 639-1 code, with Snowball's own stop-word list for each (for French and
// Norwegian our copy of it, stopwords.go, as the package's differs) and, for
// English, readalike's further list.
var languages = []language{
	{"en", english.Stem, english.IsStopWord, isEnglishExtraStopWord, nil, 0},
	{"es", spanish.Stem, spanish.IsStopWord, nil, nil, 0},
	{"fr", french.Stem, isFrenchStopWord, nil, elideFrench, 0},
	{"hu", hungarian.Stem, hungarian.IsStopWord, nil, nil, 3},
	{"no", norwegian.Stem, isNorwegianStopWord, nil, nil, 3},
	{"ru", russian.Stem, russian.IsStopWord, nil, nil, 3},
	{"sv", swedish.Stem, swedish.IsStopWord, nil, nil, 3},
}

// isStop reports whether w is a stop word of the language under list.
func (l *language) isStop(w string, list StopList) bool {
	if l.stop(w) {
		return true
	}
	return list == StopExtended && l.extra != nil && l.extra(w)
}

// Languages returns the ISO 639-1 codes of the supported languages, sorted.
func Languages() []string {
	codes := make([]string, len(languages))
	for i, l := range languages {
		codes[i] = l.code
	}
	return codes
}

// UnsupportedLangError is returned for an article whose lang is not one of
// Languages().
type UnsupportedLangError struct{ Lang string }

func (e *UnsupportedLangError) Error() string {
	return fmt.Sprintf("unsupported language %q: supported are %s", e.Lang, strings.Join(Languages(), ", "))
}

// CanonicalLang returns the supported language code for lang: "" means
// DefaultLang, case and surrounding space are ignored, and a region subtag
// ("en-GB", "pt_BR") is dropped. Norwegian Bokmål and Nynorsk ("nb", "nn")
// map to "no". Anything else is an *UnsupportedLangError.
func CanonicalLang(lang string) (string, error) {
	code := strings.ToLower(strings.TrimSpace(lang))
	if code == "" {
		return DefaultLang, nil
	}
	if i := strings.IndexAny(code, "-_"); i > 0 {
		code = code[:i]
	}
	if code == "nb" || code == "nn" {
		code = "no"
	}
	for _, l := range languages {
		if l.code == code {
			return code, nil
		}
	}
	return "", &UnsupportedLangError{Lang: lang}
}

func findLanguage(code string) int {
	for i, l := range languages {
		if l.code == code {
			return i
		}
	}
	return -1
}
