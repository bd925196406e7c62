package corpus

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
)

// The word lists are constants so that the package holds no mutable state;
// buildVocab splits them.
const (
	// stopText holds real English function words. Duplicates are dropped,
	// leaving 162 (the same list as the Python peer generator).
	stopText = "the of and to a in that is was he for it with as his on be at by i this had not are but from or " +
		"have an they which one you were her all she there would their we him been has when who will more no " +
		"if out so said what up its about into than them can only other new some could time these two may then " +
		"do first any my now such like our over man me even most made after also did many before must through " +
		"back years where much your way well down should because each just those people how too little state " +
		"good very make world still own see men work long get here between both life being under never day same " +
		"another know while last might us great old year off come since against go came right used take three " +
		"however during without again around although very upon per whether while yet among within toward"

	onsetText = "b c d f g h k l m n p r s t v w b c d f g h l m n p r s t w j y z bl br ch cl cr dr fl fr gr pl pr " +
		"sh sl sp st th tr"
	onsetEmpty = 6 // extra empty onsets: syllables that start with a vowel
	vowelText  = "a e i o u a e i o u a e o ai ea ee ou oa"
	codaText   = "n r l s t m n r nd nt st rk ck ng rt"
	codaEmpty  = 7

	// familyText lists the suffix families a stem takes, one per ';'; the
	// bare stem always comes first. pickFamily holds their frequencies.
	familyText = "s;s ed ing;s ed ing er ers;ly ness;tion tions tive;ment ments;al ally ity;ic ics ical;" +
		"ous ously;able ably;ist ists ism;"
)

// syllables draws pseudo-English syllables.
type syllables struct {
	onsets, vowels, codas []string
}

func newSyllables() syllables {
	return syllables{
		onsets: append(strings.Fields(onsetText), make([]string, onsetEmpty)...),
		vowels: strings.Fields(vowelText),
		codas:  append(make([]string, codaEmpty), strings.Fields(codaText)...),
	}
}

func (s *syllables) word(r *rand.Rand, n int, buf []byte) []byte {
	buf = buf[:0]
	for range n {
		buf = append(buf, s.onsets[r.IntN(len(s.onsets))]...)
		buf = append(buf, s.vowels[r.IntN(len(s.vowels))]...)
		buf = append(buf, s.codas[r.IntN(len(s.codas))]...)
	}
	return buf
}

// vocabulary is the ranked word list: stop words at ranks [0, nStop),
// common words (stems and their suffixed forms) at [nStop, nCommon), and
// capitalised named entities at [nCommon, len(words)).
type vocabulary struct {
	words          []string
	nStop, nCommon int

	// The same words for the hot loop, which is bound by cache misses:
	// word i is text[starts[i]:starts[i+1]], all in rank order.
	text   string
	starts []uint32
}

// word returns the word of rank i.
func (v *vocabulary) word(i int) string {
	return v.text[v.starts[i]:v.starts[i+1]]
}

// pack fills text and starts from words.
func (v *vocabulary) pack() {
	v.text = strings.Join(v.words, "")
	v.starts = make([]uint32, 0, len(v.words)+1)
	off := 0
	for _, w := range v.words {
		v.starts = append(v.starts, uint32(off))
		off += len(w)
	}
	v.starts = append(v.starts, uint32(off))
}

