package vectorize

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/clipperhouse/uax29/v2/sentences"
)

// Sentence is the span of one sentence in a text: text[Start:End], in bytes,
// with the space around it left out, so the sentence keeps its original
// wording, case and punctuation.
type Sentence struct {
	Start, End int
}

// Text returns the sentence's text in text, the string it was found in.
func (s Sentence) Text(text string) string { return text[s.Start:s.End] }

// Sentences splits text into sentences. A paragraph break always ends a
// sentence; paragraphs are found as Paragraphs finds them (blank lines, or
// single newlines where the text has none), and a single newline inside a
// paragraph counts as a space. Inside a paragraph the candidate breaks are
// those of Unicode sentence segmentation (UAX #29: "3.5", "1,000.50", "?!",
// "e.g. the", a closing quote or bracket after the full stop), then:
//
//   - A break after an abbreviation is undone (abbreviations.go: "Mr.",
//     "Jan. 18", "U.S. Senate", "J. Smith", "N.Korea" never broke), unless
//     the abbreviation may end a sentence and the next word is a capitalised
//     stop word of the language ("in the U.S. The", "etc. But").
//   - A closing quote or bracket that a space separated from the sentence's
//     end stays with it: French "« Bonjour. » Puis".
//   - A break before a lowercase word is undone: "\"Why?\" he asked",
//     "« Non ! » dit-il".
//   - An ellipsis, three full stops or "…", ends a sentence when a
//     capitalised word follows it; and a full stop after a word ends one
//     before a number ("Sales rose. 2004 was"), which UAX #29 joins.
//
// lang is an ISO 639-1 code as for Document.Lang; an unsupported one gets
// the rules shared by every language and no abbreviations of its own.
// Sentences is safe for concurrent use. It allocates the returned slice.
func Sentences(text, lang string) []Sentence {
	li := -1
	if code, err := CanonicalLang(lang); err == nil {
		li = findLanguage(code)
	}
	return appendSentences(nil, text, li)
}

// appendSentences appends the sentences of text in the language with index
// li (-1 for none) to dst.
func appendSentences(dst []Sentence, text string, li int) []Sentence {
	for p := range paragraphSpans(text) {
		dst = appendParagraphSentences(dst, text, p, li)
	}
	return dst
}

// paragraphSpans yields the spans of the paragraphs of text under the rule
// of Paragraphs, space around each left out: the lines are the pieces
// between newlines, and when one of them is blank (a text ending in a
// newline has an empty last piece) paragraphs are runs of non-blank lines,
// otherwise each line is one.
func paragraphSpans(text string) func(yield func(Sentence) bool) {
	return func(yield func(Sentence) bool) {
		blankMode := false
		for line := range strings.SplitSeq(text, "\n") {
			if strings.TrimSpace(line) == "" {
				blankMode = true
				break
			}
		}
		start, end := -1, -1 // of the paragraph being gathered
		pos := 0
		for line := range strings.SplitSeq(text, "\n") {
			lineStart := pos
			pos += len(line) + 1
			trimmed := strings.TrimSpace(line)
			if trimmed != "" {
				s := lineStart + strings.Index(line, trimmed)
				if start < 0 {
					start = s
				}
				end = s + len(trimmed)
				if blankMode {
					continue
				}
			}
			if start >= 0 && !yield(Sentence{start, end}) {
				return
			}
			start = -1
		}
		if start >= 0 {
			yield(Sentence{start, end})
		}
	}
}

// appendParagraphSentences appends the sentences of the paragraph text[p].
func appendParagraphSentences(dst []Sentence, text string, p Sentence, li int) []Sentence {
	para := text[p.Start:p.End]
	if strings.ContainsAny(para, "\r\n") {
		// Same length, so spans stay valid: a hard-wrapped line is not a
		// paragraph separator for UAX #29.
		para = strings.Map(func(r rune) rune {
			if r == '\r' || r == '\n' {
				return ' '
			}
			return r
		}, para)
	}
	abbr := abbreviationsOf(li)
	start := 0
	emit := func(end int) {
		if s, e := trimSpan(para, start, end); s < e {
			dst = append(dst, Sentence{p.Start + s, p.Start + e})
		}
		start = end
	}
	it := sentences.FromString(para)
	for it.Next() {
		segStart, segEnd := it.Start(), it.End()
		if segEnd <= start {
			continue // a closing quote already moved into the previous sentence
		}
		// Breaks inside the segment that UAX #29 does not make.
		for _, b := range extraBreaks(para, max(segStart, start), segEnd, li, abbr) {
			if !joins(para, start, b, li, abbr) {
				emit(b)
			}
		}
		if segEnd == len(para) {
			break
		}
		b := afterClosers(para, segEnd)
		if b == len(para) {
			break
		}
		if !joins(para, start, b, li, abbr) {
			emit(b)
		}
	}
	emit(len(para))
	return dst
}

// trimSpan returns [start, end) of s without the space at either end.
func trimSpan(s string, start, end int) (int, int) {
	for start < end {
		r, n := utf8.DecodeRuneInString(s[start:end])
		if !unicode.IsSpace(r) {
			break
		}
		start += n
	}
	for end > start {
		r, n := utf8.DecodeLastRuneInString(s[start:end])
		if !unicode.IsSpace(r) {
			break
		}
		end -= n
	}
	return start, end
}

