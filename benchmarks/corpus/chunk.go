package corpus

import (
	"math"
	"math/rand/v2"
	"strconv"
)

// Story structure and the mix of token sources, as in the Python generator.
const (
	storyMean    = 6.0  // mean story size (geometric)
	storyMax     = 60   // cap on a story's size
	storyEnt     = 12   // a story's entity words (40% of storyWords) ...
	storyRare    = 9    // ... rare content words (30%) ...
	storyTopic   = 11   // ... and words of its topic (the rest)
	secondTopicP = 0.30 // share of articles with a second topic
)

// chunkSalt ("chunk") keeps the chunks' random streams apart from New's.
const chunkSalt = 0x6368756E6B

// story is a group of near-duplicate articles of one topic.
type story struct {
	topic int
	words [storyWords]int32
}

// chunk generates the first n articles of chunk c. The random numbers of
// article k do not depend on n, so a shorter chunk is a prefix of a longer.
func (g *Generator) chunk(c, n int) []Article {
	src := rand.NewPCG(mix(g.seed)^chunkSalt, mix(uint64(c)))
	r := rand.New(src)
	stories, of := g.stories(r)
	arts := make([]Article, n)
	w := writer{g: g, r: r, src: src}
	for k := range arts {
		s := of[k]
		arts[k] = w.article(c*ChunkSize+k, &stories[s], c*ChunkSize+s)
	}
	return arts
}

// stories draws the stories of a whole chunk and assigns them to its
// articles in random order: the article at position k belongs to of[k].
func (g *Generator) stories(r *rand.Rand) (stories []story, of []int) {
	of = make([]int, 0, ChunkSize)
	logq := math.Log(1 - 1/storyMean)
	for len(of) < ChunkSize {
		size := int(math.Log(1-r.Float64())/logq) + 1 // geometric on 1, 2, ...
		size = min(size, storyMax, ChunkSize-len(of))
		for range size {
			of = append(of, len(stories))
		}
		stories = append(stories, story{})
	}
	nEnt := len(g.vocab.words) - g.vocab.nCommon
	rareLo := g.vocab.nCommon / 4
	for i := range stories {
		s := &stories[i]
		s.topic = r.IntN(g.nTopics)
		ws := s.words[:0]
		for range storyEnt {
			ws = append(ws, int32(g.vocab.nCommon+r.IntN(nEnt)))
		}
		for range storyRare {
			ws = append(ws, int32(rareLo+r.IntN(g.vocab.nCommon-rareLo)))
		}
		tw := g.topicWords(s.topic)
		for range storyTopic {
			ws = append(ws, tw[r.IntN(topicWords/2)]) // from the topic's heavier half
		}
		r.Shuffle(storyWords, func(i, j int) { s.words[i], s.words[j] = s.words[j], s.words[i] })
	}
	r.Shuffle(len(of), func(i, j int) { of[i], of[j] = of[j], of[i] })
	return stories, of
}

func (g *Generator) topicWords(t int) []int32 {
	return g.topics[t*topicWords : (t+1)*topicWords]
}

// writer builds articles' text in a buffer it reuses.
type writer struct {
	g   *Generator
	r   *rand.Rand
	src *rand.PCG // r's source, called directly per token: no interface call
	buf []byte
}

// token draws the next word: from the story below threshold c1, from topic
// t1 below c2, from topic t2 below c3, else from the background.
func (w *writer) token(s *story, t1, t2 []int32, c1, c2, c3 float64) string {
	g := w.g
	u := float64(w.src.Uint64()>>11) * 0x1p-53 // uniform in [0, 1)
	x := w.src.Uint64()
	var tok int
	switch {
	case u < c1:
		tok = int(s.words[g.storyDist.sample(x)])
	case u < c2:
		tok = int(t1[g.topicDist.sample(x)])
	case u < c3:
		tok = int(t2[g.topicDist.sample(x)])
	default:
		tok = g.background.sample(x)
	}
	return g.vocab.word(tok)
}

// article draws the article with index id of story s (corpus-wide id sid).
func (w *writer) article(id int, s *story, sid int) Article {
	g, r := w.g, w.r
	topic2 := s.topic
	if r.Float64() < secondTopicP {
		topic2 = r.IntN(g.nTopics)
	}
	bodyLen := int(math.Round(math.Exp(math.Log(290) + 0.35*r.NormFloat64())))
	bodyLen = min(max(bodyLen, 60), 1500)
	titleLen := 6 + r.IntN(7)
	pStory := clamp(0.16+0.04*r.NormFloat64(), 0.05, 0.30)
	pTopic := clamp(0.22+0.05*r.NormFloat64(), 0.08, 0.40)
	pTopic2 := 0.0
	if topic2 != s.topic {
		pTopic2 = pTopic / 3
	}
	// Cumulative thresholds of the token sources: story, topic, topic2, background.
	c1 := pStory
	c2 := c1 + pTopic - pTopic2
	c3 := c2 + pTopic2
	t1, t2 := g.topicWords(s.topic), g.topicWords(topic2)

	// Title: 55% story, 30% topic, 15% background, every word capitalised.
	b := w.buf[:0]
	for k := range titleLen {
		if k > 0 {
			b = append(b, ' ')
		}
		b = appendCapital(b, w.token(s, t1, t1, 0.55, 0.85, 0.85))
	}
	title := string(b)

	// Body: sentences of 6-28 words, paragraphs of 3-5 sentences, and a
	// comma in half of the sentences of 10 words or more.
	b = b[:0]
	sentLeft, comma, paraLeft := 0, -1, 3+r.IntN(3)
	for k := range bodyLen {
		capital := false
		switch {
		case sentLeft == 0:
			if k > 0 {
				b = append(b, '.')
				if paraLeft--; paraLeft == 0 {
					b = append(b, '\n', '\n')
					paraLeft = 3 + r.IntN(3)
				} else {
					b = append(b, ' ')
				}
			}
			sentLeft = min(6+r.IntN(23), bodyLen-k)
			comma = -1
			if sentLeft >= 10 && r.IntN(2) == 0 {
				comma = 3 + r.IntN(sentLeft-6) // goes before the word with this many words left
			}
			capital = true
		case sentLeft == comma:
			b = append(b, ',', ' ')
		default:
			b = append(b, ' ')
		}
		sentLeft--
		if word := w.token(s, t1, t2, c1, c2, c3); capital {
			b = appendCapital(b, word)
		} else {
			b = append(b, word...)
		}
	}
	b = append(b, '.')
	body := string(b)
	w.buf = b
	return Article{ID: articleID(id), Title: title, Body: body, Topic: s.topic, Story: sid}
}

// articleID formats "a%07d" without fmt.
func articleID(i int) string {
	var b [24]byte
	d := strconv.AppendInt(b[:0], int64(i), 10)
	out := make([]byte, 0, 8+len(d))
	out = append(out, 'a')
	for range 7 - len(d) {
		out = append(out, '0')
	}
	return string(append(out, d...))
}

func appendCapital(b []byte, w string) []byte {
	n := len(b)
	b = append(b, w...)
	if c := b[n]; 'a' <= c && c <= 'z' {
		b[n] = c - ('a' - 'A')
	}
	return b
}

func clamp(x, lo, hi float64) float64 { return min(max(x, lo), hi) }
