package httpapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/readalike/readalike/recommend"
)

// errLoading answers every /v1 route and /readyz until SetEngine.
var errLoading = &apiError{
	Status: http.StatusServiceUnavailable, Code: "loading",
	Message: "the collection is still loading; try again shortly", RetryAfter: 1,
}

// apiError is an error that knows its answer: status, code, message and the
// field at fault. Err, when set, is the cause, logged but never sent.
type apiError struct {
	Status     int
	Code       string
	Message    string
	Field      string
	RetryAfter int           // seconds, sent as Retry-After when positive
	Records    []recordError // a refused batch's per-record errors
	Err        error
}

func (e *apiError) Error() string {
	if e.Field != "" {
		return e.Field + ": " + e.Message
	}
	return e.Message
}

func (e *apiError) Unwrap() error { return e.Err }

// badRequest returns a 400 naming field ("" for none).
func badRequest(field, format string, args ...any) *apiError {
	return &apiError{Status: http.StatusBadRequest, Code: "invalid", Field: field, Message: fmt.Sprintf(format, args...)}
}

// errorBody is the one JSON shape of every error answer. A refused batch
// adds written (0) and the per-record errors.
type errorBody struct {
	Error   errorDetail   `json:"error"`
	Written *int          `json:"written,omitempty"`
	Errors  []recordError `json:"errors,omitempty"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

// handleError is echo's HTTPErrorHandler: every error a handler or
// middleware returns ends here, and leaves as one errorBody (which net/http
// leaves out of an answer to HEAD, keeping the headers).
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed && answerNotTaken(err) {
		s.log.Debug("answer not delivered", "route", routeOf(c), "err", err)
		return // the client was too slow, or went away: no fault of ours
	}
	ae := s.classify(err, c)
	if ae.Status >= http.StatusInternalServerError && ae != errLoading {
		level := slog.LevelError
		if ae.Code != "internal" {
			level = slog.LevelWarn
		}
		s.log.Log(c.Request().Context(), level, "request failed",
			"method", c.Request().Method, "route", routeOf(c), "status", ae.Status,
			"request_id", c.Response().Header().Get(echo.HeaderXRequestID), "err", err.Error())
	}
	if c.Response().Committed {
		return // the handler began its answer; nothing more can be said
	}
	if ae.RetryAfter > 0 {
		c.Response().Header().Set("Retry-After", strconv.Itoa(ae.RetryAfter))
	}
	body := errorBody{Error: errorDetail{Code: ae.Code, Message: ae.Message, Field: ae.Field}}
	if ae.Records != nil {
		body.Written, body.Errors = new(int), ae.Records
	}
	if err := c.JSON(ae.Status, body); err != nil {
		s.log.Debug("write error answer", "err", err)
	}
}

// classify maps an error to its answer. It looks through wrapping with
// errors.As and errors.Is, never at the top-level type alone.
func (s *Server) classify(err error, c echo.Context) *apiError {
	var (
		ae  *apiError
		mbe *http.MaxBytesError
		fe  *recommend.FieldError
		he  *echo.HTTPError
	)
	switch {
	case errors.As(err, &ae):
		return ae
	case errors.As(err, &mbe):
		return bodyTooLarge(mbe.Limit)
	case errors.As(err, &fe):
		return fieldError(fe)
	case errors.Is(err, recommend.ErrNotFound):
		return &apiError{Status: http.StatusNotFound, Code: "not_found", Message: err.Error()}
	case errors.Is(err, recommend.ErrExists):
		return &apiError{Status: http.StatusConflict, Code: "exists", Message: err.Error()}
	case errors.Is(err, recommend.ErrNoSpace):
		return &apiError{Status: http.StatusInsufficientStorage, Code: "insufficient_storage",
			Message: "the server's disk is nearly full: writes are refused until space is freed; reads still work", Err: err}
	case errors.Is(err, context.DeadlineExceeded):
		return &apiError{Status: http.StatusServiceUnavailable, Code: "timeout",
			Message: "the request ran out of time", Err: err}
	case errors.Is(err, context.Canceled):
		return &apiError{Status: http.StatusServiceUnavailable, Code: "canceled", Message: "the request was canceled", Err: err}
	case errors.As(err, &he):
		return httpError(he, c)
	}
	return &apiError{Status: http.StatusInternalServerError, Code: "internal", Message: "internal error", Err: err}
}

// fieldError answers a *recommend.FieldError.
func fieldError(fe *recommend.FieldError) *apiError {
	return &apiError{Status: http.StatusBadRequest, Code: "invalid", Field: fe.Field, Message: fe.Field + " " + fe.Message}
}

// httpError answers echo's own errors: no route, wrong method and the like.
func httpError(he *echo.HTTPError, c echo.Context) *apiError {
	ae := &apiError{Status: he.Code, Code: statusCode(he.Code), Err: he.Internal}
	switch he.Code {
	case http.StatusNotFound:
		ae.Message = fmt.Sprintf("no route for %s %s", c.Request().Method, c.Request().URL.Path)
	case http.StatusMethodNotAllowed:
		ae.Message = fmt.Sprintf("method %s is not allowed on %s", c.Request().Method, c.Request().URL.Path)
	default:
		if m, ok := he.Message.(string); ok && m != "" {
			ae.Message = strings.ToLower(m[:1]) + m[1:]
		} else {
			ae.Message = strings.ToLower(http.StatusText(he.Code))
		}
	}
	if ae.Status < 400 || ae.Status > 599 || ae.Status == http.StatusInternalServerError {
		ae.Status, ae.Code, ae.Message = http.StatusInternalServerError, "internal", "internal error"
	}
	return ae
}

// statusCode is the error code of a status without a more precise one.
func statusCode(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "invalid"
	case http.StatusRequestEntityTooLarge:
		return "body_too_large"
	case http.StatusUnsupportedMediaType:
		return "unsupported_media_type"
	case http.StatusTooManyRequests:
		return "rate_limited"
	case http.StatusInternalServerError:
		return "internal"
	}
	return strings.ReplaceAll(strings.ToLower(http.StatusText(status)), " ", "_")
}

func bodyTooLarge(limit int64) *apiError {
	return &apiError{Status: http.StatusRequestEntityTooLarge, Code: "body_too_large",
		Message: fmt.Sprintf("the request body is larger than %d bytes", limit)}
}
