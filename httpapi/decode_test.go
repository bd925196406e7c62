package httpapi

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// Invalid UTF-8 in any field, wherever it comes from (a member, a member
// name, a list item, a query parameter, a path id), is refused with 400
// naming the field, and nothing is written.
func TestInvalidUTF8IsRefused(t *testing.T) {
	env := newEnv(t, Options{})
	const bad = "\xff"
	article := func(field string) string {
		a := map[string]string{"id": "u8", "title": "t", "body": "the body", "url": "https://x.org/a",
			"category": "c", "lang": "en", "published": "2026-01-01"}
		a[field] = "x" + bad
		var b strings.Builder
		b.WriteString("{")
		for _, k := range []string{"id", "title", "body", "url", "category", "lang", "published"} {
			fmt.Fprintf(&b, "%q: \"%s\",", k, a[k])
		}
		return strings.TrimSuffix(b.String(), ",") + "}"
	}
	for _, field := range []string{"id", "title", "body", "url", "category", "lang", "published"} {
		t.Run("article "+field, func(t *testing.T) {
			env.postJSON("/v1/articles", article(field)).expectError(t, 400, "invalid", field)
			r := env.postJSON("/v1/articles", "["+article(field)+"]")
			eb := r.expectError(t, 400, "invalid", "")
			if len(eb.Errors) != 1 || eb.Errors[0].Field != field {
				t.Errorf("array: got %s, want one record error on %s", r.body, field)
			}
			r = env.do("POST", "/v1/articles", ndjson, article(field)+"\n")
			eb = r.expectError(t, 400, "invalid", "")
			if len(eb.Errors) != 1 || eb.Errors[0].Field != field {
				t.Errorf("NDJSON: got %s, want one record error on %s", r.body, field)
			}
		})
	}
	for _, tc := range []struct {
		name, method, path, body, field string
	}{
		{"article member name", "POST", "/v1/articles", "{\"id\": \"u8\", \"b\xffody\": \"x\"}", "b%FFody"},
		{"escaped member name", "POST", "/v1/articles", "{\"id\": \"u8\", \"b\\u00e9\xfe\": \"x\"}", "bé%FE"},
		{"similar title", "POST", "/v1/similar", `{"title": "moon` + bad + `", "body": "moon"}`, "title"},
		{"similar body", "POST", "/v1/similar", `{"body": "moon` + bad + `"}`, "body"},
		{"similar lang", "POST", "/v1/similar", `{"body": "moon", "lang": "e` + bad + `"}`, "lang"},
		{"similar history", "POST", "/v1/similar", `{"history": ["moon-01", "moon` + bad + `"]}`, "history"},
		{"similar category", "POST", "/v1/similar", `{"body": "moon", "category": ["sci` + bad + `"]}`, "category"},
		{"similar exclude", "POST", "/v1/similar", `{"body": "moon", "exclude": ["moon-02` + bad + `"]}`, "exclude"},
		{"similar from", "POST", "/v1/similar", `{"body": "moon", "from": "2026-01-01` + bad + `"}`, "from"},
		{"similar member name", "POST", "/v1/similar", "{\"body\": \"moon\", \"k\xff\": 3}", "k%FF"},
		{"analyze body", "POST", "/v1/analyze", `{"body": "moon` + bad + `"}`, "body"},
		{"analyze title", "POST", "/v1/analyze", `{"title": "` + bad + `", "body": "moon"}`, "title"},
		{"query category", "GET", "/v1/articles/moon-01/similar?category=sci%FF", "", "category"},
		{"query exclude", "GET", "/v1/articles/moon-01/similar?exclude=moon-02,moon%FE", "", "exclude"},
		{"query k", "GET", "/v1/articles/moon-01/similar?k=5%FF", "", "k"},
		{"query from", "GET", "/v1/articles/moon-01/similar?from=2026%FF", "", "from"},
		{"query name", "GET", "/v1/articles/moon-01/similar?k%FF=5", "", "k%FF"},
		{"query mode", "POST", "/v1/articles?mode=create%FF", `{"id": "u8", "body": "x"}`, "mode"},
		{"query escape", "GET", "/v1/articles/moon-01/similar?k=%zz", "", "k"},
		{"query name escape", "GET", "/v1/articles/moon-01/similar?%zz=1", "", "%zz"},
		{"query semicolon", "GET", "/v1/articles/moon-01/similar?k=5;dedup=false", "", "k"},
		{"path id", "GET", "/v1/articles/moon%FF", "", "id"},
		{"path id lower case", "GET", "/v1/articles/moon%ff", "", "id"},
		{"path id similar", "GET", "/v1/articles/moon%FE/similar", "", "id"},
		{"path id delete", "DELETE", "/v1/articles/moon-01%C0", "", "id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env.do(tc.method, tc.path, "application/json", tc.body).expectError(t, 400, "invalid", tc.field)
		})
	}
	env.get("/v1/articles/u8").expectError(t, http.StatusNotFound, "not_found", "")
	env.get("/v1/articles/moon-01").expectStatus(t, http.StatusOK)
}

