package vectorize

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
)

// TF says how a term's count in an article becomes its tf factor.
type TF int

const (
	TFDefault   TF = iota // DefaultTF
	TFRaw                 // the count itself
	TFSublinear           // 1 + ln(count)
	// TFBM25 is BM25's saturation without length normalisation:
	// count·(k1+1)/(count+k1), k1 = ModelOptions.K1. 1 for a count of 1,
	// like the others, and never above k1+1.
	TFBM25
)

func (t TF) String() string {
	switch t {
	case TFDefault:
		return DefaultTF.String()
	case TFRaw:
		return "raw"
	case TFSublinear:
		return "sublinear"
	case TFBM25:
		return "bm25"
	}
	return fmt.Sprintf("TF(%d)", int(t))
}

// Defaults of ModelOptions, used where a field is zero, chosen on the
// quality benchmark over eleven corpora (benchmarks/quality; the tables are
// in README.md, Relevance). A saturating tf beats raw counts by 0.03 to
// 0.04 on long texts. BM25's saturation (TFBM25, k1 = 1.6) puts BBC News
// and AG News above their textbook baselines (+0.005 each over 1 + ln tf)
// for a mean over the eleven within 0.0005. Pruning by df gained nothing on
// the mean, absolute or relative to N, and would cost freshness: with
// min_df 2 a new article's unseen terms weigh nothing until a refit, and
// max_df on a small or young collection drops most of its terms.
const (
	DefaultTF    = TFBM25
	DefaultMinDF = 1 // keep every term
	DefaultMaxDF = 1 // keep every term
	// DefaultGramWeight: a character n-gram term (Options.Grams) weighs
	// this share of what a word term with the same tf and idf weighs.
	DefaultGramWeight = 0.7
	// DefaultK1 is the saturation of TFBM25: a term's tf never exceeds
	// k1 + 1.
	DefaultK1 = 1.6
)

// ModelOptions configure how term counts are weighted. The zero value gives
// the defaults above.
type ModelOptions struct {
	TF    TF      // 0 = DefaultTF
	MinDF int     // terms in fewer articles are dropped; 0 = DefaultMinDF, 1 keeps all
	MaxDF float64 // terms in more than this share of articles are dropped; 0 = DefaultMaxDF, 1 keeps all
	// GramWeight multiplies the tf-idf of a character n-gram term (one
	// starting with GramMark); 0 = DefaultGramWeight.
	GramWeight float64
	K1         float64 // TFBM25's saturation; 0 = DefaultK1
}

// WithDefaults returns o with every zero field set to its default.
func (o ModelOptions) WithDefaults() ModelOptions {
	if o.TF == TFDefault {
		o.TF = DefaultTF
	}
	if o.MinDF == 0 {
		o.MinDF = DefaultMinDF
	}
	if o.MaxDF == 0 {
		o.MaxDF = DefaultMaxDF
	}
	if o.GramWeight == 0 {
		o.GramWeight = DefaultGramWeight
	}
	if o.K1 == 0 {
		o.K1 = DefaultK1
	}
	return o
}

// String states the options, defaults filled in, for records of which
// settings a model used.
func (o ModelOptions) String() string {
	o = o.WithDefaults()
	tf := o.TF.String()
	if o.TF == TFBM25 {
		tf += fmt.Sprintf("(k1=%g)", o.K1)
	}
	return fmt.Sprintf("tf=%s min_df=%d max_df=%g gram_weight=%g", tf, o.MinDF, o.MaxDF, o.GramWeight)
}

