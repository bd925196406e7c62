// Package corpus generates a deterministic synthetic English-like news corpus
// for readalike's benchmarks. New draws a ranked vocabulary and topics from a
// seed; Chunk and Generate then write articles that mix background words,
// one or two topics and a story, so that articles of the same story are
// near-duplicates and nearest-neighbor results are meaningful.
//
// It ports the model of the Python generator the peers (scikit-learn,
// gensim) are benchmarked on, shared/peers/gen_corpus.py, with Go's random
// numbers: the corpora have the same statistics, not the same bytes.
//
// Model:
//   - vocabulary: 50,000 word forms ranked by frequency: 162 English function
//     words, then pseudo-English stems with suffix families (-s -ed -ing -er
//     -ly -ness -tion -ment -al -ic -ous -able -ist ...) so that a Snowball
//     stemmer collapses a family as it would in English, then 3,125
//     capitalised named entities.
//   - background: Zipf-Mandelbrot p(r) ~ 1/(r+2.7) over the ranks, function
//     words boosted (about 40% of body tokens), entities damped.
//   - topics (300 by default): 400 mid-frequency words each, Zipf(1) weights.
//   - stories: geometric sizes with mean 6 (many singletons, capped at 60),
//     32 words each (entities, rare words, words of its topic), Zipf(0.8).
//   - each body token comes from the story (about 16%), the topic (22%, of
//     which a third from a second topic for 30% of the articles) or the
//     background (the rest); the mix is jittered per article.
//   - bodies: lognormal length around 300 words (clipped 60..1500) in
//     sentences of 6-28 words and paragraphs of 3-5 sentences; titles: 6-12
//     capitalised words, 55% from the story, 30% from the topic.
//
// Determinism: articles come in chunks of ChunkSize whose random numbers are
// seeded from (seed, chunk index) alone, and stories never span chunks, so
// article i is the same whatever the number of workers and however many
// articles are asked for.
package corpus

import (
	"strconv"

	"math/rand/v2"
	"runtime"
	"sync"

	"github.com/readalike/readalike/recommend"
)

// ChunkSize is the number of articles of a chunk, the unit of determinism
// and of parallel work. Changing it changes the corpus.
const ChunkSize = 1000

// Sizes of the model, as in the Python generator's defaults.
const (
	vocabSize     = 50000
	defaultTopics = 300
	topicWords    = 400
	storyWords    = 32
)

// Article is one generated article. Story is unique across the corpus;
// articles sharing it are near-duplicates. Topic is the primary topic,
// in [0, Options.Topics).
type Article struct {
	ID    string `json:"id"` // "a" and the article's index, zero padded to 7 digits
	Title string `json:"title"`
	Body  string `json:"body"`
	Topic int    `json:"topic"`
	Story int    `json:"story"`
}

// Article returns a as the engine's article: its topic as category
// "topic-N", and English as its language, which the generator's made-up
// words are written like (left to detection they would be given whichever
// language they happen to resemble, as no reader's collection would).
func (a Article) Article() recommend.Article {
	return recommend.Article{ID: a.ID, Title: a.Title, Body: a.Body, Category: "topic-" + strconv.Itoa(a.Topic), Lang: "en"}
}

// Options configures a Generator. The zero value works: seed 0, 300 topics.
type Options struct {
	Seed   uint64
	Topics int // number of topics; 0 means 300
}

// A Generator writes the corpus of one seed. It is immutable once built and
// safe for concurrent use.
type Generator struct {
	seed       uint64
	nTopics    int
	vocab      vocabulary
	background alias
	topics     []int32 // topic t's words are topics[t*topicWords:(t+1)*topicWords]
	topicDist  alias   // over a topic's word positions
	storyDist  alias   // over a story's word positions
}

// New builds the vocabulary and topics of opts.Seed, which takes a few tens
// of milliseconds.
func New(opts Options) *Generator {
	if opts.Topics <= 0 {
		opts.Topics = defaultTopics
	}
	r := rand.New(rand.NewPCG(mix(opts.Seed), mix(0xC0FFEE)))
	v := buildVocab(r, vocabSize)
	return &Generator{
		seed:       opts.Seed,
		nTopics:    opts.Topics,
		vocab:      v,
		background: newAlias(backgroundWeights(v)),
		topics:     buildTopics(r, v, opts.Topics, topicWords),
		topicDist:  newAlias(zipf(topicWords, 0, 1.0)),
		storyDist:  newAlias(zipf(storyWords, 0, 0.8)),
	}
}

// Chunk returns the articles ChunkSize*i to ChunkSize*(i+1)-1, in order.
// i must not be negative. The caller owns the returned slice.
func (g *Generator) Chunk(i int) []Article {
	return g.chunk(i, ChunkSize)
}

// Generate calls fn with the first n articles in order, generating up to
// workers chunks in parallel (workers <= 0 means GOMAXPROCS). fn is called
// from one goroutine at a time. Generate stops at fn's first error and
// returns it unwrapped; it returns only once its goroutines have ended.
func (g *Generator) Generate(n, workers int, fn func(Article) error) error {
	if n <= 0 {
		return nil
	}
	nChunks := (n + ChunkSize - 1) / ChunkSize
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, nChunks)
	size := func(c int) int { return min(ChunkSize, n-c*ChunkSize) }
	emit := func(arts []Article) error {
		for _, a := range arts {
			if err := fn(a); err != nil {
				return err
			}
		}
		return nil
	}
	if workers == 1 {
		for c := range nChunks {
			if err := emit(g.chunk(c, size(c))); err != nil {
				return err
			}
		}
		return nil
	}

	// At most 2*workers chunks are generated ahead of fn, which bounds memory.
	results := make([]chan []Article, nChunks)
	for c := range results {
		results[c] = make(chan []Article, 1)
	}
	window := make(chan struct{}, 2*workers)
	jobs := make(chan int)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		defer close(jobs)
		for c := range nChunks {
			select {
			case window <- struct{}{}:
			case <-stop:
				return
			}
			select {
			case jobs <- c:
			case <-stop:
				return
			}
		}
	})
	for range workers {
		wg.Go(func() {
			for c := range jobs {
				results[c] <- g.chunk(c, size(c)) // buffered: never blocks
			}
		})
	}
	defer wg.Wait()
	defer close(stop)
	for c := range nChunks {
		if err := emit(<-results[c]); err != nil {
			return err
		}
		<-window
	}
	return nil
}

// mix is SplitMix64's finaliser: it spreads nearby seeds and chunk indices
// over the whole PCG state space.
func mix(x uint64) uint64 {
	x += 0x9E3779B97F4A7C15
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9
	x = (x ^ (x >> 27)) * 0x94D049BB133111EB
	return x ^ (x >> 31)
}
