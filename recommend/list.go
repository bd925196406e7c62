package recommend

import (
	"cmp"
	"container/heap"
	"context"
	"fmt"
	"slices"
	"sync/atomic"

	"github.com/readalike/readalike/vectorize"
)

// ListQuery says which articles List returns: newest first, optionally of
// one category and one language, a page at a time.
type ListQuery struct {
	Category string // "" for any
	Lang     string // "" for any
	Offset   int    // articles skipped
	Limit    int    // at most this many; 0 means DefaultListLimit, at most MaxListLimit
}

// Limits of a ListQuery.
const (
	DefaultListLimit = 20
	MaxListLimit     = 100
)

// ArticleList is a page of articles, newest first.
type ArticleList struct {
	Total    int       `json:"total"` // articles matching, on every page
	Offset   int       `json:"offset"`
	Limit    int       `json:"limit"`
	Articles []Article `json:"articles"` // without their bodies
}

// List returns a page of the collection's articles, newest first: by
// published date (the date written when there is none), then by id. The
// articles come from the store, with their summaries and reads, without
// their bodies. It takes time in proportion to the collection. Errors: a
// *FieldError for a bad query.
func (e *Engine) List(ctx context.Context, lq ListQuery) (ArticleList, error) {
	if lq.Limit == 0 {
		lq.Limit = DefaultListLimit
	}
	switch {
	case lq.Offset < 0:
		return ArticleList{}, &FieldError{"offset", "must not be negative"}
	case lq.Limit < 0 || lq.Limit > MaxListLimit:
		return ArticleList{}, &FieldError{"limit", fmt.Sprintf("must be an integer from 1 to %d", MaxListLimit)}
	}
	lang := -1
	if lq.Lang != "" {
		code, err := vectorize.CanonicalLang(lq.Lang)
		if err != nil {
			return ArticleList{}, &FieldError{"lang", err.Error()}
		}
		lang = int(langIndex(code))
	}
	v := e.view.Load()
	cat := int64(-1)
	if lq.Category != "" {
		n, ok := v.cats.num[lq.Category]
		if !ok {
			return ArticleList{Offset: lq.Offset, Limit: lq.Limit, Articles: []Article{}}, nil
		}
		cat = int64(n)
	}
	// The newest offset+limit, in a min-heap of the oldest first.
	h := &newest{v: v}
	want := lq.Offset + lq.Limit
	total := 0
	for d := range v.n {
		if !v.alive(d) || (cat >= 0 && int64(v.docs.cats[d]) != cat) || (lang >= 0 && int(v.docs.langs[d]) != lang) {
			continue
		}
		total++
		if h.Len() < want {
			heap.Push(h, d)
		} else if h.less(h.docs[0], d) {
			h.docs[0] = d
			heap.Fix(h, 0)
		}
	}
	docs := slices.Clone(h.docs)
	slices.SortFunc(docs, func(a, b int32) int {
		if h.less(a, b) {
			return 1
		}
		return -1
	})
	out := ArticleList{Total: total, Offset: lq.Offset, Limit: lq.Limit, Articles: []Article{}}
	for _, d := range docs[min(lq.Offset, len(docs)):] {
		a, err := e.store.Article(ctx, v.docs.ids[d])
		if err != nil {
			return ArticleList{}, fmt.Errorf("list: %w", err)
		}
		a.Body = ""
		out.Articles = append(out.Articles, a)
	}
	return out, nil
}

// newest is a heap of doc numbers, the oldest on top.
type newest struct {
	v    *view
	docs []int32
}

// less reports whether doc a is older than doc b: by published (else
// written) date, then by id descending.
func (h *newest) less(a, b int32) bool {
	t := &h.v.docs
	ta, tb := t.pubs[a], t.pubs[b]
	if ta == 0 {
		ta = t.created[a]
	}
	if tb == 0 {
		tb = t.created[b]
	}
	if ta != tb {
		return ta < tb
	}
	return t.ids[a] > t.ids[b]
}

func (h *newest) Len() int           { return len(h.docs) }
func (h *newest) Less(i, j int) bool { return h.less(h.docs[i], h.docs[j]) }
func (h *newest) Swap(i, j int)      { h.docs[i], h.docs[j] = h.docs[j], h.docs[i] }
func (h *newest) Push(x any)         { h.docs = append(h.docs, x.(int32)) }
func (h *newest) Pop() any {
	x := h.docs[len(h.docs)-1]
	h.docs = h.docs[:len(h.docs)-1]
	return x
}

// Overview is what a reading app shows of its collection on a dashboard.
type Overview struct {
	Categories map[string]int `json:"categories"` // articles per category ("" for none)
	Languages  map[string]int `json:"languages"`  // articles per language
	Reads      uint64         `json:"reads"`      // reads recorded, over the articles there are
	MostRead   []ReadStat     `json:"most_read"`  // the most read articles, most first
}

// ReadStat is an article's read count.
type ReadStat struct {
	ID        string `json:"id"`
	Title     string `json:"title"`
	ReadCount uint64 `json:"read_count"`
}

// Overview returns the collection's figures by category, language and
// reads, with its n most read articles (ties by id). It takes time in
// proportion to the collection.
func (e *Engine) Overview(n int) Overview {
	v := e.view.Load()
	o := Overview{Categories: map[string]int{}, Languages: map[string]int{}, MostRead: []ReadStat{}}
	codes := languageCodes()
	for d := range v.n {
		if !v.alive(d) {
			continue
		}
		o.Categories[v.cats.names[v.docs.cats[d]]]++
		o.Languages[codes[v.docs.langs[d]]]++
		r := atomic.LoadUint64(&v.docs.reads[d])
		o.Reads += r
		if r == 0 {
			continue
		}
		s := ReadStat{ID: v.docs.ids[d], Title: v.docs.titles[d], ReadCount: r}
		i, _ := slices.BinarySearchFunc(o.MostRead, s, func(a, b ReadStat) int {
			if c := cmp.Compare(b.ReadCount, a.ReadCount); c != 0 {
				return c
			}
			return cmp.Compare(a.ID, b.ID)
		})
		if i < n {
			o.MostRead = slices.Insert(o.MostRead, i, s)
			if len(o.MostRead) > n {
				o.MostRead = o.MostRead[:n]
			}
		}
	}
	return o
}
