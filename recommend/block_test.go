package recommend_test

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/readalike/readalike/recommend"
	"github.com/readalike/readalike/vectorize"
)

// blockArticles returns the articles of s as blocks hold them, weighted
// with e's model (whose dictionary has every term already: the vectors are
// the engine's own).
func blockArticles(t *testing.T, e *recommend.Engine, s recommend.Store) []recommend.BlockArticle {
	t.Helper()
	m := e.Model()
	var arts []recommend.BlockArticle
	err := s.Scan(context.Background(), false, func(a *recommend.Article, c vectorize.Counts) error {
		arts = append(arts, recommend.BlockArticle{ID: a.ID, Vector: m.IndexVector(c), Category: a.Category, Published: a.Published})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return arts
}

// inBlocks answers q for every article the way cmd/readalike-beam does:
// every block's FirstCandidates merged, a Block over them answers; the
// queries it does not settle ask every block again for CandidateCount.
func inBlocks(arts []recommend.BlockArticle, size int, q recommend.Query) (map[string][]recommend.Neighbor, int) {
	var blocks []*recommend.Block
	for lo := 0; lo < len(arts); lo += size {
		blocks = append(blocks, recommend.NewBlock(arts[lo:min(lo+size, len(arts))], recommend.Options{}))
	}
	byID := map[string]recommend.BlockArticle{}
	for _, a := range arts {
		byID[a.ID] = a
	}
	answer := func(a recommend.BlockArticle, n int) ([]recommend.Neighbor, bool) {
		var merged []recommend.Neighbor
		for _, b := range blocks {
			merged = recommend.MergeCandidates(n, merged, b.Candidates(a.Vector, a.ID, q, n))
		}
		cands := make([]recommend.BlockArticle, len(merged))
		for i, c := range merged {
			cands[i] = byID[c.ID]
		}
		return recommend.NewBlock(cands, recommend.Options{}).Nearest(a.Vector, a.ID, q, n)
	}
	out := map[string][]recommend.Neighbor{}
	again := 0
	for _, a := range arts {
		ns, sure := answer(a, recommend.FirstCandidates(q))
		if !sure {
			again++
			ns, _ = answer(a, recommend.CandidateCount(q))
		}
		out[a.ID] = ns
	}
	return out, again
}

// TestBlocksMatchBatch checks that the block API answers every article
// exactly as Engine.Batch does, over the whole collection in one block and
// over blocks of several sizes, with a cluster of near-copies larger than
// FirstCandidates and one larger than DedupWindow.
func TestBlocksMatchBatch(t *testing.T) {
	ctx := context.Background()
	queries := []recommend.Query{
		{},
		{K: 12, NoDedup: true},
		{K: 3, Categories: []string{"sport", "tech"}, MinScore: 0.05},
		{K: 7, Exclude: []string{"copy-0003", "doc-0010"}, From: time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)},
	}
	for _, cluster := range []int{30, 2 * recommend.DedupWindow} {
		e, ms, _ := clustered(t, cluster)
		arts := blockArticles(t, e, ms)
		for qi, q := range queries {
			if cluster == 30 && qi > 0 {
				break // the cluster larger than the window tries them all
			}
			want := map[string][]recommend.Neighbor{}
			_, err := e.Batch(ctx, recommend.BatchOptions{Query: q}, func(id string, ns []recommend.Neighbor) error {
				want[id] = slices.Clone(ns)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			t.Run(fmt.Sprintf("cluster %d/query %d/one block", cluster, qi), func(t *testing.T) {
				b := recommend.NewBlock(arts, recommend.Options{})
				for _, a := range arts {
					got, sure := b.Nearest(a.Vector, a.ID, q, len(arts))
					if !sure {
						t.Fatalf("%s: the whole collection did not settle the answer", a.ID)
					}
					sameNeighbors(t, a.ID, got, want[a.ID])
				}
			})
			for _, size := range []int{97, 1000} {
				if testing.Short() && size < 1000 {
					continue
				}
				t.Run(fmt.Sprintf("cluster %d/query %d/blocks of %d", cluster, qi, size), func(t *testing.T) {
					got, again := inBlocks(arts, size, q)
					if len(got) != len(want) {
						t.Fatalf("answered %d articles, want %d", len(got), len(want))
					}
					for id, ns := range want {
						sameNeighbors(t, id, got[id], ns)
					}
					t.Logf("%d of %d queries asked the blocks again", again, len(arts))
				})
			}
		}
	}
}

// sameNeighbors fails unless got has want's ids and scores, to the bit.
func sameNeighbors(t *testing.T, id string, got, want []recommend.Neighbor) {
	t.Helper()
	same := len(got) == len(want)
	for i := 0; same && i < len(got); i++ {
		same = got[i].ID == want[i].ID && got[i].Score == want[i].Score
	}
	if !same {
		t.Fatalf("%s: got %v, want %v", id, brief(got), brief(want))
	}
}

func brief(ns []recommend.Neighbor) []string {
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = fmt.Sprintf("%s:%.17g", n.ID, n.Score)
	}
	return out
}

// TestBlockSmallOfLargeDictionary checks that a Block of a few articles
// whose terms have large ids in the model's dictionary costs memory for
// what it holds (cmd/readalike-beam builds one per query), and scores a
// query, whose other terms it lacks, as vectorize.Cosine does, to the bit.
func TestBlockSmallOfLargeDictionary(t *testing.T) {
	vec := func(ids ...uint32) vectorize.Vector {
		v := make(vectorize.Vector, len(ids))
		for i, id := range ids {
			v[i] = vectorize.Entry{ID: id, Weight: float32(i+1) / 10}
		}
		return v
	}
	arts := []recommend.BlockArticle{
		{ID: "a", Vector: vec(7, 40_000_000, 49_999_999)},
		{ID: "b", Vector: vec(40_000_000, 45_000_000)},
		{ID: "c", Vector: vec(3, 7)},
	}
	q := vec(1, 7, 12, 40_000_000, 41_000_000, 49_999_999, 60_000_000)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	b := recommend.NewBlock(arts, recommend.Options{})
	got := b.Candidates(q, "", recommend.Query{}, 3)
	runtime.ReadMemStats(&after)
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 64<<10 {
		// About 7 kB; tables sized for the dictionary took 4 GB here, and
		// tables with the engine's room to grow 143 kB.
		t.Errorf("a block of 3 articles and a query allocated %d bytes, want under 64 KiB", grew)
	}
	want := []recommend.Neighbor{}
	for _, a := range arts {
		want = append(want, recommend.Neighbor{ID: a.ID, Score: vectorize.Cosine(q, a.Vector)})
	}
	recommend.SortCandidates(want)
	sameNeighbors(t, "q", got, want)
}

func TestMergeCandidates(t *testing.T) {
	n := func(id string, s float64) recommend.Neighbor { return recommend.Neighbor{ID: id, Score: s} }
	tests := []struct {
		name    string
		k       int
		a, c    []recommend.Neighbor
		wantIDs []string
	}{
		{"empty", 3, nil, nil, []string{}},
		{"one side", 2, []recommend.Neighbor{n("a", 0.9), n("b", 0.5), n("c", 0.1)}, nil, []string{"a", "b"}},
		{"interleaved", 4, []recommend.Neighbor{n("a", 0.9), n("c", 0.5)}, []recommend.Neighbor{n("b", 0.7), n("d", 0.2)}, []string{"a", "b", "c", "d"}},
		{"ties by id", 3, []recommend.Neighbor{n("b", 0.5), n("d", 0.5)}, []recommend.Neighbor{n("a", 0.5), n("c", 0.5)}, []string{"a", "b", "c"}},
		{"same id once", 3, []recommend.Neighbor{n("a", 0.9), n("b", 0.5)}, []recommend.Neighbor{n("a", 0.9), n("c", 0.4)}, []string{"a", "b", "c"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := []string{}
			for _, x := range recommend.MergeCandidates(tt.k, tt.a, tt.c) {
				got = append(got, x.ID)
			}
			if !slices.Equal(got, tt.wantIDs) {
				t.Errorf("got %v, want %v", got, tt.wantIDs)
			}
		})
	}
}
