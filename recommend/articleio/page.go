package articleio

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/url"
	"slices"
	"strings"

	readability "codeberg.org/readeck/go-readability/v2"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
	"golang.org/x/net/html/charset"

	"github.com/readalike/readalike/recommend"
	"github.com/readalike/readalike/vectorize"
)

// MaxPageBytes is the largest page file read, in bytes.
const MaxPageBytes = 16 << 20

// ErrNoArticle is the error of a page in which no article text was found
// (a page of links, a login form, an empty page).
var ErrNoArticle = errors.New("no article text found in the page")

// ReadPage reads a web page and returns its article: the main text (found
// by readability, which leaves out navigation, headers, footers, ads and
// other boilerplate) as plain text in paragraphs, the title, the date of
// publication from the page's metadata (JSON-LD datePublished,
// article:published_time and the like, a <time> marked as such), read by
// ParseTime, and the language the page declares (<html lang>, else
// og:locale; left empty for the engine to detect when it declares none).
// pageURL, when not empty, is the article's url and resolves relative
// links; contentType, when known, gives the character set (else it is
// sniffed: a byte order mark, <meta charset>, else UTF-8). The id is left
// for the caller (PageID, or a file's name).
//
// A date in no known form is left out and returned among the dropped
// fields. A page without article text is ErrNoArticle; a page that cannot
// be read, another error: never an article with part of its text.
func ReadPage(pageURL, contentType string, r io.Reader) (recommend.Article, []*recommend.FieldError, error) {
	raw, err := io.ReadAll(io.LimitReader(r, MaxPageBytes+1))
	switch {
	case err != nil:
		return recommend.Article{}, nil, fmt.Errorf("read the page: %w", err)
	case len(raw) > MaxPageBytes:
		return recommend.Article{}, nil, fmt.Errorf("a page larger than %d bytes", MaxPageBytes)
	case len(bytes.TrimSpace(raw)) == 0:
		return recommend.Article{}, nil, ErrNoArticle
	}
	text, err := charset.NewReader(bytes.NewReader(raw), contentType)
	if err != nil {
		return recommend.Article{}, nil, fmt.Errorf("read the page: %w", err)
	}
	doc, err := html.Parse(text)
	if err != nil {
		return recommend.Article{}, nil, fmt.Errorf("read the page: %w", err)
	}
	meta := pageMetadata(doc)
	var u *url.URL
	if pageURL != "" {
		if u, err = url.Parse(pageURL); err != nil {
			return recommend.Article{}, nil, &recommend.FieldError{Field: "url", Message: "is not a URL"}
		}
	}
	p := readability.NewParser()
	art, err := p.ParseAndMutate(doc, u)
	if err != nil {
		return recommend.Article{}, nil, fmt.Errorf("read the page: %w", err)
	}
	a := recommend.Article{URL: pageURL, Title: strings.Join(strings.Fields(art.Title()), " "), Lang: meta.lang}
	if art.Node != nil {
		var b strings.Builder
		if err := art.RenderHTML(&b); err != nil {
			return recommend.Article{}, nil, fmt.Errorf("read the page: %w", err)
		}
		a.Body = vectorize.VisibleText(b.String())
	}
	if strings.TrimSpace(a.Body) == "" {
		return recommend.Article{}, nil, ErrNoArticle
	}
	var dropped []*recommend.FieldError
	for i, d := range meta.dates {
		t, err := ParseTime(d)
		if err == nil {
			a.Published = t
			break
		}
		if i == len(meta.dates)-1 {
			dropped = append(dropped, &recommend.FieldError{Field: "published", Message: "the page's date " + err.Error()})
		}
	}
	return a, dropped, nil
}

