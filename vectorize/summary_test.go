package vectorize

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"
)

func TestSummarize(t *testing.T) {
	a := NewAnalyzer(Options{})
	long := "The harbour authority switched on a floating solar farm with four thousand eight hundred panels on pontoons in a disused dock, which should cover a third of the port's electricity needs, officials of the harbour authority said on Tuesday."
	tests := []struct {
		name     string
		doc      Document
		maxChars int
		want     string
	}{
		{"empty body", Document{Title: "Solar farm"}, 0, ""},
		{"no words", Document{Body: "... !!! --"}, 0, ""},
		{"one sentence", Document{Body: "Solar panels float on the harbour."}, 0, "Solar panels float on the harbour."},
		{"best sentence whole when longer than the budget", Document{Body: long + " It rained."}, 50, long},
		{"order kept, off-topic left out", Document{
			Title: "Harbour solar farm",
			Body:  "The harbour opened a solar farm. The weather was mild. Solar panels on the harbour float.",
		}, 80, "The harbour opened a solar farm. Solar panels on the harbour float."},
		{"repeated paragraph once", Document{
			Body: "Solar farm opens in the harbour.\n\nPanels float on the dock.\n\nSolar farm opens in the harbour.",
		}, 300, "Solar farm opens in the harbour. Panels float on the dock."},
		{"repeated sentence once", Document{
			Body: "Solar farm opens. Panels float.\n\nSOLAR FARM OPENS. Engineers smile.",
		}, 300, "Solar farm opens. Panels float. Engineers smile."},
		{"hard-wrapped line joined", Document{Body: "The harbour solar panels\nfloat on pontoons in the dock.\n\nIt rained."}, 40,
			"The harbour solar panels float on pontoons in the dock."},
		{"HTML: visible text only", Document{
			Body: "<p>Solar panels float on the harbour.</p><script>alert('solar solar solar');</script><p>They stay cool &amp; efficient.</p>",
		}, 0, "Solar panels float on the harbour. They stay cool & efficient."},
		{"part of a quotation left out", Document{
			Body: `The minister spoke about solar power. He said: "Solar power is the future. It will grow." Solar farms opened.`,
		}, 300, "The minister spoke about solar power. Solar farms opened."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := a.Summarize(tt.doc, nil, tt.maxChars)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("Summarize = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestSummarizeBudget(t *testing.T) {
	a := NewAnalyzer(Options{})
	body := "Solar panels float. The harbour authority opened a solar farm on Tuesday. Engineers said the water keeps solar panels cool. The farm cost 12.5m pounds."
	prev := -1
	for budget := 1; budget <= 200; budget++ {
		got, err := a.Summarize(Document{Body: body}, nil, budget)
		if err != nil {
			t.Fatal(err)
		}
		n := utf8.RuneCountInString(got)
		if n > budget && len(Sentences(got, "en")) != 1 {
			t.Fatalf("budget %d: %d characters in %q", budget, n, got)
		}
		if n < prev && n <= budget {
			// A larger budget may trade sentences, but never ends shorter
			// than a smaller one's summary that fit.
			t.Errorf("budget %d: %d characters, %d at a smaller budget", budget, n, prev)
		}
		if n <= budget {
			prev = n
		}
	}
}

func TestSummarizeErrors(t *testing.T) {
	a := NewAnalyzer(Options{})
	var ule *UnsupportedLangError
	if _, err := a.Summarize(Document{Body: "x", Lang: "xx"}, nil, 0); !errors.As(err, &ule) {
		t.Errorf("lang xx: err = %v, want *UnsupportedLangError", err)
	}
	if _, err := a.Summarize(Document{Body: "a\xffb"}, nil, 0); !errors.Is(err, ErrInvalidUTF8) || !strings.HasPrefix(err.Error(), "body") {
		t.Errorf("invalid body: err = %v, want body: ErrInvalidUTF8", err)
	}
	if _, err := a.Summarize(Document{Title: "\xff", Body: "b"}, nil, 0); !errors.Is(err, ErrInvalidUTF8) || !strings.HasPrefix(err.Error(), "title") {
		t.Errorf("invalid title: err = %v, want title: ErrInvalidUTF8", err)
	}
	if _, err := a.Summarize(Document{Body: "b"}, nil, -1); err == nil {
		t.Error("budget -1: no error")
	}
}

// goldenModel returns the model of the articles of testdata/articles and
// testdata/summary/articles (longer ones, for summaries), and the articles
// by name.
func goldenModel(t *testing.T, a *Analyzer) (*Model, map[string]Document) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "articles", "*.json"))
	long, err2 := filepath.Glob(filepath.Join("testdata", "summary", "articles", "*.json"))
	if err != nil || err2 != nil || len(files) == 0 || len(long) == 0 {
		t.Fatalf("no articles in testdata/articles or testdata/summary/articles: %v %v", err, err2)
	}
	files = append(files, long...)
	docs := make(map[string]Document)
	var counts []Counts
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var d struct{ Title, Body, Lang string }
		if err := json.Unmarshal(raw, &d); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		doc := Document{Title: d.Title, Body: d.Body, Lang: d.Lang}
		res, err := a.Analyze(doc)
		if err != nil {
			t.Fatal(err)
		}
		docs[strings.TrimSuffix(filepath.Base(f), ".json")] = doc
		counts = append(counts, res.Counts)
	}
	return Fit(counts, ModelOptions{}), docs
}

