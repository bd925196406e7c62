package fetch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"strings"

	"github.com/readalike/readalike/recommend"
	"github.com/readalike/readalike/recommend/articleio"
)

// acceptPage is the Accept header of a page fetch.
const acceptPage = "text/html, application/xhtml+xml;q=0.9, */*;q=0.1"

// ErrNotHTML: the page's answer is not HTML (a PDF, an image, JSON).
var ErrNotHTML = errors.New("not an HTML page")

// Page fetches the web page at rawURL and returns its article, as
// articleio.ReadPage reads it: the main text, the title, the date and the
// declared language, with the page's final URL (after redirects) as url
// and, as id, articleio.PageID of that URL. A date the page gives in no
// known form is left out and returned among the dropped fields. Errors,
// each wrapped with the URL: those of Get, ErrNotHTML, and
// articleio.ErrNoArticle for a page without article text; a page is never
// returned in part.
func (f *Fetcher) Page(ctx context.Context, rawURL string) (recommend.Article, []*recommend.FieldError, error) {
	resp, err := f.Get(ctx, rawURL, acceptPage, Validators{})
	if err != nil {
		return recommend.Article{}, nil, err
	}
	if mt, _, err := mime.ParseMediaType(resp.ContentType); resp.ContentType != "" && (err != nil || (mt != "text/html" && mt != "application/xhtml+xml")) {
		return recommend.Article{}, nil, fmt.Errorf("%s: the answer is %s: %w", resp.URL, resp.ContentType, ErrNotHTML)
	}
	id, err := articleio.PageID(resp.URL)
	if err != nil {
		return recommend.Article{}, nil, fmt.Errorf("%s: %w", resp.URL, err)
	}
	a, dropped, err := articleio.ReadPage(resp.URL, resp.ContentType, bytes.NewReader(resp.Body))
	if err != nil {
		return recommend.Article{}, nil, fmt.Errorf("%s: %w", resp.URL, err)
	}
	a.ID = id
	return a, dropped, nil
}

// acceptFeed is the Accept header of a feed fetch.
const acceptFeed = "application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.1"

// Feed fetches the feed at rawURL and sends its items to fn as
// articleio.ReadFeed does, the URL as their Source. Errors: those of Get,
// and of a body that is not a feed.
func (f *Fetcher) Feed(ctx context.Context, rawURL string, fn func(articleio.Record) error) error {
	resp, err := f.Get(ctx, rawURL, acceptFeed, Validators{})
	if err != nil {
		return err
	}
	return articleio.ReadFeed(rawURL, bytes.NewReader(resp.Body), fn)
}

// IsURL reports whether s names an http or https URL rather than a file.
func IsURL(s string) bool {
	l := strings.ToLower(s)
	return strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://")
}

// Read reads inputs as articleio.Read does, but for http and https URLs,
// which it fetches as feeds (Feed), and then fetches pages, each a record
// whose Source is its URL (Page): a page that cannot be fetched or read is
// a bad record, a feed an input that cannot be read. It is what `readalike
// ingest` reads.
func (f *Fetcher) Read(ctx context.Context, inputs, pages []string, stdin io.Reader, fn func(articleio.Record) error) error {
	for _, in := range inputs {
		var err error
		if IsURL(in) {
			err = f.Feed(ctx, in, fn)
		} else {
			err = articleio.Read([]string{in}, stdin, fn)
		}
		if err != nil {
			return err
		}
	}
	for _, p := range pages {
		rec := articleio.Record{Source: p}
		rec.Article, rec.Dropped, rec.Err = f.Page(ctx, p)
		if err := fn(rec); err != nil {
			return err
		}
	}
	return nil
}
