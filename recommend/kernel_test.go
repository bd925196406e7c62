package recommend

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/readalike/readalike/vectorize"
)

func TestAddPostings(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 15, 16, 17, 100, 1000} {
		acc, want := make([]float32, n), make([]float32, n)
		marks := make([]uint8, lines(n))
		for range 5 {
			var docs []int32
			var ws []float32
			for d := range n {
				if r.IntN(3) == 0 {
					docs, ws = append(docs, int32(d)), append(ws, r.Float32())
				}
			}
			w := r.Float32()
			addPostings(acc, marks, docs, ws, w)
			for j, d := range docs {
				want[d] += w * ws[j]
			}
		}
		if !slices.Equal(acc, want) {
			t.Fatalf("n=%d: got %v, want %v", n, acc, want)
		}
		for d, a := range acc {
			if a != 0 && marks[d>>lineShift] == 0 {
				t.Fatalf("n=%d: doc %d holds %v but its line is not marked", n, d, a)
			}
		}
	}
}

func TestBelow(t *testing.T) {
	docs := []int32{1, 4, 9, 12}
	ws := []float32{1, 2, 3, 4}
	for _, c := range []struct {
		n    int32
		want int
	}{{0, 0}, {1, 0}, {2, 1}, {9, 2}, {10, 3}, {13, 4}, {100, 4}} {
		d, w := below(docs, ws, c.n)
		if len(d) != c.want || len(w) != c.want {
			t.Errorf("below(%d): got %d docs, %d weights, want %d", c.n, len(d), len(w), c.want)
		}
	}
}

func TestFirstAbove(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 2000 {
		n := r.IntN(40)
		a, c := make([]float32, n), make([]float32, n+r.IntN(3))
		for i := range a {
			a[i] = r.Float32() * 0.5
		}
		for i := range c {
			c[i] = r.Float32()
		}
		qc, floor := r.Float32(), r.Float32()*1.2
		want := n
		for i := range a {
			if a[i]+qc*c[i] >= floor {
				want = i
				break
			}
		}
		if got := firstAbove(a, c, qc, floor); got != want {
			t.Fatalf("firstAbove(%v, %v, %v, %v) = %d, want %d", a, c, qc, floor, got, want)
		}
	}
}

// randomVector returns a normalised vector over a vocabulary of terms
// whose first hundred are common and weigh little, as in TF-IDF, and the
// rest rare. One in a hundred is mostly common terms weighing much, so
// that its best neighbors may share no rare term with it.
func randomVector(r *rand.Rand, vocab int) vectorize.Vector {
	seen := map[uint32]bool{}
	var v vectorize.Vector
	var sq float64
	heavy := r.IntN(100) == 0
	for i := range 5 + r.IntN(40) {
		var id uint32
		var w float64
		switch {
		case heavy && i > 0:
			id, w = uint32(r.IntN(20)), 0.5+r.Float64()
		case r.IntN(3) == 0:
			id, w = uint32(r.IntN(100)), 0.05+0.2*r.Float64()
		default:
			id, w = uint32(100+r.IntN(vocab-100)), 0.5+r.Float64()
		}
		if seen[id] {
			continue
		}
		seen[id] = true
		v = append(v, vectorize.Entry{ID: id, Weight: float32(w)})
		sq += w * w
	}
	for i := range v {
		v[i].Weight = float32(float64(v[i].Weight) / math.Sqrt(sq))
	}
	slices.SortFunc(v, func(a, b vectorize.Entry) int { return cmp.Compare(a.ID, b.ID) })
	return v
}

// prunedOnly runs the pruned search without falling back to reading every
// posting when the bounds leave many candidates, which only saves time: it
// checks the bounds alone. ok is false when the rare terms found fewer
// than k articles, where the search must read everything.
func prunedOnly(s *searcher, v *view, q vectorize.Vector, f *filter, k int, minScore float64) (top []scored, ok bool) {
	s.prepare(v, q, s.exhaustive)
	s.accumulate(v)
	s.choose(v, f, k, minScore)
	if s.common > 0 && len(s.top) < k {
		s.reset(v)
		return nil, false
	}
	top = s.finish(v, k, minScore)
	s.reset(v)
	return top, true
}

