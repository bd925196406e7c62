package benchmarks

import (
	"cmp"
	"context"
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/readalike/readalike/recommend"
	"github.com/readalike/readalike/storage"
	"github.com/readalike/readalike/vectorize"
)

// The baseline the engine's search and batch are held to (issue 16): a
// plain Go loop over a CSR matrix of the same collection, with the same
// model and vectors, written the way one would write it without thinking
// about the hardware. Two of them: the exhaustive loop, which reads every
// posting of every query term into a dense accumulator and scans it for the
// top k, and an L2AP-style pruned one, which reads the postings of the rare
// terms only and bounds what the common ones can add by prefix norms kept
// in the postings (Anastasiu and Karypis's L2AP bound, for top k). Both are
// benchmarked in the same run as the engine, and report ns per posting per
// core: elapsed time times threads over the postings an exhaustive scan
// reads, so that pruning shows as a lower cost per posting.

// plainMatrix is a collection's vectors as a CSR matrix (rows are
// articles, columns terms) and its transpose, the inverted index.
type plainMatrix struct {
	n      int
	rowPtr []int64
	cols   []uint32
	vals   []float32
	colPtr []int64
	rows   []int32
	cvals  []float32
	// The pruned loop's: pnorm[j] is the norm of article rows[j]'s weights
	// on the terms more common than posting j's term (df descending, then
	// term id); a term is common when more than commonDF articles hold it;
	// cn[d] is d's norm on the common terms, byCN the articles by cn
	// descending.
	pnorm    []float32
	df       []int32
	commonDF int32
	cn       []float32
	byCN     []int32
}

