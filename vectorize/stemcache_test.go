package vectorize

import (
	"fmt"
	"sync"
	"testing"

	"github.com/kljensen/snowball/english"
)

func TestStemCacheBounded(t *testing.T) {
	calls := 0
	var mu sync.Mutex
	c := newStemCache(func(w string, stop bool) string {
		mu.Lock()
		calls++
		mu.Unlock()
		return english.Stem(w, stop)
	}, 64*stemShards)
	for i := range 100000 {
		w := fmt.Sprintf("running%d", i)
		if got, want := c.get(w), english.Stem(w, true); got != want {
			t.Fatalf("get(%q) = %q, want %q", w, got, want)
		}
	}
	for i := range c.shards {
		s := &c.shards[i]
		if n := len(s.cur) + len(s.prev); n > 2*c.perShard {
			t.Fatalf("shard %d holds %d entries, bound %d", i, n, 2*c.perShard)
		}
	}
	// A hot word is served from the cache, not stemmed again.
	before := calls
	for range 1000 {
		c.get("connections")
	}
	if calls-before != 1 {
		t.Errorf("stemmer called %d times for one hot word, want 1", calls-before)
	}
}

func TestStemCacheConcurrent(t *testing.T) {
	c := newStemCache(english.Stem, 1024)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 5000 {
				w := fmt.Sprintf("connected%d", (i*7+g)%3000)
				if got, want := c.get(w), english.Stem(w, true); got != want {
					t.Errorf("get(%q) = %q, want %q", w, got, want)
					return
				}
			}
		}()
	}
	wg.Wait()
}
