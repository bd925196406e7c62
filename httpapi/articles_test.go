package httpapi

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/readalike/readalike/recommend"
)

const ndjson = "application/x-ndjson"

func TestPostOneArticle(t *testing.T) {
	env := newEnv(t, Options{})
	body := `{"id": "new-01", "title": "Rover drives across the lunar surface", "body": "A rover drove across the lunar surface near the south pole.",
		"url": "https://example.com/new-01", "category": "science", "lang": "EN", "published": "2026-03-01"}`
	r := env.postJSON("/v1/articles", body)
	r.expectStatus(t, http.StatusCreated)
	if got, want := strings.TrimSpace(string(r.body)), `{"written":1,"id":"new-01","lang":"en"}`; got != want {
		t.Errorf("body: got %s, want %s", got, want)
	}
	if loc := r.header.Get("Location"); loc != "/v1/articles/new-01" {
		t.Errorf("Location: got %q, want /v1/articles/new-01", loc)
	}

	r = env.get("/v1/articles/new-01")
	r.expectStatus(t, http.StatusOK)
	var a recommend.Article
	r.decode(t, &a)
	want := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	if a.ID != "new-01" || a.Lang != "en" || a.Category != "science" || !a.Published.Equal(want) ||
		a.Created.IsZero() || a.Updated.IsZero() || a.Words == 0 {
		t.Errorf("stored article: got %+v", a)
	}
	for _, k := range []string{`"created"`, `"updated"`, `"read_count"`, `"words"`} {
		if !strings.Contains(string(r.body), k) {
			t.Errorf("GET article: no %s in %s", k, r.body)
		}
	}

	// The same id again replaces it: 200.
	r = env.postJSON("/v1/articles", `{"id": "new-01", "body": "Replaced body about rovers."}`)
	r.expectStatus(t, http.StatusOK)
	r = env.get("/v1/articles/new-01")
	a = recommend.Article{}
	r.decode(t, &a)
	if a.Body != "Replaced body about rovers." || a.Category != "" {
		t.Errorf("replaced article: got %+v", a)
	}

	// It is searchable at once.
	r = env.get("/v1/articles/new-01/similar?dedup=false")
	r.expectStatus(t, http.StatusOK)
}

func TestPostOneArticleErrors(t *testing.T) {
	env := newEnv(t, Options{})
	for _, tc := range []struct {
		name, body string
		status     int
		code       string
		field      string
	}{
		{"unknown field", `{"id": "x", "body": "b", "author": "me"}`, 400, "invalid", "author"},
		{"case matters", `{"ID": "x", "body": "b"}`, 400, "invalid", "ID"},
		{"engine field created", `{"id": "x", "body": "b", "created": "2026-01-01T00:00:00Z"}`, 400, "invalid", "created"},
		{"engine field read_count", `{"id": "x", "body": "b", "read_count": 5}`, 400, "invalid", "read_count"},
		{"engine field words", `{"id": "x", "body": "b", "words": 5}`, 400, "invalid", "words"},
		{"engine field updated", `{"id": "x", "body": "b", "updated": null}`, 400, "invalid", "updated"},
		{"engine field last_read", `{"id": "x", "body": "b", "last_read": ""}`, 400, "invalid", "last_read"},
		{"no id", `{"body": "b"}`, 400, "invalid", "id"},
		{"no body", `{"id": "x", "title": "t"}`, 400, "invalid", "body"},
		{"blank body", `{"id": "x", "body": "  "}`, 400, "invalid", "body"},
		{"id not a string", `{"id": 5, "body": "b"}`, 400, "invalid", "id"},
		{"title not a string", `{"id": "x", "title": ["a"], "body": "b"}`, 400, "invalid", "title"},
		{"bad url", `{"id": "x", "body": "b", "url": "ftp://x"}`, 400, "invalid", "url"},
		{"bad lang", `{"id": "x", "body": "b", "lang": "xx"}`, 400, "invalid", "lang"},
		{"bad published", `{"id": "x", "body": "b", "published": "yesterday"}`, 400, "invalid", "published"},
		{"unprintable id", `{"id": "a\u0007b", "body": "b"}`, 400, "invalid", "id"},
		{"long id", fmt.Sprintf(`{"id": %q, "body": "b"}`, strings.Repeat("x", 300)), 400, "invalid", "id"},
		{"not JSON", `{"id": `, 400, "invalid_json", ""},
		{"two values", `{"id": "x", "body": "b"} {}`, 400, "invalid", ""},
		{"a string", `"hello"`, 400, "invalid", ""},
		{"empty", ``, 400, "invalid_json", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env.postJSON("/v1/articles", tc.body).expectError(t, tc.status, tc.code, tc.field)
		})
	}
	// Nothing was written.
	env.get("/v1/articles/x").expectError(t, http.StatusNotFound, "not_found", "")
}

