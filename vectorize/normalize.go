package vectorize

import (
	"errors"
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// ErrInvalidUTF8 is returned for text that is not valid UTF-8.
var ErrInvalidUTF8 = errors.New("text is not valid UTF-8")

// folders holds case folders for reuse: a cases.Caser keeps state and is not
// safe for concurrent use, and building one allocates.
var folders = sync.Pool{New: func() any { c := cases.Fold(); return &c }}

// Normalize returns text in the form every later stage expects: Unicode NFKC,
// case folded, typographic apostrophes and dashes folded to ASCII, and line
// ends as "\n". It returns ErrInvalidUTF8 for invalid UTF-8. Normalize is
// idempotent and safe for concurrent use. It does not strip HTML: see
// VisibleText.
func Normalize(text string) (string, error) {
	if !utf8.ValidString(text) {
		return "", ErrInvalidUTF8
	}
	return normalize(text), nil
}

// normalize is Normalize for text known to be valid UTF-8.
func normalize(s string) string {
	if strings.IndexByte(s, '\r') >= 0 {
		s = strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
	}
	if isASCII(s) {
		return lowerASCII(s)
	}
	s = norm.NFKC.String(s)
	c := folders.Get().(*cases.Caser)
	s = c.String(s)
	folders.Put(c)
	s = strings.Map(foldPunct, s)
	// Folding can undo NFKC (a folded letter may compose differently);
	// a second pass makes Normalize idempotent and costs a quick check.
	return norm.NFKC.String(s)
}

// foldPunct maps typographic apostrophes and dashes to their ASCII forms, so
// "Korea’s" and "Korea's" are one word and "ICBM–class" splits like
// "ICBM-class".
func foldPunct(r rune) rune {
	switch r {
	case '\u2018', '\u2019', '\u201B', '\u02BC', '\u2032', '\uFF07':
		return '\''
	case '\u2010', '\u2011', '\u2012', '\u2013', '\u2014', '\u2015', '\u2212', '\uFE58', '\uFE63', '\uFF0D':
		return '-'
	}
	return r
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// lowerASCII lower-cases ASCII text, allocating only when a letter changes.
func lowerASCII(s string) string {
	i := 0
	for i < len(s) && (s[i] < 'A' || s[i] > 'Z') {
		i++
	}
	if i == len(s) {
		return s
	}
	b := []byte(s)
	for ; i < len(b); i++ {
		if c := b[i]; 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
