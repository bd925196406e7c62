package vectorize

import (
	"slices"
	"strings"
)

// TermCount is one term of an article and how often it occurs, title
// occurrences already multiplied by the title weight, and the word the
// article writes it as most often (normalised; "" when that is the term
// itself, or the counts come from where words were not kept).
type TermCount struct {
	Term  string
	Count uint32
	Word  string
}

// Counts is an article's term counts, sorted by Term, each term once.
// Storage relies on the order to encode it compactly.
type Counts []TermCount

// CountsFromMap returns the counts of m sorted by term.
func CountsFromMap(m map[string]uint32) Counts {
	c := make(Counts, 0, len(m))
	for t, n := range m {
		c = append(c, TermCount{Term: t, Count: n})
	}
	slices.SortFunc(c, func(a, b TermCount) int { return strings.Compare(a.Term, b.Term) })
	return c
}

// Total returns the sum of the counts.
func (c Counts) Total() int {
	n := 0
	for _, tc := range c {
		n += int(tc.Count)
	}
	return n
}
