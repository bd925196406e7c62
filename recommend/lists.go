package recommend

import (
	"math"
	"sync/atomic"
)

// Neighbor lists, kept exact under writes. Within one generation the idf
// table is frozen, so the score of two stored articles never changes:
// each article's list of its best articles (raw: no filter, no
// near-duplicate rule, scores above 0, score descending then id
// ascending) changes only when an article joins or leaves the collection,
// and only in the lists it enters or leaves. The writer keeps them so
// (maintain.go), and an unfiltered Similar reads the list instead of
// searching (similar.go); both give the same answer to the last bit.
//
// A list holds at most m entries. It is always the exact top of the
// articles alive, as many as it holds; it is complete when it holds every
// article scoring above 0 (fewer than m do). A list that lost entries to
// deletions is no longer complete, and is recomputed once it holds fewer
// than half of m.

// neighborLists are the lists of one index, by doc number, in flat slices
// that grow like a docTable: a view holds their headers as of its epoch,
// and the writer changes a list in place under a sequence lock, stamping
// it with the epoch it writes, so that a reader either reads a list as it
// was at some epoch (and knows which) or tries again.
type neighborLists struct {
	m     int
	valid bool     // the lists are kept: answers may come from them
	ent   []uint64 // doc d's entries at d*m..d*m+m: neighbor doc << 32 | float32 bits of its score
	meta  []uint64 // doc d's: sequence << 40 | complete << 39 | count << 32 | epoch
	// floor[d] is the least score an article must reach to enter doc d's
	// list: its last entry's, or 0 while it takes any article (complete and
	// not full). Only the writer reads it.
	floor []float32
}

// listEntry is one entry of a list.
type listEntry struct {
	doc   int32
	score float32
}

func packEntry(e listEntry) uint64 {
	return uint64(uint32(e.doc))<<32 | uint64(math.Float32bits(e.score))
}

func unpackEntry(u uint64) listEntry {
	return listEntry{doc: int32(u >> 32), score: math.Float32frombits(uint32(u))}
}

const (
	metaEpoch    = 1<<32 - 1
	metaCount    = 0x7f << 32
	metaComplete = 1 << 39
	metaSeqOne   = 1 << 40
)

// newLists returns empty, invalid lists of m entries for n docs.
func newLists(m, n int) neighborLists {
	room := n + n/8 + 1024
	return neighborLists{m: m, ent: make([]uint64, n*m, room*m), meta: make([]uint64, n, room),
		floor: make([]float32, n, room)}
}

// grow appends empty lists up to n docs.
func (l *neighborLists) grow(n int) {
	for len(l.meta) < n {
		l.meta = append(l.meta, 0)
		l.floor = append(l.floor, 0)
		for range l.m {
			l.ent = append(l.ent, 0)
		}
	}
}

// read copies the list of doc d into buf and returns it, whether it is
// complete, and the epoch it was last written at. A list being written is
// read again; the writer is never waited for long (it writes m words).
func (l *neighborLists) read(d int32, buf []listEntry) (entries []listEntry, complete bool, epoch uint32) {
	if int(d) >= len(l.meta) {
		return nil, false, math.MaxUint32
	}
	for {
		m1 := atomic.LoadUint64(&l.meta[d])
		if m1&metaSeqOne != 0 { // odd sequence: being written
			continue
		}
		n := int(m1&metaCount) >> 32
		buf = buf[:0]
		base := int(d) * l.m
		for i := range n {
			buf = append(buf, unpackEntry(atomic.LoadUint64(&l.ent[base+i])))
		}
		if atomic.LoadUint64(&l.meta[d]) == m1 {
			return buf, m1&metaComplete != 0, uint32(m1 & metaEpoch)
		}
	}
}

// write replaces the list of doc d; only the writer calls it.
func (l *neighborLists) write(d int32, entries []listEntry, complete bool, epoch uint32) {
	old := atomic.LoadUint64(&l.meta[d])
	seq := old &^ (metaSeqOne - 1)
	atomic.StoreUint64(&l.meta[d], (seq+metaSeqOne)|(old&(metaSeqOne-1))) // odd: being written
	base := int(d) * l.m
	for i, e := range entries {
		atomic.StoreUint64(&l.ent[base+i], packEntry(e))
	}
	next := (seq + 2*metaSeqOne) | uint64(len(entries))<<32 | uint64(epoch)
	if complete {
		next |= metaComplete
	}
	atomic.StoreUint64(&l.meta[d], next)
	switch {
	case complete && len(entries) < l.m:
		l.floor[d] = 0
	case len(entries) == 0:
		l.floor[d] = float32(math.Inf(1)) // incomplete and empty: recomputed before use
	default:
		l.floor[d] = entries[len(entries)-1].score
	}
}

// bytes returns the memory the lists take.
func (l *neighborLists) bytes() int64 {
	return int64(cap(l.ent))*8 + int64(cap(l.meta))*8 + int64(cap(l.floor))*4
}
