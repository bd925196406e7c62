package relevance

import (
	"fmt"

	"github.com/readalike/readalike/recommend"
	"github.com/readalike/readalike/vectorize"
)

// collapseDepth is how many neighbours the simulation of the collapsing
// rule asks for, so that five remain after near-duplicates among them go.
const collapseDepth = 15

// collapser simulates a near-duplicate rule that also compares neighbours
// with each other: walking a list best first, a neighbour scoring at or
// above the threshold against one already kept is the same story, and is
// left out.
type collapser struct {
	e     *recommend.Engine
	c     *Corpus
	dedup float64
	vecs  map[string]vectorize.Vector // by id, computed on first use
	kept  []recommend.Neighbor
}

func newCollapser(e *recommend.Engine, c *Corpus, dedup float64) *collapser {
	return &collapser{e: e, c: c, dedup: dedup, vecs: map[string]vectorize.Vector{}}
}

// vector returns the article's vector under the engine's current model:
// the same weights the index holds, as every term is in the dictionary.
func (cl *collapser) vector(id string) (vectorize.Vector, error) {
	if v, ok := cl.vecs[id]; ok {
		return v, nil
	}
	i, ok := cl.c.index[id]
	if !ok {
		return nil, fmt.Errorf("the engine returned id %q, which the corpus lacks", id)
	}
	a := cl.c.Articles[i]
	an, err := cl.e.Analyzer().Analyze(vectorize.Document{Title: a.Title, Body: a.Body, Lang: a.Lang})
	if err != nil {
		return nil, fmt.Errorf("analyze %s: %w", id, err)
	}
	v := cl.e.Model().QueryVector(an.Counts)
	cl.vecs[id] = v
	return v, nil
}

// collapse returns the first K neighbours of ms that are neither
// near-duplicates of the query (by their score, as the engine's rule has
// it) nor of a better neighbour. With dedup off it returns ms cut to K.
// The result is valid until the next call.
func (cl *collapser) collapse(ms []recommend.Neighbor) ([]recommend.Neighbor, error) {
	cl.kept = cl.kept[:0]
	for _, m := range ms {
		if len(cl.kept) == K {
			break
		}
		if m.Score >= cl.dedup {
			continue
		}
		v, err := cl.vector(m.ID)
		if err != nil {
			return nil, err
		}
		dup := false
		for _, k := range cl.kept {
			kv, _ := cl.vector(k.ID)
			if vectorize.Cosine(v, kv) >= cl.dedup {
				dup = true
				break
			}
		}
		if !dup {
			cl.kept = append(cl.kept, m)
		}
	}
	return cl.kept, nil
}
