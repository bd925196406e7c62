package recommend

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/readalike/readalike/vectorize"
)

// corpus makes random articles from a Zipfian vocabulary with topic words,
// so neighbours are neither all alike nor all unrelated.
type corpus struct {
	r     *rand.Rand
	vocab []string
	zipf  *rand.Zipf
	next  int
}

func newCorpus(seed uint64, vocab int) *corpus {
	r := rand.New(rand.NewPCG(seed, 7))
	c := &corpus{r: r, zipf: rand.NewZipf(r, 1.1, 2, uint64(vocab-1))}
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

func (c *corpus) text(words int) string {
	topic := c.r.IntN(len(c.vocab))
	ws := make([]string, words)
	for i := range ws {
		if c.r.IntN(3) == 0 {
			ws[i] = c.vocab[(topic+c.r.IntN(12))%len(c.vocab)]
		} else {
			ws[i] = c.vocab[c.zipf.Uint64()]
		}
	}
	return strings.Join(ws, " ")
}

var categories = []string{"business", "sport", "tech", "politics"}

func (c *corpus) article(id string) Article {
	a := Article{ID: id, Title: c.text(1 + c.r.IntN(5)), Body: c.text(5 + c.r.IntN(60))}
	if c.r.IntN(5) > 0 {
		a.Category = categories[c.r.IntN(len(categories))]
	}
	if c.r.IntN(4) > 0 {
		a.Published = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(c.r.IntN(365*24)) * time.Hour)
	}
	if c.r.IntN(10) == 0 {
		a.Body = a.Body + "\n\n" + a.Body // a repeated body changes nothing
	}
	return a
}

func (c *corpus) newArticle() Article {
	c.next++
	return c.article(fmt.Sprintf("doc-%04d", c.next))
}

func (c *corpus) query(live []string) Query {
	var q Query
	q.K = c.r.IntN(11)
	if c.r.IntN(3) == 0 {
		q.Categories = []string{categories[c.r.IntN(len(categories))]}
		if c.r.IntN(2) == 0 {
			q.Categories = append(q.Categories, categories[c.r.IntN(len(categories))], "nobody-has-this")
		}
	}
	if c.r.IntN(5) == 0 {
		q.From = time.Date(2025, time.Month(1+c.r.IntN(6)), 1, 0, 0, 0, 0, time.UTC)
		if c.r.IntN(2) == 0 {
			q.To = q.From.Add(time.Duration(30+c.r.IntN(150)) * 24 * time.Hour)
		}
	}
	if c.r.IntN(5) == 0 && len(live) > 0 {
		for range 1 + c.r.IntN(5) {
			q.Exclude = append(q.Exclude, live[c.r.IntN(len(live))])
		}
	}
	q.NoDedup = c.r.IntN(3) == 0
	if c.r.IntN(5) == 0 {
		q.MinScore = c.r.Float64() * 0.3
	}
	return q
}

func liveIDs(s *memStore) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Sorted(maps.Keys(s.articles))
}

// TestEngineMatchesReference runs random adds, upserts, deletes, refits and
// queries, and checks every answer against the brute-force reference.
func TestEngineMatchesReference(t *testing.T) {
	ops := 400
	if testing.Short() {
		ops = 150
	}
	for seed := range uint64(4) {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			ctx := context.Background()
			c := newCorpus(seed, 300+int(seed)*200)
			ms := newMemStore()
			opts := Options{RefitShare: -1, Dedup: 0.8, Model: modelOptions(seed)}
			e, err := Open(ctx, ms, opts, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			queries := 0
			for op := range ops {
				live := liveIDs(ms)
				switch r := c.r.IntN(100); {
				case r < 30 || len(live) < 5:
					batch := make([]Article, 1+c.r.IntN(6))
					for i := range batch {
						batch[i] = c.newArticle()
					}
					if err := e.Add(ctx, batch...); err != nil {
						t.Fatalf("op %d: add: %v", op, err)
					}
				case r < 40:
					a := c.article(live[c.r.IntN(len(live))])
					if err := e.Upsert(ctx, a); err != nil {
						t.Fatalf("op %d: upsert: %v", op, err)
					}
				case r < 48:
					if err := e.Delete(ctx, live[c.r.IntN(len(live))]); err != nil {
						t.Fatalf("op %d: delete: %v", op, err)
					}
				case r < 53:
					gen, err := e.Refit(ctx)
					if err != nil {
						t.Fatalf("op %d: refit: %v", op, err)
					}
					checkFromScratch(t, ms, gen)
				default:
					queries++
					q := c.query(live)
					gen := e.Stats().Generation
					ref := newReference(ms.generation(gen), opts.Model.WithDefaults().TF == vectorize.TFSublinear, ms)
					if c.r.IntN(4) == 0 {
						title, body := c.text(3), c.text(20)
						res, err := e.SimilarText(ctx, title, body, "", q)
						if err != nil {
							t.Fatalf("op %d: similar text: %v", op, err)
						}
						an, _ := e.Analyzer().Analyze(docOf(title, body))
						want := ref.similar(ref.weigh(countsMap(an.Counts)), "", q, opts.Dedup)
						checkMatches(t, fmt.Sprintf("op %d text %+v", op, q), res.Matches, want)
						continue
					}
					id := live[c.r.IntN(len(live))]
					res, err := e.Similar(ctx, id, q)
					if err != nil {
						t.Fatalf("op %d: similar %s: %v", op, id, err)
					}
					if res.Generation != gen {
						t.Fatalf("op %d: generation %d, want %d", op, res.Generation, gen)
					}
					want := ref.similar(ref.vecs[id], id, q, opts.Dedup)
					checkMatches(t, fmt.Sprintf("op %d similar %s %+v", op, id, q), res.Matches, want)
				}
			}
			if queries < ops/4 {
				t.Fatalf("only %d queries checked", queries)
			}
			t.Logf("%d queries; stats %+v", queries, e.Stats())
			if st := e.Stats(); st.Articles != len(liveIDs(ms)) {
				t.Errorf("Stats().Articles = %d, want %d", st.Articles, len(liveIDs(ms)))
			}
		})
	}
}

