package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/readalike/readalike/recommend"
)

// TestErrorMapping drives every kind of error through the one error
// handler, wrapped the way handlers and the engine wrap them.
func TestErrorMapping(t *testing.T) {
	env := newLoadingEnv(t, Options{})
	for _, tc := range []struct {
		name   string
		err    error
		status int
		code   string
		field  string
	}{
		{"field", &recommend.FieldError{Field: "title", Message: "is too long"}, 400, "invalid", "title"},
		{"wrapped field", fmt.Errorf("decode: %w", &recommend.FieldError{Field: "k", Message: "bad"}), 400, "invalid", "k"},
		{"wrapped twice", fmt.Errorf("article 3: %w", fmt.Errorf("x: %w", &recommend.FieldError{Field: "url", Message: "bad"})), 400, "invalid", "url"},
		{"not found", fmt.Errorf("article %q: %w", "x", recommend.ErrNotFound), 404, "not_found", ""},
		{"exists", fmt.Errorf("article %q: %w", "x", recommend.ErrExists), 409, "exists", ""},
		{"echo error", echo.NewHTTPError(http.StatusUnsupportedMediaType, "Nope"), 415, "unsupported_media_type", ""},
		{"wrapped echo error", fmt.Errorf("bind: %w", echo.NewHTTPError(http.StatusRequestEntityTooLarge)), 413, "body_too_large", ""},
		{"max bytes", fmt.Errorf("read: %w", &http.MaxBytesError{Limit: 10}), 413, "body_too_large", ""},
		{"deadline", fmt.Errorf("commit: %w", context.DeadlineExceeded), 503, "timeout", ""},
		{"canceled", fmt.Errorf("commit: %w", context.Canceled), 503, "canceled", ""},
		{"loading", fmt.Errorf("engine: %w", errLoading), 503, "loading", ""},
		{"other", errors.New("badger: value log full of secrets"), 500, "internal", ""},
		{"echo 500 with internals", &echo.HTTPError{Code: 500, Message: "x", Internal: errors.New("secret")}, 500, "internal", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := "/test/" + strings.ReplaceAll(tc.name, " ", "-")
			env.srv.Echo().GET(path, func(c echo.Context) error { return tc.err })
			r := env.get(path)
			eb := r.expectError(t, tc.status, tc.code, tc.field)
			if tc.status == 500 && strings.Contains(eb.Error.Message, "secret") {
				t.Errorf("internals in the answer: %s", r.body)
			}
		})
	}
	// HEAD gets the status without a body.
	r := env.do("HEAD", "/v1/stats", "", "")
	if r.status != http.StatusMethodNotAllowed && r.status != http.StatusServiceUnavailable || len(r.body) != 0 {
		t.Errorf("HEAD: got %d %q", r.status, r.body)
	}
}