// loadPlainMatrix reads the store in dir and builds the matrix with the
// store's model generation.
func loadPlainMatrix(b *testing.B, dir string) *plainMatrix {
	b.Helper()
	ctx := context.Background()
	db, err := storage.Open(dir, storage.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	gen, err := db.Generation(ctx)
	if err != nil {
		b.Fatal(err)
	}
	model := vectorize.NewModel(vectorize.NewDictionary(), gen.N, gen.DF, vectorize.ModelOptions{})
	m := &plainMatrix{rowPtr: []int64{0}}
	err = db.Scan(ctx, false, func(_ *recommend.Article, c vectorize.Counts) error {
		for _, e := range model.IndexVector(c) {
			m.cols = append(m.cols, e.ID)
			m.vals = append(m.vals, e.Weight)
		}
		m.rowPtr = append(m.rowPtr, int64(len(m.cols)))
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	m.n = len(m.rowPtr) - 1
	m.transpose()
	return m
}

// transpose builds the inverted index and the pruned loop's bounds.
func (m *plainMatrix) transpose() {
	terms := 0
	for _, t := range m.cols {
		terms = max(terms, int(t)+1)
	}
	m.df = make([]int32, terms)
	for _, t := range m.cols {
		m.df[t]++
	}
	m.colPtr = make([]int64, terms+1)
	for t, n := range m.df {
		m.colPtr[t+1] = m.colPtr[t] + int64(n)
	}
	m.rows = make([]int32, len(m.cols))
	m.cvals = make([]float32, len(m.cols))
	m.pnorm = make([]float32, len(m.cols))
	m.commonDF = int32(max(64, m.n/50))
	m.cn = make([]float32, m.n)
	m.byCN = make([]int32, m.n)
	next := slices.Clone(m.colPtr[:terms])
	var order []int64
	for d := range m.n {
		lo, hi := m.rowPtr[d], m.rowPtr[d+1]
		order = order[:0]
		for p := lo; p < hi; p++ {
			order = append(order, p)
		}
		// Most common first: a posting's prefix norm covers the terms
		// before it.
		slices.SortFunc(order, func(a, b int64) int {
			if c := cmp.Compare(m.df[m.cols[b]], m.df[m.cols[a]]); c != 0 {
				return c
			}
			return cmp.Compare(m.cols[a], m.cols[b])
		})
		var sq, csq float64
		pn := make(map[uint32]float32, len(order))
		for _, p := range order {
			t, w := m.cols[p], float64(m.vals[p])
			pn[t] = float32(math.Sqrt(sq))
			sq += w * w
			if m.df[t] > m.commonDF {
				csq += w * w
			}
		}
		m.cn[d] = float32(math.Sqrt(csq))
		m.byCN[d] = int32(d)
		for p := lo; p < hi; p++ {
			t := m.cols[p]
			j := next[t]
			next[t]++
			m.rows[j], m.cvals[j], m.pnorm[j] = int32(d), m.vals[p], pn[t]
		}
	}
	slices.SortFunc(m.byCN, func(a, b int32) int { return cmp.Compare(m.cn[b], m.cn[a]) })
}

// exhaustivePostings returns the postings an exhaustive scan reads for the
// query of article d.
func (m *plainMatrix) exhaustivePostings(d int) int64 {
	var n int64
	for p := m.rowPtr[d]; p < m.rowPtr[d+1]; p++ {
		n += int64(m.df[m.cols[p]])
	}
	return n
}

// plainHit is an article with a score.
type plainHit struct {
	doc   int32
	score float64
}

// plainTop keeps the k best hits, best first.
func plainTop(top []plainHit, h plainHit, k int) []plainHit {
	if len(top) == k && h.score <= top[k-1].score {
		return top
	}
	i := len(top)
	for i > 0 && top[i-1].score < h.score {
		i--
	}
	top = slices.Insert(top, i, h)
	return top[:min(len(top), k)]
}

// plainSearcher is one thread's scratch space.
type plainSearcher struct {
	m       *plainMatrix
	acc     []float32
	bnd     []float32
	qdense  []float32
	touched []int32
	top     []plainHit
	cands   []plainHit
	read    int64 // postings read
}

func (m *plainMatrix) searcher() *plainSearcher {
	return &plainSearcher{m: m, acc: make([]float32, m.n), bnd: make([]float32, m.n), qdense: make([]float32, len(m.df))}
}

// exhaustive returns the k best articles for article q: every posting of
// its terms into a dense accumulator, then a scan of it.
func (s *plainSearcher) exhaustive(q, k int) []plainHit {
	m, acc := s.m, s.acc
	for p := m.rowPtr[q]; p < m.rowPtr[q+1]; p++ {
		t, w := m.cols[p], m.vals[p]
		lo, hi := m.colPtr[t], m.colPtr[t+1]
		s.read += hi - lo
		for j := lo; j < hi; j++ {
			acc[m.rows[j]] += w * m.cvals[j]
		}
	}
	acc[q] = 0
	top := s.top[:0]
	for d, a := range acc {
		if a > 0 {
			top = plainTop(top, plainHit{int32(d), float64(a)}, k)
			acc[d] = 0
		}
	}
	s.top = top
	return top
}

// exact returns the cosine of the query in qdense with article d.
func (s *plainSearcher) exact(d int32) float64 {
	m := s.m
	var sum float64
	for p := m.rowPtr[d]; p < m.rowPtr[d+1]; p++ {
		sum += float64(s.qdense[m.cols[p]]) * float64(m.vals[p])
	}
	return sum
}

// pruned returns the k best articles for article q, L2AP-style: the rare
// terms' postings, rarest first, accumulate a partial score and keep the
// prefix norm of the last posting read, which bounds what the common terms
// can add; the k best partial scores, scored exactly, give a threshold;
// then every article whose bound reaches it is scored exactly, best bound
// first.
func (s *plainSearcher) pruned(q, k int) []plainHit {
	m, acc, bnd := s.m, s.acc, s.bnd
	type qt struct {
		t uint32
		w float32
	}
	var rare []qt
	var csq float64
	for p := m.rowPtr[q]; p < m.rowPtr[q+1]; p++ {
		t, w := m.cols[p], m.vals[p]
		s.qdense[t] = w
		if m.df[t] > m.commonDF {
			csq += float64(w) * float64(w)
		} else {
			rare = append(rare, qt{t, w})
		}
	}
	qc := math.Sqrt(csq)
	slices.SortFunc(rare, func(a, b qt) int {
		if c := cmp.Compare(m.df[a.t], m.df[b.t]); c != 0 {
			return c
		}
		return cmp.Compare(b.t, a.t)
	})
	touched := s.touched[:0]
	for _, e := range rare {
		lo, hi := m.colPtr[e.t], m.colPtr[e.t+1]
		s.read += hi - lo
		for j := lo; j < hi; j++ {
			d := m.rows[j]
			if acc[d] == 0 {
				touched = append(touched, d)
			}
			acc[d] += e.w * m.cvals[j]
			bnd[d] = m.pnorm[j]
		}
	}
	// The probe: the k best partial scores, scored exactly.
	probe := s.top[:0]
	for _, d := range touched {
		if d != int32(q) {
			probe = plainTop(probe, plainHit{d, float64(acc[d])}, k)
		}
	}
	top := make([]plainHit, 0, k)
	for _, h := range probe {
		acc[h.doc] = -1
		top = plainTop(top, plainHit{h.doc, s.exact(h.doc)}, k)
	}
	theta := 0.0
	if len(top) == k {
		theta = top[k-1].score - 1e-4
	}
	cands := s.cands[:0]
	for _, d := range touched {
		if a := acc[d]; a > 0 && d != int32(q) {
			if ub := float64(a) + qc*float64(bnd[d]); ub >= theta {
				cands = append(cands, plainHit{d, ub})
			}
		}
	}
	for _, d := range m.byCN {
		ub := qc * float64(m.cn[d])
		if ub < theta || len(top) < k {
			break
		}
		if acc[d] == 0 && d != int32(q) {
			cands = append(cands, plainHit{d, ub})
		}
	}
	slices.SortFunc(cands, func(a, b plainHit) int { return cmp.Compare(b.score, a.score) })
	for _, c := range cands {
		if len(top) == k && c.score < top[k-1].score-1e-4 {
			break
		}
		top = plainTop(top, plainHit{c.doc, s.exact(c.doc)}, k)
	}
	for _, d := range touched {
		acc[d] = 0
	}
	for p := m.rowPtr[q]; p < m.rowPtr[q+1]; p++ {
		s.qdense[m.cols[p]] = 0
	}
	s.touched, s.cands = touched, cands
	if len(top) < k && qc > 0 {
		// Too few articles share a rare term: the plain loop.
		return s.exhaustive(q, k)
	}
	return top
}

// plainBatch answers every article's query on threads goroutines, a chunk
// at a time, and returns the postings read.
func (m *plainMatrix) plainBatch(threads, k int, pruned bool) int64 {
	var next atomic.Int64
	var read atomic.Int64
	var wg sync.WaitGroup
	for range threads {
		wg.Go(func() {
			s := m.searcher()
			for {
				lo := int(next.Add(64) - 64)
				if lo >= m.n {
					break
				}
				for q := lo; q < min(lo+64, m.n); q++ {
					if pruned {
						s.pruned(q, k)
					} else {
						s.exhaustive(q, k)
					}
				}
			}
			read.Add(s.read)
		})
	}
	wg.Wait()
	return read.Load()
}

var (
	plainOnce   sync.Once
	plainShared *plainMatrix
)

// plainOf returns the plain matrix of the shared collection.
func plainOf(b *testing.B, c *collection) *plainMatrix {
	plainOnce.Do(func() { plainShared = loadPlainMatrix(b, c.dir) })
	return plainShared
}

// BenchmarkPlainLoop measures the baseline: single queries by id (latency
// percentiles) and the batch of every article's top 5 on all cores, with
// the exhaustive and the pruned loop.
//
//	go test ./benchmarks -run XXX -bench 'PlainLoop|Batch|Similar' -benchtime 1x -timeout 2h
func BenchmarkPlainLoop(b *testing.B) {
	c := synthetic(b)
	m := plainOf(b, c)
	var all int64 // postings of an exhaustive batch
	for d := range m.n {
		all += m.exhaustivePostings(d)
	}
	for _, pruned := range []bool{false, true} {
		name := map[bool]string{false: "exhaustive", true: "pruned"}[pruned]
		b.Run("similar/"+name, func(b *testing.B) {
			s := m.searcher()
			var exh int64
			r := timeQueries(b, func(i int) error {
				q := (i * 7919) % m.n
				exh += m.exhaustivePostings(q)
				if pruned {
					s.pruned(q, 5)
				} else {
					s.exhaustive(q, 5)
				}
				return nil
			})
			reportLatency(b, r.lat)
			reportPercentiles(b, "cpu", r.cpu)
			var cpu time.Duration
			for _, c := range r.cpu {
				cpu += c
			}
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(exh), "ns/posting")
			b.ReportMetric(1-float64(s.read)/float64(exh), "skipped-share")
		})
		b.Run("batch/"+name, func(b *testing.B) {
			threads := runtime.GOMAXPROCS(0)
			var took, cpu time.Duration
			var read int64
			for b.Loop() {
				start, c0 := time.Now(), processCPU()
				read = m.plainBatch(threads, 5, pruned)
				took, cpu = time.Since(start), processCPU()-c0
			}
			b.ReportMetric(took.Seconds(), "s/run")
			b.ReportMetric(cpu.Seconds()/float64(threads), "cpu-s")
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(all), "ns/posting-core")
			b.ReportMetric(1-float64(read)/float64(all), "skipped-share")
		})
	}
}