func TestPostUnsupportedMediaType(t *testing.T) {
	env := newEnv(t, Options{})
	for _, ct := range []string{"", "text/plain", "application/x-www-form-urlencoded", "application/xml"} {
		r := env.do("POST", "/v1/articles", ct, `{"id": "x", "body": "b"}`)
		r.expectError(t, http.StatusUnsupportedMediaType, "unsupported_media_type", "")
	}
	env.do("POST", "/v1/similar", "text/plain", `{"body": "moon"}`).expectError(t, 415, "unsupported_media_type", "")
	env.do("POST", "/v1/analyze", "application/xml", `{"body": "moon"}`).expectError(t, 415, "unsupported_media_type", "")
	// A query (a read) is taken as JSON when sent as curl -d sends it, or
	// with no type; a write is not.
	for _, ct := range []string{"", "application/x-www-form-urlencoded"} {
		env.do("POST", "/v1/similar", ct, `{"body": "moon"}`).expectStatus(t, http.StatusOK)
		env.do("POST", "/v1/analyze", ct, `{"body": "moon"}`).expectStatus(t, http.StatusOK)
	}
	// Parameters of the media type are fine.
	env.do("POST", "/v1/articles", "application/json; charset=utf-8", `{"id": "x", "body": "b"}`).expectStatus(t, http.StatusCreated)
}

func TestCreateMode(t *testing.T) {
	env := newEnv(t, Options{})
	env.postJSON("/v1/articles?mode=create", `{"id": "moon-01", "body": "again"}`).
		expectError(t, http.StatusConflict, "exists", "")
	env.postJSON("/v1/articles?mode=create", `{"id": "fresh", "body": "a fresh article"}`).expectStatus(t, http.StatusCreated)
	env.postJSON("/v1/articles?mode=upsert", `{"id": "fresh", "body": "a fresh article, again"}`).expectStatus(t, http.StatusOK)
	env.postJSON("/v1/articles?mode=merge", `{"id": "fresh", "body": "b"}`).expectError(t, 400, "invalid", "mode")
	env.postJSON("/v1/articles?dry=1", `{"id": "fresh", "body": "b"}`).expectError(t, 400, "invalid", "dry")

	r := env.postJSON("/v1/articles?mode=create", `[{"id": "moon-02", "body": "x"}, {"id": "fresh-2", "body": "y"}, {"id": "rates-01", "body": "z"}]`)
	r.expectStatus(t, http.StatusOK)
	var got writeResult
	r.decode(t, &got)
	want := writeResult{Written: 1, Errors: []recordError{
		{Index: 0, ID: "moon-02", Field: "id", Message: "already exists"},
		{Index: 2, ID: "rates-01", Field: "id", Message: "already exists"},
	}, LangFallbacks: []recordRef{{Index: 1, ID: "fresh-2"}}} // "y" is too short to tell
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("create batch: got %+v, want %+v", got, want)
	}
}

