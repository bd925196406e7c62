package vectorize

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/clipperhouse/uax29/v2/words"
)

// Words splits normalised text into words at Unicode word boundaries (UAX
// #29) and keeps the tokens that hold a letter or a digit, so spaces and
// punctuation are dropped. What comes out, for text already normalised:
//
//   - "korea's" stays one word (an apostrophe between letters does not
//     break a word); the English stemmer then removes the possessive: "korea".
//   - "icbm-class" is two words, "icbm" and "class": a hyphen breaks words.
//   - "u.s." gives "u.s": a full stop between letters does not break a word,
//     one at the end does.
//   - "2024", "1.13" and "464,000" are one word each: separators between
//     digits do not break a number.
//   - "naïve" is one word; NFKC keeps the ï composed.
//   - Cyrillic, Greek and accented Latin words are words like any other;
//     ideographs come out one character each.
//
// Words appends to dst and returns it; the words are substrings of text.
func Words(dst []string, text string) []string {
	it := words.FromString(text)
	for it.Next() {
		if w := it.Value(); isWord(w) {
			dst = append(dst, w)
		}
	}
	return dst
}

// isWord reports whether a UAX #29 token holds a letter or a digit.
func isWord(tok string) bool {
	for i := 0; i < len(tok); {
		c := tok[i]
		if c < utf8.RuneSelf {
			if ('a' <= c && c <= 'z') || ('0' <= c && c <= '9') || ('A' <= c && c <= 'Z') {
				return true
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(tok[i:])
		if unicode.IsLetter(r) || unicode.IsNumber(r) {
			return true
		}
		i += n
	}
	return false
}

// WordCount returns the number of whitespace-separated words of text, the
// figure a reading app shows as an article's length.
func WordCount(text string) int {
	n := 0
	for range strings.FieldsSeq(text) {
		n++
	}
	return n
}

// numberDigits returns the number of digits in w when w is a number (digits
// with "." "," or "'" between them), and -1 when it is not.
func numberDigits(w string) int {
	n := 0
	for i := 0; i < len(w); i++ {
		switch c := w[i]; {
		case '0' <= c && c <= '9':
			n++
		case c == '.' || c == ',' || c == '\'':
		default:
			return -1
		}
	}
	return n
}
