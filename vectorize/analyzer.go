// Package vectorize turns articles into the weighted terms similarity is
// computed from. An Analyzer normalises text (NFKC, case folding, HTML to
// visible text), drops repeated paragraphs, splits words at Unicode word
// boundaries, removes stop words and Snowball-stems what is left in the
// article's language, giving term counts; in Hungarian, Norwegian, Russian
// and Swedish each term also gives its character 3-grams. A Model turns
// term counts into L2-normalised TF-IDF vectors over ids from its
// Dictionary.
package vectorize

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// Defaults of Options, used where a field is zero.
const (
	// DefaultTitleWeight: 1 is best on BBC News and AG News, 4 on 20
	// Newsgroups (README.md, Relevance). With the short-body rule, 3 is
	// the better default (+0.0013 on the mean of the eleven corpora, AG
	// News +0.014).
	DefaultTitleWeight   = 3
	DefaultMinLength     = 2       // runes
	DefaultMaxDigits     = 4       // a year stays a term, a phone number does not
	DefaultStemCacheSize = 1 << 17 // entries per language
	// DefaultShortBody: an article whose body has fewer than 60 words
	// counts its title once (a headline over a one-sentence body would
	// otherwise outweigh it); measured with title weight 3 (README.md,
	// Relevance).
	DefaultShortBody = 60
)

// GramMark starts every character n-gram term (Options.Grams). The
// tokenizer never puts it inside a word, so no word term starts with it.
const GramMark = "#"

// DefaultGrams is the n-gram size each language gets when Options.Grams is
// 0: 3 for the compounding and agglutinative languages (Hungarian,
// Norwegian, Russian, Swedish), where the grams match the parts of a
// compound ("diagnoseverktøy" and "verktøy") and the forms that stemming
// leaves apart; none for the others, where they cost long English texts
// relevance. See README.md, Relevance.
func DefaultGrams(lang string) int {
	code, err := CanonicalLang(lang)
	if err != nil {
		return 0
	}
	return languages[findLanguage(code)].grams
}

// HTMLMode says when a body is treated as HTML.
type HTMLMode int

const (
	HTMLAuto   HTMLMode = iota // when LooksLikeHTML says so
	HTMLAlways                 // always: the body is a feed item's HTML content
	HTMLNever                  // never: "<" and "&" are plain characters
)

// StopList says which stop words an Analyzer removes.
type StopList int

const (
	StopDefault  StopList = iota // DefaultStopList
	StopSnowball                 // Snowball's list of the article's language
	// StopExtended is Snowball's list plus, for English, readalike's list of
	// further function words, contractions, number words and news and mail
	// filler (stopwords.go); other languages have Snowball's list only.
	StopExtended
)

// DefaultStopList is the stop list of the zero Options. On the quality
// benchmark (benchmarks/quality; the table is in README.md) the extended
// list scores as Snowball's does, within 0.001, with 16 to 18% fewer
// entries in the vectors, about half the postings read by the batch path,
// and no "it's" counted as the term "it".
const DefaultStopList = StopExtended

func (l StopList) String() string {
	switch l {
	case StopDefault:
		return DefaultStopList.String()
	case StopSnowball:
		return "snowball"
	case StopExtended:
		return "extended"
	}
	return fmt.Sprintf("StopList(%d)", int(l))
}

// Options configure an Analyzer. The zero value gives the defaults above,
// with the DefaultStopList removed and stemming on.
type Options struct {
	TitleWeight   int      // each title term counts this many times; 0 = DefaultTitleWeight
	MinLength     int      // terms shorter than this many runes are dropped; 0 = DefaultMinLength, -1 = keep all
	MaxDigits     int      // numbers with more digits are dropped; 0 = DefaultMaxDigits, -1 = keep all
	StopList      StopList // which stop words are removed; 0 = DefaultStopList
	KeepStopWords bool     // remove no stop words at all, whatever StopList says
	NoStemming    bool
	StemCacheSize int // entries per language; 0 = DefaultStemCacheSize, -1 = no cache
	HTML          HTMLMode
	// Grams, when above 0, also counts every run of Grams runes inside a
	// term longer than that, as a term of its own marked with GramMark
	// ("#ørli"), for every language; 0 = each language's default
	// (DefaultGrams), -1 = none.
	Grams int
	// ShortBody: an article whose body has fewer words than this counts
	// its title once, whatever TitleWeight says; 0 = DefaultShortBody, -1
	// = never.
	ShortBody int
}