// TestSummaryGolden summarises the articles of testdata/articles and
// testdata/summary/articles, in every supported language, at three budgets
// (the default, 200 and 100 characters), with the model of those articles,
// and compares with testdata/summary. Refresh with
// go test ./vectorize -run SummaryGolden -update, and read the diff.
func TestSummaryGolden(t *testing.T) {
	a := NewAnalyzer(Options{})
	m, docs := goldenModel(t, a)
	for name, d := range docs {
		t.Run(name, func(t *testing.T) {
			var b bytes.Buffer
			for _, budget := range []int{0, 200, 100} {
				sum, err := a.Summarize(d, m, budget)
				if err != nil {
					t.Fatal(err)
				}
				b.WriteString(sum + "\n")
			}
			golden := filepath.Join("testdata", "summary", name+".txt")
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, b.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(b.Bytes(), want) {
				t.Errorf("%s differs; got:\n%s", golden, b.Bytes())
			}
		})
	}
}

// TestSummarizeSeedPage summarises the reading-app page's body as the app
// stored it, repeated paragraphs included: the summary opens with the
// article's first sentence, is made of sentences of its six paragraphs,
// none twice, and fits the default budget, like the page's own summary.
func TestSummarizeSeedPage(t *testing.T) {
	body := seedBody(t)
	a := NewAnalyzer(Options{})
	m, docs := goldenModel(t, a)
	counts := []Counts{}
	for _, d := range docs {
		res, _ := a.Analyze(d)
		counts = append(counts, res.Counts)
	}
	seed, err := a.Analyze(Document{Body: body})
	if err != nil {
		t.Fatal(err)
	}
	withSeed := Fit(append(counts, seed.Counts), ModelOptions{})
	paras := strings.Split(body, "\n")[:6]
	var all []string
	for _, p := range paras {
		for _, s := range Sentences(p, "en") {
			all = append(all, s.Text(p))
		}
	}
	for _, tc := range []struct {
		name string
		m    *Model
	}{{"no model", nil}, {"model without the seed", m}, {"model with the seed", withSeed}} {
		t.Run(tc.name, func(t *testing.T) {
			sum, err := a.Summarize(Document{Body: body}, tc.m, 0)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("summary: %s", sum)
			if n := utf8.RuneCountInString(sum); n > DefaultSummaryChars {
				t.Errorf("%d characters, budget %d", n, DefaultSummaryChars)
			}
			got := Sentences(sum, "en")
			seen := map[string]bool{}
			for i, s := range got {
				text := s.Text(sum)
				if !slices.Contains(all, text) {
					t.Errorf("sentence %q is not one of the article's", text)
				}
				if seen[text] {
					t.Errorf("sentence %q twice", text)
				}
				seen[text] = true
				if i == 0 && text != all[0] {
					t.Errorf("summary opens with %q, want the first sentence %q", text, all[0])
				}
			}
		})
	}
}

