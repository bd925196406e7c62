package recommend

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/readalike/readalike/vectorize"
)

// Limits of an article.
const (
	MaxIDBytes       = 256
	MaxTitleBytes    = 4 << 10
	MaxCategoryBytes = 256
	MaxURLBytes      = 4 << 10
	DefaultMaxBody   = 1 << 20 // bytes; Options.MaxBodyBytes
)

// FieldError is bad input: which field, and what is wrong with it.
type FieldError struct {
	Field   string // as named in the JSON API: "id", "body", "k", ...
	Message string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Message }

// ErrExists is the error of an article Create refuses: the collection
// already has its id.
var ErrExists = errors.New("already exists")

// Validate checks the client-given fields of a as every write does, and
// puts its language in canonical form: the id, the title, the body (at
// most maxBody bytes; 0 means DefaultMaxBody), the URL, the category and
// the language. A language that is absent (or blank, or detected before:
// LangDetected) is left empty, for the write to detect. The error is a
// *FieldError. Engine.Validate checks with the engine's own body limit.
func Validate(a *Article, maxBody int) error {
	if maxBody <= 0 {
		maxBody = DefaultMaxBody
	}
	return validate(a, maxBody)
}

// validate is Validate with maxBody set.
func validate(a *Article, maxBody int) error {
	if err := ValidateID(a.ID); err != nil {
		return err
	}
	t := Text{Title: a.Title, Body: a.Body, Lang: a.Lang}
	if err := validateText(&t, maxBody); err != nil {
		return err
	}
	if strings.TrimSpace(a.Body) == "" {
		return &FieldError{"body", "is required"}
	}
	if a.LangDetected || strings.TrimSpace(a.Lang) == "" {
		a.Lang, a.LangDetected = "", false // to be detected
	} else {
		a.Lang = t.Lang
	}
	if a.URL != "" {
		u, err := url.Parse(a.URL)
		switch {
		case len(a.URL) > MaxURLBytes:
			return &FieldError{"url", fmt.Sprintf("is longer than %d bytes", MaxURLBytes)}
		case !utf8.ValidString(a.URL):
			return &FieldError{"url", "is not valid UTF-8"}
		case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
			return &FieldError{"url", "must be an absolute http or https URL"}
		}
	}
	return printable("category", a.Category, MaxCategoryBytes)
}

// validateText checks a text's fields as an article's, but for the body
// an article must have, and puts its language in canonical form.
func validateText(t *Text, maxBody int) error {
	if !utf8.ValidString(t.Title) {
		return &FieldError{"title", "is not valid UTF-8"}
	}
	if len(t.Title) > MaxTitleBytes {
		return &FieldError{"title", fmt.Sprintf("is %d bytes, more than %d", len(t.Title), MaxTitleBytes)}
	}
	if !utf8.ValidString(t.Body) {
		return &FieldError{"body", "is not valid UTF-8"}
	}
	if len(t.Body) > maxBody {
		return &FieldError{"body", fmt.Sprintf("is %d bytes, more than %d", len(t.Body), maxBody)}
	}
	lang, err := vectorize.CanonicalLang(t.Lang)
	if err != nil {
		return &FieldError{"lang", err.Error()}
	}
	t.Lang = lang
	return nil
}

// ValidateID reports whether id is usable as an article id: 1 to 256 bytes
// of printable UTF-8.
func ValidateID(id string) error {
	if id == "" {
		return &FieldError{"id", "is required"}
	}
	return printable("id", id, MaxIDBytes)
}

func printable(field, s string, maxBytes int) error {
	if len(s) > maxBytes {
		return &FieldError{field, fmt.Sprintf("is %d bytes, more than %d", len(s), maxBytes)}
	}
	if !utf8.ValidString(s) {
		return &FieldError{field, "is not valid UTF-8"}
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return &FieldError{field, fmt.Sprintf("holds the unprintable character %U", r)}
		}
	}
	return nil
}