func (o Options) withDefaults() Options {
	if o.TitleWeight == 0 {
		o.TitleWeight = DefaultTitleWeight
	}
	if o.MinLength == 0 {
		o.MinLength = DefaultMinLength
	}
	if o.MaxDigits == 0 {
		o.MaxDigits = DefaultMaxDigits
	}
	if o.StemCacheSize == 0 {
		o.StemCacheSize = DefaultStemCacheSize
	}
	if o.StopList == StopDefault {
		o.StopList = DefaultStopList
	}
	if o.ShortBody == 0 {
		o.ShortBody = DefaultShortBody
	}
	return o
}

// String states the options that change term counts, for records of which
// settings a model was built with.
func (o Options) String() string {
	o = o.withDefaults()
	stop := o.StopList.String()
	if o.KeepStopWords {
		stop = "none"
	}
	grams := "language"
	if o.Grams != 0 {
		grams = strconv.Itoa(max(o.Grams, 0))
	}
	return fmt.Sprintf("title_weight=%d short_body=%d min_length=%d max_digits=%d stop_words=%s stemming=%t grams=%s",
		o.TitleWeight, max(o.ShortBody, 0), o.MinLength, o.MaxDigits, stop, !o.NoStemming, grams)
}

// Document is the text of one article as the analyzer sees it.
type Document struct {
	Title string
	Body  string // plain text or HTML, see Options.HTML
	Lang  string // ISO 639-1; "" means DefaultLang
}

// Analysis is what an article becomes.
type Analysis struct {
	Lang     string // the canonical language code used
	Words    int    // whitespace-separated words of the body, repeated paragraphs dropped
	Repeated int    // paragraphs dropped as repeats of an earlier one
	Counts   Counts // terms of title and body, title terms counted TitleWeight times
}

// Analyzer turns documents into term counts. It is safe for concurrent use;
// share one, so its stem caches are shared.
type Analyzer struct {
	opts    Options
	stems   []*stemCache // by index in languages; nil when caching is off
	scratch sync.Pool    // of *scratch
}

// NewAnalyzer returns an analyzer with the given options.
func NewAnalyzer(opts Options) *Analyzer {
	a := &Analyzer{opts: opts.withDefaults()}
	if a.opts.StemCacheSize > 0 {
		a.stems = make([]*stemCache, len(languages))
		for i, l := range languages {
			a.stems[i] = newStemCache(l.stem, a.opts.StemCacheSize)
		}
	}
	return a
}

// Options returns the analyzer's options with defaults filled in.
func (a *Analyzer) Options() Options { return a.opts }

// Analyze returns the term counts of d. It returns ErrInvalidUTF8 (wrapped,
// naming the field) for invalid UTF-8 and an *UnsupportedLangError for an
// unknown language.
func (a *Analyzer) Analyze(d Document) (Analysis, error) {
	s, _ := a.scratch.Get().(*scratch)
	if s == nil {
		s = new(scratch)
	}
	defer a.scratch.Put(s)
	return a.analyze(d, s, nil)
}

// scratch holds the per-call buffers of analyze.
type scratch struct {
	words  []string
	counts map[string]uint32
	forms  []termForm // every kept word with its term, for TermCount.Word
	runes  []int      // byte offsets of a term's runes
	gram   []byte
}

// addGrams counts every run of n runes inside term, when term is longer,
// marked with GramMark.
func (s *scratch) addGrams(term string, n int, weight uint32) {
	s.runes = s.runes[:0]
	for i := range term {
		s.runes = append(s.runes, i)
	}
	if len(s.runes) <= n {
		return
	}
	s.runes = append(s.runes, len(term))
	for i := 0; i+n < len(s.runes); i++ {
		s.gram = append(append(s.gram[:0], GramMark...), term[s.runes[i]:s.runes[i+n]]...)
		s.counts[string(s.gram)] += weight
	}
}

