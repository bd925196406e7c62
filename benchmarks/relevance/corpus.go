// Package relevance measures how well readalike's nearest articles match on
// labelled data: it loads a JSONL corpus whose lines carry a category into a
// fresh store, runs the engine's batch path with k = 5, and scores each
// article's five neighbours against the category of the article. The
// engine never sees the labels. benchmarks/quality is its command line and
// benchmarks/quality_test.go its regression test.
package relevance

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/readalike/readalike/recommend/articleio"
)

// Article is one line of a labelled corpus.
type Article struct {
	ID       string `json:"id"`
	Title    string `json:"title"`
	Body     string `json:"body"`
	Category string `json:"category"`
	Lang     string `json:"lang"`
}

// Corpus is a labelled collection and what the metrics need to know of it.
type Corpus struct {
	Name     string
	Articles []Article
	index    map[string]int // id -> position in Articles
	size     map[string]int // category -> articles
	// twin[i] is the number of the group of articles with exactly the
	// same title and body as article i, or -1 when it has none.
	twin  []int
	pairs int // articles that have an exact twin
}

// NewCorpus indexes articles, which must have unique ids and a category.
func NewCorpus(name string, arts []Article) (*Corpus, error) {
	c := &Corpus{Name: name, Articles: arts, index: make(map[string]int, len(arts)),
		size: map[string]int{}, twin: make([]int, len(arts))}
	groups := map[string][]int{}
	for i, a := range arts {
		if a.ID == "" {
			return nil, fmt.Errorf("article %d: no id", i+1)
		}
		if a.Category == "" {
			return nil, fmt.Errorf("article %d (%q): no category", i+1, a.ID)
		}
		if _, dup := c.index[a.ID]; dup {
			return nil, fmt.Errorf("article %d: id %q repeats an earlier one", i+1, a.ID)
		}
		c.index[a.ID] = i
		c.size[a.Category]++
		key := a.Title + "\x00" + a.Body
		groups[key] = append(groups[key], i)
	}
	for i := range c.twin {
		c.twin[i] = -1
	}
	g := 0
	for _, members := range groups {
		if len(members) < 2 {
			continue
		}
		for _, i := range members {
			c.twin[i] = g
		}
		c.pairs += len(members)
		g++
	}
	return c, nil
}

// Load reads a JSONL corpus (articleio.ReadJSONL, as ingest reads it): one
// object per line with id, title, body, category and optionally lang. The
// corpus is named after the file.
func Load(path string) (*Corpus, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var arts []Article
	err = articleio.ReadJSONL(path, f, func(r articleio.Record) error {
		if r.Err != nil {
			return fmt.Errorf("%s: %w", r.Where(), r.Err)
		}
		a := r.Article
		if a.Category == "" {
			return fmt.Errorf("%s: no category: every line needs one to be scored", r.Where())
		}
		arts = append(arts, Article{ID: a.ID, Title: a.Title, Body: a.Body, Category: a.Category, Lang: a.Lang})
		return nil
	})
	if err != nil {
		return nil, err
	}
	c, err := NewCorpus(strings.TrimSuffix(filepath.Base(path), ".jsonl"), arts)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// Lang returns the language most of the corpus's articles name, lower
// case, "en" for none.
func (c *Corpus) Lang() string {
	n := map[string]int{}
	best := "en"
	for _, a := range c.Articles {
		l := strings.ToLower(a.Lang)
		if l == "" {
			l = "en"
		}
		n[l]++
		if n[l] > n[best] || (n[l] == n[best] && l < best) {
			best = l
		}
	}
	return best
}

// Twins returns how many articles have an exact duplicate (the same title
// and body) elsewhere in the corpus.
func (c *Corpus) Twins() int { return c.pairs }
