package httpapi

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/readalike/readalike/recommend"
	"github.com/readalike/readalike/storage"
)

// testEnv is a real server over httptest, its http.Server and listener
// those of HTTPServer and Listener, with a real engine over a store, loaded with testdata/articles.jsonl and refitted.
type testEnv struct {
	t      testing.TB
	srv    *Server
	ts     *httptest.Server
	conns  *connLog
	engine *recommend.Engine
	arts   []recommend.Article // the fixture, as loaded
}

// newEnv starts a server with opts and, unless loading is true, hands it an
// engine loaded with the fixture.
func newEnv(t testing.TB, opts Options) *testEnv {
	t.Helper()
	env := newLoadingEnv(t, opts)
	env.setEngine()
	return env
}

// newLoadingEnv starts a server with no engine.
func newLoadingEnv(t testing.TB, opts Options) *testEnv {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = testLogger(t)
	}
	srv := New(opts)
	ts := httptest.NewUnstartedServer(nil)
	ts.Config = srv.HTTPServer() // as serve builds it
	ts.Listener = srv.Listener(ts.Listener)
	conns := &connLog{closed: map[string]time.Time{}}
	ts.Config.ConnState = conns.hook
	ts.Start()
	t.Cleanup(ts.Close)
	return &testEnv{t: t, srv: srv, ts: ts, conns: conns}
}

// setEngine opens an engine over a new store, loads the fixture, refits
// and hands the engine to the server. The store is on disk in a temporary
// directory, as serve keeps it.
func (env *testEnv) setEngine() {
	t := env.t
	t.Helper()
	ctx := context.Background()
	col, err := storage.OpenCollection(ctx, t.TempDir(), storage.Options{}, recommend.Options{RefitShare: -1}, nil)
	if err != nil {
		t.Fatalf("open collection: %v", err)
	}
	t.Cleanup(func() { col.Close() })
	e := col.Engine
	env.arts = fixture(t)
	if rs, err := e.Upsert(ctx, env.arts...); err != nil || rs.Err() != nil {
		t.Fatalf("load fixture: %v %v", err, rs.Err())
	}
	if _, err := e.Refit(ctx); err != nil {
		t.Fatalf("refit: %v", err)
	}
	env.engine = e
	env.srv.SetEngine(e)
}

// fixture reads testdata/articles.jsonl.
func fixture(t testing.TB) []recommend.Article {
	t.Helper()
	f, err := os.Open("testdata/articles.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var arts []recommend.Article
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var a recommend.Article
		if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
			t.Fatalf("testdata/articles.jsonl: %v", err)
		}
		arts = append(arts, a)
	}
	return arts
}

// testLogger logs to the test's log, at warn and above, so failures show
// the server's errors.
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type tWriter struct{ t testing.TB }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// response is an answer read whole.
type response struct {
	status int
	header http.Header
	body   []byte
}

// do sends a request; hdr holds header name, value pairs.
func (env *testEnv) do(method, path, contentType, body string, hdr ...string) response {
	env.t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, env.ts.URL+path, r)
	if err != nil {
		env.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := env.ts.Client().Do(req)
	if err != nil {
		env.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		env.t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return response{status: res.StatusCode, header: res.Header, body: b}
}

func (env *testEnv) get(path string) response { return env.do(http.MethodGet, path, "", "") }

func (env *testEnv) postJSON(path, body string, hdr ...string) response {
	return env.do(http.MethodPost, path, "application/json", body, hdr...)
}

// decode unmarshals the body into v, failing the test when it does not.
func (r response) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

// expectError checks the status and the error body's code and field.
func (r response) expectError(t testing.TB, status int, code, field string) errorBody {
	t.Helper()
	if r.status != status {
		t.Fatalf("status: got %d, want %d; body %s", r.status, status, r.body)
	}
	var eb errorBody
	r.decode(t, &eb)
	if eb.Error.Code != code || eb.Error.Field != field {
		t.Fatalf("error: got code %q field %q, want code %q field %q; body %s",
			eb.Error.Code, eb.Error.Field, code, field, r.body)
	}
	if eb.Error.Message == "" {
		t.Fatalf("error without a message: %s", r.body)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("error content type: got %q, want application/json", ct)
	}
	return eb
}

func (r response) expectStatus(t testing.TB, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status: got %d, want %d; body %s", r.status, status, r.body)
	}
}

