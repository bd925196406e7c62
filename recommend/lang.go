package recommend

import (
	"strings"

	"github.com/readalike/readalike/vectorize"
)

// detectHTMLBytes is how much of an HTML body DetectLang turns into text:
// enough, after markup, for the 512 bytes vectorize.DetectLang reads.
const detectHTMLBytes = 16 << 10

// DetectLang gives a the language of its text when it names none: the
// language vectorize.DetectLang finds in its title and body (an HTML body
// read as its visible text), with LangDetected set. It returns false when
// the text was too short or too ambiguous to tell: a.Lang is then
// vectorize.DefaultLang, by default. An article that names its language is
// left alone, and true returned.
//
// Every write calls it (Engine.Upsert and Create) for an article without a
// language, before the article is analysed and summarised, so that its
// terms, summary and stored language agree. Measured under load: 0.58 ms a
// detection, 0.68 ms added to a one-article write (BenchmarkDetectLang,
// BenchmarkWriteLang), 1.2 ms an article to an ingest of SIB-200's short
// sentences on 2 cores (benchmarks/ingestlang_test.go).
func DetectLang(a *Article) bool {
	if a.Lang != "" {
		return true
	}
	d := vectorize.DetectLang(detectText(a.Title, a.Body))
	a.Lang, a.LangDetected = d.Lang, true
	return d.Reliable
}

// detectText returns the start of title and body as plain text, enough of
// it for vectorize.DetectLang.
func detectText(title, body string) string {
	if vectorize.LooksLikeHTML(body) {
		body = vectorize.VisibleText(body[:min(len(body), detectHTMLBytes)])
	}
	if vectorize.LooksLikeHTML(title) {
		title = vectorize.VisibleText(title)
	}
	var b strings.Builder
	b.WriteString(title)
	b.WriteString("\n\n")
	b.WriteString(body[:min(len(body), 2<<10)]) // DetectLang reads 512 bytes
	return b.String()
}
