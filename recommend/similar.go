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
// is never among them. An unfiltered query is answered from the list Batch
// stored for the article (BatchOptions.Store) when that list is exactly the
// live answer, which holds until an article is written or deleted or the
// model refitted (see neighbors.go); else it is searched live. Errors: a
// *FieldError for a bad query, one wrapping ErrNotFound for an unknown id.
func (e *Engine) Similar(ctx context.Context, id string, q Query) (Result, error) {
	if err := q.Validate(); err != nil {
		return Result{}, err
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	d, ok := e.ix.byID[id]
	if !ok {
		return Result{}, fmt.Errorf("article %q: %w", id, ErrNotFound)
	}
	if res, ok := e.stored(ctx, e.ix, id, q); ok {
		return res, nil
	}
	return e.search(e.ix, e.ix.vecs[d], q, d), nil
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
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.search(e.ix, e.ix.model.QueryVector(res.Counts), q, -1), nil
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
	e.mu.RLock()
	defer e.mu.RUnlock()
	sum := map[uint32]float64{}
	for _, id := range ids {
		if d, ok := e.ix.byID[id]; ok {
			for _, en := range e.ix.vecs[d] {
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
	q.Exclude = append(slices.Clip(q.Exclude), ids...)
	return e.search(e.ix, vec, q, -1), nil
}

// search runs a validated query against ix; the caller holds the read lock.
func (e *Engine) search(ix *index, vec vectorize.Vector, q Query, self int32) Result {
	s := e.searchers.Get().(*searcher)
	s.stats = searchStats{}
	s.exhaustive = e.opts.Exhaustive
	top := s.nearest(ix, vec, newFilter(ix, q, self), q.k(), q.MinScore, e.dedup(q))
	e.counters.queries.Add(1)
	e.counters.postings.Add(uint64(s.stats.postings))
	e.counters.skipped.Add(uint64(s.stats.skipped))
	e.counters.exact.Add(uint64(s.stats.exact))
	e.searchers.Put(s)
	res := Result{Generation: ix.generation, Neighbors: make([]Neighbor, len(top))}
	for i, t := range top {
		res.Neighbors[i] = ix.match(t.doc, t.score)
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
