package recommend

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/readalike/readalike/vectorize"
)

// Strategy says how Recommend turns a reading history into a ranking.
type Strategy string

const (
	// Centroid ranks by the cosine with the centroid of the history,
	// negatives pushed away (Rocchio): q = mean(history) - NegativeWeight *
	// mean(negatives), its negative weights set to 0, then normalised. One
	// query, as cheap as Similar; a history spanning several subjects
	// pulls its centroid between them.
	Centroid Strategy = "centroid"
	// MaxSim ranks by the best cosine with any one article of the history,
	// less NegativeWeight times the best cosine with any negative. One odd
	// read does not drag the list towards it, but a query per article read
	// is searched.
	MaxSim Strategy = "max"
)

// NegativeWeight is how hard negatives push away, in both strategies.
const NegativeWeight = 0.5

// MaxHistory bounds the articles of a history (given, and read by a reader)
// that Recommend uses: the most recent ones.
const MaxHistory = 100

// Profile is what Recommend recommends for: a reading history and what the
// reader did not want.
type Profile struct {
	History  []string // ids of articles read
	Negative []string // ids of articles disliked
	Reader   string   // when set, the articles this reader read (Engine.Read) join History
	Strategy Strategy // "" means Centroid
}

// Recommendation is Recommend's answer.
type Recommendation struct {
	Result
	Strategy Strategy
	// Missing lists the ids of History and Negative the collection lacks.
	Missing []string
}

// Recommend returns the articles to read next after History, none of them
// nor of Negative (see Strategy), under q's filters and rules. Ids the
// collection lacks are listed in Missing. Errors: a *FieldError for a bad
// query or strategy, one wrapping ErrNotFound when no article of the
// history is in the collection.
func (e *Engine) Recommend(ctx context.Context, p Profile, q Query) (Recommendation, error) {
	if err := q.Validate(); err != nil {
		return Recommendation{}, err
	}
	if p.Strategy == "" {
		p.Strategy = Centroid
	}
	if p.Strategy != Centroid && p.Strategy != MaxSim {
		return Recommendation{}, &FieldError{"strategy", fmt.Sprintf("must be %s or %s", Centroid, MaxSim)}
	}
	history := slices.Clone(p.History)
	if p.Reader != "" {
		reads, err := e.store.Reads(ctx, p.Reader, MaxHistory)
		if err != nil {
			return Recommendation{}, fmt.Errorf("reads of %q: %w", p.Reader, err)
		}
		for _, r := range reads {
			history = append(history, r.ID)
		}
	}
	history = distinct(history)
	if len(history) > MaxHistory {
		history = history[len(history)-MaxHistory:]
	}
	negative := distinct(p.Negative)
	ids := append(append(append([]string{}, history...), negative...), q.Exclude...)
	v, docs := e.resolve(ids)
	rec := Recommendation{Strategy: p.Strategy}
	var hist, neg []int32
	for i, id := range history {
		if d := docs[i]; d >= 0 && v.alive(d) {
			hist = append(hist, d)
		} else {
			rec.Missing = append(rec.Missing, id)
		}
	}
	for i, id := range negative {
		if d := docs[len(history)+i]; d >= 0 && v.alive(d) {
			neg = append(neg, d)
		} else {
			rec.Missing = append(rec.Missing, id)
		}
	}
	if len(hist) == 0 {
		return rec, fmt.Errorf("none of the %d history articles: %w", len(history), ErrNotFound)
	}
	exclude := docs // history, negatives and q.Exclude are never returned
	fillCat := categoryOf(v, hist[len(hist)-1])
	if p.Strategy == Centroid {
		rec.Result = e.search(v, rocchio(v, hist, neg), q, -1, exclude, fillCat)
		return rec, nil
	}
	rec.Result = e.maxSim(v, hist, neg, q, exclude, fillCat)
	return rec, nil
}

// distinct returns ids without repeats, the last of each kept in place.
func distinct(ids []string) []string {
	seen := make(map[string]bool, len(ids))
	var out []string
	for i := len(ids) - 1; i >= 0; i-- {
		if !seen[ids[i]] {
			seen[ids[i]] = true
			out = append(out, ids[i])
		}
	}
	slices.Reverse(out)
	return out
}

