package recommend_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/readalike/readalike/recommend"
)

// langTexts are an article's worth of text in each language, for
// detection.
var langTexts = map[string]string{
	"en": "The committee approved the new budget after a long debate on Tuesday evening in the capital.",
	"es": "El comité aprobó el nuevo presupuesto después de un largo debate el martes por la tarde en la capital.",
	"fr": "Le comité a approuvé le nouveau budget après un long débat mardi soir dans la capitale.",
	"hu": "A bizottság kedden este hosszú vita után elfogadta az új költségvetést a fővárosban.",
	"no": "Komiteen godkjente det nye budsjettet etter en lang debatt på tirsdag kveld i hovedstaden.",
	"ru": "Комитет одобрил новый бюджет после долгих дебатов во вторник вечером в столице.",
	"sv": "Kommittén godkände den nya budgeten efter en lång debatt på tisdagskvällen i huvudstaden.",
}

// A write detects the language of an article that names none, analyses
// and summarises it in that language, keeps it marked as detected, and
// says so in its result; a text too short to tell is English, flagged.
func TestWriteDetectsLang(t *testing.T) {
	ctx := context.Background()
	e, err := recommend.Open(ctx, recommend.NewMemoryStore(), recommend.Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	for lang, text := range langTexts {
		rs := mustWrite(t)(e.Upsert(ctx, recommend.Article{ID: "d-" + lang, Body: text}))
		if r := rs[0]; r.Lang != lang || !r.LangDetected || r.LangFallback {
			t.Errorf("%s: result %+v, want lang %s detected", lang, r, lang)
		}
		a, err := e.Get(ctx, "d-"+lang)
		if err != nil || a.Lang != lang || !a.LangDetected || a.Summary == "" {
			t.Errorf("%s: stored %+v, %v", lang, a, err)
		}
		// Given, the language is taken as given.
		rs = mustWrite(t)(e.Upsert(ctx, recommend.Article{ID: "g-" + lang, Body: text, Lang: "EN"}))
		if r := rs[0]; r.Lang != "en" || r.LangDetected || r.LangFallback {
			t.Errorf("%s given as en: result %+v", lang, r)
		}
	}
	// The French article was analysed in French: a French query of its text
	// finds it with a score of 1 (the same vector), an English one finds
	// the copy given as English.
	for _, tc := range []struct{ lang, want string }{{"fr", "d-fr"}, {"en", "g-fr"}} {
		res, err := e.SimilarText(ctx, recommend.Text{Body: langTexts["fr"], Lang: tc.lang}, recommend.Query{K: 1, NoDedup: true})
		if err != nil || len(res.Neighbors) == 0 || res.Neighbors[0].ID != tc.want || res.Neighbors[0].Score < 0.999 {
			t.Errorf("the French text as %s: %+v, %v; want %s, score 1", tc.lang, res.Neighbors, err, tc.want)
		}
	}

	for _, short := range []string{"ok", "Hola", "2024 1.13 464,000", "<p>Hi</p>"} {
		rs := mustWrite(t)(e.Upsert(ctx, recommend.Article{ID: "short", Body: short}))
		if r := rs[0]; r.Lang != "en" || !r.LangDetected || !r.LangFallback {
			t.Errorf("%q: result %+v, want en detected as a fallback", short, r)
		}
	}

	// An article read back and written again is detected again: its text
	// may have changed.
	a, _ := e.Get(ctx, "d-fr")
	a.Body = langTexts["es"]
	if r := mustWrite(t)(e.Upsert(ctx, a))[0]; r.Lang != "es" || !r.LangDetected {
		t.Errorf("rewritten: %+v, want es detected", r)
	}

	// An HTML body is detected on its visible text, not its markup.
	html := "<html><head><style>body { color: red }</style><script>var x = 'the the the';</script></head><body><p>" +
		langTexts["hu"] + "</p></body></html>"
	if r := mustWrite(t)(e.Upsert(ctx, recommend.Article{ID: "h", Body: html}))[0]; r.Lang != "hu" {
		t.Errorf("HTML body: %+v, want hu", r)
	}
}

// Inspect analyses a text that names no language as a write would.
func TestInspectDetectsLang(t *testing.T) {
	e, err := recommend.Open(context.Background(), recommend.NewMemoryStore(), recommend.Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	ins, err := e.Inspect(recommend.Text{Body: langTexts["ru"]})
	if err != nil || ins.Lang != "ru" {
		t.Errorf("Inspect: lang %q, %v; want ru", ins.Lang, err)
	}
	ins, _ = e.Inspect(recommend.Text{Body: langTexts["ru"], Lang: "en"})
	if ins.Lang != "en" {
		t.Errorf("Inspect with lang en: lang %q", ins.Lang)
	}
}

// BenchmarkWriteLang measures an Upsert of one article (about 90 words,
// the seven languages in turn) with its language given and detected: the
// difference is the cost of detection on the write path. Models are loaded
// before the timer starts.
func BenchmarkWriteLang(b *testing.B) {
	var texts []string
	for _, lang := range []string{"en", "es", "fr", "hu", "no", "ru", "sv"} {
		texts = append(texts, strings.Repeat(langTexts[lang]+" ", 6))
	}
	langs := []string{"en", "es", "fr", "hu", "no", "ru", "sv"}
	for _, detect := range []bool{false, true} {
		b.Run(fmt.Sprintf("detect=%v", detect), func(b *testing.B) {
			ctx := context.Background()
			e, err := recommend.Open(ctx, recommend.NewMemoryStore(), recommend.Options{RefitShare: -1, KeepNeighbors: -1}, nil)
			if err != nil {
				b.Fatal(err)
			}
			defer e.Close()
			for i, t := range texts {
				mustWrite(b)(e.Upsert(ctx, recommend.Article{ID: fmt.Sprint("warm-", i), Body: t}))
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				a := recommend.Article{ID: fmt.Sprint("a-", i%1000), Body: texts[i%len(texts)]}
				if !detect {
					a.Lang = langs[i%len(langs)]
				}
				mustWrite(b)(e.Upsert(ctx, a))
				i++
			}
		})
	}
}

// DetectLang alone: the cost of one detection, text prepared as the write
// prepares it.
func BenchmarkDetectLang(b *testing.B) {
	var arts []recommend.Article
	for _, t := range langTexts {
		arts = append(arts, recommend.Article{Title: "A title", Body: strings.Repeat(t+" ", 6)})
	}
	for _, a := range arts {
		recommend.DetectLang(&a)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		a := arts[i%len(arts)]
		recommend.DetectLang(&a)
		i++
	}
}
