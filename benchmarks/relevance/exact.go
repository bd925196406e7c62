package relevance

import (
	"cmp"
	"context"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/readalike/readalike/recommend"
	"github.com/readalike/readalike/vectorize"
)

// Space is a corpus as vectors: what the brute-force scorer ranks. Vectors
// are L2-normalised and sorted by term id, like the engine's, so scores are
// exact cosines.
type Space struct {
	Corpus  *Corpus
	Vectors []vectorize.Vector
	// Gram, when not nil, holds every pair's score instead of Vectors.
	Gram *Gram
	rank []int32 // rank of each article's id in id order, for ties
	// NNZ is the mean number of terms a vector has; Work is Σ df², the
	// postings an exhaustive scoring of every article against all reads:
	// what the engine's speed and memory depend on.
	NNZ, Work float64
}

// NewSpace returns the space of c's articles with vectors vs, in the order of
// c.Articles.
func NewSpace(c *Corpus, vs []vectorize.Vector) *Space {
	order := make([]int32, len(c.Articles))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int { return cmp.Compare(c.Articles[a].ID, c.Articles[b].ID) })
	rank := make([]int32, len(order))
	for r, i := range order {
		rank[i] = int32(r)
	}
	sp := &Space{Corpus: c, Vectors: vs, rank: rank}
	df := map[uint32]float64{}
	for _, v := range vs {
		sp.NNZ += float64(len(v))
		for _, e := range v {
			df[e.ID]++
		}
	}
	sp.NNZ /= float64(max(len(vs), 1))
	for _, x := range df {
		sp.Work += x * x
	}
	return sp
}

// Neighbor is one scored article of a brute-force list, by position in the
// corpus.
type Neighbor struct {
	Doc   int32
	Score float64
}

// posting is one entry of the brute-force inverted index.
type posting struct {
	doc int32
	w   float32
}

// Nearest calls fn for every article with its k nearest others, best first
// (score descending, then id ascending), from several goroutines at once,
// each call with its own slice: the exact cosines, every candidate scored,
// near-duplicates dropped by the engine's rule (a candidate scoring at or
// above dedup against the query, or against a neighbour already kept, is
// left out; dedup > 1 keeps them). Articles sharing no term with the query
// are never neighbours, as in the engine.
func (s *Space) Nearest(ctx context.Context, k int, dedup float64, fn func(doc int, ns []Neighbor)) error {
	var post [][]posting
	n := len(s.Vectors)
	cos := func(a, b int32) float64 { return vectorize.Cosine(s.Vectors[a], s.Vectors[b]) }
	if s.Gram != nil {
		n = s.Gram.N
		cos = func(a, b int32) float64 { return float64(s.Gram.X[int(a)*n+int(b)]) }
	} else {
		post = s.postings()
	}
	var next int64
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			acc := make([]float64, n)
			var touched []int32
			var cands, kept []Neighbor
			for ctx.Err() == nil {
				mu.Lock()
				q := int(next)
				next++
				mu.Unlock()
				if q >= n {
					return
				}
				touched = touched[:0]
				if s.Gram != nil {
					for d, x := range s.Gram.Row(q) {
						acc[d] = float64(x)
						touched = append(touched, int32(d))
					}
				} else {
					for _, e := range s.Vectors[q] {
						for _, p := range post[e.ID] {
							if acc[p.doc] == 0 {
								touched = append(touched, p.doc)
							}
							acc[p.doc] += float64(e.Weight) * float64(p.w)
						}
					}
				}
				cands = cands[:0]
				for _, d := range touched {
					if int(d) != q && acc[d] > 0 {
						cands = append(cands, Neighbor{d, acc[d]})
					}
					acc[d] = 0
				}
				ranked := s.best(cands, 4*k+16, dedup)
				kept = s.keep(kept[:0], ranked, k, dedup, cos)
				if len(kept) < k && len(ranked) < len(cands) {
					kept = s.keep(kept[:0], s.best(cands, len(cands), dedup), k, dedup, cos)
				}
				fn(q, slices.Clone(kept))
			}
		}()
	}
	wg.Wait()
	return ctx.Err()
}

// keep appends to kept the first k of ranked that the near-duplicate rule
// leaves in, and returns it.
func (s *Space) keep(kept, ranked []Neighbor, k int, dedup float64, cos func(a, b int32) float64) []Neighbor {
	for _, c := range ranked {
		if len(kept) == k {
			break
		}
		if c.Score >= dedup {
			continue
		}
		dup := false
		for _, o := range kept {
			if dedup <= 1 && cos(c.Doc, o.Doc) >= dedup {
				dup = true
				break
			}
		}
		if !dup {
			kept = append(kept, c)
		}
	}
	return kept
}

// best returns the candidates in rank order, or only the best l of them
// when the near-duplicate rule drops few enough of those to leave l/4.
func (s *Space) best(cands []Neighbor, l int, dedup float64) []Neighbor {
	order := func(a, b Neighbor) int {
		if a.Score != b.Score {
			return cmp.Compare(b.Score, a.Score)
		}
		return cmp.Compare(s.rank[a.Doc], s.rank[b.Doc])
	}
	if len(cands) <= l {
		slices.SortFunc(cands, order)
		return cands
	}
	// Partial selection: keep the best l in a sorted buffer.
	buf := make([]Neighbor, 0, l)
	for _, c := range cands {
		if len(buf) == l && order(c, buf[l-1]) >= 0 {
			continue
		}
		i, _ := slices.BinarySearchFunc(buf, c, order)
		if len(buf) < l {
			buf = append(buf, Neighbor{})
		}
		copy(buf[i+1:], buf[i:len(buf)-1])
		buf[i] = c
	}
	dups := 0
	for _, c := range buf {
		if c.Score >= dedup {
			dups++
		}
	}
	if l-dups < l/2 { // many near-duplicates of the query: rank them all
		slices.SortFunc(cands, order)
		return cands
	}
	return buf
}

