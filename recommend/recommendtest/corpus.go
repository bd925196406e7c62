package recommendtest

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/readalike/readalike/recommend"
)

// Corpus makes random articles and queries from a Zipfian vocabulary with
// topic words, so that neighbors are neither all alike nor all unrelated.
// The same seed gives the same articles. Not safe for concurrent use.
type Corpus struct {
	R     *rand.Rand
	vocab []string
	zipf  *rand.Zipf
	next  int
}

// Categories are the categories Corpus articles get.
var Categories = []string{"business", "sport", "tech", "politics"}

// NewCorpus returns a corpus with a vocabulary of vocab made-up words.
func NewCorpus(seed uint64, vocab int) *Corpus {
	r := rand.New(rand.NewPCG(seed, 7))
	c := &Corpus{R: r, zipf: rand.NewZipf(r, 1.1, 2, uint64(vocab-1))}
	syl := []string{"ka", "lo", "mi", "ne", "pu", "ra", "si", "to", "vu", "ze", "bri", "dan", "gor", "hul"}
	seen := map[string]bool{}
	for len(c.vocab) < vocab {
		w := syl[r.IntN(len(syl))] + syl[r.IntN(len(syl))] + syl[r.IntN(len(syl))]
		if !seen[w] {
			seen[w] = true
			c.vocab = append(c.vocab, w)
		}
	}
	return c
}

// Text returns words words: a third from one topic's dozen, the rest
// Zipfian.
func (c *Corpus) Text(words int) string {
	topic := c.R.IntN(len(c.vocab))
	ws := make([]string, words)
	for i := range ws {
		if c.R.IntN(3) == 0 {
			ws[i] = c.vocab[(topic+c.R.IntN(12))%len(c.vocab)]
		} else {
			ws[i] = c.vocab[c.zipf.Uint64()]
		}
	}
	return strings.Join(ws, " ")
}

// Article returns a random article with that id: most have a category and
// a date, a few a body repeated twice (which changes nothing). Its
// language is English, said rather than left to detection, which would
// give its made-up words any language.
func (c *Corpus) Article(id string) recommend.Article {
	a := recommend.Article{ID: id, Lang: "en", Title: c.Text(1 + c.R.IntN(5)), Body: c.Text(5 + c.R.IntN(60))}
	if c.R.IntN(5) > 0 {
		a.Category = Categories[c.R.IntN(len(Categories))]
	}
	if c.R.IntN(4) > 0 {
		a.Published = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(c.R.IntN(365*24)) * time.Hour)
	}
	if c.R.IntN(10) == 0 {
		a.Body = a.Body + "\n\n" + a.Body
	}
	return a
}

// NewArticle returns a random article with the next id, doc-0001 onwards.
func (c *Corpus) NewArticle() recommend.Article {
	c.next++
	return c.Article(fmt.Sprintf("doc-%04d", c.next))
}

// Articles returns n new articles.
func (c *Corpus) Articles(n int) []recommend.Article {
	arts := make([]recommend.Article, n)
	for i := range arts {
		arts[i] = c.NewArticle()
	}
	return arts
}

// Query returns a random query: any k up to 10 (0 is the default), and now
// and then categories (some nobody has), dates, excluded ids from live,
// near-duplicates kept, a minimum score.
func (c *Corpus) Query(live []string) recommend.Query {
	var q recommend.Query
	q.K = c.R.IntN(11)
	if c.R.IntN(3) == 0 {
		q.Categories = []string{Categories[c.R.IntN(len(Categories))]}
		if c.R.IntN(2) == 0 {
			q.Categories = append(q.Categories, Categories[c.R.IntN(len(Categories))], "nobody-has-this")
		}
	}
	if c.R.IntN(5) == 0 {
		q.From = time.Date(2025, time.Month(1+c.R.IntN(6)), 1, 0, 0, 0, 0, time.UTC)
		if c.R.IntN(2) == 0 {
			q.To = q.From.Add(time.Duration(30+c.R.IntN(150)) * 24 * time.Hour)
		}
	}
	if c.R.IntN(5) == 0 && len(live) > 0 {
		for range 1 + c.R.IntN(5) {
			q.Exclude = append(q.Exclude, live[c.R.IntN(len(live))])
		}
	}
	q.NoDedup = c.R.IntN(3) == 0
	if c.R.IntN(5) == 0 {
		q.MinScore = c.R.Float64() * 0.3
	}
	q.Explain = c.R.IntN(4) == 0
	if c.R.IntN(4) == 0 { // news-aware ranking
		q.Now = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		switch c.R.IntN(4) {
		case 0:
			q.Freshness, q.HalfLife = 0.3, time.Duration(24+c.R.IntN(500))*time.Hour
		case 1:
			q.Popularity = 0.2
		case 2:
			q.Diversity = 0.3 + 0.6*c.R.Float64()
		}
		q.Fill = c.R.IntN(2) == 0
		if q.Fill && c.R.IntN(2) == 0 {
			q.MinScore = 0.2
		}
	}
	return q
}
