package relevance

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/readalike/readalike/vectorize"
)

// Tokens are an article's words as the analyzer keeps them, in order, by
// field: each kept word's term, "" for a dropped one.
type Tokens struct {
	Title, Body []string
	BodyWords   int
}

// Tokenize analyses every article of c with o (the title weight is
// ignored), on every core.
func Tokenize(ctx context.Context, c *Corpus, o vectorize.Options) ([]Tokens, error) {
	o.StemCacheSize = 0
	a := vectorize.NewAnalyzer(o)
	out := make([]Tokens, len(c.Articles))
	errs := make([]error, len(c.Articles))
	var wg sync.WaitGroup
	workers := runtime.GOMAXPROCS(0)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(c.Articles) && ctx.Err() == nil; i += workers {
				art := c.Articles[i]
				ins, err := a.Inspect(vectorize.Document{Title: art.Title, Body: art.Body, Lang: art.Lang}, nil)
				if err != nil {
					errs[i] = fmt.Errorf("analyze %s: %w", art.ID, err)
					continue
				}
				t := Tokens{BodyWords: ins.Words}
				for _, tok := range ins.Tokens {
					if tok.Field == "title" {
						t.Title = append(t.Title, tok.Term)
					} else {
						t.Body = append(t.Body, tok.Term)
					}
				}
				out[i] = t
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Proto is a weighting the brute-force scorer can compute and the engine
// may not (yet): every field's zero value means the engine's way.
type Proto struct {
	TitleWeight int // fixed title weight; 0 = 2
	// TitleShort, when > 0, counts the title once for an article whose
	// body has fewer than TitleShort words.
	TitleShort int
	Bigrams    float64 // count of each pair of adjacent kept terms, relative to a term's; 0 = none
	TF         string  // "log" (default), "raw", "bm25"
	K1, B      float64 // BM25's saturation and length normalisation (dl = distinct terms)
	MinDF      int     // terms in fewer articles weigh nothing
	// MinDFPer, when > 0, is min_df as a function of N: 1 + floor(N/MinDFPer).
	MinDFPer int
	Pivot    float64 // pivoted length normalisation slope; 0 = cosine
	Smooth   int     // second order: blend in the mean of this many nearest neighbours
	SmoothW  float64 // their weight; 0 = 1
	Truncate int     // keep each blended vector's top terms; 0 keeps all
	Prefix   int     // cut every term to its first Prefix runes; 0 keeps them whole
	// Grams, when > 0, also counts every run of Grams runes inside a term
	// longer than Grams, each GramW times.
	Grams   int
	GramW   float64
	GramMin int // only terms of at least this many runes get grams
}

func (p Proto) String() string {
	var b strings.Builder
	if p.TitleWeight != 0 {
		fmt.Fprintf(&b, " title=%d", p.TitleWeight)
	}
	if p.TitleShort != 0 {
		fmt.Fprintf(&b, " title1<%d", p.TitleShort)
	}
	if p.Bigrams != 0 {
		fmt.Fprintf(&b, " pairs=%g", p.Bigrams)
	}
	if p.TF != "" {
		fmt.Fprintf(&b, " tf=%s", p.TF)
		if p.TF == "bm25" {
			fmt.Fprintf(&b, "(k1=%g,b=%g)", p.K1, p.B)
		}
	}
	if p.MinDF != 0 {
		fmt.Fprintf(&b, " min_df=%d", p.MinDF)
	}
	if p.MinDFPer != 0 {
		fmt.Fprintf(&b, " min_df=1+N/%d", p.MinDFPer)
	}
	if p.Pivot != 0 {
		fmt.Fprintf(&b, " pivot=%g", p.Pivot)
	}
	if p.Smooth != 0 {
		fmt.Fprintf(&b, " smooth=%d×%g", p.Smooth, p.SmoothW)
		if p.Truncate != 0 {
			fmt.Fprintf(&b, " top=%d", p.Truncate)
		}
	}
	if p.Prefix != 0 {
		fmt.Fprintf(&b, " prefix=%d", p.Prefix)
	}
	if p.Grams != 0 {
		fmt.Fprintf(&b, " grams=%d×%g", p.Grams, p.GramW)
		if p.GramMin > 0 {
			fmt.Fprintf(&b, "≥%d", p.GramMin)
		}
	}
	if b.Len() == 0 {
		return "engine"
	}
	return b.String()[1:]
}

// counts returns an article's term counts under p, by term.
func (p Proto) counts(t Tokens) map[string]float64 {
	m := map[string]float64{}
	tw := float64(p.TitleWeight)
	if tw == 0 {
		tw = 2
	}
	if p.TitleShort > 0 && t.BodyWords < p.TitleShort {
		tw = 1
	}
	add := func(terms []string, w float64) {
		prev := ""
		for _, term := range terms {
			if term == "" {
				continue
			}
			if p.Prefix > 0 {
				if r := []rune(term); len(r) > p.Prefix {
					term = string(r[:p.Prefix])
				}
			}
			if p.Grams > 0 {
				if r := []rune(term); len(r) > p.Grams && len(r) >= p.GramMin {
					for i := 0; i+p.Grams <= len(r); i++ {
						m["#"+string(r[i:i+p.Grams])] += w * p.GramW
					}
				}
			}
			m[term] += w
			if p.Bigrams > 0 && prev != "" {
				m[prev+" "+term] += w * p.Bigrams
			}
			prev = term
		}
	}
	add(t.Title, tw)
	add(t.Body, 1)
	return m
}

// Vectors weighs the tokenised corpus under p: TF-IDF with the engine's
// smoothed idf, L2-normalised (or pivoted), then second-order blending.
func (p Proto) Vectors(ctx context.Context, toks []Tokens, dedup float64) ([]vectorize.Vector, error) {
	n := len(toks)
	counts := make([]map[string]float64, n)
	df := map[string]int{}
	for i, t := range toks {
		counts[i] = p.counts(t)
		for term := range counts[i] {
			df[term]++
		}
	}
	terms := make([]string, 0, len(df))
	for t := range df {
		terms = append(terms, t)
	}
	slices.Sort(terms)
	ids := make(map[string]uint32, len(terms))
	for i, t := range terms {
		ids[t] = uint32(i)
	}
	minDF := max(p.MinDF, 1)
	if p.MinDFPer > 0 {
		minDF = 1 + n/p.MinDFPer
	}
	var avgdl float64
	for _, c := range df {
		avgdl += float64(c)
	}
	avgdl /= float64(n)
	vs := make([]vectorize.Vector, n)
	raw := make([]float64, n) // L2 norm before normalising
	for i, c := range counts {
		v := make(vectorize.Vector, 0, len(c))
		w := make([]float64, 0, len(c))
		var norm float64
		dl := float64(len(c))
		for term, cnt := range c {
			if df[term] < minDF {
				norm += 0 // a pruned term weighs nothing
				continue
			}
			idf := vectorize.IDF(n, df[term])
			var tf float64
			switch p.TF {
			case "raw":
				tf = cnt
			case "bm25":
				tf = cnt * (p.K1 + 1) / (cnt + p.K1*(1-p.B+p.B*dl/avgdl))
			default:
				tf = 1 + math.Log(cnt)
			}
			x := tf * idf
			v = append(v, vectorize.Entry{ID: ids[term]})
			w = append(w, x)
			norm += x * x
		}
		norm = math.Sqrt(norm)
		raw[i] = norm
		for j := range v {
			v[j].Weight = float32(w[j] / norm)
		}
		slices.SortFunc(v, func(a, b vectorize.Entry) int { return int(a.ID) - int(b.ID) })
		vs[i] = v
	}
	if p.Pivot > 0 {
		var mean float64
		for _, r := range raw {
			mean += r
		}
		mean /= float64(n)
		for i, v := range vs {
			f := float32(raw[i] / ((1-p.Pivot)*mean + p.Pivot*raw[i]))
			for j := range v {
				v[j].Weight *= f
			}
		}
	}
	if p.Smooth > 0 && p.Truncate > 0 {
		return p.blend(ctx, vs)
	}
	return vs, nil
}

// Space returns the space the brute-force scorer ranks c in under p: the
// vectors, or for second-order vectors kept whole, their Gram matrix.
func (p Proto) Space(ctx context.Context, c *Corpus, toks []Tokens, dedup float64) (*Space, error) {
	vs, err := p.Vectors(ctx, toks, dedup)
	if err != nil {
		return nil, err
	}
	sp := NewSpace(c, vs)
	if p.Smooth == 0 || p.Truncate > 0 {
		return sp, nil
	}
	nbrs := make([][]Neighbor, len(vs))
	if err := sp.Nearest(ctx, p.Smooth, 2, func(d int, ns []Neighbor) { nbrs[d] = ns }); err != nil {
		return nil, err
	}
	w := p.SmoothW
	if w == 0 {
		w = 1
	}
	sp.Gram = NewGram(ctx, vs).Blend(nbrs, w)
	return sp, nil
}

// blend returns each vector plus SmoothW times the mean of its Smooth
// nearest others (near-duplicates kept), L2-normalised, truncated to its
// Truncate largest weights and normalised again.
func (p Proto) blend(ctx context.Context, vs []vectorize.Vector) ([]vectorize.Vector, error) {
	sp := &Space{Vectors: vs, rank: make([]int32, len(vs))}
	for i := range sp.rank {
		sp.rank[i] = int32(i)
	}
	nbrs := make([][]Neighbor, len(vs))
	if err := sp.Nearest(ctx, p.Smooth, 2, func(d int, ns []Neighbor) { nbrs[d] = ns }); err != nil {
		return nil, err
	}
	w := p.SmoothW
	if w == 0 {
		w = 1
	}
	out := make([]vectorize.Vector, len(vs))
	var wg sync.WaitGroup
	workers := runtime.GOMAXPROCS(0)
	for k := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m := map[uint32]float64{}
			for d := k; d < len(vs); d += workers {
				clear(m)
				for _, e := range vs[d] {
					m[e.ID] += float64(e.Weight)
				}
				if ns := nbrs[d]; len(ns) > 0 {
					f := w / float64(len(ns))
					for _, nb := range ns {
						for _, e := range vs[nb.Doc] {
							m[e.ID] += f * float64(e.Weight)
						}
					}
				}
				out[d] = normalized(m, p.Truncate)
			}
		}()
	}
	wg.Wait()
	return out, nil
}

