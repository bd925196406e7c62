package httpapi

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

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

// checkCharset refuses, with 415, a body declared in a character set other
// than UTF-8: its text would be refused field by field as invalid UTF-8,
// or worse, read as other characters than were meant.
func checkCharset(c echo.Context) error {
	_, params, err := mime.ParseMediaType(c.Request().Header.Get(echo.HeaderContentType))
	cs, ok := params["charset"]
	if err != nil || !ok || strings.EqualFold(cs, "utf-8") || strings.EqualFold(cs, "utf8") {
		return nil
	}
	return &apiError{Status: http.StatusUnsupportedMediaType, Code: "unsupported_media_type",
		Message: fmt.Sprintf("charset %s is not supported: send UTF-8", cs)}
}

// bodyReader returns the request body with a UTF-8 byte order mark at its
// start skipped, as a JSON parser may (RFC 8259, section 8.1) and as
// readalike's file readers do, so that a file saved by a Windows editor
// posts as it ingests. A body starting with a UTF-16 or UTF-32 byte order
// mark is refused with a 400 saying so, where the JSON parser would only
// say that the first character is unexpected.
func bodyReader(c echo.Context) (*bufio.Reader, error) {
	br := bufio.NewReader(c.Request().Body)
	head, _ := br.Peek(4) // an error shows again at the first read
	switch {
	case bytes.HasPrefix(head, []byte("\xef\xbb\xbf")):
		_, _ = br.Discard(3)
	case bytes.HasPrefix(head, []byte("\xfe\xff")), bytes.HasPrefix(head, []byte("\xff\xfe")),
		bytes.HasPrefix(head, []byte("\x00\x00\xfe\xff")):
		return nil, &apiError{Status: http.StatusBadRequest, Code: "invalid_json",
			Message: "the body starts with a UTF-16 or UTF-32 byte order mark: send UTF-8"}
	}
	return br, nil
}

// queryValues parses the request's query string as url.ParseQuery does,
// but strictly, where echo's QueryParams drops what does not parse and
// keeps invalid UTF-8: a malformed escape, or a name or value that is not
// valid UTF-8, is a 400 naming the parameter (an unreadable name by its
// escaped form).
func queryValues(c echo.Context) (url.Values, error) {
	v := url.Values{}
	for pair := range strings.SplitSeq(c.Request().URL.RawQuery, "&") {
		if pair == "" {
			continue
		}
		rawName, rawVal, _ := strings.Cut(pair, "=")
		name, err := url.QueryUnescape(rawName)
		switch {
		case err != nil:
			return nil, badRequest(printableName(rawName), "is not a validly escaped query parameter name")
		case !utf8.ValidString(name):
			return nil, badRequest(printableName(name), "is not valid UTF-8")
		case strings.Contains(pair, ";"):
			return nil, badRequest(name, "holds a semicolon: separate query parameters with &, and escape a semicolon in a value as %%3B")
		}
		val, err := url.QueryUnescape(rawVal)
		switch {
		case err != nil:
			return nil, badRequest(name, "is not a validly escaped value")
		case !utf8.ValidString(val):
			return nil, badRequest(name, "is not valid UTF-8")
		}
		v[name] = append(v[name], val)
	}
	return v, nil
}

// printableName returns name as it can be shown, with any byte that is
// not valid UTF-8 written as %XX, so that an error names the field as it
// was sent rather than with replacement characters.
func printableName(name string) string {
	if utf8.ValidString(name) {
		return name
	}
	var b strings.Builder
	for len(name) > 0 {
		r, n := utf8.DecodeRuneInString(name)
		if r == utf8.RuneError && n == 1 {
			fmt.Fprintf(&b, "%%%02X", name[0])
		} else {
			b.WriteString(name[:n])
		}
		name = name[n:]
	}
	return b.String()
}

// invalidMemberName returns, when raw (a JSON object) holds a member name
// that is not valid UTF-8, a 400 naming it with its invalid bytes escaped;
// encoding/json would replace them with U+FFFD and report another name.
func invalidMemberName(raw []byte) error {
	for i := 0; i < len(raw); {
		r, n := utf8.DecodeRune(raw[i:])
		if r != utf8.RuneError || n != 1 {
			i += n
			continue
		}
		// raw[i] is inside a string (JSON allows bytes outside ASCII
		// nowhere else): find its quotes, and whether a colon follows.
		open := bytes.LastIndexByte(raw[:i], '"')
		for open > 0 && escaped(raw, open) {
			open = bytes.LastIndexByte(raw[:open], '"')
		}
		end := i
		for {
			j := bytes.IndexByte(raw[end:], '"')
			if j < 0 {
				return nil
			}
			end += j
			if !escaped(raw, end) {
				break
			}
			end++
		}
		if open >= 0 && bytes.HasPrefix(bytes.TrimLeft(raw[end+1:], " \t\r\n"), []byte(":")) {
			// The invalid bytes as %XX first, then the JSON escapes read.
			name := printableName(string(raw[open+1 : end]))
			var s string
			if json.Unmarshal([]byte(`"`+name+`"`), &s) == nil {
				name = s
			}
			return badRequest(name, "is a member name that is not valid UTF-8")
		}
		i = end + 1
	}
	return nil
}

// escaped reports whether raw[i] is preceded by an odd run of backslashes.
func escaped(raw []byte, i int) bool {
	n := 0
	for i > 0 && raw[i-1] == '\\' {
		n++
		i--
	}
	return n%2 == 1
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
	if err := checkCharset(c); err != nil {
		return nil, err
	}
	body, err := bodyReader(c)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(body)
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
	if !utf8.Valid(raw) {
		if err := invalidMemberName(raw); err != nil {
			return nil, err
		}
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
// body limit's error through, for 413, and an answer already chosen (the
// 408 of a body that did not arrive in time).
func jsonError(err error, what string) error {
	var (
		mbe *http.MaxBytesError
		ae  *apiError
	)
	if errors.As(err, &mbe) || errors.As(err, &ae) { // 413, or the body's 408
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
