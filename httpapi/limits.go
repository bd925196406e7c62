package httpapi

import (
	"hash/maphash"
	"sync"
	"time"
)

// limiterShards spreads the clients over independently locked maps, so
// concurrent requests from different IPs rarely wait on one lock.
const limiterShards = 64

// limiter is a token bucket per client key: rate tokens a second, at most
// burst saved up, one per request. It is safe for concurrent use. Buckets
// idle long enough to be full again are dropped now and then, so memory
// follows the clients of the last few seconds, not all clients ever seen.
type limiter struct {
	rate   float64 // tokens per second
	burst  float64
	refill time.Duration // how long an empty bucket takes to fill
	seed   maphash.Seed
	shards [limiterShards]limiterShard
}

type limiterShard struct {
	mu        sync.Mutex
	buckets   map[string]*bucket
	lastSweep time.Time
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newLimiter(rate float64, burst int) *limiter {
	l := &limiter{
		rate:   rate,
		burst:  float64(burst),
		refill: time.Duration(float64(burst) / rate * float64(time.Second)),
		seed:   maphash.MakeSeed(),
	}
	for i := range l.shards {
		l.shards[i].buckets = make(map[string]*bucket)
	}
	return l
}

// allow takes a token from key's bucket at time now. When there is none it
// returns false and how long until there is.
func (l *limiter) allow(key string, now time.Time) (ok bool, wait time.Duration) {
	sh := &l.shards[maphash.String(l.seed, key)%limiterShards]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if now.Sub(sh.lastSweep) > max(l.refill, time.Minute) {
		sh.sweep(now, l.refill)
	}
	b := sh.buckets[key]
	if b == nil {
		b = &bucket{tokens: l.burst, last: now}
		sh.buckets[key] = b
	}
	if dt := now.Sub(b.last); dt > 0 {
		b.tokens = min(l.burst, b.tokens+dt.Seconds()*l.rate)
		b.last = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
}

// sweep drops the buckets that have filled up again: a new one is the same.
func (sh *limiterShard) sweep(now time.Time, refill time.Duration) {
	for k, b := range sh.buckets {
		if now.Sub(b.last) >= refill {
			delete(sh.buckets, k)
		}
	}
	sh.lastSweep = now
}
