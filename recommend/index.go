package recommend

import (
	"cmp"
	"math"
	"slices"

	"github.com/readalike/readalike/vectorize"
)

// index is the in-memory inverted index of one model generation: term id ->
// postings (doc number, weight) in flat slices, doc number -> vector and the
// metadata a Neighbor shows. Doc numbers are dense and assigned in order; a
// deleted or replaced article's number is tombstoned (live false), its
// postings skipped at query time, and both dropped at the next refit, which
// numbers the articles densely again.
//
// An index is guarded by Engine.mu: readers hold the read lock for a whole
// query, writers the write lock while they append.
type index struct {
	model      *vectorize.Model
	generation uint64

	// By doc number: what queries touch in hot loops sits in flat arrays,
	// the rest of an article in docs.
	docs     []doc
	vecs     []vectorize.Vector
	alive    []bool
	cats     []uint32 // category numbers
	pubs     []int64  // published, unix nanoseconds, 0 when unknown
	byID     map[string]int32
	dead     int       // tombstoned docs
	postings []posting // by term id

	// The split of the terms that lets a query skip most postings: a term
	// in more than commonDF articles when the index was built is common.
	// cn[d] is the L2 norm of article d's weights on the common terms, so
	// the common terms add at most |q_common| * cn[d] to its score. byCN
	// lists the articles numbered below sorted by cn descending; later ones
	// are scanned in full.
	common   []bool // by term id; terms beyond its length are rare
	commonDF int
	cn       []float32 // by doc number
	byCN     []int32
	sorted   int // doc numbers below this are in byCN

	categories  []string // by category number
	categoryNum map[string]uint32
}

// doc is what a Neighbor shows of an article beyond its score.
type doc struct {
	id, title, url string
}

// posting is the postings list of one term, doc numbers ascending.
type posting struct {
	docs    []int32
	weights []float32
}

func newIndex(m *vectorize.Model, generation uint64) *index {
	return &index{
		model:       m,
		generation:  generation,
		byID:        make(map[string]int32),
		categoryNum: map[string]uint32{"": 0},
		categories:  []string{""},
	}
}

// live returns the number of articles in the index.
func (ix *index) live() int { return len(ix.docs) - ix.dead }

// category returns the number of a category name, adding it if new.
func (ix *index) category(name string) uint32 {
	if n, ok := ix.categoryNum[name]; ok {
		return n
	}
	n := uint32(len(ix.categories))
	ix.categories = append(ix.categories, name)
	ix.categoryNum[name] = n
	return n
}

// put adds an article with its vector, tombstoning the article it replaces.
func (ix *index) put(a *Article, vec vectorize.Vector) {
	ix.remove(a.ID)
	d := ix.appendDoc(a, vec)
	ix.addPostings(d, vec)
	ix.cn = append(ix.cn, ix.commonNorm(vec))
}

// commonNorm is the L2 norm of a vector's weights on the common terms.
func (ix *index) commonNorm(vec vectorize.Vector) float32 {
	var sq float64
	for _, e := range vec {
		if int(e.ID) < len(ix.common) && ix.common[e.ID] {
			sq += float64(e.Weight) * float64(e.Weight)
		}
	}
	return float32(math.Sqrt(sq))
}

// splitTerms classifies the terms as common or rare by their document
// frequency now, and computes every article's norm on the common terms.
// A term is common when more than 2% of the articles, and more than 64,
// hold it: measured on the synthetic 100,000-article corpus, this cut
// leaves a query about 9% of the postings to read and a dozen articles to
// score exactly (benchmarks/scale_test.go).
func (ix *index) splitTerms() {
	ix.commonDF = max(64, len(ix.docs)/50)
	ix.common = make([]bool, len(ix.postings))
	for t := range ix.postings {
		ix.common[t] = len(ix.postings[t].docs) > ix.commonDF
	}
	ix.cn = make([]float32, len(ix.docs))
	ix.byCN = make([]int32, len(ix.docs))
	for d, v := range ix.vecs {
		ix.cn[d] = ix.commonNorm(v)
		ix.byCN[d] = int32(d)
	}
	slices.SortFunc(ix.byCN, func(a, b int32) int { return cmp.Compare(ix.cn[b], ix.cn[a]) })
	ix.sorted = len(ix.docs)
}

