package vectorize

import (
	"strings"
	"sync"
)

// Dictionary assigns every term a dense id, starting at 0, and never
// forgets one, so ids stay valid across model generations. It is safe for
// concurrent use; the zero value is an empty dictionary.
type Dictionary struct {
	mu    sync.RWMutex
	ids   map[string]uint32
	terms []string
}

// NewDictionary returns an empty dictionary.
func NewDictionary() *Dictionary { return &Dictionary{} }

// ID returns the id of term and whether the dictionary has it.
func (d *Dictionary) ID(term string) (uint32, bool) {
	d.mu.RLock()
	id, ok := d.ids[term]
	d.mu.RUnlock()
	return id, ok
}

// Add returns the id of term, assigning the next one if term is new.
func (d *Dictionary) Add(term string) uint32 {
	if id, ok := d.ID(term); ok {
		return id
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.add(term)
}

func (d *Dictionary) add(term string) uint32 {
	if id, ok := d.ids[term]; ok {
		return id
	}
	if d.ids == nil {
		d.ids = make(map[string]uint32)
	}
	id := uint32(len(d.terms))
	term = strings.Clone(term) // don't keep the caller's text alive
	d.ids[term] = id
	d.terms = append(d.terms, term)
	return id
}

// AddAll returns the ids of the terms of c, assigning new ones as needed,
// appended to dst in the order of c.
func (d *Dictionary) AddAll(dst []uint32, c Counts) []uint32 {
	start := len(dst)
	d.mu.RLock()
	for _, tc := range c {
		id, ok := d.ids[tc.Term]
		if !ok {
			break
		}
		dst = append(dst, id)
	}
	d.mu.RUnlock()
	if len(dst)-start == len(c) {
		return dst
	}
	dst = dst[:start]
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, tc := range c {
		dst = append(dst, d.add(tc.Term))
	}
	return dst
}

// Term returns the term with the given id, or "" when there is none.
func (d *Dictionary) Term(id uint32) string {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if int(id) >= len(d.terms) {
		return ""
	}
	return d.terms[id]
}

// Len returns the number of terms.
func (d *Dictionary) Len() int {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return len(d.terms)
}
