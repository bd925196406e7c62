package recommend

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
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
	if res, ok := e.fromList(v, d, q); ok {
		return res, nil
	}
	return e.search(v, v.docs.vecs[d], q, d, docs[1:]), nil
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
	return e.search(v, v.ix.model.QueryVector(res.Counts), q, -1, exclude), nil
}

// Inspect returns every stage of the analysis of a text under the current
// model, as the engine would index it as an article. Errors: a
// *FieldError for a bad text.
func (e *Engine) Inspect(t Text) (vectorize.Inspection, error) {
	if err := validateText(&t, e.opts.MaxBodyBytes); err != nil {
		return vectorize.Inspection{}, err
	}
	ins, err := e.analyzer.Inspect(vectorize.Document{Title: t.Title, Body: t.Body, Lang: t.Lang}, e.Model())
	if err != nil {
		return vectorize.Inspection{}, analyzeError(err)
	}
	return ins, nil
}

// SimilarHistory returns the nearest articles to a reading history: the
// normalised sum of the vectors of the articles read, none of which is
// returned. Ids the collection lacks are ignored; if it has none of them the
// error wraps ErrNotFound.
func (e *Engine) SimilarHistory(ctx context.Context, ids []string, q Query) (Result, error) {
	if err := q.Validate(); err != nil {
		return Result{}, err
	}
	v, docs := e.resolve(append(slices.Clone(ids), q.Exclude...))
	sum := map[uint32]float64{}
	for _, d := range docs[:len(ids)] {
		if d >= 0 && v.alive(d) {
			for _, en := range v.docs.vecs[d] {
				sum[en.ID] += float64(en.Weight)
			}
		}
	}
	if len(sum) == 0 {
		return Result{}, fmt.Errorf("none of the %d history articles: %w", len(ids), ErrNotFound)
	}
	var norm float64
	for _, w := range sum {
		norm += w * w
	}
	norm = math.Sqrt(norm)
	vec := make(vectorize.Vector, 0, len(sum))
	for id, w := range sum {
		vec = append(vec, vectorize.Entry{ID: id, Weight: float32(w / norm)})
	}
	slices.SortFunc(vec, func(a, b vectorize.Entry) int { return int(a.ID) - int(b.ID) })
	return e.search(v, vec, q, -1, docs), nil
}

// search runs a validated query against v; exclude are the doc numbers
// left out besides self (-1 for none).
func (e *Engine) search(v *view, vec vectorize.Vector, q Query, self int32, exclude []int32) Result {
	s := e.searchers.Get().(*searcher)
	s.stats = searchStats{}
	s.exhaustive = e.opts.Exhaustive
	top := s.nearest(v, vec, newFilter(v, q, self, exclude), q.k(), q.MinScore, e.dedup(q))
	e.counters.queries.Add(1)
	e.counters.postings.Add(uint64(s.stats.postings))
	e.counters.skipped.Add(uint64(s.stats.skipped))
	e.counters.exact.Add(uint64(s.stats.exact))
	e.searchers.Put(s)
	res := Result{Generation: v.ix.generation, Neighbors: make([]Neighbor, len(top))}
	for i, t := range top {
		res.Neighbors[i] = v.neighbor(t.doc, t.score)
	}
	return res
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