// normalized returns the vector of weights m, cut to its top largest
// weights when top > 0 (ties by id), L2-normalised, sorted by id.
func normalized(m map[uint32]float64, top int) vectorize.Vector {
	type iw struct {
		id uint32
		w  float64
	}
	es := make([]iw, 0, len(m))
	for id, w := range m {
		es = append(es, iw{id, w})
	}
	if top > 0 && len(es) > top {
		slices.SortFunc(es, func(a, b iw) int {
			if a.w != b.w {
				if a.w > b.w {
					return -1
				}
				return 1
			}
			return int(a.id) - int(b.id)
		})
		es = es[:top]
	}
	var norm float64
	for _, e := range es {
		norm += e.w * e.w
	}
	norm = math.Sqrt(norm)
	v := make(vectorize.Vector, len(es))
	for i, e := range es {
		v[i] = vectorize.Entry{ID: e.id, Weight: float32(e.w / norm)}
	}
	slices.SortFunc(v, func(a, b vectorize.Entry) int { return int(a.ID) - int(b.ID) })
	return v
}

// Gram is a dense matrix of the cosines of every pair of a corpus's
// vectors, row-major: the brute-force scorer's way to rank second-order
// vectors, whose blends are too dense for an inverted index.
type Gram struct {
	N int
	X []float32
}

