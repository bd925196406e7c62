package recommend

import (
	"cmp"
	"slices"

	"github.com/readalike/readalike/vectorize"
)

// ExplainTerms is how many shared terms an explanation lists; the rest are
// folded into Other.
const ExplainTerms = 6

// Explanation says why an article is a neighbor: the terms it shares with
// the query, largest contribution (the product of the two weights) first.
// The contributions of Terms and Other add up to the cosine score.
type Explanation struct {
	Terms []TermShare `json:"terms"`
	Other float64     `json:"other"` // the shared terms beyond those listed
}

// TermShare is one shared term and its part of the score.
type TermShare struct {
	Word         string  `json:"word"` // the term as readers write it: its most frequent form in the collection
	Term         string  `json:"term"` // the index term (a stem)
	Contribution float64 `json:"contribution"`
}

// explain returns the explanation of the cosine of query vector q with
// doc d of v, whose score is score (as computed by the search: a sum in term
// id order, which Other absorbs the rounding of).
func (e *Engine) explain(v *view, q vectorize.Vector, d int32, score float64) *Explanation {
	dv := v.docs.vecs[d]
	var shares []TermShare
	ids := []uint32{}
	i, j := 0, 0
	for i < len(q) && j < len(dv) {
		switch {
		case q[i].ID < dv[j].ID:
			i++
		case q[i].ID > dv[j].ID:
			j++
		default:
			shares = append(shares, TermShare{Contribution: float64(q[i].Weight) * float64(dv[j].Weight)})
			ids = append(ids, q[i].ID)
			i++
			j++
		}
	}
	w := e.words.Load()
	for k := range shares {
		shares[k].Term = e.dict.Term(ids[k])
		shares[k].Word = w.word(ids[k], shares[k].Term)
	}
	slices.SortFunc(shares, func(a, b TermShare) int {
		if c := cmp.Compare(b.Contribution, a.Contribution); c != 0 {
			return c
		}
		return cmp.Compare(a.Term, b.Term)
	})
	x := &Explanation{Terms: shares[:min(ExplainTerms, len(shares))]}
	listed := 0.0
	for _, t := range x.Terms {
		listed += t.Contribution
	}
	x.Other = score - listed
	return x
}
