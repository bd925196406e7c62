package recommend

import (
	"sync"

	"github.com/readalike/readalike/vectorize"
)

// words knows, for each index term (a stem), the word readers see it as:
// the form most articles write it in most often (vectorize.TermCount.Word).
// It is counted over the whole collection when an index is built (at start
// and at every refit); a term that is new since gets the form of the first
// article that has it. Safe for concurrent use; the zero value is empty.
type words struct {
	mu   sync.RWMutex
	best map[uint32]string // terms whose form is not the term itself
	seen map[uint32]bool   // terms new since the build, already given a form
}

// word returns the form of term id, whose text is term.
func (w *words) word(id uint32, term string) string {
	w.mu.RLock()
	defer w.mu.RUnlock()
	if s, ok := w.best[id]; ok {
		return s
	}
	return term
}

// learn gives the terms of an article written since the build that no
// article had then the article's forms of them.
func (w *words) learn(dict *vectorize.Dictionary, v *view, c vectorize.Counts) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, tc := range c {
		id, ok := dict.ID(tc.Term)
		if !ok || w.seen[id] {
			continue
		}
		if p := v.postings(id); p != nil && len(p.docs) > 0 {
			continue // counted at the build
		}
		if w.seen == nil {
			w.seen = map[uint32]bool{}
		}
		w.seen[id] = true
		if tc.Word != "" {
			if w.best == nil {
				w.best = map[uint32]string{}
			}
			w.best[id] = tc.Word
		}
	}
}

// wordVotes counts, while an index is built, how many articles write each
// term most often as each word other than the term itself.
type wordVotes map[uint32][]wordVote

type wordVote struct {
	word string
	n    uint32
}

// add counts the forms of one article whose term ids are ids (in the order
// of c).
func (wv wordVotes) add(dict *vectorize.Dictionary, c vectorize.Counts) {
	for _, tc := range c {
		if tc.Word == "" {
			continue
		}
		id, ok := dict.ID(tc.Term)
		if !ok {
			continue
		}
		vs := wv[id]
		i := 0
		for i < len(vs) && vs[i].word != tc.Word {
			i++
		}
		if i == len(vs) {
			vs = append(vs, wordVote{word: tc.Word})
		}
		vs[i].n++
		wv[id] = vs
	}
}

// words returns the forms the votes elect: a word other than the term wins
// when more articles write the term most often as it than as the term
// itself (df less the votes for other words) or any other word; ties go to
// the first in byte order.
func (wv wordVotes) words(v *view) *words {
	w := &words{best: make(map[uint32]string, len(wv))}
	for id, vs := range wv {
		total := uint32(0)
		best := wordVote{}
		for _, x := range vs {
			total += x.n
			if x.n > best.n || (x.n == best.n && x.word < best.word) {
				best = x
			}
		}
		self := uint32(0)
		if p := v.postings(id); p != nil && uint32(len(p.docs)) > total {
			self = uint32(len(p.docs)) - total
		}
		if best.n > self {
			w.best[id] = best.word
		}
	}
	return w
}
