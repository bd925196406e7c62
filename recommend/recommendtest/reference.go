// Package recommendtest holds what the tests of every package check the
// engine with: the brute-force reference scorer that every fast path is
// held to, a random corpus generator, and the conformance suite that every
// recommend.Store runs. It is for tests; nothing else imports it.
package recommendtest

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/readalike/readalike/recommend"
	"github.com/readalike/readalike/vectorize"
)

// Vec is a vector of the reference: term -> float64 weight.
type Vec map[string]float64

// Dot returns the dot product of two vectors.
func Dot(a, b Vec) float64 {
	if len(b) < len(a) {
		a, b = b, a
	}
	var s float64
	for t, w := range a {
		s += w * b[t]
	}
	return s
}

// Reference answers queries by scoring every article: float64 TF-IDF
// weights from the term counts and a generation's idf table, exactly as
// DESIGN.md states the model, and the cosine with every article; then the
// rules of a query (filters, minimum score, near-duplicates left out, one
// story once) applied in their plainest form. It is not safe for
// concurrent use.
type Reference struct {
	N        int                    // articles of the generation's table
	DF       map[string]uint32      // its document frequencies; a term it lacks weighs as df 1
	Model    vectorize.ModelOptions // the tf, k1 and gram weight; zero fields mean the defaults
	Dedup    float64                // the near-duplicate threshold; 0 means recommend.DefaultDedup
	Articles map[string]recommend.Article
	Vecs     map[string]Vec
	MaxReads uint64 // the most reads of an article, for popularity
}

// NewReference returns a reference with no articles, weighting with the
// table of gen under model options mo, leaving out near-duplicates at
// dedup (0: recommend.DefaultDedup).
func NewReference(gen recommend.Generation, mo vectorize.ModelOptions, dedup float64) *Reference {
	return &Reference{N: gen.N, DF: gen.DF, Model: mo, Dedup: dedup,
		Articles: map[string]recommend.Article{}, Vecs: map[string]Vec{}}
}

// FromStore returns a reference holding every article of s, weighted with
// the generation s holds, as an engine with options o scores them.
func FromStore(ctx context.Context, s recommend.Store, o recommend.Options) (*Reference, error) {
	gen, err := s.Generation(ctx)
	if err != nil {
		return nil, err
	}
	r := NewReference(gen, o.Model, o.Dedup)
	err = s.Scan(ctx, false, func(a *recommend.Article, c vectorize.Counts) error {
		r.Add(*a, c)
		return nil
	})
	return r, err
}

// Fit returns a reference over articles analysed with an, with the idf
// table fitted on them, as a refit would.
func Fit(an *vectorize.Analyzer, mo vectorize.ModelOptions, dedup float64, arts []recommend.Article) (*Reference, error) {
	counts := make([]vectorize.Counts, len(arts))
	gen := recommend.Generation{N: len(arts), DF: map[string]uint32{}}
	for i, a := range arts {
		res, err := an.Analyze(vectorize.Document{Title: a.Title, Body: a.Body, Lang: a.Lang})
		if err != nil {
			return nil, fmt.Errorf("analyze %s: %w", a.ID, err)
		}
		counts[i] = res.Counts
		for _, tc := range res.Counts {
			gen.DF[tc.Term]++
		}
	}
	r := NewReference(gen, mo, dedup)
	for i, a := range arts {
		r.Add(a, counts[i])
	}
	return r, nil
}

// Add adds an article with its term counts, replacing any with its id.
func (r *Reference) Add(a recommend.Article, c vectorize.Counts) {
	r.Articles[a.ID] = a
	r.Vecs[a.ID] = r.Weigh(c)
	r.MaxReads = max(r.MaxReads, a.ReadCount)
}