// PageID returns the id of a page's article derived from its URL: "page-"
// and the first 16 hex digits of the SHA-256 of the URL with its scheme
// and host in lower case, a default port (80, 443) and the fragment
// removed, and an empty path written "/". The same page saved twice gets
// the same id, and replaces itself.
func PageID(pageURL string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(pageURL))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", &recommend.FieldError{Field: "url", Message: "must be an absolute http or https URL"}
	}
	u.Scheme, u.Host, u.Fragment, u.RawFragment = strings.ToLower(u.Scheme), strings.ToLower(u.Host), "", ""
	if port := u.Port(); (u.Scheme == "http" && port == "80") || (u.Scheme == "https" && port == "443") {
		u.Host = strings.TrimSuffix(u.Host, ":"+port)
	}
	if u.Path == "" {
		u.Path = "/"
	}
	return hashID("page-", u.String()), nil
}

// pageMeta is what a page says of itself beyond its text.
type pageMeta struct {
	lang  string
	dates []string // candidates for the date of publication, best first
}

// dateNames are the names (meta property, name or itemprop) that carry a
// page's date of publication, best first.
var dateNames = []string{
	"article:published_time", "og:article:published_time", "datepublished", "dc.date.issued", "dcterms.issued",
	"dcterms.created", "dc.date.created", "dcterms.available", "dc.date", "date", "pubdate", "publishdate",
	"parsely-pub-date", "sailthru.date",
}

// pageMetadata collects the page's declared language and its candidate
// dates of publication: JSON-LD's datePublished first, then meta elements
// in the order of dateNames, then <time> elements marked as the date of
// publication.
func pageMetadata(doc *html.Node) pageMeta {
	var m pageMeta
	var ld []string
	byName := map[string]string{}
	var times []string
	var locale string
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			switch n.DataAtom {
			case atom.Html:
				m.lang = strings.TrimSpace(attr(n, "lang"))
			case atom.Meta:
				content := strings.TrimSpace(attr(n, "content"))
				for _, k := range []string{"property", "name", "itemprop"} {
					name := strings.ToLower(strings.TrimSpace(attr(n, k)))
					if name == "og:locale" {
						locale = content
					}
					if _, ok := byName[name]; !ok && name != "" && content != "" {
						byName[name] = content
					}
				}
			case atom.Script:
				if strings.EqualFold(strings.TrimSpace(attr(n, "type")), "application/ld+json") && n.FirstChild != nil {
					ld = append(ld, jsonLDDates(n.FirstChild.Data)...)
				}
			case atom.Time:
				_, pub := attrOK(n, "pubdate")
				if dt := strings.TrimSpace(attr(n, "datetime")); dt != "" && (pub || strings.EqualFold(attr(n, "itemprop"), "datePublished")) {
					times = append(times, dt)
				}
			}
			if n.DataAtom != atom.Time && n.DataAtom != atom.Meta && strings.EqualFold(attr(n, "itemprop"), "datePublished") {
				if c := strings.TrimSpace(attr(n, "content")); c != "" {
					byName["datepublished"] = c
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	if m.lang == "" && locale != "" {
		m.lang = locale
	}
	m.dates = ld
	for _, name := range dateNames {
		if d, ok := byName[name]; ok {
			m.dates = append(m.dates, d)
		}
	}
	m.dates = append(m.dates, times...)
	return m
}

// jsonLDDates returns the datePublished values of a JSON-LD script,
// shallowest first (an Article's own before those of what it holds), at
// any depth up to 8 (an Article in a @graph).
func jsonLDDates(src string) []string {
	var v any
	if json.Unmarshal([]byte(src), &v) != nil {
		return nil
	}
	var out []string
	level := []any{v}
	for depth := 0; depth < 8 && len(level) > 0; depth++ {
		var next []any
		for _, v := range level {
			switch x := v.(type) {
			case map[string]any:
				if s, ok := x["datePublished"].(string); ok && strings.TrimSpace(s) != "" {
					out = append(out, strings.TrimSpace(s))
				}
				for _, k := range slices.Sorted(maps.Keys(x)) {
					next = append(next, x[k])
				}
			case []any:
				next = append(next, x...)
			}
		}
		level = next
	}
	return out
}

func attr(n *html.Node, key string) string {
	v, _ := attrOK(n, key)
	return v
}

func attrOK(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Namespace == "" && strings.EqualFold(a.Key, key) {
			return a.Val, true
		}
	}
	return "", false
}
