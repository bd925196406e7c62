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

// ErrExists is returned by Add for an id the collection already has.
var ErrExists = errors.New("already exists")

// validate checks the client-given fields of a, and puts its language in
// canonical form. maxBody is the largest body accepted, in bytes.
func validate(a *Article, maxBody int) error {
	if err := ValidateID(a.ID); err != nil {
		return err
	}
	if !utf8.ValidString(a.Title) {
		return &FieldError{"title", "is not valid UTF-8"}
	}
	if len(a.Title) > MaxTitleBytes {
		return &FieldError{"title", fmt.Sprintf("is %d bytes, more than %d", len(a.Title), MaxTitleBytes)}
	}
	if !utf8.ValidString(a.Body) {
		return &FieldError{"body", "is not valid UTF-8"}
	}
	if strings.TrimSpace(a.Body) == "" {
		return &FieldError{"body", "is required"}
	}
	if len(a.Body) > maxBody {
		return &FieldError{"body", fmt.Sprintf("is %d bytes, more than %d", len(a.Body), maxBody)}
	}
	if a.URL != "" {
		u, err := url.Parse(a.URL)
		switch {
		case len(a.URL) > MaxURLBytes:
			return &FieldError{"url", fmt.Sprintf("is longer than %d bytes", MaxURLBytes)}
		case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
			return &FieldError{"url", "must be an absolute http or https URL"}
		}
	}
	if err := printable("category", a.Category, MaxCategoryBytes); err != nil {
		return err
	}
	lang, err := vectorize.CanonicalLang(a.Lang)
	if err != nil {
		return &FieldError{"lang", err.Error()}
	}
	a.Lang = lang
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
