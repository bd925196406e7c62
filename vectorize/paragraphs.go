package vectorize

import (
	"hash/maphash"
	"iter"
	"strings"
)

// Paragraphs splits normalised text into paragraphs: on blank lines, or on
// single newlines where the text has no blank line. Empty paragraphs are
// left out.
func Paragraphs(text string) []string {
	lines := strings.Split(text, "\n")
	blank := false
	for _, l := range lines {
		if strings.TrimSpace(l) == "" {
			blank = true
			break
		}
	}
	var ps []string
	if !blank {
		for _, l := range lines {
			if l = strings.TrimSpace(l); l != "" {
				ps = append(ps, l)
			}
		}
		return ps
	}
	start := 0
	for i := 0; i <= len(lines); i++ {
		if i < len(lines) && strings.TrimSpace(lines[i]) != "" {
			continue
		}
		if p := strings.TrimSpace(strings.Join(lines[start:i], "\n")); p != "" {
			ps = append(ps, p)
		}
		start = i + 1
	}
	return ps
}

// DropRepeated returns the paragraphs that do not repeat an earlier one word
// for word (spacing aside), in order, and how many were dropped. Reading apps
// and feeds often store a body twice; counting it twice would double every
// term. ps is reused.
func DropRepeated(ps []string) (kept []string, dropped int) {
	if len(ps) < 2 {
		return ps, 0
	}
	seed := maphash.MakeSeed()
	seen := make(map[uint64][]int, len(ps)) // hash of the words -> indexes in kept
	kept = ps[:0]
	for _, p := range ps {
		h := wordsHash(seed, p)
		dup := false
		for _, i := range seen[h] {
			if sameWords(kept[i], p) {
				dup = true
				break
			}
		}
		if dup {
			dropped++
			continue
		}
		seen[h] = append(seen[h], len(kept))
		kept = append(kept, p)
	}
	return kept, dropped
}

// wordsHash hashes the whitespace-separated words of s, so texts that differ
// only in spacing hash alike.
func wordsHash(seed maphash.Seed, s string) uint64 {
	var h maphash.Hash
	h.SetSeed(seed)
	for w := range strings.FieldsSeq(s) {
		h.WriteString(w)
		h.WriteByte(' ')
	}
	return h.Sum64()
}

// sameWords reports whether a and b hold the same words in the same order.
func sameWords(a, b string) bool {
	na, stopA := iter.Pull(strings.FieldsSeq(a))
	defer stopA()
	nb, stopB := iter.Pull(strings.FieldsSeq(b))
	defer stopB()
	for {
		wa, okA := na()
		wb, okB := nb()
		if okA != okB || wa != wb {
			return false
		}
		if !okA {
			return true
		}
	}
}
