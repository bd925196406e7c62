package httpapi

import (
	"net/http"
	"strings"
	"testing"

	"github.com/readalike/readalike/recommend"
)

// An article without a language gets the one detected in its text, said
// in the answer and kept with the article; a text too short to tell is
// English by default, and the answer says so.
func TestPostDetectsLanguage(t *testing.T) {
	env := newEnv(t, Options{})
	r := env.postJSON("/v1/articles", `{"id": "fr-1", "title": "Le budget", "body": "Le comité a approuvé le nouveau budget après un long débat mardi soir à Paris."}`)
	r.expectStatus(t, http.StatusCreated)
	if got, want := strings.TrimSpace(string(r.body)), `{"written":1,"id":"fr-1","lang":"fr","lang_detected":true}`; got != want {
		t.Errorf("answer: got %s, want %s", got, want)
	}
	var a recommend.Article
	env.get("/v1/articles/fr-1").decode(t, &a)
	if a.Lang != "fr" || !a.LangDetected || strings.Contains(a.Summary, "xx") {
		t.Errorf("stored: lang %q, detected %v", a.Lang, a.LangDetected)
	}

	r = env.postJSON("/v1/articles", `{"id": "short-1", "body": "Hola"}`)
	r.expectStatus(t, http.StatusCreated)
	if got, want := strings.TrimSpace(string(r.body)), `{"written":1,"id":"short-1","lang":"en","lang_detected":true,"lang_fallback":true}`; got != want {
		t.Errorf("answer: got %s, want %s", got, want)
	}

	// Given, it is kept as given, not detected.
	r = env.postJSON("/v1/articles", `{"id": "given-1", "lang": "es", "body": "The committee approved the new budget after a long debate on Tuesday."}`)
	if got, want := strings.TrimSpace(string(r.body)), `{"written":1,"id":"given-1","lang":"es"}`; got != want {
		t.Errorf("answer: got %s, want %s", got, want)
	}
	a = recommend.Article{}
	env.get("/v1/articles/given-1").decode(t, &a)
	if a.Lang != "es" || a.LangDetected || !strings.Contains(string(env.get("/v1/articles/given-1").body), `"lang_detected":false`) {
		t.Errorf("stored: lang %q, detected %v", a.Lang, a.LangDetected)
	}

	// A batch lists the articles that fell back to English.
	r = env.do("POST", "/v1/articles", ndjson, `{"id": "b-1", "body": "Kommittén godkände den nya budgeten efter en lång debatt på tisdagen."}
{"id": "b-2", "body": "ok"}`)
	r.expectStatus(t, http.StatusOK)
	var wr writeResult
	r.decode(t, &wr)
	if wr.Written != 2 || len(wr.LangFallbacks) != 1 || wr.LangFallbacks[0] != (recordRef{1, "b-2"}) {
		t.Errorf("batch answer: %s", r.body)
	}
	a = recommend.Article{}
	env.get("/v1/articles/b-1").decode(t, &a)
	if a.Lang != "sv" || !a.LangDetected {
		t.Errorf("stored b-1: lang %q, detected %v", a.Lang, a.LangDetected)
	}

	// lang_detected is the engine's to set.
	env.postJSON("/v1/articles", `{"id": "x", "body": "b", "lang_detected": true}`).expectError(t, 400, "invalid", "lang_detected")
}
