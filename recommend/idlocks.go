package recommend

import (
	"hash/maphash"
	"slices"
	"sync"
)

const idStripes = 256

// idLocks serialise writes to the same article id, so the store and the
// index see them in the same order, while writes to other ids go on in
// parallel. Ids share stripes; a writer locks its stripes in ascending
// order, so two writers never wait on each other in a cycle. The zero value
// is ready to use.
type idLocks struct {
	once    sync.Once
	seed    maphash.Seed
	stripes [idStripes]sync.Mutex
}

// lock locks the stripes of ids and returns the function that unlocks them.
func (l *idLocks) lock(ids []string) (unlock func()) {
	l.once.Do(func() { l.seed = maphash.MakeSeed() })
	idx := make([]int, 0, len(ids))
	for _, id := range ids {
		idx = append(idx, int(maphash.String(l.seed, id)%idStripes))
	}
	slices.Sort(idx)
	idx = slices.Compact(idx)
	for _, i := range idx {
		l.stripes[i].Lock()
	}
	return func() {
		for _, i := range idx {
			l.stripes[i].Unlock()
		}
	}
}
