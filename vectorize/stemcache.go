package vectorize

import (
	"hash/maphash"
	"strings"
	"sync"
)

const stemShards = 32

// stemCache memoises a stemmer. It is bounded: each shard keeps two
// generations of at most perShard entries; when the current one fills up it
// becomes the previous one and the one before is dropped, so frequent words
// survive (a hit in the previous generation is promoted) and memory stays
// under 2*perShard*stemShards entries. It is safe for concurrent use.
type stemCache struct {
	stem     func(string, bool) string
	seed     maphash.Seed
	perShard int
	shards   [stemShards]stemShard
}

type stemShard struct {
	mu        sync.RWMutex
	cur, prev map[string]string
	_         [24]byte // 64 bytes a shard: no false sharing between shards
}

func newStemCache(stem func(string, bool) string, size int) *stemCache {
	per := max(size/stemShards, 16)
	c := &stemCache{stem: stem, seed: maphash.MakeSeed(), perShard: per}
	for i := range c.shards {
		c.shards[i].cur = make(map[string]string, per)
	}
	return c
}

// get returns the stem of word, which must be a normalised word. The
// returned string never aliases word, so a stem kept by the caller does not
// pin the article text in memory.
func (c *stemCache) get(word string) string {
	s := &c.shards[maphash.String(c.seed, word)%stemShards]
	s.mu.RLock()
	v, ok := s.cur[word]
	s.mu.RUnlock()
	if ok {
		return v
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if v, ok = s.cur[word]; ok {
		return v
	}
	if v, ok = s.prev[word]; !ok {
		v = strings.Clone(c.stem(word, true))
	}
	if len(s.cur) >= c.perShard {
		s.prev, s.cur = s.cur, make(map[string]string, c.perShard)
	}
	s.cur[strings.Clone(word)] = v
	return v
}