func TestLoadingThenReady(t *testing.T) {
	env := newLoadingEnv(t, Options{})
	env.get("/healthz").expectStatus(t, http.StatusOK)
	for _, tc := range []struct{ method, path, body string }{
		{"GET", "/readyz", ""},
		{"GET", "/v1/articles/moon-01", ""},
		{"GET", "/v1/articles/moon-01/similar", ""},
		{"DELETE", "/v1/articles/moon-01", ""},
		{"POST", "/v1/articles", `{"id":"x","body":"y"}`},
		{"POST", "/v1/similar", `{"body":"moon"}`},
		{"POST", "/v1/analyze", `{"body":"moon"}`},
		{"POST", "/v1/refit", ""},
		{"GET", "/v1/stats", ""},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			r := env.do(tc.method, tc.path, "application/json", tc.body)
			r.expectError(t, http.StatusServiceUnavailable, "loading", "")
			if r.header.Get("Retry-After") == "" {
				t.Errorf("503 loading without Retry-After")
			}
		})
	}
	env.get("/metrics").expectStatus(t, http.StatusOK)
	env.get("/openapi.json").expectStatus(t, http.StatusOK)

	env.setEngine()
	env.get("/readyz").expectStatus(t, http.StatusOK)
	env.get("/v1/articles/moon-01").expectStatus(t, http.StatusOK)
}

func TestHealthz(t *testing.T) {
	env := newEnv(t, Options{})
	r := env.get("/healthz")
	r.expectStatus(t, http.StatusOK)
	if got := string(r.body); !strings.Contains(got, `"ok"`) {
		t.Errorf("healthz body: got %s", got)
	}
	if r.header.Get("X-Request-ID") == "" {
		t.Errorf("no X-Request-ID header")
	}
	r = env.do("GET", "/healthz", "", "", "X-Request-ID", "given-id-1")
	if got := r.header.Get("X-Request-ID"); got != "given-id-1" {
		t.Errorf("X-Request-ID: got %q, want the client's given-id-1", got)
	}
}

func TestRoutingErrors(t *testing.T) {
	env := newEnv(t, Options{})
	env.get("/v2/nothing").expectError(t, http.StatusNotFound, "not_found", "")
	r := env.do("PUT", "/v1/articles/moon-01", "application/json", "{}")
	r.expectError(t, http.StatusMethodNotAllowed, "method_not_allowed", "")
	if allow := r.header.Get("Allow"); !strings.Contains(allow, "GET") || !strings.Contains(allow, "DELETE") {
		t.Errorf("Allow: got %q, want GET and DELETE", allow)
	}
	env.get("/v1/refit").expectError(t, http.StatusMethodNotAllowed, "method_not_allowed", "")
}

func TestStats(t *testing.T) {
	env := newEnv(t, Options{StoreSize: func() (int64, error) { return 12345, nil }})
	r := env.get("/v1/stats")
	r.expectStatus(t, http.StatusOK)
	var got map[string]any
	r.decode(t, &got)
	if got["articles"] != float64(len(env.arts)) || got["store_bytes"] != float64(12345) || got["generation"] != float64(2) {
		t.Errorf("stats: got %s, want %d articles, store_bytes 12345, generation 2", r.body, len(env.arts))
	}
	for _, k := range []string{"terms", "tombstones", "queries", "postings_scanned", "postings_skipped", "exact_scores", "refits"} {
		if _, ok := got[k]; !ok {
			t.Errorf("stats: no %q in %s", k, r.body)
		}
	}

	env = newEnv(t, Options{})
	r = env.get("/v1/stats")
	if strings.Contains(string(r.body), "store_bytes") {
		t.Errorf("store_bytes without StoreSize: %s", r.body)
	}
}

func TestRefit(t *testing.T) {
	env := newEnv(t, Options{})
	r := env.do("POST", "/v1/refit", "", "")
	r.expectStatus(t, http.StatusOK)
	var got refitResult
	r.decode(t, &got)
	if got.Generation != 3 { // 1 at open, 2 after the fixture's refit
		t.Errorf("generation: got %d, want 3", got.Generation)
	}
}

func TestMetrics(t *testing.T) {
	env := newEnv(t, Options{})
	env.get("/v1/articles/moon-01/similar").expectStatus(t, http.StatusOK)
	env.get("/v1/articles/nope/similar").expectStatus(t, http.StatusNotFound)
	env.get("/no/such/route").expectStatus(t, http.StatusNotFound)
	r := env.get("/metrics")
	r.expectStatus(t, http.StatusOK)
	text := string(r.body)
	for _, want := range []string{
		`readalike_http_request_duration_seconds_count{method="GET",route="/v1/articles/:id/similar",status="2xx"} 1`,
		`readalike_http_request_duration_seconds_count{method="GET",route="/v1/articles/:id/similar",status="4xx"} 1`,
		`readalike_http_request_duration_seconds_count{method="GET",route="unmatched",status="4xx"} 1`,
		"readalike_http_requests_in_flight 1", // the scrape itself
		"readalike_ready 1",
		"readalike_articles 12",
		"readalike_model_generation 2",
		"readalike_queries_total 1",
		"readalike_postings_scanned_total",
		"readalike_postings_skipped_total",
		"readalike_exact_scores_total",
		"readalike_refits_total 1",
		"readalike_tombstones 0",
		"readalike_terms ",
		"go_goroutines",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics: no %q", want)
		}
	}
	if strings.Contains(text, "/no/such/route") {
		t.Errorf("metrics: an unmatched path became a label")
	}
}
