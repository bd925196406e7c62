package recommend

import "slices"

// The hot loops of a search (topk.go), kept small and apart so that the
// compiler keeps everything in registers: reading postings into the
// accumulator, and walking the accumulator's touched lines.
//
// The accumulator is a dense []float32 by doc number. Instead of a list of
// the docs a search touched, it marks the lines of lineSize docs (64 bytes
// of accumulator) that hold something: a byte store per posting, with no
// branch and no dependency between postings, where appending to a touched
// list cost a compare and a dependent increment. The passes after it then
// read the accumulator line by line, in order, which the hardware
// prefetches, instead of jumping about in the order postings came in.
// Measured on the 100,000-article corpus (benchmarks/plainloop_test.go):
// postings cost what the plain loop's do, about 1.3 ns each per core, where
// the touched list cost 1.9.

const (
	lineShift = 4
	lineSize  = 1 << lineShift
)

// lines returns the number of accumulator lines that n docs take.
func lines(n int) int { return (n + lineSize - 1) >> lineShift }

// addPostings adds w times the weight of each posting to acc and marks the
// lines of the docs it adds to. acc must have room for every doc of docs,
// and marks a line for each lineSize of them.
func addPostings(acc []float32, marks []uint8, docs []int32, ws []float32, w float32) {
	ws = ws[:len(docs)]
	for j, d := range docs {
		acc[d] += w * ws[j]
		marks[uint32(d)>>lineShift] = 1
	}
}

// addPostingsBelow is addPostings for the postings of docs below x only,
// docs being sorted ascending; it returns how many it read.
func addPostingsBelow(acc []float32, marks []uint8, docs []int32, ws []float32, w float32, x int32) int {
	ws = ws[:len(docs)]
	for j, d := range docs {
		if d >= x {
			return j
		}
		acc[d] += w * ws[j]
		marks[uint32(d)>>lineShift] = 1
	}
	return len(docs)
}

// below returns the prefix of docs, sorted ascending, that is below n.
func below(docs []int32, ws []float32, n int32) ([]int32, []float32) {
	if len(docs) == 0 || docs[len(docs)-1] < n {
		return docs, ws[:len(docs)]
	}
	i, _ := slices.BinarySearch(docs, n)
	return docs[:i], ws[:i]
}

// firstAbove returns the first i at which a[i] + qc*c[i] reaches floor, or
// len(a) if none does. c must be at least as long as a.
func firstAbove(a, c []float32, qc, floor float32) int {
	c = c[:len(a)]
	i := 0
	for ; i+4 <= len(a); i += 4 {
		a4, c4 := (*[4]float32)(a[i:i+4]), (*[4]float32)(c[i:i+4])
		u0 := a4[0] + qc*c4[0]
		u1 := a4[1] + qc*c4[1]
		u2 := a4[2] + qc*c4[2]
		u3 := a4[3] + qc*c4[3]
		if u0 >= floor || u1 >= floor || u2 >= floor || u3 >= floor {
			break
		}
	}
	for ; i < len(a); i++ {
		if a[i]+qc*c[i] >= floor {
			return i
		}
	}
	return i
}