func TestPostBatch(t *testing.T) {
	batch := []string{
		`{"id": "b-0", "title": "Comet seen", "body": "A bright comet was seen over the city."}`,
		`{"id": "b-1", "body": "   "}`,
		`{"id": "b-2", "body": "Another comet story.", "colour": "red"}`,
		`{"id": "b-3", "body": "Comets and telescopes.", "lang": "fr"}`,
		`{"id": "b-0", "body": "A duplicate id."}`,
		`{"body": "No id at all."}`,
		`17`,
		`{"id": "b-7", "body": "Telescope sales rise.", "words": 3}`,
	}
	want := writeResult{Written: 2, Errors: []recordError{
		{Index: 1, ID: "b-1", Field: "body", Message: "is required"},
		{Index: 2, ID: "b-2", Field: "colour", Message: "is not a field of an article (id, title, body, url, category, lang, published)"},
		{Index: 4, ID: "b-0", Field: "id", Message: "repeats an id given earlier in this write"},
		{Index: 5, Field: "id", Message: "is required"},
		{Index: 6, Message: "an article is not a JSON object"},
		{Index: 7, ID: "b-7", Field: "words", Message: "is kept by the engine and cannot be set"},
	}}
	for _, tc := range []struct{ name, ct, body string }{
		{"array", "application/json", "[\n" + strings.Join(batch, ",\n") + "\n]"},
		{"ndjson", ndjson, strings.Join(batch, "\n\n") + "\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := newEnv(t, Options{})
			r := env.do("POST", "/v1/articles", tc.ct, tc.body)
			r.expectStatus(t, http.StatusOK)
			var got writeResult
			r.decode(t, &got)
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("got  %+v\nwant %+v", got, want)
			}
			env.get("/v1/articles/b-0").expectStatus(t, http.StatusOK)
			env.get("/v1/articles/b-3").expectStatus(t, http.StatusOK)
			env.get("/v1/articles/b-2").expectStatus(t, http.StatusNotFound)
		})
	}
}

func TestPostBatchNoneValid(t *testing.T) {
	env := newEnv(t, Options{})
	r := env.do("POST", "/v1/articles", ndjson, `{"id": "a"}`+"\n"+`not json`+"\n")
	eb := r.expectError(t, http.StatusBadRequest, "invalid", "")
	if eb.Written == nil || *eb.Written != 0 || len(eb.Errors) != 2 || eb.Errors[0].Field != "body" ||
		eb.Errors[1].Index != 1 || !strings.Contains(eb.Errors[1].Message, "not valid JSON") {
		t.Errorf("got %s", r.body)
	}
	env.postJSON("/v1/articles", `[]`).expectError(t, http.StatusBadRequest, "invalid", "")
	env.do("POST", "/v1/articles", ndjson, "\n\n").expectError(t, http.StatusBadRequest, "invalid", "")
	env.postJSON("/v1/articles", `[{"id": "a", "body": "b"}, {"id": `).expectError(t, http.StatusBadRequest, "invalid_json", "")
	env.postJSON("/v1/articles", `[{"id": "a", "body": "b"}] x`).expectError(t, http.StatusBadRequest, "invalid_json", "")
	env.get("/v1/articles/a").expectStatus(t, http.StatusNotFound)
}

func TestBodyAndBatchLimits(t *testing.T) {
	env := newEnv(t, Options{MaxRequestBytes: 1000, MaxBatch: 3})
	big := fmt.Sprintf(`{"id": "big", "body": %q}`, strings.Repeat("word ", 300))
	env.postJSON("/v1/articles", big).expectError(t, http.StatusRequestEntityTooLarge, "body_too_large", "")

	// Without Content-Length the limit holds while reading.
	req, _ := http.NewRequest("POST", env.ts.URL+"/v1/articles", strings.NewReader(big))
	req.ContentLength = -1
	req.Header.Set("Content-Type", ndjson)
	res, err := env.ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("chunked body over the limit: got %d, want 413", res.StatusCode)
	}

	four := `[{"id":"a","body":"b"},{"id":"c","body":"d"},{"id":"e","body":"f"},{"id":"g","body":"h"}]`
	env.postJSON("/v1/articles", four).expectError(t, http.StatusRequestEntityTooLarge, "batch_too_large", "")
	lines := strings.ReplaceAll(strings.Trim(four, "[]"), "},{", "}\n{")
	env.do("POST", "/v1/articles", ndjson, lines).expectError(t, http.StatusRequestEntityTooLarge, "batch_too_large", "")
	env.get("/v1/articles/a").expectStatus(t, http.StatusNotFound)

	three := `[{"id":"a","body":"b"},{"id":"c","body":"d"},{"id":"e","body":"f"}]`
	env.postJSON("/v1/articles", three).expectStatus(t, http.StatusOK)
}

