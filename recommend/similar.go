package recommend

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/readalike/readalike/vectorize"
)

// Similar returns the nearest articles to the article with that id, which
// is never among them. An unfiltered query is answered from the article's
// neighbor list when the lists are kept (see neighbors.go), in a few
// microseconds; else it is searched. Both answers are the same to the last
// bit. Errors: a *FieldError for a bad query, one wrapping ErrNotFound for
// an unknown id.
func (e *Engine) Similar(ctx context.Context, id string, q Query) (Result, error) {
	if err := q.Validate(); err != nil {
		return Result{}, err
	}
	v, docs := e.resolve(append([]string{id}, q.Exclude...))
	d := docs[0]
	if d < 0 || !v.alive(d) {
		return Result{}, fmt.Errorf("article %q: %w", id, ErrNotFound)
	}
	vec := v.docs.vecs[d]
	if top, ok := e.fromList(v, d, q); ok {
		return e.result(v, top, q, func(ranked) vectorize.Vector { return vec }), nil
	}
	return e.search(v, vec, q, d, docs[1:], categoryOf(v, d)), nil
}

// SimilarText returns the nearest articles to a text that need not be in
// the collection. Errors: a *FieldError for a bad query or text (checked
// as an article's title, body and lang are).
func (e *Engine) SimilarText(ctx context.Context, t Text, q Query) (Result, error) {
	if err := q.Validate(); err != nil {
		return Result{}, err
	}
	if err := validateText(&t, e.opts.MaxBodyBytes); err != nil {
		return Result{}, err
	}
	res, err := e.analyzer.Analyze(vectorize.Document{Title: t.Title, Body: t.Body, Lang: t.Lang})
	if err != nil {
		return Result{}, analyzeError(err)
	}
	v, exclude := e.resolve(q.Exclude)
	return e.search(v, v.ix.model.QueryVector(res.Counts), q, -1, exclude, -1), nil
}

// Inspect returns every stage of the analysis of a text under the current
// model, as the engine would index it as an article: in the language
// detected in it when it names none. Errors: a
// *FieldError for a bad text.
func (e *Engine) Inspect(t Text) (vectorize.Inspection, error) {
	detect := strings.TrimSpace(t.Lang) == ""
	if err := validateText(&t, e.opts.MaxBodyBytes); err != nil {
		return vectorize.Inspection{}, err
	}
	if detect { // as a write would
		a := Article{Title: t.Title, Body: t.Body}
		DetectLang(&a)
		t.Lang = a.Lang
	}
	ins, err := e.analyzer.Inspect(vectorize.Document{Title: t.Title, Body: t.Body, Lang: t.Lang}, e.Model())
	if err != nil {
		return vectorize.Inspection{}, analyzeError(err)
	}
	return ins, nil
}

// SimilarHistory returns the nearest articles to a reading history: the
// centroid of the articles read (Recommend with the Centroid strategy and
// no negatives), none of which is returned. Ids the collection lacks are
// listed in the answer's Missing; if it has none of them the error wraps
// ErrNotFound.
func (e *Engine) SimilarHistory(ctx context.Context, ids []string, q Query) (Recommendation, error) {
	return e.Recommend(ctx, Profile{History: ids, Strategy: Centroid}, q)
}

// search runs a validated query against v; exclude are the doc numbers
// left out besides self (-1 for none); fillCat is the category Query.Fill
// fills from (-1 for none).
func (e *Engine) search(v *view, vec vectorize.Vector, q Query, self int32, exclude []int32, fillCat int64) Result {
	s := e.searchers.Get().(*searcher)
	s.stats = searchStats{}
	s.exhaustive = e.opts.Exhaustive
	f := newFilter(v, q, self, exclude)
	if len(q.Categories) == 0 {
		f.fillCat = fillCat
	}
	var top []ranked
	if !q.reranks() {
		for _, x := range s.nearest(v, vec, f, q.k(), q.MinScore, e.dedup(q)) {
			top = append(top, ranked{scored: x})
		}
	} else {
		raw := s.topK(v, vec, f, q.k()+DedupWindow, q.MinScore)
		top = rank(v, keepStories(v, raw, e.dedup(q)), q)
		if q.Fill {
			top = s.fill(v, vec, f, top, q, e.dedup(q))
		}
	}
	e.counters.queries.Add(1)
	e.counters.postings.Add(uint64(s.stats.postings))
	e.counters.skipped.Add(uint64(s.stats.skipped))
	e.counters.exact.Add(uint64(s.stats.exact))
	e.searchers.Put(s)
	return e.result(v, top, q, func(ranked) vectorize.Vector { return vec })
}

// result turns ranked docs into the answer; explainBy gives the vector a
// neighbor's explanation is of.
func (e *Engine) result(v *view, top []ranked, q Query, explainBy func(ranked) vectorize.Vector) Result {
	res := Result{Generation: v.ix.generation, Neighbors: make([]Neighbor, len(top))}
	blends := q.Freshness > 0 || q.Popularity > 0
	for i, r := range top {
		n := v.neighbor(r.doc, r.score)
		n.Weak = r.weak
		if blends {
			n.Score = r.rel
			parts := r.parts
			n.Parts = &parts
		}
		if q.Explain {
			n.Explanation = e.explain(v, explainBy(r), r.doc, n.Score)
		}
		res.Neighbors[i] = n
	}
	return res
}

// categoryOf returns the category number of doc d, -1 for none.
func categoryOf(v *view, d int32) int64 {
	if d < 0 || v.docs.cats[d] == 0 {
		return -1
	}
	return int64(v.docs.cats[d])
}

// analyzeError turns an analyzer error into the *FieldError it stands for.
func analyzeError(err error) error {
	var ul *vectorize.UnsupportedLangError
	switch {
	case errors.As(err, &ul):
		return &FieldError{"lang", err.Error()}
	case errors.Is(err, vectorize.ErrInvalidUTF8):
		field, _, _ := strings.Cut(err.Error(), ":")
		return &FieldError{field, "is not valid UTF-8"}
	}
	return err
}