// Row returns row i.
func (g *Gram) Row(i int) []float32 { return g.X[i*g.N : (i+1)*g.N] }

// NewGram returns the Gram matrix of vs (dot products, so cosines for
// L2-normalised vectors).
func NewGram(ctx context.Context, vs []vectorize.Vector) *Gram {
	sp := &Space{Vectors: vs}
	post := sp.postings()
	n := len(vs)
	g := &Gram{N: n, X: make([]float32, n*n)}
	parallel(n, func(q int) {
		row := g.Row(q)
		acc := make([]float64, n)
		for _, e := range vs[q] {
			for _, p := range post[e.ID] {
				acc[p.doc] += float64(e.Weight) * float64(p.w)
			}
		}
		for d, x := range acc {
			row[d] = float32(x)
		}
	})
	return g
}

// Blend returns the Gram matrix of the second-order vectors
// u_i = v_i + w·mean_{j∈nbrs[i]} v_j, normalised: B = A·G, then B·Aᵀ, then
// divided by the norms.
func (g *Gram) Blend(nbrs [][]Neighbor, w float64) *Gram {
	n := g.N
	apply := func(src *Gram) *Gram { // out[i][k] = src[i][k] + f Σ_j src[i][j] for j in nbrs[k]... computed by rows
		out := &Gram{N: n, X: make([]float32, n*n)}
		parallel(n, func(i int) {
			dst := out.Row(i)
			copy(dst, src.Row(i))
			if ns := nbrs[i]; len(ns) > 0 {
				f := float32(w / float64(len(ns)))
				for _, nb := range ns {
					for k, x := range src.Row(int(nb.Doc)) {
						dst[k] += f * x
					}
				}
			}
		})
		return out
	}
	// A·G by rows (G is symmetric), then (A·G)·Aᵀ = (A·(A·G)ᵀ)ᵀ; A·G·Aᵀ is
	// symmetric, so applying A to the rows of (A·G)ᵀ = G·Aᵀ gives it.
	b := apply(g)
	b.transpose()
	out := apply(b)
	norms := make([]float64, n)
	for i := range norms {
		norms[i] = math.Sqrt(float64(out.X[i*n+i]))
	}
	parallel(n, func(i int) {
		row := out.Row(i)
		for k := range row {
			row[k] = float32(float64(row[k]) / (norms[i] * norms[k]))
		}
	})
	return out
}

func (g *Gram) transpose() {
	n := g.N
	for i := range n {
		for k := i + 1; k < n; k++ {
			g.X[i*n+k], g.X[k*n+i] = g.X[k*n+i], g.X[i*n+k]
		}
	}
}

// parallel calls f(i) for i in [0, n) on every core.
func parallel(n int, f func(i int)) {
	var wg sync.WaitGroup
	var mu sync.Mutex
	next := 0
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= n {
					return
				}
				f(i)
			}
		}()
	}
	wg.Wait()
}