// appendDoc gives an article the next doc number, without postings.
func (ix *index) appendDoc(a *Article, vec vectorize.Vector) int32 {
	d := int32(len(ix.docs))
	ix.docs = append(ix.docs, doc{id: a.ID, title: a.Title, url: a.URL})
	ix.vecs = append(ix.vecs, vec)
	ix.alive = append(ix.alive, true)
	ix.cats = append(ix.cats, ix.category(a.Category))
	ix.pubs = append(ix.pubs, unixNano(a.Published))
	ix.byID[a.ID] = d
	return d
}

func (ix *index) addPostings(d int32, vec vectorize.Vector) {
	if n := len(vec); n > 0 {
		if need := int(vec[n-1].ID) + 1; need > len(ix.postings) {
			ix.postings = append(ix.postings, make([]posting, need-len(ix.postings))...)
		}
	}
	for _, e := range vec {
		p := &ix.postings[e.ID]
		p.docs = append(p.docs, d)
		p.weights = append(p.weights, e.Weight)
	}
}

// remove tombstones the article with that id, if the index has it.
func (ix *index) remove(id string) bool {
	d, ok := ix.byID[id]
	if !ok {
		return false
	}
	delete(ix.byID, id)
	ix.alive[d] = false
	ix.vecs[d] = nil // its postings stay until the next refit
	ix.dead++
	return true
}

// build fills the postings of an index whose docs were appended without
// them, sizing every list exactly.
func (ix *index) build() {
	size := 0
	for _, v := range ix.vecs {
		if len(v) > 0 {
			size = max(size, int(v[len(v)-1].ID)+1)
		}
	}
	counts := make([]int32, size)
	for _, v := range ix.vecs {
		for _, e := range v {
			counts[e.ID]++
		}
	}
	ix.postings = make([]posting, size)
	for t, n := range counts {
		if n > 0 {
			ix.postings[t] = posting{docs: make([]int32, 0, n), weights: make([]float32, 0, n)}
		}
	}
	for i, v := range ix.vecs {
		ix.addPostings(int32(i), v)
	}
	ix.splitTerms()
}

// match returns the Neighbor of doc number d with the given score.
func (ix *index) match(d int32, score float64) Neighbor {
	doc := &ix.docs[d]
	return Neighbor{
		ID: doc.id, Title: doc.title, Score: score, URL: doc.url,
		Category:  ix.categories[ix.cats[d]],
		Published: fromUnixNano(ix.pubs[d]),
	}
}

// bytes estimates the memory the index holds, and the part of it that is
// the articles' raw text (ids, titles, URLs). Go's allocation size classes
// and map overheads add somewhat to it; the figure is what the structures
// need, not a heap profile.
func (ix *index) bytes() (total, text int64) {
	const entry = 8 // a vector entry or a posting: 4-byte id, 4-byte weight
	for _, v := range ix.vecs {
		total += int64(cap(v))*entry + 24
	}
	for _, p := range ix.postings {
		total += int64(cap(p.docs))*4 + int64(cap(p.weights))*4 + 48
	}
	n := int64(len(ix.docs))
	// docs (3 string headers), alive, cats, pubs, cn, byCN, and a byID
	// entry (string header, int32, about 20 bytes of map overhead).
	total += n * (48 + 1 + 4 + 8 + 4 + 4 + 40)
	for i := range ix.docs {
		d := &ix.docs[i]
		text += int64(len(d.id) + len(d.title) + len(d.url))
	}
	return total + text, text
}