// Weigh returns the L2-normalised TF-IDF vector of term counts.
func (r *Reference) Weigh(c vectorize.Counts) Vec {
	w := Vec{}
	var norm float64
	for _, tc := range c {
		df := r.DF[tc.Term]
		if df == 0 {
			df = 1 // a term the table lacks
		}
		w[tc.Term] = r.tf(tc) * (math.Log(float64(1+r.N)/float64(1+int(df))) + 1)
		norm += w[tc.Term] * w[tc.Term]
	}
	for t := range w {
		w[t] /= math.Sqrt(norm)
	}
	return w
}

// tf is the tf factor of a term count as DESIGN.md and README state it:
// the count, 1 + ln count, or count·(k1+1)/(count+k1); a character n-gram
// term's times the gram weight.
func (r *Reference) tf(tc vectorize.TermCount) float64 {
	mo := r.Model.WithDefaults()
	c := float64(tc.Count)
	var tf float64
	switch mo.TF {
	case vectorize.TFSublinear:
		tf = 1 + math.Log(c)
	case vectorize.TFBM25:
		tf = c * (mo.K1 + 1) / (c + mo.K1)
	default:
		tf = c
	}
	if strings.HasPrefix(tc.Term, vectorize.GramMark) {
		tf *= mo.GramWeight
	}
	return tf
}

// Text returns the vector of a text that is not in the collection: terms
// no article has still count in its norm, and match nothing.
func (r *Reference) Text(an *vectorize.Analyzer, t recommend.Text) (Vec, error) {
	res, err := an.Analyze(vectorize.Document{Title: t.Title, Body: t.Body, Lang: t.Lang})
	if err != nil {
		return nil, err
	}
	return r.Weigh(res.Counts), nil
}

// History returns the normalised sum of the vectors of the ids the
// reference holds; others are ignored.
func (r *Reference) History(ids []string) Vec {
	sum := Vec{}
	for _, id := range ids {
		for t, w := range r.Vecs[id] {
			sum[t] += w
		}
	}
	var norm float64
	for _, w := range sum {
		norm += w * w
	}
	for t := range sum {
		sum[t] /= math.Sqrt(norm)
	}
	return sum
}

// Similar answers q for the query vector v, never returning the ids in
// skip (the query article, the history read).
func (r *Reference) Similar(v Vec, q recommend.Query, skip ...string) []recommend.Neighbor {
	return r.similar(v, q, "", skip)
}

// similar is Similar, with fillCat the category Query.Fill fills from.
func (r *Reference) similar(v Vec, q recommend.Query, fillCat string, skip []string) []recommend.Neighbor {
	dedup := r.Dedup
	if dedup == 0 {
		dedup = recommend.DefaultDedup
	}
	if q.NoDedup {
		dedup = math.Inf(1)
	}
	var out []recommend.Neighbor
	for id, a := range r.Articles {
		if slices.Contains(skip, id) || slices.Contains(q.Exclude, id) ||
			len(q.Categories) > 0 && !slices.Contains(q.Categories, a.Category) ||
			!q.From.IsZero() && (a.Published.IsZero() || a.Published.Before(q.From)) ||
			!q.To.IsZero() && (a.Published.IsZero() || a.Published.After(q.To)) {
			continue
		}
		s := Dot(v, r.Vecs[id])
		if s <= 0 || s < q.MinScore {
			continue
		}
		out = append(out, recommend.Neighbor{ID: id, Title: a.Title, Score: s, URL: a.URL, Category: a.Category, Published: a.Published})
	}
	// Score descending, then id. Scores closer than 1e-12 tie: articles
	// whose exact scores are equal (copies of one text) come out of the
	// float64 sums, added in map order, a rounding apart.
	slices.SortFunc(out, func(a, b recommend.Neighbor) int {
		if math.Abs(a.Score-b.Score) > 1e-12 {
			if a.Score > b.Score {
				return -1
			}
			return 1
		}
		return strings.Compare(a.ID, b.ID)
	})
	k := q.K
	if k == 0 {
		k = recommend.DefaultK
	}
	if !reranks(q) {
		if math.IsInf(dedup, 1) {
			return out[:min(k, len(out))]
		}
		// Near-duplicates of the query are left out, and so is one of a
		// better neighbor kept (one story is offered once), among the best
		// k+DedupWindow.
		return r.keep(out[:min(k+recommend.DedupWindow, len(out))], dedup, k)
	}
	kept := out[:min(k+recommend.DedupWindow, len(out))]
	if !math.IsInf(dedup, 1) {
		kept = r.keep(kept, dedup, len(kept))
	}
	ranked := r.Rank(kept, q)
	if q.Fill && len(ranked) < k && len(q.Categories) == 0 && fillCat != "" {
		ranked = r.fill(v, ranked, q, fillCat, dedup, skip)
	}
	return ranked
}