// modelOptions alternates the zero value (the default tf) with the other
// tf, so both weightings are checked against the reference.
func modelOptions(seed uint64) (o vectorize.ModelOptions) {
	if seed%2 == 1 {
		o.TF = vectorize.TFRaw
		if vectorize.DefaultTF == vectorize.TFRaw {
			o.TF = vectorize.TFSublinear
		}
	}
	return o
}

// checkFromScratch checks that a refit's idf table is the one a fit from
// scratch on the stored collection gives.
func checkFromScratch(t *testing.T, ms *memStore, gen uint64) {
	t.Helper()
	g := ms.generation(gen)
	ms.mu.Lock()
	defer ms.mu.Unlock()
	df := map[string]uint32{}
	for _, c := range ms.counts {
		for _, tc := range c {
			df[tc.Term]++
		}
	}
	if g.N != len(ms.articles) || !maps.Equal(g.DF, df) {
		t.Fatalf("generation %d: N %d, %d terms; from scratch N %d, %d terms", gen, g.N, len(g.DF), len(ms.articles), len(df))
	}
}

func TestQueryValidation(t *testing.T) {
	ctx := context.Background()
	e, err := Open(ctx, newMemStore(), Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if err := e.Add(ctx, Article{ID: "a", Body: "some text here"}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		q     Query
		field string
	}{
		{Query{K: -1}, "k"},
		{Query{K: 101}, "k"},
		{Query{MinScore: 1.5}, "min_score"},
		{Query{MinScore: math.NaN()}, "min_score"},
		{Query{From: time.Now(), To: time.Now().Add(-time.Hour)}, "to"},
	}
	for _, tt := range tests {
		_, err := e.Similar(ctx, "a", tt.q)
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != tt.field {
			t.Errorf("query %+v: got %v, want a FieldError on %s", tt.q, err, tt.field)
		}
	}
	if _, err := e.Similar(ctx, "nope", Query{}); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown id: got %v, want ErrNotFound", err)
	}
}

func TestWriteValidation(t *testing.T) {
	ctx := context.Background()
	ms := newMemStore()
	e, err := Open(ctx, ms, Options{MaxBodyBytes: 100}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	good := Article{ID: "ok", Body: "fine text"}
	tests := []struct {
		a     Article
		field string
	}{
		{Article{Body: "x"}, "id"},
		{Article{ID: strings.Repeat("x", 257), Body: "x"}, "id"},
		{Article{ID: "tab\there", Body: "x"}, "id"},
		{Article{ID: "bad\xff", Body: "x"}, "id"},
		{Article{ID: "a"}, "body"},
		{Article{ID: "a", Body: "   \n "}, "body"},
		{Article{ID: "a", Body: strings.Repeat("word ", 30)}, "body"},
		{Article{ID: "a", Body: "x", Title: "bad\xc3"}, "title"},
		{Article{ID: "a", Body: "x", URL: "not a url"}, "url"},
		{Article{ID: "a", Body: "x", URL: "ftp://example.com/x"}, "url"},
		{Article{ID: "a", Body: "x", Lang: "de"}, "lang"},
		{Article{ID: "a", Body: "x", Category: "bad\x00"}, "category"},
	}
	for _, tt := range tests {
		err := e.Upsert(ctx, good, tt.a)
		var fe *FieldError
		var be *BatchError
		if !errors.As(err, &be) || be.Index != 1 || !errors.As(err, &fe) || fe.Field != tt.field {
			t.Errorf("article %+v: got %v, want a BatchError at 1 with a FieldError on %s", tt.a, err, tt.field)
		}
	}
	if err := e.Upsert(ctx, good, good); err == nil {
		t.Error("a batch repeating an id was accepted")
	}
	if ms.commits != 0 || e.Stats().Articles != 0 {
		t.Errorf("bad batches wrote: %d commits, %d articles", ms.commits, e.Stats().Articles)
	}
	if err := e.Add(ctx, good); err != nil {
		t.Fatal(err)
	}
	if err := e.Add(ctx, good); !errors.Is(err, ErrExists) {
		t.Errorf("Add of an existing id: got %v, want ErrExists", err)
	}
	if err := e.Delete(ctx, "missing"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Delete of a missing id: got %v, want ErrNotFound", err)
	}
}

func docOf(title, body string) vectorize.Document {
	return vectorize.Document{Title: title, Body: body}
}

func countsMap(c vectorize.Counts) map[string]float64 {
	m := make(map[string]float64, len(c))
	for _, tc := range c {
		m[tc.Term] = float64(tc.Count)
	}
	return m
}