// afterClosers returns where a break at b belongs when closing quotes or
// brackets follow it, separated by space only from the sentence's end and
// followed by space or the end of the text: after them.
func afterClosers(s string, b int) int {
	i := skipSpace(s, b)
	j := i
	for j < len(s) {
		r, n := utf8.DecodeRuneInString(s[j:])
		if !isCloser(r) {
			break
		}
		j += n
	}
	if j == i {
		return b
	}
	if j < len(s) {
		if r, _ := utf8.DecodeRuneInString(s[j:]); !unicode.IsSpace(r) {
			return b // an opening quote: "He left. "Then
		}
	}
	return j
}

// isCloser reports whether r closes a quotation or a bracket.
func isCloser(r rune) bool {
	switch r {
	case '"', '\'', ')', ']', '}', '»', '”', '’', '›', '」', '』':
		return true
	}
	return unicode.Is(unicode.Pe, r) || unicode.Is(unicode.Pf, r)
}

// isOpener reports whether r opens a quotation, a bracket or, in Spanish, a
// question or an exclamation.
func isOpener(r rune) bool {
	switch r {
	case '"', '\'', '(', '[', '{', '«', '“', '‘', '‹', '„', '¿', '¡', '「', '『':
		return true
	}
	return unicode.Is(unicode.Ps, r) || unicode.Is(unicode.Pi, r)
}

func skipSpace(s string, i int) int {
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		if !unicode.IsSpace(r) {
			break
		}
		i += n
	}
	return i
}

// nextWord returns the word at the start of s after space and opening
// punctuation, and whether something else (a digit, a symbol) starts it.
func nextWord(s string) (word string, other bool) {
	i := skipSpace(s, 0)
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		if !isOpener(r) {
			break
		}
		i += n
	}
	j := i
	for j < len(s) {
		r, n := utf8.DecodeRuneInString(s[j:])
		if !unicode.IsLetter(r) {
			break
		}
		j += n
	}
	return s[i:j], j == i && i < len(s)
}

// extraBreaks returns the breaks in s[from:to] that UAX #29 leaves out: after
// an ellipsis ("…" or "...") followed by a capitalised word, and after a
// full stop ending a word when a number follows ("rose 5%. 2004 was").
func extraBreaks(s string, from, to, li int, abbr map[string]abbrevKind) []int {
	seg := s[from:to]
	if !strings.Contains(seg, "…") && !strings.Contains(seg, ". ") {
		return nil
	}
	var bs []int
	for i := 0; i < len(seg); {
		j := indexStop(seg[i:])
		if j < 0 {
			break
		}
		j += i
		r, n := utf8.DecodeRuneInString(seg[j:])
		k := j + n
		if r == '.' {
			for k < len(seg) && seg[k] == '.' {
				k++
			}
		}
		i = k
		b := skipSpace(seg, k)
		if b == k || b >= len(seg) {
			continue // no space after it, or the segment's own end
		}
		word, other := nextWord(seg[b:])
		switch {
		case r == '…' || k-j >= 3:
			if first, _ := utf8.DecodeRuneInString(word); unicode.IsUpper(first) {
				bs = append(bs, from+b)
			}
		case other && startsWithDigit(seg[b:]):
			if endsWord(seg[:j], li, abbr) {
				bs = append(bs, from+b)
			}
		}
	}
	return bs
}

// indexStop returns the index of the first "." or "…" in s, or -1.
// strings.IndexAny would decode every rune of s.
func indexStop(s string) int {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '.':
			return i
		case 0xE2: // the first byte of "…"
			if strings.HasPrefix(s[i:], "…") {
				return i
			}
		}
	}
	return -1
}

func startsWithDigit(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.IsDigit(r)
}

// endsWord reports whether before (text up to a full stop) ends in a word
// of at least two letters that is not an abbreviation.
func endsWord(before string, li int, abbr map[string]abbrevKind) bool {
	tok := lastToken(before)
	if utf8.RuneCountInString(tok) < 2 {
		return false
	}
	for _, r := range tok {
		if !unicode.IsLetter(r) {
			return false
		}
	}
	return abbreviation(tok, abbr) == notAbbrev
}

// lastToken returns the last space-separated token of s without the opening
// punctuation before it.
func lastToken(s string) string {
	i := strings.LastIndexFunc(s, unicode.IsSpace)
	tok := s[i+1:]
	if i >= 0 {
		_, n := utf8.DecodeRuneInString(s[i:])
		tok = s[i+n:]
	}
	return strings.TrimLeftFunc(tok, isOpener)
}

// joins reports whether the break at b, ending the sentence that starts at
// start, is to be undone: a lowercase word follows, or the sentence ends in
// an abbreviation that does not end this one.
func joins(s string, start, b, li int, abbr map[string]abbrevKind) bool {
	after := s[b:]
	word, other := nextWord(after)
	first, _ := utf8.DecodeRuneInString(word)
	if unicode.IsLower(first) && !startsWithOpener(after) {
		return true
	}
	before := strings.TrimRightFunc(s[start:b], unicode.IsSpace)
	if !strings.HasSuffix(before, ".") || strings.HasSuffix(before, "..") {
		return false
	}
	kind := abbreviation(lastToken(before[:len(before)-1]), abbr)
	switch {
	case kind == notAbbrev:
		return false
	case other && startsWithDigit(strings.TrimLeftFunc(after, unicode.IsSpace)):
		return true // "Jan. 18", "No. 10", "p. 5"
	case kind == title:
		return true
	}
	// An abbreviation that may end a sentence ends this one when a
	// capitalised stop word follows: "in the U.S. The".
	if !unicode.IsUpper(first) || li < 0 {
		return true
	}
	return !languages[li].stop(strings.ToLower(word))
}

func startsWithOpener(s string) bool {
	r, _ := utf8.DecodeRuneInString(strings.TrimLeftFunc(s, unicode.IsSpace))
	return isOpener(r)
}