// buildVocab draws n word forms in rank order.
func buildVocab(r *rand.Rand, n int) vocabulary {
	stops := dedup(strings.Fields(stopText))
	seen := make(map[string]bool, n)
	forms := make([]string, 0, n)
	for _, w := range stops {
		seen[w] = true
		forms = append(forms, w)
	}
	nStop := len(forms)
	nEntities := max(1000, n/16)
	nCommon := n - nEntities

	var families [][]string
	for f := range strings.SplitSeq(familyText, ";") {
		families = append(families, append([]string{""}, strings.Fields(f)...))
	}
	syl := newSyllables()
	var buf []byte
	// Common words: a stem and its family's forms, which get nearby ranks.
	for len(forms) < nCommon {
		nsyl := 1
		switch u := r.Float64(); {
		case u >= 0.90:
			nsyl = 3
		case u >= 0.45:
			nsyl = 2
		}
		buf = syl.word(r, nsyl, buf)
		if len(buf) < 3 || seen[string(buf)] {
			continue
		}
		stem := string(buf)
		for _, suf := range families[pickFamily(r)] {
			w := stem + suf
			if !seen[w] && len(forms) < nCommon {
				seen[w] = true
				forms = append(forms, w)
			}
		}
	}
	// Named entities, at the rare end.
	for len(forms) < n {
		buf = syl.word(r, 2+r.IntN(2), buf)
		if seen[string(buf)] {
			continue
		}
		buf[0] -= 'a' - 'A'
		w := string(buf)
		if seen[w] {
			continue
		}
		seen[w] = true
		forms = append(forms, w)
	}

	// Shuffle the common block locally (noise grows with rank) so that a
	// family's forms are near each other in rank but not all adjacent.
	type keyed struct {
		key float64
		i   int
	}
	ks := make([]keyed, 0, nCommon-nStop)
	for i := nStop; i < nCommon; i++ {
		ks = append(ks, keyed{float64(i) + r.Float64()*(float64(i)*0.5+50), i})
	}
	slices.SortFunc(ks, func(a, b keyed) int {
		if a.key != b.key {
			if a.key < b.key {
				return -1
			}
			return 1
		}
		return a.i - b.i
	})
	words := make([]string, 0, n)
	words = append(words, forms[:nStop]...)
	for _, k := range ks {
		words = append(words, forms[k.i])
	}
	words = append(words, forms[nCommon:]...)
	v := vocabulary{words: words, nStop: nStop, nCommon: nCommon}
	v.pack()
	return v
}

// dedup drops repeated strings, keeping first occurrences in order.
func dedup(ws []string) []string {
	seen := make(map[string]bool, len(ws))
	out := ws[:0]
	for _, w := range ws {
		if !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	return out
}

// pickFamily draws the index of a suffix family of familyText.
func pickFamily(r *rand.Rand) int {
	familyWeights := [...]int{18, 16, 10, 6, 7, 6, 5, 4, 4, 3, 3, 18} // in %
	u := r.IntN(100)
	for i, w := range familyWeights {
		if u < w {
			return i
		}
		u -= w
	}
	return len(familyWeights) - 1
}

// backgroundWeights is the Zipf-Mandelbrot background distribution over the
// ranked vocabulary: function words boosted to about 64% of background mass
// (about 40% of body tokens once topic and story words are mixed in), named
// entities damped.
func backgroundWeights(v vocabulary) []float64 {
	w := zipf(len(v.words), 2.7, 1.0)
	for i := range v.nStop {
		w[i] *= 2.6
	}
	for i := v.nCommon; i < len(w); i++ {
		w[i] *= 0.15
	}
	return w
}

// buildTopics draws nTopics lists of perTopic distinct content words from
// the mid-frequency ranks [nStop+50, nCommon), biased to the frequent end, in
// random order (the order sets each word's weight in the topic's Zipf
// profile). The result is flat: topic t is out[t*perTopic:(t+1)*perTopic].
func buildTopics(r *rand.Rand, v vocabulary, nTopics, perTopic int) []int32 {
	lo, hi := v.nStop+50, v.nCommon
	out := make([]int32, 0, nTopics*perTopic)
	mark := make([]int32, len(v.words)) // mark[w] == t+1: w already drawn for topic t
	cand := make([]int32, 0, 2*perTopic)
	for t := range nTopics {
		cand = cand[:0]
		add := func(w int) {
			if mark[w] != int32(t+1) {
				mark[w] = int32(t + 1)
				cand = append(cand, int32(w))
			}
		}
		for range 2 * perTopic {
			add(lo + int(float64(hi-lo)*math.Pow(r.Float64(), 1.7)))
		}
		r.Shuffle(len(cand), func(i, j int) { cand[i], cand[j] = cand[j], cand[i] })
		for len(cand) < perTopic {
			add(lo + r.IntN(hi-lo))
		}
		out = append(out, cand[:perTopic]...)
	}
	return out
}
