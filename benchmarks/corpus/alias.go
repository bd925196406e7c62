package corpus

import "math"

// alias samples an index from a fixed discrete distribution in O(1) with
// Walker's alias method: one 64-bit random number picks a cell (high half)
// and decides between the cell and its alias (low half).
type alias struct {
	cells []aliasCell
}

type aliasCell struct {
	thresh uint32 // keep the cell's own index when the low 32 bits are below this
	alias  uint32
}

// newAlias builds the table for weights w, which must be non-negative with
// a positive sum (Vose's variant, numerically stable).
func newAlias(w []float64) alias {
	n := len(w)
	sum := 0.0
	for _, x := range w {
		sum += x
	}
	prob := make([]float64, n)
	small := make([]int, 0, n)
	large := make([]int, 0, n)
	for i, x := range w {
		prob[i] = x / sum * float64(n)
		if prob[i] < 1 {
			small = append(small, i)
		} else {
			large = append(large, i)
		}
	}
	cells := make([]aliasCell, n)
	for len(small) > 0 && len(large) > 0 {
		s, l := small[len(small)-1], large[len(large)-1]
		small = small[:len(small)-1]
		cells[s] = aliasCell{thresh: scale32(prob[s]), alias: uint32(l)}
		prob[l] -= 1 - prob[s]
		if prob[l] < 1 {
			large = large[:len(large)-1]
			small = append(small, l)
		}
	}
	// What is left has probability 1 up to rounding: the cell always
	// answers itself, whatever the low bits say.
	for _, i := range append(small, large...) {
		cells[i] = aliasCell{thresh: math.MaxUint32, alias: uint32(i)}
	}
	return alias{cells: cells}
}

func scale32(p float64) uint32 {
	x := p * (1 << 32)
	if x >= math.MaxUint32 {
		return math.MaxUint32
	}
	return uint32(x)
}

// sample maps the uniform 64-bit x to an index distributed as the weights.
func (a *alias) sample(x uint64) int {
	i := (x >> 32) * uint64(len(a.cells)) >> 32
	c := a.cells[i]
	if uint32(x) < c.thresh {
		return int(i)
	}
	return int(c.alias)
}

// zipf returns the weights 1/(r+q)^s for ranks r = 1..n.
func zipf(n int, q, s float64) []float64 {
	w := make([]float64, n)
	for i := range w {
		w[i] = 1 / math.Pow(float64(i+1)+q, s)
	}
	return w
}
