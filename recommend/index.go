package recommend

import (
	"cmp"
	"hash/maphash"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/readalike/readalike/vectorize"
)

// index is the in-memory inverted index of one model generation: term id ->
// postings (doc number, weight), doc number -> vector and the fields a
// Neighbor shows. Doc numbers are dense and assigned in order; a deleted or
// replaced article's number is marked dead at the epoch of the write that
// removed it, and dropped at the next refit, which numbers the articles
// densely again.
//
// Queries never lock the index. One writer at a time (Engine.applyMu)
// appends docs and postings beyond what the last published view shows,
// marks docs dead at the next epoch, and then publishes a new view; a query
// reads a view and sees exactly the articles alive at its epoch, however
// many writes land while it runs. Slices a view holds are never written
// below the view's doc count, and grow by copying.
type index struct {
	model      *vectorize.Model
	generation uint64

	// The split of the terms that lets a query skip most postings: a term
	// in more than commonDF articles when the index was built is common.
	// cn[d] is the L2 norm of article d's weights on the common terms, so
	// the common terms add at most |q_common| * cn[d] to its score. byCN
	// lists the articles numbered below sorted by cn descending; later ones
	// are scanned in full. Fixed once the index is built.
	common   []bool // by term id; terms beyond its length are rare
	commonDF int
	byCN     []int32
	sorted   int32 // doc numbers below this are in byCN

	ids idMap // article id -> its live doc number
	// seq is odd while the writer changes ids and publishes the view that
	// goes with the change: see Engine.resolve.
	seq atomic.Uint64
	// maxReads is the most reads an article of the index had (for
	// popularity); it never goes down until the next refit.
	maxReads atomic.Uint64
}

// docTable holds the per-doc fields in flat slices. A view holds the
// table's slice headers as of its epoch; the writer appends to its own
// copy, which writes past the end of the slices every view holds (or into
// new arrays, when append grows them), and publishes them in the next view.
type docTable struct {
	ids, titles, urls []string
	vecs              []vectorize.Vector
	cats              []uint32 // category numbers
	pubs              []int64  // published, unix nanoseconds, 0 when unknown
	cn                []float32
	dead              []uint32 // the epoch a doc died at, 0 while alive; read and written atomically
	langs             []uint8  // index in vectorize.Languages()
	created           []int64  // unix nanoseconds
	// The article's reads, changed in place by Engine.Read under applyMu,
	// read atomically: a view sees the latest count of its docs.
	reads    []uint64
	lastRead []int64 // unix nanoseconds, 0 when never read
}

func newDocTable(capacity int) docTable {
	return docTable{
		ids: make([]string, 0, capacity), titles: make([]string, 0, capacity), urls: make([]string, 0, capacity),
		vecs: make([]vectorize.Vector, 0, capacity), cats: make([]uint32, 0, capacity),
		pubs: make([]int64, 0, capacity), cn: make([]float32, 0, capacity), dead: make([]uint32, 0, capacity),
		langs: make([]uint8, 0, capacity), created: make([]int64, 0, capacity),
		reads: make([]uint64, 0, capacity), lastRead: make([]int64, 0, capacity),
	}
}

// add appends a doc.
func (t *docTable) add(a *Article, vec vectorize.Vector, cat uint32, cn float32) {
	t.ids, t.titles, t.urls = append(t.ids, a.ID), append(t.titles, a.Title), append(t.urls, a.URL)
	t.vecs, t.cats, t.pubs = append(t.vecs, vec), append(t.cats, cat), append(t.pubs, unixNano(a.Published))
	t.cn, t.dead = append(t.cn, cn), append(t.dead, 0)
	t.langs, t.created = append(t.langs, langIndex(a.Lang)), append(t.created, unixNano(a.Created))
	t.reads, t.lastRead = append(t.reads, a.ReadCount), append(t.lastRead, unixNano(a.LastRead))
}

// langIndex returns the index of a canonical language code in
// vectorize.Languages(), 0 for one it lacks.
func langIndex(lang string) uint8 {
	if lang == "" {
		lang = vectorize.DefaultLang
	}
	if i := slices.Index(languageCodes(), lang); i >= 0 {
		return uint8(i)
	}
	return 0
}

// languageCodes is vectorize.Languages(), computed once.
var languageCodes = sync.OnceValue(vectorize.Languages)