// rocchio returns mean(history) - NegativeWeight * mean(negatives), its
// negative weights set to 0, normalised; computed in float64 and rounded
// to float32 weights like every vector.
func rocchio(v *view, hist, neg []int32) vectorize.Vector {
	sum := map[uint32]float64{}
	for _, d := range hist {
		for _, en := range v.docs.vecs[d] {
			sum[en.ID] += float64(en.Weight) / float64(len(hist))
		}
	}
	for _, d := range neg {
		for _, en := range v.docs.vecs[d] {
			if _, ok := sum[en.ID]; ok {
				sum[en.ID] -= NegativeWeight * float64(en.Weight) / float64(len(neg))
			}
		}
	}
	var norm float64
	for _, w := range sum {
		if w > 0 {
			norm += w * w
		}
	}
	norm = math.Sqrt(norm)
	vec := make(vectorize.Vector, 0, len(sum))
	for id, w := range sum {
		if w > 0 {
			vec = append(vec, vectorize.Entry{ID: id, Weight: float32(w / norm)})
		}
	}
	slices.SortFunc(vec, func(a, b vectorize.Entry) int { return cmp.Compare(a.ID, b.ID) })
	return vec
}

// maxSim ranks by max over h of cos(h, d) less NegativeWeight times max
// over n of cos(n, d). Each history article's best articles are searched,
// m of them; an article outside all those lists scores at most the highest
// m-th cosine of them (theta), so once the m-th best candidate beats theta
// no other can enter, and else m doubles.
func (e *Engine) maxSim(v *view, hist, neg []int32, q Query, exclude []int32, fillCat int64) Result {
	s := e.searchers.Get().(*searcher)
	defer e.searchers.Put(s)
	s.stats = searchStats{}
	s.exhaustive = e.opts.Exhaustive
	dedup := e.dedup(q)
	need := q.k()
	if !math.IsInf(dedup, 1) || q.reranks() {
		need += DedupWindow
	}
	f := newFilter(v, q, -1, exclude)
	var cands []ranked
	for m := need; ; m *= 2 {
		best := map[int32]ranked{}
		theta := 0.0
		for _, h := range hist {
			top := s.topK(v, v.docs.vecs[h], f, m, 0)
			if len(top) == m {
				theta = max(theta, top[m-1].score)
			}
			for _, t := range top {
				if b, ok := best[t.doc]; !ok || t.score > b.parts.Cosine {
					best[t.doc] = ranked{scored: t, parts: ScoreParts{Cosine: t.score}, via: h}
				}
			}
		}
		cands = cands[:0]
		for d, r := range best {
			pen := 0.0
			for _, n := range neg {
				pen = max(pen, vectorize.Cosine(v.docs.vecs[n], v.docs.vecs[d]))
			}
			r.score = r.parts.Cosine - NegativeWeight*pen
			if r.score > 0 && r.score >= q.MinScore {
				cands = append(cands, r)
			}
		}
		slices.SortFunc(cands, func(a, b ranked) int { return byScore(v, a.scored, b.scored) })
		if len(cands) >= need && cands[need-1].score > theta+slack || theta == 0 || m >= int(v.n) {
			break
		}
	}
	e.counters.queries.Add(1)
	e.counters.postings.Add(uint64(s.stats.postings))
	e.counters.exact.Add(uint64(s.stats.exact))
	cands = cands[:min(len(cands), need)]
	// The near-duplicate rules: a near-duplicate of an article of the
	// history is the story read; one story is offered once.
	var kept []scored
	vias := map[int32]int32{}
	for _, c := range cands {
		if !math.IsInf(dedup, 1) {
			if nearHistory(v, c.doc, hist, dedup) || duplicatesKept(v, c.scored, kept, dedup) {
				continue
			}
		}
		kept = append(kept, c.scored)
		vias[c.doc] = c.via
	}
	var top []ranked
	if q.reranks() {
		top = rank(v, kept, q)
		if q.Fill && len(q.Categories) == 0 {
			vec := v.docs.vecs[hist[len(hist)-1]]
			f.fillCat = fillCat
			top = s.fill(v, vec, f, top, q, dedup)
		}
	} else {
		for _, x := range kept[:min(len(kept), q.k())] {
			top = append(top, ranked{scored: x})
		}
	}
	return e.result(v, top, q, func(r ranked) vectorize.Vector {
		if h, ok := vias[r.doc]; ok {
			return v.docs.vecs[h]
		}
		return v.docs.vecs[hist[len(hist)-1]] // a weak one Fill added
	})
}

// nearHistory reports whether doc d is a near-duplicate of an article of
// the history.
func nearHistory(v *view, d int32, hist []int32, dedup float64) bool {
	for _, h := range hist {
		if vectorize.Cosine(v.docs.vecs[h], v.docs.vecs[d]) >= dedup {
			return true
		}
	}
	return false
}