// termForm is a word and the term it became.
type termForm struct{ term, word string }

// analyze does the work of Analyze and Inspect; trace, when not nil, is
// called for every word in order.
func (a *Analyzer) analyze(d Document, s *scratch, trace func(field, word, stem, dropped string)) (Analysis, error) {
	lang, err := CanonicalLang(d.Lang)
	if err != nil {
		return Analysis{}, err
	}
	if !utf8.ValidString(d.Title) {
		return Analysis{}, fmt.Errorf("title: %w", ErrInvalidUTF8)
	}
	if !utf8.ValidString(d.Body) {
		return Analysis{}, fmt.Errorf("body: %w", ErrInvalidUTF8)
	}
	li := findLanguage(lang)
	body := d.Body
	if a.opts.HTML == HTMLAlways || (a.opts.HTML == HTMLAuto && LooksLikeHTML(body)) {
		body = VisibleText(body)
	}
	paras, repeated := DropRepeated(Paragraphs(normalize(body)))

	res := Analysis{Lang: lang, Repeated: repeated}
	if s.counts == nil {
		s.counts = make(map[string]uint32, 256)
	}
	grams := a.opts.Grams
	if grams == 0 {
		grams = languages[li].grams
	}
	add := func(field, text string, weight uint32) {
		s.words = Words(s.words[:0], text)
		for _, w := range s.words {
			stem, why := a.term(li, w)
			if trace != nil {
				trace(field, w, stem, why)
			}
			if why == "" {
				s.counts[stem] += weight
				s.forms = append(s.forms, termForm{stem, w})
				if grams > 0 {
					s.addGrams(stem, grams, weight)
				}
			}
		}
	}
	for _, p := range paras {
		res.Words += WordCount(p)
	}
	tw := a.opts.TitleWeight
	if res.Words < a.opts.ShortBody {
		tw = 1
	}
	add("title", normalize(d.Title), uint32(tw))
	for _, p := range paras {
		add("body", p, 1)
	}
	res.Counts = CountsFromMap(s.counts)
	clear(s.counts)
	s.setWords(res.Counts)
	return res, nil
}

// setWords sets each term's most frequent word in the article (ties to the
// first in byte order) from s.forms, and empties it; Word stays "" when
// that word is the term itself.
func (s *scratch) setWords(c Counts) {
	slices.SortFunc(s.forms, func(a, b termForm) int {
		if x := strings.Compare(a.term, b.term); x != 0 {
			return x
		}
		return strings.Compare(a.word, b.word)
	})
	i := 0
	for ci := range c {
		tc := &c[ci]
		for i < len(s.forms) && s.forms[i].term < tc.Term {
			i++
		}
		best, bestN := "", 0
		for i < len(s.forms) && s.forms[i].term == tc.Term {
			j := i
			for j < len(s.forms) && s.forms[j] == s.forms[i] {
				j++
			}
			if j-i > bestN {
				best, bestN = s.forms[i].word, j-i
			}
			i = j
		}
		if best != tc.Term {
			tc.Word = strings.Clone(best)
		}
	}
	s.forms = s.forms[:0]
}

// term returns the index term for a normalised word, or why the word is
// dropped: "short", "number" or "stop".
func (a *Analyzer) term(li int, w string) (stem, dropped string) {
	l := &languages[li]
	if l.elide != nil {
		w = l.elide(w)
	}
	if a.opts.MinLength > 1 && utf8.RuneCountInString(w) < a.opts.MinLength {
		return "", "short"
	}
	if a.opts.MaxDigits >= 0 && numberDigits(w) > a.opts.MaxDigits {
		return "", "number"
	}
	if !a.opts.KeepStopWords && l.isStop(w, a.opts.StopList) {
		return "", "stop"
	}
	if a.opts.NoStemming {
		return strings.Clone(w), "" // a kept term must not pin the article text
	}
	return a.stem(li, w), ""
}

// stem returns the Snowball stem of a normalised word in the language with
// index li, through the cache when there is one. The stem never shares
// memory with w.
func (a *Analyzer) stem(li int, w string) string {
	if a.stems != nil {
		return a.stems[li].get(w)
	}
	return strings.Clone(languages[li].stem(w, true))
}