// isHeavy reports whether randomVector made v mostly of common terms.
func isHeavy(v vectorize.Vector) bool {
	n := 0
	for _, e := range v {
		if e.ID < 20 {
			n++
		}
	}
	return n >= 4 && n*2 >= len(v)
}

// bruteTop returns the k best docs of v for q under f by vectorize.Cosine.
func bruteTop(v *view, q vectorize.Vector, f *filter, k int, minScore float64) []scored {
	var all []scored
	for d := range v.n {
		if !f.allows(v, d) {
			continue
		}
		if s := vectorize.Cosine(q, v.docs.vecs[d]); s > 0 && s >= minScore {
			all = append(all, scored{d, s})
		}
	}
	slices.SortFunc(all, func(a, b scored) int { return byScore(v, a, b) })
	return all[:min(k, len(all))]
}

// TestTopKOnViews checks the pruned and the exhaustive search against brute
// force on views whose posting lists have built parts and appended tails,
// some of whose docs died at a later epoch, and whose tails already hold
// docs past the view's end that a later view shows.
func TestTopKOnViews(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	const vocab, built = 3000, 4000
	b := newBuilder(vectorize.NewModel(vectorize.NewDictionary(), built, nil, vectorize.ModelOptions{}), 1, built)
	cats := []string{"", "a", "b", "c"}
	for d := range built {
		b.add(&Article{ID: fmt.Sprintf("x%05d", d), Category: cats[d%len(cats)]}, randomVector(r, vocab))
	}
	v0 := b.view()
	w := newWriter(v0)
	var views []*view
	for round := range 4 {
		for i := range 300 {
			w.put(&Article{ID: fmt.Sprintf("y%d-%03d", round, i), Category: cats[i%len(cats)]}, randomVector(r, vocab))
		}
		for range 40 {
			w.remove(fmt.Sprintf("x%05d", r.IntN(built)))
		}
		var dst atomic.Pointer[view]
		w.publish(&dst)
		views = append(views, dst.Load())
	}
	// More postings past the last view's end, as a writer leaves them
	// before it publishes.
	for i := range 200 {
		w.put(&Article{ID: fmt.Sprintf("z%03d", i)}, randomVector(r, vocab))
	}
	views = append([]*view{v0}, views...)
	for vi, v := range views {
		for _, exhaustive := range []bool{false, true} {
			s := &searcher{exhaustive: exhaustive}
			for qi := range 60 {
				var q vectorize.Vector
				f := &filter{self: -1, trivial: true}
				if qi%3 == 0 {
					q = randomVector(r, vocab)
				} else {
					d := int32(r.IntN(int(v.n)))
					for qi%6 == 5 && !isHeavy(v.docs.vecs[d]) {
						d = (d + 1) % v.n
					}
					q, f.self = v.docs.vecs[d], d
				}
				if qi%4 == 1 {
					f = &filter{self: f.self, categories: []uint32{v.cats.num["a"], v.cats.num["c"]}}
				}
				k := 1 + r.IntN(15)
				minScore := 0.0
				if qi%5 == 2 {
					minScore = 0.2
				}
				got := s.topK(v, q, f, k, minScore)
				want := bruteTop(v, q, f, k, minScore)
				if !slices.Equal(got, want) {
					t.Fatalf("view %d (n=%d), exhaustive=%v, query %d, k=%d: got %v, want %v", vi, v.n, exhaustive, qi, k, got, want)
				}
				if got, ok := prunedOnly(s, v, q, f, k, minScore); ok && !slices.Equal(got, want) {
					t.Fatalf("view %d (n=%d), query %d, k=%d, bounds only: got %v, want %v", vi, v.n, qi, k, got, want)
				}
			}
			if !exhaustive && vi == 0 && s.stats.skipped == 0 {
				t.Errorf("view %d: the pruned search skipped no postings", vi)
			}
			if slices.ContainsFunc(s.acc, func(a float32) bool { return a != 0 }) || slices.Contains(s.marks, 1) {
				t.Fatal("the searcher left its accumulator dirty")
			}
		}
	}
}