func TestGetArticle(t *testing.T) {
	env := newEnv(t, Options{})
	r := env.get("/v1/articles/moon-02")
	r.expectStatus(t, http.StatusOK)
	var a recommend.Article
	r.decode(t, &a)
	if a.Title != "Water ice found by lunar drill" || a.Category != "science" || a.URL == "" {
		t.Errorf("got %+v", a)
	}
	env.get("/v1/articles/nope").expectError(t, http.StatusNotFound, "not_found", "")
}

func TestEscapedIDs(t *testing.T) {
	env := newEnv(t, Options{})
	for _, id := range []string{"a/b", "100%", "with space", "ünï"} {
		body := fmt.Sprintf(`{"id": %q, "body": "An article about escaped ids and lunar ice."}`, id)
		env.postJSON("/v1/articles", body).expectStatus(t, http.StatusCreated)
		path := "/v1/articles/" + url.PathEscape(id)
		r := env.get(path)
		r.expectStatus(t, http.StatusOK)
		var a recommend.Article
		r.decode(t, &a)
		if a.ID != id {
			t.Errorf("GET %s: got id %q, want %q", path, a.ID, id)
		}
		env.get(path+"/similar").expectStatus(t, http.StatusOK)
		env.do("DELETE", path, "", "").expectStatus(t, http.StatusNoContent)
	}
}

func TestDeleteArticle(t *testing.T) {
	env := newEnv(t, Options{})
	env.do("DELETE", "/v1/articles/moon-03", "", "").expectStatus(t, http.StatusNoContent)
	env.get("/v1/articles/moon-03").expectError(t, http.StatusNotFound, "not_found", "")
	env.do("DELETE", "/v1/articles/moon-03", "", "").expectError(t, http.StatusNotFound, "not_found", "")
	r := env.get("/v1/articles/moon-01/similar?k=20&dedup=false")
	if strings.Contains(string(r.body), "moon-03") {
		t.Errorf("deleted article still similar: %s", r.body)
	}
}

func TestAuth(t *testing.T) {
	env := newEnv(t, Options{APIKey: "s3cret"})
	article := `{"id": "auth-1", "body": "An article about keys."}`
	for _, tc := range []struct {
		name string
		hdr  []string
	}{
		{"no header", nil},
		{"wrong key", []string{"Authorization", "Bearer s3cre"}},
		{"longer key", []string{"Authorization", "Bearer s3cret-and-more"}},
		{"wrong scheme", []string{"Authorization", "Basic s3cret"}},
		{"key alone", []string{"Authorization", "s3cret"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := env.postJSON("/v1/articles", article, tc.hdr...)
			r.expectError(t, http.StatusUnauthorized, "unauthorized", "")
			if r.header.Get("WWW-Authenticate") == "" {
				t.Errorf("401 without WWW-Authenticate")
			}
			env.do("DELETE", "/v1/articles/moon-01", "", "", tc.hdr...).expectError(t, 401, "unauthorized", "")
			env.do("POST", "/v1/refit", "", "", tc.hdr...).expectError(t, 401, "unauthorized", "")
		})
	}
	// Reads stay open.
	env.get("/v1/articles/moon-01").expectStatus(t, http.StatusOK)
	env.get("/v1/articles/moon-01/similar").expectStatus(t, http.StatusOK)
	env.postJSON("/v1/similar", `{"body": "moon"}`).expectStatus(t, http.StatusOK)
	env.postJSON("/v1/analyze", `{"body": "moon"}`).expectStatus(t, http.StatusOK)
	env.get("/v1/stats").expectStatus(t, http.StatusOK)

	key := []string{"Authorization", "Bearer s3cret"}
	env.postJSON("/v1/articles", article, key...).expectStatus(t, http.StatusCreated)
	env.do("DELETE", "/v1/articles/auth-1", "", "", key...).expectStatus(t, http.StatusNoContent)
	env.do("POST", "/v1/refit", "", "", "Authorization", "bearer s3cret").expectStatus(t, http.StatusOK)
}