// Validate reports an option out of range.
func (o ModelOptions) Validate() error {
	if o.TF < TFDefault || o.TF > TFBM25 {
		return fmt.Errorf("tf must be raw, sublinear or bm25, got %v", o.TF)
	}
	if o.K1 < 0 || math.IsNaN(o.K1) || math.IsInf(o.K1, 0) {
		return fmt.Errorf("k1 must be 0 or more, got %g", o.K1)
	}
	if o.MinDF < 0 {
		return fmt.Errorf("min_df must be at least 0, got %d", o.MinDF)
	}
	if o.MaxDF < 0 || o.MaxDF > 1 || math.IsNaN(o.MaxDF) {
		return fmt.Errorf("max_df must be a share from 0 to 1, got %g", o.MaxDF)
	}
	if o.GramWeight < 0 || math.IsNaN(o.GramWeight) || math.IsInf(o.GramWeight, 0) {
		return fmt.Errorf("gram_weight must be a weight of 0 or more, got %g", o.GramWeight)
	}
	return nil
}

// Entry is one term of a vector: its dictionary id and weight.
type Entry struct {
	ID     uint32
	Weight float32
}

// Vector is a sparse L2-normalised TF-IDF vector, sorted by term id.
type Vector []Entry

// Model weights term counts into TF-IDF vectors with an idf table frozen at
// fit time: idf(t) = ln((1+N)/(1+df(t))) + 1, w = tf * idf (times
// GramWeight for a character n-gram term), then the vector is divided by
// its L2 norm. A term the table lacks is weighted as if its df
// were 1. A Model is immutable and safe for concurrent use; its Dictionary
// may grow.
type Model struct {
	opts ModelOptions
	dict *Dictionary
	n    int
	df   []uint32  // by term id, at fit time
	idf  []float64 // by term id; 0 for a pruned term, -1 for a term the table lacks
	// unseen is the idf of a term the table lacks (df = 1), or 0 when
	// MinDF prunes such a term.
	unseen float64
}

// NewModel returns the model of a collection of n articles in which term t
// occurs in df[t] of them. Terms get ids from dict, which the model keeps.
func NewModel(dict *Dictionary, n int, df map[string]uint32, opts ModelOptions) *Model {
	m := &Model{opts: opts.WithDefaults(), dict: dict, n: n}
	// New terms get ids in term order, not map order, so two processes
	// loading the same store number terms alike and sum a cosine's
	// products in the same order: their scores agree to the last bit.
	terms := slices.Sorted(maps.Keys(df))
	ids := make([]uint32, 0, len(df))
	dfs := make([]uint32, 0, len(df))
	size := 0
	for _, t := range terms {
		id := dict.Add(t)
		ids = append(ids, id)
		dfs = append(dfs, df[t])
		size = max(size, int(id)+1)
	}
	m.df = make([]uint32, size)
	m.idf = make([]float64, size)
	for i := range m.idf {
		m.idf[i] = -1
	}
	for i, id := range ids {
		m.df[id] = dfs[i]
		m.idf[id] = m.termIDF(dfs[i])
	}
	m.unseen = m.termIDF(1)
	return m
}

// Fit returns the model of the given collection, with a new dictionary.
func Fit(docs []Counts, opts ModelOptions) *Model {
	df := make(map[string]uint32)
	for _, c := range docs {
		for _, tc := range c {
			df[tc.Term]++
		}
	}
	return NewModel(NewDictionary(), len(docs), df, opts)
}

// termIDF is the idf of a term found in df articles, or 0 when pruning
// drops it.
func (m *Model) termIDF(df uint32) float64 {
	if df == 0 {
		return -1
	}
	if m.opts.MinDF > 1 && int(df) < m.opts.MinDF {
		return 0
	}
	if m.opts.MaxDF < 1 && float64(df) > m.opts.MaxDF*float64(m.n) {
		return 0
	}
	return IDF(m.n, int(df))
}

// IDF is the smoothed inverse document frequency of a term found in df of n
// articles: ln((1+n)/(1+df)) + 1.
func IDF(n, df int) float64 {
	return math.Log(float64(1+n)/float64(1+df)) + 1
}

// N returns the number of articles the model was fitted on.
func (m *Model) N() int { return m.n }

// Options returns the model's options, defaults filled in.
func (m *Model) Options() ModelOptions { return m.opts }

// Dictionary returns the dictionary the model's term ids come from.
func (m *Model) Dictionary() *Dictionary { return m.dict }