// Bytes that are not UTF-8, sent raw (not %-escaped) in the path or the
// query, are refused as well.
func TestInvalidUTF8Raw(t *testing.T) {
	env := newEnv(t, Options{})
	for _, tc := range []struct{ target, field string }{
		{"/v1/articles/moon\xff", "id"},
		{"/v1/articles/moon\xff/similar", "id"},
		{"/v1/articles/moon-01/similar?category=sci\xff", "category"},
	} {
		c := env.dial()
		fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: test\r\n\r\n", tc.target)
		c.SetReadDeadline(time.Now().Add(slack))
		res, eb := readAnswer(t, bufio.NewReader(c))
		if res.StatusCode != http.StatusBadRequest || eb.Error.Field != tc.field {
			t.Errorf("%q: got %d %+v, want 400 on %s", tc.target, res.StatusCode, eb.Error, tc.field)
		}
	}
}

// Two ids that differ only in invalid bytes cannot collide: both are
// refused.
func TestInvalidUTF8IDsDoNotCollide(t *testing.T) {
	env := newEnv(t, Options{})
	env.postJSON("/v1/articles", "{\"id\": \"iu\xff2\", \"body\": \"first\"}").expectError(t, 400, "invalid", "id")
	env.postJSON("/v1/articles", "{\"id\": \"iu\xfe2\", \"body\": \"second\"}").expectError(t, 400, "invalid", "id")
	env.get("/v1/articles/iu%EF%BF%BD2").expectError(t, 404, "not_found", "")
}

// A UTF-8 byte order mark at the start of a body is skipped; a UTF-16 one
// is named; a charset other than UTF-8 is refused.
func TestByteOrderMark(t *testing.T) {
	env := newEnv(t, Options{})
	const bom = "\ufeff"
	env.postJSON("/v1/articles", bom+`{"id": "bom-1", "body": "an article saved with a byte order mark"}`).expectStatus(t, http.StatusCreated)
	env.postJSON("/v1/articles", bom+` [{"id": "bom-2", "body": "in an array"}]`).expectStatus(t, http.StatusOK)
	env.do("POST", "/v1/articles", ndjson, bom+`{"id": "bom-3", "body": "as NDJSON"}`+"\n").expectStatus(t, http.StatusOK)
	env.postJSON("/v1/similar", bom+`{"body": "moon"}`).expectStatus(t, http.StatusOK)
	env.do("POST", "/v1/similar", "", bom+`{"body": "moon"}`).expectStatus(t, http.StatusOK)
	env.postJSON("/v1/analyze", bom+`{"body": "moon"}`).expectStatus(t, http.StatusOK)
	for _, id := range []string{"bom-1", "bom-2", "bom-3"} {
		env.get("/v1/articles/"+id).expectStatus(t, http.StatusOK)
	}

	r := env.postJSON("/v1/similar", "\xff\xfe{\x00}\x00")
	if eb := r.expectError(t, 400, "invalid_json", ""); !strings.Contains(eb.Error.Message, "UTF-16") {
		t.Errorf("a UTF-16 body: got %s, want a message naming UTF-16", r.body)
	}
	env.postJSON("/v1/articles", bom+bom+`{"id": "bom-4", "body": "two marks"}`).expectError(t, 400, "invalid", "")
	env.do("POST", "/v1/articles", "application/json; charset=iso-8859-1", `{"id": "l1", "body": "caf\xe9"}`).
		expectError(t, http.StatusUnsupportedMediaType, "unsupported_media_type", "")
	env.do("POST", "/v1/similar", "application/json; charset=UTF-8", `{"body": "moon"}`).expectStatus(t, http.StatusOK)
}

// HEAD answers wherever GET does, with GET's status and headers and no
// body; errors included.
func TestHead(t *testing.T) {
	env := newEnv(t, Options{})
	for _, path := range []string{
		"/healthz", "/readyz", "/metrics", "/openapi.json", "/v1/stats",
		"/v1/articles/moon-01", "/v1/articles/moon-01/similar?k=3",
		"/v1/articles/nope", "/v1/articles/moon-01/similar?k=0", "/no/such/route",
	} {
		t.Run(path, func(t *testing.T) {
			get, head := env.get(path), env.do("HEAD", path, "", "")
			if head.status != get.status || len(head.body) != 0 {
				t.Fatalf("HEAD: %d with %d body bytes; GET: %d", head.status, len(head.body), get.status)
			}
			for _, h := range []string{"Content-Type", "Content-Length", "Allow"} {
				if (path == "/metrics" || path == "/no/such/route") && h == "Content-Length" {
					continue // the figures change between the two; the message names the method
				}
				if head.header.Get(h) != get.header.Get(h) {
					t.Errorf("%s: HEAD %q, GET %q", h, head.header.Get(h), get.header.Get(h))
				}
			}
			if head.header.Get("X-Request-ID") == "" {
				t.Errorf("HEAD without X-Request-ID")
			}
		})
	}
	r := env.do("HEAD", "/v1/similar", "", "")
	if r.status != http.StatusMethodNotAllowed || !strings.Contains(r.header.Get("Allow"), "POST") || len(r.body) != 0 {
		t.Errorf("HEAD on a POST route: got %d Allow %q body %q", r.status, r.header.Get("Allow"), r.body)
	}
	// The body GET would have is counted, not sent.
	res, err := env.ts.Client().Head(env.ts.URL + "/v1/articles/moon-01")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.ContentLength <= 0 || len(b) != 0 {
		t.Errorf("HEAD article: Content-Length %d, body %d bytes", res.ContentLength, len(b))
	}
}
