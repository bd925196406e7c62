package benchmarks

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/readalike/readalike/recommend/articleio"
)

// sharedArticle is one line of the corpora in ../shared/data.
type sharedArticle struct {
	ID       string `json:"id"`
	Title    string `json:"title"`
	Body     string `json:"body"`
	Category string `json:"category"`
	Lang     string `json:"lang"`
}

// loadShared reads ../shared/data/name, skipping the benchmark or test with
// a clear message where the shared data is absent.
func loadShared(tb testing.TB, name string) []sharedArticle {
	tb.Helper()
	path := filepath.Join("..", "..", "shared", "data", name)
	f, err := os.Open(path)
	if err != nil {
		tb.Skipf("shared corpus not available (%v): run with ../shared beside the repository", err)
	}
	defer f.Close()
	var out []sharedArticle
	err = articleio.ReadJSONL(path, f, func(r articleio.Record) error {
		if r.Err != nil {
			return fmt.Errorf("%s: %w", r.Where(), r.Err)
		}
		out = append(out, sharedArticle{ID: r.Article.ID, Title: r.Article.Title, Body: r.Article.Body,
			Category: r.Article.Category, Lang: r.Article.Lang})
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return out
}