func TestSummarizeConcurrent(t *testing.T) {
	a := NewAnalyzer(Options{})
	m, docs := goldenModel(t, a)
	want := map[string]string{}
	for name, d := range docs {
		want[name], _ = a.Summarize(d, m, 0)
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 20 {
				for name, d := range docs {
					if got, _ := a.Summarize(d, m, 0); got != want[name] {
						t.Errorf("%s: %q, want %q", name, got, want[name])
					}
				}
			}
		})
	}
	wg.Wait()
}

// candidates returns the sentences Summarize may choose from in body, as a
// summary writes them (runs of space made one space), read as the default
// Analyzer reads a body: each paragraph split as one.
func candidates(body, lang string) []string {
	if LooksLikeHTML(body) {
		body = VisibleText(body)
	}
	body = strings.ReplaceAll(strings.ReplaceAll(body, "\r\n", "\n"), "\r", "\n")
	var out []string
	li := findLanguage(lang)
	for _, p := range Paragraphs(body) {
		for _, s := range appendParagraphSentences(nil, p, Sentence{0, len(p)}, li) {
			out = append(out, strings.Join(strings.Fields(s.Text(p)), " "))
		}
	}
	return out
}

// splitSummary returns how many sentences of cands, joined by single spaces,
// make sum, or -1 when no sequence of them does.
func splitSummary(sum string, cands []string) int {
	if sum == "" {
		return 0
	}
	best := make([]int, len(sum)+1) // sentences that make sum[:i], -1 if none
	for i := range best {
		best[i] = -1
	}
	best[0] = 0
	for i := 0; i < len(sum); i++ {
		if best[i] < 0 || (i > 0 && sum[i-1] != ' ') {
			continue
		}
		for _, c := range cands {
			if !strings.HasPrefix(sum[i:], c) {
				continue
			}
			end := i + len(c)
			if end < len(sum) {
				if sum[end] != ' ' {
					continue
				}
				end++
			}
			if best[end] < 0 || best[i]+1 < best[end] {
				best[end] = best[i] + 1
			}
		}
	}
	return best[len(sum)]
}

func FuzzSummarize(f *testing.F) {
	for _, s := range []string{
		"Mr. Smith went to Washington. He said, \"This will only lead to a dead end.\"\n\nMr. Smith went to Washington.",
		"<p>Solar panels.</p><p>Solar panels.</p>", "¿Qué? ¡Nada! etc. El fin.", "a\r\nb. c\n\nd", "»", "x. 5",
	} {
		f.Add("Title", s, 40)
	}
	a := NewAnalyzer(Options{})
	f.Fuzz(func(t *testing.T, title, body string, budget int) {
		budget = budget%400 + 1
		if budget < 1 {
			budget += 400
		}
		sum, err := a.Summarize(Document{Title: title, Body: body}, nil, budget)
		if err != nil {
			if utf8.ValidString(title) && utf8.ValidString(body) {
				t.Fatalf("valid text: %v", err)
			}
			return
		}
		n := splitSummary(sum, candidates(body, "en"))
		if n < 0 {
			t.Fatalf("summary %q is not made of whole sentences of %q", sum, body)
		}
		if utf8.RuneCountInString(sum) > budget && n != 1 {
			t.Fatalf("summary %q: %d characters in %d sentences, budget %d", sum, utf8.RuneCountInString(sum), n, budget)
		}
	})
}