// keep applies the near-duplicate rules to best-first neighbors, keeping
// at most k: one scoring dedup or more with the query, or with a better
// one kept, is left out.
func (r *Reference) keep(ns []recommend.Neighbor, dedup float64, k int) []recommend.Neighbor {
	var kept []recommend.Neighbor
	for _, n := range ns {
		if len(kept) == k {
			break
		}
		if n.Score >= dedup {
			continue
		}
		if !slices.ContainsFunc(kept, func(y recommend.Neighbor) bool { return Dot(r.Vecs[n.ID], r.Vecs[y.ID]) >= dedup }) {
			kept = append(kept, n)
		}
	}
	return kept
}

// reranks reports whether q asks for news-aware ranking.
func reranks(q recommend.Query) bool {
	return q.Freshness > 0 || q.Popularity > 0 || q.Diversity > 0 || q.Fill
}

// Rank applies the news-aware ranking of recommend/rank.go to best-first
// candidates: blend, order by the blend then id, MMR, cut to k. Neighbors
// get Parts when the ranking blends; their Score becomes the blend.
func (r *Reference) Rank(cands []recommend.Neighbor, q recommend.Query) []recommend.Neighbor {
	now := q.Now
	if now.IsZero() {
		now = time.Now()
	}
	half := q.HalfLife
	if half == 0 {
		half = recommend.DefaultHalfLife
	}
	blends := q.Freshness > 0 || q.Popularity > 0
	out := make([]recommend.Neighbor, len(cands))
	rel := map[string]float64{}
	for i, c := range cands {
		parts := recommend.ScoreParts{Cosine: c.Score}
		if a := r.Articles[c.ID]; q.Freshness > 0 && !a.Published.IsZero() {
			parts.Freshness = math.Exp2(-max(0, now.Sub(a.Published).Seconds()) / half.Seconds())
		}
		if q.Popularity > 0 && r.MaxReads > 0 {
			parts.Popularity = math.Log1p(float64(min(r.Articles[c.ID].ReadCount, r.MaxReads))) / math.Log1p(float64(r.MaxReads))
		}
		rel[c.ID] = (1-q.Freshness-q.Popularity)*c.Score + q.Freshness*parts.Freshness + q.Popularity*parts.Popularity
		out[i] = c
		if blends {
			out[i].Score = rel[c.ID]
			out[i].Parts = &parts
		}
	}
	slices.SortStableFunc(out, func(a, b recommend.Neighbor) int {
		if rel[a.ID] != rel[b.ID] {
			if rel[a.ID] > rel[b.ID] {
				return -1
			}
			return 1
		}
		return strings.Compare(a.ID, b.ID)
	})
	k := q.K
	if k == 0 {
		k = recommend.DefaultK
	}
	if q.Diversity <= 0 || q.Diversity >= 1 {
		return out[:min(k, len(out))]
	}
	var chosen []recommend.Neighbor
	used := map[string]bool{}
	for len(chosen) < k && len(chosen) < len(out) {
		best, bestVal := -1, 0.0
		for i, c := range out {
			if used[c.ID] {
				continue
			}
			sim := 0.0
			for _, x := range chosen {
				sim = max(sim, Dot(r.Vecs[c.ID], r.Vecs[x.ID]))
			}
			if val := q.Diversity*rel[c.ID] - (1-q.Diversity)*sim; best < 0 || val > bestVal {
				best, bestVal = i, val
			}
		}
		used[out[best].ID] = true
		chosen = append(chosen, out[best])
	}
	return chosen
}

