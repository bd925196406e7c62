package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/readalike/readalike/recommend"
	"github.com/readalike/readalike/recommend/articleio"
)

// Media types of request bodies.
const (
	mediaJSON   = "application/json"
	mediaNDJSON = "application/x-ndjson"
	mediaForm   = "application/x-www-form-urlencoded" // curl -d's default
)

// mediaType returns the request's media type without parameters, lower
// case, or "" when there is none or it does not parse.
func mediaType(c echo.Context) string {
	mt, _, err := mime.ParseMediaType(c.Request().Header.Get(echo.HeaderContentType))
	if err != nil {
		return ""
	}
	return mt
}

// unsupportedMedia is the 415 answer to a body of another type.
func unsupportedMedia(c echo.Context, accepted ...string) *apiError {
	got := c.Request().Header.Get(echo.HeaderContentType)
	if got == "" {
		got = "none"
	}
	return &apiError{Status: http.StatusUnsupportedMediaType, Code: "unsupported_media_type",
		Message: fmt.Sprintf("content type %s is not supported: send %s", got, strings.Join(accepted, " or "))}
}

// readQuery reads the body of a read-only POST route (a query: similar,
// recommend, analyze), which must be one JSON object, and returns its
// members. Such a body is taken as JSON whatever type it is declared as,
// so that curl -d '{...}', which declares a form, works as written; a
// write route accepts application/json only (see readArticles), because a
// browser form can post a form type to any site without asking, and a
// page could then write through a reader's browser. The body limit's
// error goes through untouched, for 413.
func readQuery(c echo.Context) (map[string]json.RawMessage, error) {
	switch mediaType(c) {
	case mediaJSON, mediaForm, "":
	default:
		return nil, unsupportedMedia(c, mediaJSON)
	}
	dec := json.NewDecoder(c.Request().Body)
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return nil, jsonError(err, "the body")
	}
	if err := expectEOF(dec); err != nil {
		return nil, err
	}
	return object(raw, "the body")
}

// object decodes raw, which must be a JSON object, into its members.
func object(raw json.RawMessage, what string) (map[string]json.RawMessage, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		var ute *json.UnmarshalTypeError
		if !errors.As(err, &ute) {
			return nil, jsonError(err, what)
		}
		m = nil
	}
	if m == nil { // not an object, or null
		return nil, badRequest("", "%s must be a JSON object", what)
	}
	return m, nil
}

// expectEOF reports anything but white space after the value dec read.
func expectEOF(dec *json.Decoder) error {
	var extra json.RawMessage
	switch err := dec.Decode(&extra); {
	case err == io.EOF:
		return nil
	case err != nil:
		return jsonError(err, "the body")
	}
	return badRequest("", "the body holds more than one JSON value")
}

// jsonError turns a decoding error into a 400 saying where, but lets the
// body limit's error through, for 413.
func jsonError(err error, what string) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return err
	}
	if err == io.EOF {
		return &apiError{Status: http.StatusBadRequest, Code: "invalid_json", Message: what + " is empty", Err: err}
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return &apiError{Status: http.StatusBadRequest, Code: "invalid_json", Message: what + " ends too early", Err: err}
	}
	msg := strings.TrimPrefix(err.Error(), "json: ")
	return &apiError{Status: http.StatusBadRequest, Code: "invalid_json", Message: what + " is not valid JSON: " + msg, Err: err}
}

// sortedKeys returns the members' names in order, so that of several bad
// fields the same one is reported every time.
func sortedKeys(m map[string]json.RawMessage) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// The decoders below fill *dst from a member's raw value; null leaves it
// alone. A value of the wrong type is a *recommend.FieldError naming field.

var (
	decodeString  = articleio.DecodeString  // invalid UTF-8 refused, never replaced
	decodeStrings = articleio.DecodeStrings // likewise
)

func decodeBool(raw json.RawMessage, field string, dst *bool) error {
	if err := json.Unmarshal(raw, dst); err != nil {
		return &recommend.FieldError{Field: field, Message: "must be true or false"}
	}
	return nil
}

func decodeNumber(raw json.RawMessage, field string, dst *float64) error {
	if err := json.Unmarshal(raw, dst); err != nil {
		return &recommend.FieldError{Field: field, Message: "must be a number"}
	}
	return nil
}

// parseBound reads the bound of a date range as the whole of readalike
// does (articleio.ParseBound): a date alone as "to" includes that day.
func parseBound(field, s string, end bool) (time.Time, error) {
	t, err := articleio.ParseBound(s, end)
	if err != nil {
		return time.Time{}, &recommend.FieldError{Field: field, Message: err.Error()}
	}
	return t, nil
}
