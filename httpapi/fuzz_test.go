package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/readalike/readalike/recommend"
	"github.com/readalike/readalike/recommend/articleio"
)

// FuzzPostArticles sends arbitrary bodies to POST /v1/articles as JSON and
// as NDJSON: the server must not panic, never answer 500, and answer every
// refusal in the one error shape.
//
//	go test ./httpapi -run XXX -fuzz FuzzPostArticles -fuzztime 60s
func FuzzPostArticles(f *testing.F) {
	for _, seed := range []string{
		`{"id": "f1", "body": "fuzzing the moon"}`,
		`[{"id": "f2", "title": "t", "body": "b", "lang": "fr", "published": "2026-01-01"}, {"id": "f2", "body": "dup"}]`,
		`{"id": "f3", "body": "b", "words": 1}`,
		`[1, "x", null, {}, []]`,
		"{\"id\": \"f4\", \"body\": \"b\"}\n{\"id\": 5}\nnot json\n",
		`{"id": "\ud800", "body": "\u0000"}`,
		`{"id": "f5", "body": "b", "url": "http://[::1", "published": "2026-02-30"}`,
		`null`, `[`, `{"id":`, ``, "\xff\xfe", `[{"id": "f6", "body": "b"}]]`,
		`{"url": "https://example.org/page", "fetch": true}`,
		`{"url": "https://example.org/page", "fetch": true, "id": "f7", "lang": "xx", "category": "\u0007"}`,
		`{"url": "https://example.org/none", "fetch": true, "title": "t"}`,
		`[{"url": "https://example.org/page", "fetch": true}]`,
	} {
		f.Add([]byte(seed), false)
		f.Add([]byte(seed), true)
	}
	// Pages come from a stub, never the network.
	env := newEnv(f, Options{RateLimit: -1, MaxBatch: 50, MaxRequestBytes: 64 << 10, Fetcher: stubFetcher{}})
	h := env.srv.Handler()
	f.Fuzz(func(t *testing.T, body []byte, nd bool) {
		req := httptest.NewRequest(http.MethodPost, "/v1/articles", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if nd {
			req.Header.Set("Content-Type", "application/x-ndjson")
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		switch {
		case rec.Code >= 500:
			t.Fatalf("status %d for %q: %s", rec.Code, body, rec.Body)
		case rec.Code >= 400:
			var eb errorBody
			if err := json.Unmarshal(rec.Body.Bytes(), &eb); err != nil || eb.Error.Code == "" || eb.Error.Message == "" {
				t.Fatalf("status %d for %q: not the error shape: %s", rec.Code, body, rec.Body)
			}
		default:
			var wr writeResult
			if err := json.Unmarshal(rec.Body.Bytes(), &wr); err != nil || wr.Written < 1 {
				t.Fatalf("status %d for %q: %s", rec.Code, body, rec.Body)
			}
		}
	})
}

// stubFetcher serves one page, https://example.org/page, without a network;
// any other URL has no article.
type stubFetcher struct{}

func (stubFetcher) Page(ctx context.Context, url string) (recommend.Article, []*recommend.FieldError, error) {
	if url != "https://example.org/page" {
		return recommend.Article{}, nil, articleio.ErrNoArticle
	}
	a, dropped, err := articleio.ReadPage(url, "text/html", strings.NewReader(`<html><head><meta property="article:published_time" content="soon"></head><body><article><p>`+
		strings.Repeat("The harbour wall was rebuilt in granite over the winter. ", 12)+`</p></article></body></html>`))
	a.ID = "page-stub"
	return a, dropped, err
}
