package httpapi

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/readalike/readalike/recommend"
)

func TestRateLimit(t *testing.T) {
	env := newEnv(t, Options{RateLimit: 1, RateBurst: 3})
	for i := range 3 {
		env.get("/v1/articles/moon-01").expectStatus(t, http.StatusOK)
		_ = i
	}
	r := env.get("/v1/articles/moon-01")
	r.expectError(t, http.StatusTooManyRequests, "rate_limited", "")
	if s, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || s < 1 {
		t.Errorf("Retry-After: got %q, want a positive number of seconds", r.header.Get("Retry-After"))
	}
	// Probes are never limited.
	env.get("/healthz").expectStatus(t, http.StatusOK)
	env.get("/readyz").expectStatus(t, http.StatusOK)
	env.get("/metrics").expectStatus(t, http.StatusOK)
	// Without TrustProxy a forwarded address changes nothing.
	env.do("GET", "/v1/stats", "", "", "X-Forwarded-For", "203.0.113.9").expectStatus(t, http.StatusTooManyRequests)
}

func TestRateLimitPerClient(t *testing.T) {
	env := newEnv(t, Options{RateLimit: 1, RateBurst: 1, TrustProxy: true})
	env.do("GET", "/v1/stats", "", "", "X-Forwarded-For", "203.0.113.1").expectStatus(t, http.StatusOK)
	env.do("GET", "/v1/stats", "", "", "X-Forwarded-For", "203.0.113.1").expectStatus(t, http.StatusTooManyRequests)
	env.do("GET", "/v1/stats", "", "", "X-Forwarded-For", "203.0.113.2").expectStatus(t, http.StatusOK)
}

func TestRateLimitOff(t *testing.T) {
	env := newEnv(t, Options{RateLimit: -1})
	if env.srv.limiter != nil {
		t.Fatal("negative RateLimit left a limiter")
	}
	for range 50 {
		env.get("/healthz").expectStatus(t, http.StatusOK)
	}
}

func TestLimiter(t *testing.T) {
	l := newLimiter(10, 5) // a token every 100 ms, 5 at most
	now := time.Unix(1000, 0)
	for i := range 5 {
		if ok, _ := l.allow("a", now); !ok {
			t.Fatalf("request %d of the burst refused", i)
		}
	}
	ok, wait := l.allow("a", now)
	if ok || wait != 100*time.Millisecond {
		t.Fatalf("after the burst: got %v %v, want false 100ms", ok, wait)
	}
	if ok, _ := l.allow("b", now); !ok {
		t.Fatalf("another key shares the bucket")
	}
	if ok, _ := l.allow("a", now.Add(100*time.Millisecond)); !ok {
		t.Fatalf("no token after its refill time")
	}
	if ok, _ := l.allow("a", now.Add(150*time.Millisecond)); ok {
		t.Fatalf("a token half refilled was given")
	}
	// Buckets full again are swept.
	later := now.Add(2 * time.Minute)
	l.allow("c", later)
	n := 0
	for i := range l.shards {
		n += len(l.shards[i].buckets)
	}
	if n > 3 {
		t.Errorf("%d buckets after a sweep, want at most 3", n)
	}
}

func TestTimeout(t *testing.T) {
	env := newEnv(t, Options{Timeout: 50 * time.Millisecond})
	env.srv.Echo().GET("/test/slow", func(c echo.Context) error {
		<-c.Request().Context().Done()
		return fmt.Errorf("slow work: %w", c.Request().Context().Err())
	})
	start := time.Now()
	env.get("/test/slow").expectError(t, http.StatusServiceUnavailable, "timeout", "")
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("timeout took %v", d)
	}

	// With no time at all, nothing runs and nothing is written.
	env = newEnv(t, Options{Timeout: time.Nanosecond})
	env.get("/v1/articles/moon-01/similar").expectError(t, http.StatusServiceUnavailable, "timeout", "")
	env.postJSON("/v1/articles", `{"id": "late", "body": "too late"}`).expectError(t, http.StatusServiceUnavailable, "timeout", "")
	env.do("DELETE", "/v1/articles/moon-01", "", "").expectError(t, http.StatusServiceUnavailable, "timeout", "")
	env.get("/v1/articles/moon-01").expectError(t, http.StatusServiceUnavailable, "timeout", "")
	if _, err := env.engine.Get(t.Context(), "late"); !errors.Is(err, recommend.ErrNotFound) {
		t.Errorf("a timed-out write was written: %v", err)
	}
	env.do("POST", "/v1/refit", "", "").expectStatus(t, http.StatusOK) // refit has its own deadline
}

func TestPanicIs500WithoutInternals(t *testing.T) {
	var logs bytes.Buffer
	env := newEnv(t, Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	env.srv.Echo().GET("/test/panic", func(c echo.Context) error { panic("secret internal state") })
	env.srv.Echo().GET("/test/fail", func(c echo.Context) error {
		return fmt.Errorf("open /var/lib/secret: %w", errors.New("disk on fire"))
	})
	for _, path := range []string{"/test/panic", "/test/fail"} {
		r := env.get(path)
		r.expectError(t, http.StatusInternalServerError, "internal", "")
		if b := string(r.body); strings.Contains(b, "secret") || strings.Contains(b, "goroutine") || strings.Contains(b, "fire") {
			t.Errorf("%s: internals in the answer: %s", path, b)
		}
	}
	if !strings.Contains(logs.String(), "secret internal state") || !strings.Contains(logs.String(), "disk on fire") ||
		!strings.Contains(logs.String(), "goroutine") {
		t.Errorf("the log lacks the errors and the stack:\n%s", logs.String())
	}
	// The server still serves.
	env.get("/healthz").expectStatus(t, http.StatusOK)
}

func TestRequestLog(t *testing.T) {
	var logs bytes.Buffer
	env := newEnv(t, Options{Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	env.do("GET", "/v1/articles/moon-01/similar", "", "", "X-Request-ID", "rid-42")
	line := ""
	for l := range strings.SplitSeq(logs.String(), "\n") {
		if strings.Contains(l, "rid-42") {
			line = l
		}
	}
	for _, want := range []string{`"msg":"request"`, `"method":"GET"`, `"route":"/v1/articles/:id/similar"`, `"status":200`,
		`"duration_ms":`, `"request_id":"rid-42"`, `"remote_ip":"127.0.0.1"`, `"bytes":`} {
		if !strings.Contains(line, want) {
			t.Errorf("request log line lacks %s: %s", want, line)
		}
	}
}