// postings returns the inverted index of the space's vectors, by term id.
func (s *Space) postings() [][]posting {
	size := 0
	for _, v := range s.Vectors {
		if len(v) > 0 {
			size = max(size, int(v[len(v)-1].ID)+1)
		}
	}
	post := make([][]posting, size)
	for d, v := range s.Vectors {
		for _, e := range v {
			post[e.ID] = append(post[e.ID], posting{int32(d), e.Weight})
		}
	}
	return post
}

// Score runs Nearest with K neighbours and the dedup threshold and scores
// the lists against the articles' categories.
func (s *Space) Score(ctx context.Context, dedup float64) (Metrics, error) {
	lists := make([][]Neighbor, len(s.rank))
	err := s.Nearest(ctx, K, dedup, func(doc int, ns []Neighbor) { lists[doc] = ns })
	if err != nil {
		return Metrics{}, err
	}
	sc := newScorer(s.Corpus)
	var ms []recommend.Neighbor
	for d, ns := range lists {
		ms = ms[:0]
		for _, nb := range ns {
			ms = append(ms, recommend.Neighbor{ID: s.Corpus.Articles[nb.Doc].ID, Score: nb.Score})
		}
		if err := sc.add(s.Corpus.Articles[d].ID, ms); err != nil {
			return Metrics{}, err
		}
	}
	return sc.metrics()
}

// Analyze returns the term counts of every article of c under the analyzer
// options o, on every core.
func Analyze(ctx context.Context, c *Corpus, o vectorize.Options) ([]vectorize.Counts, error) {
	a := vectorize.NewAnalyzer(o)
	out := make([]vectorize.Counts, len(c.Articles))
	errs := make([]error, len(c.Articles))
	parallel(len(c.Articles), func(i int) {
		if ctx.Err() != nil {
			return
		}
		art := c.Articles[i]
		an, err := a.Analyze(vectorize.Document{Title: art.Title, Body: art.Body, Lang: art.Lang})
		out[i], errs[i] = an.Counts, err
	})
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("analyze %s: %w", c.Articles[i].ID, err)
		}
	}
	return out, nil
}

// EngineVectors returns the vectors the engine's index holds for counts
// after a refit under model options o: a model fitted on all of them, each
// article's vector from it.
func EngineVectors(counts []vectorize.Counts, o vectorize.ModelOptions) []vectorize.Vector {
	m := vectorize.Fit(counts, o)
	vs := make([]vectorize.Vector, len(counts))
	for i, c := range counts {
		vs[i] = m.IndexVector(c)
	}
	return vs
}

// RunExact evaluates every setting on c with the brute-force scorer instead
// of the engine: the engine's analyzer and model, every candidate scored
// exactly, the engine's near-duplicate rule. It gives the engine's
// figures (a test checks that) without a store, so a grid of settings
// runs quickly; Result has no NoDedup, Collapsed or postings figures, and
// Wall is the whole evaluation. each is called in the order of settings.
func RunExact(ctx context.Context, c *Corpus, settings []Settings, each func(Result) error) error {
	// Settings often give the same counts (a title weight on a corpus
	// without titles) or the same vectors (a gram weight where there are
	// no grams): each distinct run is scored once.
	type run struct {
		counts int // index into distinct
		model  vectorize.ModelOptions
		dedup  float64
	}
	var distinct [][]vectorize.Counts
	byKey := map[string]int{}
	done := map[run]Metrics{}
	for _, s := range settings {
		if err := s.Validate(); err != nil {
			return err
		}
		start := time.Now()
		key := s.analyzerKey()
		ci, ok := byKey[key]
		if !ok {
			cs, err := Analyze(ctx, c, s.Analyzer())
			if err != nil {
				return err
			}
			ci = slices.IndexFunc(distinct, func(d []vectorize.Counts) bool { return sameCounts(d, cs) })
			if ci < 0 {
				ci = len(distinct)
				distinct = append(distinct, cs)
			}
			byKey[key] = ci
		}
		r := run{ci, s.Options().Model.WithDefaults(), s.Dedup}
		if !hasGrams(distinct[ci]) {
			r.model.GramWeight = 0
		}
		m, ok := done[r]
		if !ok {
			var err error
			m, err = NewSpace(c, EngineVectors(distinct[ci], s.Options().Model)).Score(ctx, s.Dedup)
			if err != nil {
				return err
			}
			done[r] = m
		}
		res := Result{Corpus: c.Name, Lang: c.Lang(), Settings: s, Articles: len(c.Articles), Metrics: m, Wall: time.Since(start)}
		if err := each(res); err != nil {
			return err
		}
	}
	return nil
}

func sameCounts(a, b []vectorize.Counts) bool {
	return slices.EqualFunc(a, b, func(x, y vectorize.Counts) bool { return slices.Equal(x, y) })
}

func hasGrams(cs []vectorize.Counts) bool {
	for _, c := range cs {
		for _, tc := range c {
			if strings.HasPrefix(tc.Term, vectorize.GramMark) {
				return true
			}
		}
	}
	return false
}
