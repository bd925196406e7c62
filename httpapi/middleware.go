package httpapi

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
)

// quietRoute reports whether route is one machines probe: never rate
// limited, logged at debug level.
func quietRoute(route string) bool {
	return route == "/healthz" || route == "/readyz" || route == "/metrics"
}

// routeOf returns the route template that matched the request, or
// "unmatched", so metric labels stay few.
func routeOf(c echo.Context) string {
	if p := c.Path(); p != "" {
		return p
	}
	return "unmatched"
}

// observe times the request, answers its error through the error handler
// (so the status is known), then records the metrics and writes the one
// log line of the request.
func (s *Server) observe(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		s.metrics.inFlight.Inc()
		err := next(c)
		if err != nil {
			c.Error(err)
		}
		s.metrics.inFlight.Dec()
		d := time.Since(start)
		req, res := c.Request(), c.Response()
		route := routeOf(c)
		if errors.Is(err, echo.ErrNotFound) {
			route = "unmatched" // echo names the nearest route, which did not match
		}
		s.metrics.observe(req.Method, route, res.Status, d)

		level := slog.LevelInfo
		if quietRoute(route) {
			level = slog.LevelDebug
		}
		ctx := req.Context()
		if !s.log.Enabled(ctx, level) {
			return nil
		}
		s.log.LogAttrs(ctx, level, "request",
			slog.String("method", req.Method),
			slog.String("route", route),
			slog.String("path", req.URL.Path),
			slog.Int("status", res.Status),
			slog.Float64("duration_ms", float64(d.Microseconds())/1000),
			slog.String("request_id", res.Header().Get(echo.HeaderXRequestID)),
			slog.String("remote_ip", c.RealIP()),
			slog.Int64("bytes", res.Size),
		)
		return nil
	}
}

// panicError is a recovered panic, with the stack for the log.
type panicError struct {
	value any
	stack []byte
}

func (e *panicError) Error() string { return fmt.Sprintf("panic: %v\n%s", e.value, e.stack) }

// recover turns a panic in a handler into an error answered with 500 by
// the error handler; the stack goes to the log only. http.ErrAbortHandler
// goes on up, as net/http expects.
func (s *Server) recover(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) (err error) {
		defer func() {
			if r := recover(); r != nil {
				if r == http.ErrAbortHandler {
					panic(r)
				}
				err = &panicError{value: r, stack: debug.Stack()}
			}
		}()
		return next(c)
	}
}

// rateLimit refuses a client IP's requests beyond Options.RateLimit with
// 429 and Retry-After.
func (s *Server) rateLimit(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if s.limiter == nil || quietRoute(c.Path()) {
			return next(c)
		}
		if ok, wait := s.limiter.allow(c.RealIP(), time.Now()); !ok {
			return &apiError{
				Status: http.StatusTooManyRequests, Code: "rate_limited",
				Message:    fmt.Sprintf("more than %g requests per second from this address", s.opts.RateLimit),
				RetryAfter: max(1, int((wait+time.Second-1)/time.Second)),
			}
		}
		return next(c)
	}
}

// limitBody refuses a body longer than Options.MaxRequestBytes: at once when
// Content-Length says so, else when reading reaches the limit, which the
// error handler answers with 413.
func (s *Server) limitBody(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		if req.ContentLength > s.opts.MaxRequestBytes {
			return bodyTooLarge(s.opts.MaxRequestBytes)
		}
		if req.Body != nil && req.Body != http.NoBody {
			req.Body = http.MaxBytesReader(c.Response().Writer, req.Body, s.opts.MaxRequestBytes)
		}
		return next(c)
	}
}

// deadline bounds the request's context by Options.Timeout. It writes no
// answer of its own: a handler that runs out returns the context's error,
// answered with 503 "timeout". POST /v1/refit sets its own deadline.
func (s *Server) deadline(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if c.Path() == "/v1/refit" {
			return next(c)
		}
		ctx, cancel := context.WithTimeout(c.Request().Context(), s.opts.Timeout)
		defer cancel()
		c.SetRequest(c.Request().WithContext(ctx))
		return next(c)
	}
}

// requireEngine answers 503 "loading" until SetEngine.
func (s *Server) requireEngine(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if _, err := s.eng(); err != nil {
			return err
		}
		return next(c)
	}
}

// requireKey refuses a write without "Authorization: Bearer KEY" when
// Options.APIKey is set. The keys' SHA-256 digests are compared in constant
// time, so neither the key nor its length leaks through timing.
func (s *Server) requireKey(next echo.HandlerFunc) echo.HandlerFunc {
	if s.opts.APIKey == "" {
		return next
	}
	want := sha256.Sum256([]byte(s.opts.APIKey))
	return func(c echo.Context) error {
		scheme, token, _ := strings.Cut(c.Request().Header.Get(echo.HeaderAuthorization), " ")
		got := sha256.Sum256([]byte(token))
		if !strings.EqualFold(scheme, "Bearer") || subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
			c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="readalike"`)
			return &apiError{Status: http.StatusUnauthorized, Code: "unauthorized",
				Message: "writes need the header Authorization: Bearer <API key>"}
		}
		return next(c)
	}
}
