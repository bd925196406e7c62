package vectorize

import (
	"bufio"
	"encoding/json"
	"flag"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var summaryQuality = flag.Bool("summary-quality", false, "run TestSummaryQuality on BBC News in ../shared/data")

// TestSummaryQuality compares ways of scoring sentences on BBC News, where
// no reference summary exists, by two proxies measured with the headline
// left out of the article's vector: headline recall (the share of the
// headline's terms the summary holds: does it say what the story is
// about?) and coverage (the cosine of the summary's vector to the body's:
// how much of the article it represents; centrality maximises it by
// construction). It logs a table and checks only that the chosen scoring
// beats centrality alone on headline recall. Run it with
//
//	go test ./vectorize -run SummaryQuality -summary-quality -v
func TestSummaryQuality(t *testing.T) {
	if !*summaryQuality {
		t.Skip("run with -summary-quality")
	}
	path := filepath.Join("..", "..", "shared", "data", "bbc_news.jsonl")
	f, err := os.Open(path)
	if err != nil {
		t.Skipf("BBC News not available (%v): run with ../shared beside the repository", err)
	}
	defer f.Close()
	var docs []Document
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var d struct{ Title, Body string }
		if err := json.Unmarshal(sc.Bytes(), &d); err != nil {
			t.Fatal(err)
		}
		docs = append(docs, Document{Title: d.Title, Body: d.Body})
	}
	a := NewAnalyzer(Options{})
	counts := make([]Counts, len(docs))
	for i, d := range docs {
		res, err := a.Analyze(d)
		if err != nil {
			t.Fatal(err)
		}
		counts[i] = res.Counts
	}
	m := Fit(counts, ModelOptions{})

	withLead := func(score func(*summaryDoc) []float64) func(*summaryDoc) []float64 {
		return func(sd *summaryDoc) []float64 {
			s := score(sd)
			for i := range s {
				s[i] *= 1 + leadPrior/float64(i+1)
			}
			return s
		}
	}
	centroid := func(sd *summaryDoc) []float64 { return sd.centrality(m) }
	lexRank := func(sd *summaryDoc) []float64 { return sd.lexRank(m) }
	methods := []struct {
		name  string
		score func(*summaryDoc) []float64
	}{
		{"lead (first sentences that fit)", func(sd *summaryDoc) []float64 {
			s := make([]float64, len(sd.text))
			for i := range s {
				s[i] = 1 / float64(i+1)
			}
			return s
		}},
		{"centrality", centroid},
		{"centrality, lead prior", withLead(centroid)},
		{"LexRank (continuous)", lexRank},
		{"LexRank, lead prior", withLead(lexRank)},
		{"chosen: centrality, lead prior, per length^0.5", func(sd *summaryDoc) []float64 { return sd.scores(m) }},
	}
	terms := func(text string) map[string]bool {
		res, _ := a.Analyze(Document{Body: text})
		set := make(map[string]bool, len(res.Counts))
		for _, tc := range res.Counts {
			set[tc.Term] = true
		}
		return set
	}
	recall := make([]float64, len(methods))
	for i, meth := range methods {
		var headline, coverage, chars float64
		n := 0
		for _, d := range docs {
			var sd summaryDoc
			if err := a.sentenceTerms(Document{Body: d.Body}, &sd); err != nil {
				t.Fatal(err)
			}
			sum := sd.pick(meth.score(&sd), DefaultSummaryChars)
			got := terms(sum)
			want := terms(d.Title)
			hit := 0
			for term := range want {
				if got[term] {
					hit++
				}
			}
			if len(want) > 0 {
				headline += float64(hit) / float64(len(want))
			}
			s, _ := a.Analyze(Document{Body: sum})
			b, _ := a.Analyze(Document{Body: d.Body})
			coverage += cosine64(m, s.Counts, b.Counts)
			chars += float64(len([]rune(sum)))
			n++
		}
		recall[i] = headline / float64(n)
		t.Logf("%-48s headline recall %.3f  coverage %.3f  characters %.0f",
			meth.name, recall[i], coverage/float64(n), chars/float64(n))
	}
	if chosen, plain := recall[len(recall)-1], recall[1]; chosen <= plain {
		t.Errorf("headline recall: chosen %.3f, centrality alone %.3f", chosen, plain)
	}
}

// lexRank returns continuous LexRank scores (Erkan and Radev, 2004): the
// stationary distribution of a random walk on the sentences' cosine graph,
// damping 0.85. Only TestSummaryQuality uses it.
func (sd *summaryDoc) lexRank(m *Model) []float64 {
	idf, tf := sd.weights(m)
	n := len(sd.text)
	vecs := make([]map[int32]float64, n)
	for i := range vecs {
		v := make(map[int32]float64)
		var norm float64
		for _, t := range sd.terms[sd.offs[i]:sd.offs[i+1]] {
			w := tf(t.count) * idf[t.id]
			v[t.id] = w
			norm += w * w
		}
		for k := range v {
			v[k] /= math.Sqrt(norm)
		}
		vecs[i] = v
	}
	sim := make([][]float64, n)
	deg := make([]float64, n)
	for i := range sim {
		sim[i] = make([]float64, n)
		for j := range sim[i] {
			for k, w := range vecs[i] {
				sim[i][j] += w * vecs[j][k]
			}
			deg[i] += sim[i][j]
		}
	}
	p := make([]float64, n)
	for i := range p {
		p[i] = 1 / float64(n)
	}
	for range 50 {
		q := make([]float64, n)
		for j := range n {
			if deg[j] == 0 {
				continue
			}
			for i := range n {
				q[i] += 0.85 * p[j] * sim[j][i] / deg[j]
			}
		}
		for i := range q {
			q[i] += 0.15 / float64(n)
		}
		p = q
	}
	return p
}

// cosine64 returns the cosine of two articles' vectors under m, in float64.
func cosine64(m *Model, a, b Counts) float64 {
	wa, wb := m.Weights64(a), m.Weights64(b)
	var dot float64
	for i, j := 0, 0; i < len(a) && j < len(b); {
		switch c := strings.Compare(a[i].Term, b[j].Term); {
		case c < 0:
			i++
		case c > 0:
			j++
		default:
			dot += wa[i] * wb[j]
			i++
			j++
		}
	}
	return dot
}