// fill adds the best articles of category cat by cosine that ranked
// lacks, near-duplicates left out, marked weak.
func (r *Reference) fill(v Vec, ranked []recommend.Neighbor, q recommend.Query, cat string, dedup float64, skip []string) []recommend.Neighbor {
	k := q.K
	if k == 0 {
		k = recommend.DefaultK
	}
	fq := q
	fq.Categories, fq.MinScore, fq.Fill, fq.Freshness, fq.Popularity, fq.Diversity = []string{cat}, 0, false, 0, 0, 0
	fq.K = k + len(ranked) + recommend.DedupWindow
	fq.NoDedup = true
	cands := r.Similar(v, fq, skip...)
	var extra []recommend.Neighbor
	kept := slices.Clone(ranked)
	for _, c := range cands {
		if len(ranked)+len(extra) == k {
			break
		}
		if slices.ContainsFunc(kept, func(x recommend.Neighbor) bool { return x.ID == c.ID }) {
			continue
		}
		if c.Score >= dedup || slices.ContainsFunc(kept, func(y recommend.Neighbor) bool { return Dot(r.Vecs[c.ID], r.Vecs[y.ID]) >= dedup }) {
			continue
		}
		kept = append(kept, c)
		extra = append(extra, c)
	}
	plain := q
	plain.Diversity, plain.K = 0, len(extra)
	for _, n := range r.Rank(extra, plain) {
		n.Weak = true
		ranked = append(ranked, n)
	}
	return ranked
}

// SimilarID answers q for the article id, which must be held.
func (r *Reference) SimilarID(id string, q recommend.Query) []recommend.Neighbor {
	return r.similar(r.Vecs[id], q, r.Articles[id].Category, []string{id})
}

// CheckNeighbors fails t unless got equals want: as many neighbors, the
// same scores rank by rank to 1e-6, and the same id at each rank, except
// that ids may trade places inside a group of scores tied to 1e-6 (the
// float32 index and the float64 reference may break such a tie apart
// differently). When fields is set, titles, URLs, categories and dates
// must match too.
func CheckNeighbors(t testing.TB, what string, got, want []recommend.Neighbor, fields bool) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d neighbors, want %d\ngot  %v\nwant %v", what, len(got), len(want), Brief(got), Brief(want))
	}
	for i := range got {
		g, w := got[i], want[i]
		if math.Abs(g.Score-w.Score) > 1e-6 {
			t.Fatalf("%s: rank %d score %.9f, want %.9f\ngot  %v\nwant %v", what, i, g.Score, w.Score, Brief(got), Brief(want))
		}
		if g.ID != w.ID && !tiedWith(want, g) {
			t.Fatalf("%s: rank %d is %s, want %s\ngot  %v\nwant %v", what, i, g.ID, w.ID, Brief(got), Brief(want))
		}
		if fields && g.ID == w.ID && (g.Title != w.Title || g.URL != w.URL || g.Category != w.Category || !g.Published.Equal(w.Published)) {
			t.Fatalf("%s: rank %d: got %+v, want %+v", what, i, g, w)
		}
	}
}

// tiedWith reports whether n's id is in want with a score within 1e-6 of
// n's, or n ties the last reference score (the cut may fall in a tie).
func tiedWith(want []recommend.Neighbor, n recommend.Neighbor) bool {
	for _, w := range want {
		if w.ID == n.ID {
			return math.Abs(w.Score-n.Score) <= 1e-6
		}
	}
	return math.Abs(want[len(want)-1].Score-n.Score) <= 1e-6
}

// Brief shows neighbors as id:score.
func Brief(ns []recommend.Neighbor) []string {
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = fmt.Sprintf("%s:%.6f", n.ID, n.Score)
	}
	return out
}

