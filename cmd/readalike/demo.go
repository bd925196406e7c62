package main

import (
	"bytes"
	"context"
	_ "embed"
	"fmt"

	"github.com/readalike/readalike/recommend"
	"github.com/readalike/readalike/recommend/articleio"
)

// demoArticles is the demo collection: original short news-style articles
// in several categories and languages, written for readalike.
//
//go:embed demo/articles.jsonl
var demoArticles []byte

// demoCollection returns the demo articles.
func demoCollection() ([]recommend.Article, error) {
	var arts []recommend.Article
	err := articleio.ReadJSONL("demo", bytes.NewReader(demoArticles), func(r articleio.Record) error {
		if r.Err == nil && len(r.Dropped) > 0 {
			r.Err = r.Dropped[0]
		}
		if r.Err != nil {
			return fmt.Errorf("%s: %w", r.Where(), r.Err)
		}
		arts = append(arts, r.Article)
		return nil
	})
	return arts, err
}

// loadDemo writes the demo collection into an empty engine and refits, so
// the first answers come from a model fitted on it. It does nothing to a
// collection that has articles.
func loadDemo(ctx context.Context, e *recommend.Engine) (int, error) {
	if e.Stats().Articles > 0 {
		return 0, nil
	}
	arts, err := demoCollection()
	if err != nil {
		return 0, fmt.Errorf("demo collection: %w", err)
	}
	rs, err := e.Upsert(ctx, arts...)
	if err == nil {
		err = rs.Err()
	}
	if err != nil {
		return 0, fmt.Errorf("demo collection: %w", err)
	}
	if _, err := e.Refit(ctx); err != nil {
		return 0, err
	}
	return len(arts), nil
}