// TermIDF returns the idf the model gives the term with that id and its df
// at fit time (0 when the table lacks it). The idf is 0 for a pruned term.
func (m *Model) TermIDF(id uint32) (idf float64, df uint32) {
	if int(id) < len(m.idf) && m.idf[id] >= 0 {
		return m.idf[id], m.df[id]
	}
	return m.unseen, 0
}

// termTF returns the tf factor of a term with the given count: TF, times
// GramWeight for a character n-gram term.
func (m *Model) termTF(term string, count uint32) float64 {
	tf := m.TF(count)
	if strings.HasPrefix(term, GramMark) {
		tf *= m.opts.GramWeight
	}
	return tf
}

// TF returns the term-frequency factor of a count.
func (m *Model) TF(count uint32) float64 {
	c := float64(count)
	switch {
	case count == 0:
		return 0
	case m.opts.TF == TFSublinear:
		return 1 + math.Log(c)
	case m.opts.TF == TFBM25:
		return c * (m.opts.K1 + 1) / (c + m.opts.K1)
	}
	return c
}

// Weights64 returns the L2-normalised weights of c in float64, in the order
// of c, for inspection and for checking the float32 path. Terms the
// dictionary lacks are weighted as unseen; none is added.
func (m *Model) Weights64(c Counts) []float64 {
	w := make([]float64, len(c))
	var norm float64
	for i, tc := range c {
		id, ok := m.dict.ID(tc.Term)
		idf := m.unseen
		if ok {
			idf, _ = m.TermIDF(id)
		}
		w[i] = m.termTF(tc.Term, tc.Count) * idf
		norm += w[i] * w[i]
	}
	if norm > 0 {
		norm = math.Sqrt(norm)
		for i := range w {
			w[i] /= norm
		}
	}
	return w
}

// IndexVector returns the vector of an article that joins the collection,
// with term counts c: terms the dictionary lacks are added to it, so that
// the index can hold them. For a text that is only searched with, use
// QueryVector, which leaves the dictionary alone.
func (m *Model) IndexVector(c Counts) Vector {
	ids := m.dict.AddAll(make([]uint32, 0, len(c)), c)
	return m.weigh(ids, c, nil)
}

// QueryVector returns the vector of a text that is not in the collection.
// The dictionary is left alone: a term it lacks matches no article, but still
// counts in the norm, so scores are the cosines an article with that text
// would get.
func (m *Model) QueryVector(c Counts) Vector {
	ids := make([]uint32, len(c))
	known := make([]bool, len(c))
	for i, tc := range c {
		ids[i], known[i] = m.dict.ID(tc.Term)
	}
	return m.weigh(ids, c, known)
}

// weigh computes the vector of c whose term ids are ids; when known is not
// nil, terms with known[i] false count in the norm and are left out.
func (m *Model) weigh(ids []uint32, c Counts, known []bool) Vector {
	v := make(Vector, 0, len(c))
	var norm float64
	w := make([]float64, len(c))
	for i, tc := range c {
		idf := m.unseen
		if known == nil || known[i] {
			idf, _ = m.TermIDF(ids[i])
		}
		w[i] = m.termTF(tc.Term, tc.Count) * idf
		norm += w[i] * w[i]
	}
	if norm == 0 {
		return v
	}
	norm = math.Sqrt(norm)
	for i := range c {
		if w[i] == 0 || (known != nil && !known[i]) {
			continue
		}
		v = append(v, Entry{ID: ids[i], Weight: float32(w[i] / norm)})
	}
	slices.SortFunc(v, func(a, b Entry) int { return int(a.ID) - int(b.ID) })
	return v
}

// Cosine returns the cosine similarity of two vectors: the dot product of
// their weights over shared terms, computed by merging the sorted entries.
func Cosine(a, b Vector) float64 {
	var s float64
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i].ID < b[j].ID:
			i++
		case a[i].ID > b[j].ID:
			j++
		default:
			s += float64(a[i].Weight) * float64(b[j].Weight)
			i++
			j++
		}
	}
	return s
}
