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

// Proto is a weighting the brute-force scorer can compute and the engine
// cannot (yet), on top of the engine's term counts: every field's zero
// value means the engine's way, so the zero Proto gives the engine's
// vectors.
type Proto struct {
	Pairs  float64 // count each pair of adjacent kept words of the body as a term, weighed this much; 0 = none
	Prefix int     // cut every word term to its first Prefix runes; 0 keeps them whole
	TF     string  // "" (the model's), "log" (1 + ln tf), "bm25"
	K1, B  float64 // BM25's saturation and length normalisation (dl = distinct terms, its mean Σdf/N)
	Pivot  float64 // pivoted length normalisation slope: scores are no longer cosines; 0 = cosine
	// MinDFPer, when > 0, prunes terms in fewer than 1 + ⌊N/MinDFPer⌋
	// articles: min_df relative to the collection, fixed at refit.
	MinDFPer int
	// Smooth is the second-order blend: each vector plus SmoothW (0 = 1)
	// times the mean of its Smooth nearest others, normalised, cut to its
	// Truncate largest weights (0 keeps all) and normalised again.
	Smooth   int
	SmoothW  float64
	Truncate int
}

func (p Proto) String() string {
	var b strings.Builder
	if p.Pairs != 0 {
		fmt.Fprintf(&b, " pairs=%g", p.Pairs)
	}
	if p.Prefix != 0 {
		fmt.Fprintf(&b, " prefix=%d", p.Prefix)
	}
	switch p.TF {
	case "bm25":
		fmt.Fprintf(&b, " tf=bm25(k1=%g,b=%g)", p.K1, p.B)
	case "log":
		b.WriteString(" tf=1+ln")
	}
	if p.Pivot != 0 {
		fmt.Fprintf(&b, " pivot=%g", p.Pivot)
	}
	if p.MinDFPer != 0 {
		fmt.Fprintf(&b, " min_df=1+N/%d", p.MinDFPer)
	}
	if p.Smooth != 0 {
		fmt.Fprintf(&b, " second-order=%d×%g", p.Smooth, max(p.SmoothW, 1))
		if p.Truncate != 0 {
			fmt.Fprintf(&b, " top=%d", p.Truncate)
		}
	}
	if b.Len() == 0 {
		return "engine"
	}
	return b.String()[1:]
}

// ProtoSpace returns the space the brute-force scorer ranks c in under the
// analyzer settings of s and the weighting p (the model options of s apply
// where p leaves them): the vectors, or for second-order vectors kept
// whole, their Gram matrix.
func ProtoSpace(ctx context.Context, c *Corpus, s Settings, p Proto) (*Space, error) {
	counts, err := Analyze(ctx, c, s.Analyzer())
	if err != nil {
		return nil, err
	}
	terms := make([]map[string]float64, len(counts))
	for i, cs := range counts {
		m := make(map[string]float64, len(cs))
		for _, tc := range cs {
			t := tc.Term
			if p.Prefix > 0 && !strings.HasPrefix(t, vectorize.GramMark) {
				if r := []rune(t); len(r) > p.Prefix {
					t = string(r[:p.Prefix])
				}
			}
			m[t] += float64(tc.Count)
		}
		terms[i] = m
	}
	if p.Pairs > 0 {
		if err := addPairs(ctx, c, s, p.Pairs, terms); err != nil {
			return nil, err
		}
	}
	vs := p.vectors(terms, s.Options().Model.WithDefaults())
	sp := NewSpace(c, vs)
	if p.Smooth == 0 {
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
	if p.Truncate > 0 {
		return NewSpace(c, blend(vs, nbrs, w, p.Truncate)), nil
	}
	sp.Gram = NewGram(ctx, vs).Blend(nbrs, w)
	// The blend's terms are the union of the article's and its
	// neighbours' terms.
	sp.NNZ, sp.Work = 0, 0
	df := map[uint32]float64{}
	seen := map[uint32]bool{}
	for d, v := range vs {
		clear(seen)
		for _, e := range v {
			seen[e.ID] = true
		}
		for _, nb := range nbrs[d] {
			for _, e := range vs[nb.Doc] {
				seen[e.ID] = true
			}
		}
		sp.NNZ += float64(len(seen))
		for id := range seen {
			df[id]++
		}
	}
	sp.NNZ /= float64(len(vs))
	for _, x := range df {
		sp.Work += x * x
	}
	return sp, nil
}

// addPairs adds to terms every pair of adjacent kept words of each
// article's body, "a b", counted weight times.
func addPairs(ctx context.Context, c *Corpus, s Settings, weight float64, terms []map[string]float64) error {
	o := s.Analyzer()
	o.Grams = -1
	a := vectorize.NewAnalyzer(o)
	for i, art := range c.Articles {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		ins, err := a.Inspect(vectorize.Document{Body: art.Body, Lang: art.Lang}, nil)
		if err != nil {
			return err
		}
		prev := ""
		for _, tok := range ins.Tokens {
			if tok.Term == "" {
				continue
			}
			if prev != "" {
				terms[i][prev+" "+tok.Term] += weight
			}
			prev = tok.Term
		}
	}
	return nil
}

// vectors weighs term counts as the model does (tf, smoothed idf, the gram
// weight), or with BM25's tf, then normalises them, by L2 or pivoted.
func (p Proto) vectors(counts []map[string]float64, o vectorize.ModelOptions) []vectorize.Vector {
	n := len(counts)
	df := map[string]int{}
	for _, c := range counts {
		for term := range c {
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
	minDF := o.MinDF
	if p.MinDFPer > 0 {
		minDF = max(minDF, 1+n/p.MinDFPer)
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
				continue
			}
			var tf float64
			switch {
			case p.TF == "bm25":
				tf = cnt * (p.K1 + 1) / (cnt + p.K1*(1-p.B+p.B*dl/avgdl))
			case p.TF == "log" || (p.TF == "" && o.TF == vectorize.TFSublinear):
				tf = 1 + math.Log(cnt)
			case p.TF == "" && o.TF == vectorize.TFBM25:
				tf = cnt * (o.K1 + 1) / (cnt + o.K1)
			default:
				tf = cnt
			}
			if strings.HasPrefix(term, vectorize.GramMark) {
				tf *= o.GramWeight
			}
			x := tf * vectorize.IDF(n, df[term])
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
	return vs
}

// blend returns each vector plus w times the mean of its neighbours' in
// nbrs, L2-normalised, cut to its top largest weights and normalised again.
func blend(vs []vectorize.Vector, nbrs [][]Neighbor, w float64, top int) []vectorize.Vector {
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
				out[d] = normalized(m, top)
			}
		}()
	}
	wg.Wait()
	return out
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