// Recommend answers a reading profile as Engine.Recommend states it: the
// history and negatives are ids (those the reference lacks are returned as
// missing), never returned themselves.
func (r *Reference) Recommend(history, negative []string, strategy recommend.Strategy, q recommend.Query) (ns []recommend.Neighbor, missing []string) {
	var hist, neg []string
	for _, id := range history {
		if _, ok := r.Vecs[id]; ok {
			hist = append(hist, id)
		} else {
			missing = append(missing, id)
		}
	}
	for _, id := range negative {
		if _, ok := r.Vecs[id]; ok {
			neg = append(neg, id)
		} else {
			missing = append(missing, id)
		}
	}
	if len(hist) == 0 {
		return nil, missing
	}
	skip := append(slices.Clone(hist), neg...)
	fillCat := r.Articles[hist[len(hist)-1]].Category
	if strategy != recommend.MaxSim {
		c := Vec{}
		for _, h := range hist {
			for t, w := range r.Vecs[h] {
				c[t] += w / float64(len(hist))
			}
		}
		for _, n := range neg {
			for t, w := range r.Vecs[n] {
				if _, ok := c[t]; ok {
					c[t] -= recommend.NegativeWeight * w / float64(len(neg))
				}
			}
		}
		var norm float64
		for t, w := range c {
			if w <= 0 {
				delete(c, t)
				continue
			}
			norm += w * w
		}
		for t := range c {
			c[t] /= math.Sqrt(norm)
		}
		return r.similar(c, q, fillCat, skip), missing
	}
	// MaxSim: the best cosine with an article read, less the pushes of the
	// negatives.
	dedup := r.Dedup
	if dedup == 0 {
		dedup = recommend.DefaultDedup
	}
	if q.NoDedup {
		dedup = math.Inf(1)
	}
	var out []recommend.Neighbor
	for id, a := range r.Articles {
		if slices.Contains(skip, id) || slices.Contains(q.Exclude, id) ||
			len(q.Categories) > 0 && !slices.Contains(q.Categories, a.Category) ||
			!q.From.IsZero() && (a.Published.IsZero() || a.Published.Before(q.From)) ||
			!q.To.IsZero() && (a.Published.IsZero() || a.Published.After(q.To)) {
			continue
		}
		best, pen := 0.0, 0.0
		for _, h := range hist {
			best = max(best, Dot(r.Vecs[h], r.Vecs[id]))
		}
		for _, n := range neg {
			pen = max(pen, Dot(r.Vecs[n], r.Vecs[id]))
		}
		s := best - recommend.NegativeWeight*pen
		if best <= 0 || s <= 0 || s < q.MinScore {
			continue
		}
		out = append(out, recommend.Neighbor{ID: id, Title: a.Title, Score: s, URL: a.URL, Category: a.Category, Published: a.Published})
	}
	slices.SortFunc(out, func(a, b recommend.Neighbor) int {
		if math.Abs(a.Score-b.Score) > 1e-12 {
			if a.Score > b.Score {
				return -1
			}
			return 1
		}
		return strings.Compare(a.ID, b.ID)
	})
	k := q.K
	if k == 0 {
		k = recommend.DefaultK
	}
	need := k
	if !math.IsInf(dedup, 1) || reranks(q) {
		need += recommend.DedupWindow
	}
	out = out[:min(need, len(out))]
	var kept []recommend.Neighbor
	for _, n := range out {
		if !math.IsInf(dedup, 1) {
			if slices.ContainsFunc(hist, func(h string) bool { return Dot(r.Vecs[h], r.Vecs[n.ID]) >= dedup }) ||
				slices.ContainsFunc(kept, func(y recommend.Neighbor) bool { return Dot(r.Vecs[n.ID], r.Vecs[y.ID]) >= dedup }) {
				continue
			}
		}
		kept = append(kept, n)
	}
	if !reranks(q) {
		return kept[:min(k, len(kept))], missing
	}
	ranked := r.Rank(kept, q)
	if q.Fill && len(ranked) < k && len(q.Categories) == 0 && fillCat != "" {
		ranked = r.fill(r.Vecs[hist[len(hist)-1]], ranked, q, fillCat, dedup, skip)
	}
	return ranked, missing
}