// postingList is the postings of one term, doc numbers ascending: the part
// built with the index, immutable, then the part appended since.
type postingList struct {
	docs []int32
	ws   []float32
	tail atomic.Pointer[postingTail]
}

// postingTail holds postings appended after the index was built; the
// writer fills slot n before it stores n+1, and replaces the tail with a
// bigger copy when it is full.
type postingTail struct {
	docs []int32
	ws   []float32
	n    atomic.Int32
}

// appended returns the postings appended so far.
func (p *postingList) appended() ([]int32, []float32) {
	t := p.tail.Load()
	if t == nil {
		return nil, nil
	}
	n := t.n.Load()
	return t.docs[:n], t.ws[:n]
}

// add appends a posting; only the writer calls it.
func (p *postingList) add(d int32, w float32) {
	t := p.tail.Load()
	n := int32(0)
	if t != nil {
		n = t.n.Load()
	}
	if t == nil || int(n) == len(t.docs) {
		size := max(4, 2*int(n))
		g := &postingTail{docs: make([]int32, size), ws: make([]float32, size)}
		if t != nil {
			copy(g.docs, t.docs[:n])
			copy(g.ws, t.ws[:n])
		}
		g.n.Store(n)
		p.tail.Store(g)
		t = g
	}
	t.docs[n], t.ws[n] = d, w
	t.n.Store(n + 1)
}

// len returns the number of postings.
func (p *postingList) len() int {
	n := len(p.docs)
	if t := p.tail.Load(); t != nil {
		n += int(t.n.Load())
	}
	return n
}

// categories numbers category names; immutable, replaced when one is
// added.
type categories struct {
	names []string
	num   map[string]uint32
}

// with returns c, or a copy that numbers name too, and name's number.
func (c *categories) with(name string) (*categories, uint32) {
	if n, ok := c.num[name]; ok {
		return c, n
	}
	g := &categories{names: append(slices.Clip(c.names), name), num: make(map[string]uint32, len(c.num)+1)}
	for k, v := range c.num {
		g.num[k] = v
	}
	n := uint32(len(c.names))
	g.num[name] = n
	return g, n
}

// view is what a query reads: an index and its tables as of one epoch. A
// view is immutable; the engine publishes a new one after each write.
type view struct {
	ix    *index
	docs  docTable
	terms []*postingList // by term id
	cats  *categories
	n     int32  // docs numbered below n exist in this view
	epoch uint32 // writes applied
	live  int    // articles alive
	lists neighborLists
}

// alive reports whether doc d is an article of the collection as of v.
func (v *view) alive(d int32) bool {
	if d >= v.n {
		return false
	}
	dead := atomic.LoadUint32(&v.docs.dead[d])
	return dead == 0 || dead > v.epoch
}

// neighbor returns the Neighbor of doc number d with the given score.
func (v *view) neighbor(d int32, score float64) Neighbor {
	t := v.docs
	return Neighbor{
		ID: t.ids[d], Title: t.titles[d], Score: score, URL: t.urls[d],
		Category:  v.cats.names[t.cats[d]],
		Published: fromUnixNano(t.pubs[d]),
	}
}

// postings returns the postings of term t, or nil when no article has it.
func (v *view) postings(t uint32) *postingList {
	if int(t) < len(v.terms) {
		return v.terms[t]
	}
	return nil
}

