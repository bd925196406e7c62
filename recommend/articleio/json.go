package articleio

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/readalike/readalike/recommend"
)

// Mode says how strictly an article's members are read.
type Mode int

const (
	// Lenient is for files other tools wrote: members that are not
	// fields of an article (topic, story, ...) and the fields the engine
	// keeps (created, read_count, ...) are ignored, and optional metadata
	// that cannot be read (a published date in no known form) is left out
	// with a warning.
	Lenient Mode = iota
	// Strict is for the API: every problem is an error naming the member.
	Strict
)

// Fields are the members of an article a client gives, in the order
// documents list them.
var Fields = []string{"id", "title", "body", "url", "category", "lang", "published"}

// keptFields are the members the engine keeps, which a client cannot set.
var keptFields = []string{"created", "updated", "read_count", "last_read", "words", "summary", "lang_detected"}

// optional are the fields a Lenient read leaves out, with a warning, when
// they cannot be read: metadata an article is still useful without. (Not
// lang: an article in a language the engine cannot stem would be analysed
// wrongly without it.)
var optional = []string{"url", "category", "published"}

// IsOptional reports whether field is optional metadata: url, category or
// published. An article whose such field cannot be read can be kept
// without it.
func IsOptional(field string) bool { return slices.Contains(optional, field) }

// DecodeArticle reads one article from a JSON object. It returns the
// article; under Lenient, the optional fields it left out, each as a
// *recommend.FieldError saying why; and an error, a *recommend.FieldError
// naming the member when one is at fault, when the object cannot be an
// article. Invalid UTF-8 in any string, raw or as a lone surrogate escape,
// is refused (never replaced), naming the member; a leading byte order
// mark is ignored.
func DecodeArticle(raw []byte, mode Mode) (recommend.Article, []*recommend.FieldError, error) {
	var a recommend.Article
	raw = bytes.TrimPrefix(raw, []byte("\ufeff"))
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		var ute *json.UnmarshalTypeError
		if err == nil || errors.As(err, &ute) {
			return a, nil, errors.New("not a JSON object")
		}
		return a, nil, fmt.Errorf("not valid JSON: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
	if v, ok := m["id"]; ok { // first, so later errors can name the article
		if err := decodeString(v, "id", &a.ID); err != nil {
			return a, nil, err
		}
	}
	var dropped []*recommend.FieldError
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys) // of several bad members, the same one is named every time
	for _, k := range keys {
		v := m[k]
		var err error
		switch k {
		case "id":
		case "title":
			err = decodeString(v, k, &a.Title)
		case "body":
			err = decodeString(v, k, &a.Body)
		case "url":
			err = decodeString(v, k, &a.URL)
		case "category":
			err = decodeString(v, k, &a.Category)
		case "lang":
			err = decodeString(v, k, &a.Lang)
		case "published":
			var s string
			if err = decodeString(v, k, &s); err == nil {
				if a.Published, err = ParseTime(s); err != nil {
					err = &recommend.FieldError{Field: k, Message: err.Error()}
				}
			}
		default:
			if mode == Lenient {
				continue
			}
			if slices.Contains(keptFields, k) {
				err = &recommend.FieldError{Field: k, Message: "is kept by the engine and cannot be set"}
			} else {
				err = &recommend.FieldError{Field: k, Message: "is not a field of an article (" + strings.Join(Fields, ", ") + ")"}
			}
		}
		if err == nil {
			continue
		}
		var fe *recommend.FieldError
		if mode == Lenient && errors.As(err, &fe) && IsOptional(k) {
			dropped = append(dropped, fe)
			clearField(&a, k)
			continue
		}
		return a, nil, err
	}
	return a, dropped, nil
}

// clearField sets an optional field of a to its zero value.
func clearField(a *recommend.Article, field string) {
	switch field {
	case "url":
		a.URL = ""
	case "category":
		a.Category = ""
	case "published":
		a.Published = time.Time{}
	}
}

// decodeString reads a JSON string (null leaves dst alone) into dst,
// refusing invalid UTF-8 rather than letting encoding/json replace it.
func decodeString(raw json.RawMessage, field string, dst *string) error {
	if err := json.Unmarshal(raw, dst); err != nil {
		return &recommend.FieldError{Field: field, Message: "must be a string"}
	}
	if !utf8.Valid(raw) || (strings.ContainsRune(*dst, utf8.RuneError) && !hasReplacementChar(raw)) {
		return &recommend.FieldError{Field: field, Message: "is not valid UTF-8"}
	}
	return nil
}

// hasReplacementChar reports whether a raw JSON string holds U+FFFD
// itself, as UTF-8 or as the escape \ufffd, rather than getting it from
// encoding/json in place of an invalid sequence.
func hasReplacementChar(raw []byte) bool {
	return bytes.Contains(raw, []byte("\uFFFD")) || bytes.Contains(bytes.ToLower(raw), []byte(`\ufffd`))
}

// DecodeString reads a JSON string member as DecodeArticle reads one: null
// leaves dst alone; a value that is not a string, or not valid UTF-8, is a
// *recommend.FieldError naming field.
func DecodeString(raw json.RawMessage, field string, dst *string) error {
	return decodeString(raw, field, dst)
}

// DecodeStrings reads a JSON array of strings likewise.
func DecodeStrings(raw json.RawMessage, field string, dst *[]string) error {
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return &recommend.FieldError{Field: field, Message: "must be an array of strings"}
	}
	if items == nil {
		return nil
	}
	out := make([]string, len(items))
	for i, it := range items {
		if err := decodeString(it, field, &out[i]); err != nil {
			var fe *recommend.FieldError
			errors.As(err, &fe)
			return &recommend.FieldError{Field: field, Message: fmt.Sprintf("item %d %s", i, fe.Message)}
		}
	}
	*dst = out
	return nil
}