// isCommon reports whether term t is common (see index).
func (v *view) isCommon(t uint32) bool {
	return int(t) < len(v.ix.common) && v.ix.common[t]
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

// builder makes the first view of a new index from every article, before
// anyone can query it.
type builder struct {
	ix   *index
	docs docTable
	cats *categories
}

func newBuilder(m *vectorize.Model, generation uint64, sizeHint int) *builder {
	return newBuilderCap(m, generation, sizeHint+sizeHint/8+1024)
}

// newBuilderCap is newBuilder with tables of exactly capacity docs, for an
// index that never grows (Block).
func newBuilderCap(m *vectorize.Model, generation uint64, capacity int) *builder {
	return &builder{
		ix:   &index{model: m, generation: generation},
		docs: newDocTable(capacity),
		cats: &categories{names: []string{""}, num: map[string]uint32{"": 0}},
	}
}

// add appends an article with its vector.
func (b *builder) add(a *Article, vec vectorize.Vector) {
	var c uint32
	b.cats, c = b.cats.with(a.Category)
	b.ix.ids.set(a.ID, int32(len(b.docs.ids)))
	b.docs.add(a, vec, c, 0)
	if a.ReadCount > b.ix.maxReads.Load() {
		b.ix.maxReads.Store(a.ReadCount)
	}
}

// loadUint64 reads a read count atomically.
func loadUint64(p *uint64) uint64 { return atomic.LoadUint64(p) }

// view builds the postings, sizing every list exactly, splits the terms
// and returns the index's first view.
func (b *builder) view() *view {
	t := &b.docs
	size := 0
	for _, v := range t.vecs {
		if len(v) > 0 {
			size = max(size, int(v[len(v)-1].ID)+1)
		}
	}
	counts := make([]int32, size)
	for _, v := range t.vecs {
		for _, e := range v {
			counts[e.ID]++
		}
	}
	// Every term id gets a list, empty or not: the writer then never sets
	// an entry a view can read (see writer.put).
	terms := make([]*postingList, size)
	for id, n := range counts {
		terms[id] = &postingList{docs: make([]int32, 0, n), ws: make([]float32, 0, n)}
	}
	for d, v := range t.vecs {
		for _, e := range v {
			p := terms[e.ID]
			p.docs = append(p.docs, int32(d))
			p.ws = append(p.ws, e.Weight)
		}
	}
	ix := b.ix
	ix.commonDF = max(64, len(t.ids)/50)
	ix.common = make([]bool, size)
	for id, n := range counts {
		ix.common[id] = int(n) > ix.commonDF
	}
	ix.byCN = make([]int32, len(t.ids))
	for d, v := range t.vecs {
		t.cn[d] = ix.commonNorm(v)
		ix.byCN[d] = int32(d)
	}
	slices.SortFunc(ix.byCN, func(a, b int32) int { return cmp.Compare(t.cn[b], t.cn[a]) })
	ix.sorted = int32(len(t.ids))
	return &view{ix: ix, docs: *t, terms: terms, cats: b.cats, n: int32(len(t.ids)), live: len(t.ids)}
}

// splitTerms's cut, documented where it is made: a term is common when more
// than 2% of the articles, and more than 64, hold it. Measured on the
// synthetic 100,000-article corpus, this cut leaves a query about 9% of the
// postings to read and a dozen articles to score exactly
// (benchmarks/scale_test.go).

// writer applies changes to an index beyond its last view. Only the
// goroutine holding Engine.applyMu uses it.
type writer struct {
	v     *view // the last view published
	docs  docTable
	terms []*postingList
	cats  *categories
	n     int32
	live  int
	epoch uint32           // the epoch being written: v.epoch + 1
	ids   map[string]int32 // changes to ix.ids made at this epoch; -1 removes
	lists neighborLists    // kept while lists.valid (maintain.go)
	log   *[]listOp        // while the lists are rebuilt, the changes to replay on them
	s     *searcher        // scratch space of list maintenance
}

func newWriter(v *view) *writer {
	return &writer{v: v, docs: v.docs, terms: v.terms, cats: v.cats, n: v.n, live: v.live, epoch: v.epoch + 1,
		ids: map[string]int32{}, lists: v.lists}
}

// lookup returns the doc of an id as written so far.
func (w *writer) lookup(id string) (int32, bool) {
	if d, ok := w.ids[id]; ok {
		return d, d >= 0
	}
	return w.v.ix.ids.get(id)
}

// remove marks the article with that id dead at w's epoch, if the index
// has it.
func (w *writer) remove(id string) bool {
	d, ok := w.lookup(id)
	if !ok {
		return false
	}
	w.ids[id] = -1
	atomic.StoreUint32(&w.docs.dead[d], w.epoch)
	w.live--
	if w.lists.valid {
		w.maintainRemove(d)
	}
	if w.log != nil {
		*w.log = append(*w.log, listOp{doc: d})
	}
	return true
}

// put adds an article with its vector, marking dead the article it
// replaces.
func (w *writer) put(a *Article, vec vectorize.Vector) {
	if old, ok := w.lookup(a.ID); ok {
		// The reads of the article it replaces, as counted in memory: some
		// may have come after the caller read the stored article.
		cp := *a
		cp.ReadCount = atomic.LoadUint64(&w.docs.reads[old])
		cp.LastRead = fromUnixNano(atomic.LoadInt64(&w.docs.lastRead[old]))
		a = &cp
	}
	w.remove(a.ID)
	var c uint32
	w.cats, c = w.cats.with(a.Category)
	d := w.n
	w.docs.add(a, vec, c, w.v.ix.commonNorm(vec))
	if n := len(vec); n > 0 && int(vec[n-1].ID) >= len(w.terms) {
		// New term ids get new lists past the end of every view's table;
		// an entry a view can read is never set.
		for range int(vec[n-1].ID) + 1 - len(w.terms) {
			w.terms = append(w.terms, &postingList{})
		}
	}
	for _, e := range vec {
		w.terms[e.ID].add(d, e.Weight)
	}
	w.n++
	w.live++
	w.ids[a.ID] = d
	if w.lists.valid {
		w.maintainAdd(d)
	}
	if w.log != nil {
		*w.log = append(*w.log, listOp{doc: d, added: true})
	}
}

// read counts a read of the article with that id, if w has it, and returns
// its count and last read then.
func (w *writer) read(id string, at time.Time) (uint64, time.Time, bool) {
	d, ok := w.lookup(id)
	if !ok {
		return 0, time.Time{}, false
	}
	n := atomic.AddUint64(&w.docs.reads[d], 1)
	if n > w.v.ix.maxReads.Load() {
		w.v.ix.maxReads.Store(n)
	}
	last := atomic.LoadInt64(&w.docs.lastRead[d])
	if at.UnixNano() > last {
		last = at.UnixNano()
		atomic.StoreInt64(&w.docs.lastRead[d], last)
	}
	return n, fromUnixNano(last), true
}

// publish makes everything written visible: it changes the id map and
// stores the view of w's epoch in dst, in one step as Engine.resolve sees
// them (ix.seq odd in between), and starts a new epoch.
func (w *writer) publish(dst *atomic.Pointer[view]) {
	v := &view{ix: w.v.ix, docs: w.docs, terms: w.terms, cats: w.cats, n: w.n, epoch: w.epoch, live: w.live, lists: w.lists}
	ix := v.ix
	ix.seq.Add(1)
	for id, d := range w.ids {
		if d < 0 {
			ix.ids.remove(id)
		} else {
			ix.ids.set(id, d)
		}
	}
	dst.Store(v)
	ix.seq.Add(1)
	w.v, w.epoch = v, w.epoch+1
	clear(w.ids)
}

// idMap maps article ids to doc numbers, in shards so that writers and
// readers rarely meet on one lock.
type idMap struct {
	once   sync.Once
	seed   maphash.Seed
	shards [64]idShard
}

type idShard struct {
	mu sync.RWMutex
	m  map[string]int32
}

func (m *idMap) shard(id string) *idShard {
	m.once.Do(func() { m.seed = maphash.MakeSeed() })
	return &m.shards[maphash.String(m.seed, id)%uint64(len(m.shards))]
}

func (m *idMap) get(id string) (int32, bool) {
	s := m.shard(id)
	s.mu.RLock()
	d, ok := s.m[id]
	s.mu.RUnlock()
	return d, ok
}

func (m *idMap) set(id string, d int32) {
	s := m.shard(id)
	s.mu.Lock()
	if s.m == nil {
		s.m = make(map[string]int32)
	}
	s.m[id] = d
	s.mu.Unlock()
}

func (m *idMap) remove(id string) {
	s := m.shard(id)
	s.mu.Lock()
	delete(s.m, id)
	s.mu.Unlock()
}

// bytes estimates the memory the view's index holds, and the part of it
// that is the articles' raw text (ids, titles, URLs). Go's allocation size
// classes and map overheads add somewhat to it; the figure is what the
// structures need, not a heap profile.
func (v *view) bytes() (total, text int64) {
	const entry = 8 // a vector entry or a posting: 4-byte id, 4-byte weight
	t := v.docs
	for d := range v.n {
		total += int64(cap(t.vecs[d]))*entry + 24
		text += int64(len(t.ids[d]) + len(t.titles[d]) + len(t.urls[d]))
	}
	for _, p := range v.terms {
		if p == nil {
			continue
		}
		total += int64(cap(p.docs))*4 + int64(cap(p.ws))*4 + 56
		if tl := p.tail.Load(); tl != nil {
			total += int64(len(tl.docs)) * entry
		}
	}
	// ids, titles, urls (3 string headers), vecs header counted above, cats,
	// pubs, cn, dead, byCN, and an id map entry (string header, int32,
	// about 20 bytes of map overhead), over the table's capacity.
	total += int64(cap(t.ids))*(48+4+8+4+4) + int64(len(v.ix.byCN))*4 + int64(v.live)*40
	return total + text, text
}
