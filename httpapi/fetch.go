package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/readalike/readalike/recommend"
	"github.com/readalike/readalike/recommend/articleio"
	"github.com/readalike/readalike/recommend/fetch"
	"github.com/readalike/readalike/vectorize"
)

// PageFetcher fetches a web page as an article: *fetch.Fetcher is one.
type PageFetcher interface {
	Page(ctx context.Context, url string) (recommend.Article, []*recommend.FieldError, error)
}

// FeedStates reports the state of polled feeds: *fetch.Poller is one.
type FeedStates interface {
	States() []fetch.FeedState
}

// fetchMembers are the members of an article object with "fetch": true:
// the page gives the rest.
var fetchMembers = []string{"url", "fetch", "id", "category", "lang"}

// fetchRequest reads an article object that asks for its page to be
// fetched, {"url": ..., "fetch": true}, and returns the article it gives
// (url, and optionally id, category, lang) and true; it returns false for
// an object without "fetch", an ordinary article.
func fetchRequest(raw json.RawMessage) (recommend.Article, bool, error) {
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return recommend.Article{}, false, nil // DecodeArticle says what is wrong
	}
	v, ok := m["fetch"]
	if !ok {
		return recommend.Article{}, false, nil
	}
	var want bool
	if err := decodeBool(v, "fetch", &want); err != nil {
		return recommend.Article{}, true, err
	}
	if !want {
		return recommend.Article{}, true, badRequest("fetch", "must be true, or left out for an article given whole")
	}
	var a recommend.Article
	for _, k := range sortedKeys(m) {
		var err error
		switch k {
		case "fetch":
		case "url":
			err = decodeString(m[k], k, &a.URL)
		case "id":
			err = decodeString(m[k], k, &a.ID)
		case "category":
			err = decodeString(m[k], k, &a.Category)
		case "lang":
			err = decodeString(m[k], k, &a.Lang)
		case "title", "body", "published":
			err = badRequest(k, "is taken from the page when fetch is true")
		default:
			err = badRequest(k, "is not a member of a fetch request (%s)", strings.Join(fetchMembers, ", "))
		}
		if err != nil {
			return a, true, err
		}
	}
	if strings.TrimSpace(a.URL) == "" {
		return a, true, badRequest("url", "is required when fetch is true")
	}
	return a, true, nil
}

// fetchPage fetches the page of req and returns its article with what req
// gives (id, category, lang) in place of the page's, and the warnings of
// fields of the page left out. A page that cannot be fetched or read is an
// error naming why, and no article.
func (s *Server) fetchPage(ctx context.Context, req recommend.Article) (recommend.Article, []string, error) {
	a, dropped, err := s.fetcher.Page(ctx, req.URL)
	if err != nil {
		return a, nil, s.fetchError(ctx, err)
	}
	if req.ID != "" {
		a.ID = req.ID
	}
	if req.Category != "" {
		a.Category = req.Category
	}
	if req.Lang != "" {
		a.Lang = req.Lang
	} else if _, err := vectorize.CanonicalLang(a.Lang); a.Lang != "" && err != nil {
		return a, nil, &apiError{Status: http.StatusUnprocessableEntity, Code: "unreadable_page", Field: "url",
			Message: "the page is in " + a.Lang + ", a language readalike does not analyse (" + strings.Join(vectorize.Languages(), ", ") +
				"); give lang to analyse it as one of them"}
	}
	var warnings []string
	for _, d := range dropped {
		warnings = append(warnings, d.Error()+"; left out")
	}
	return a, warnings, nil
}

// fetchError turns the error of a page fetch into its answer.
func (s *Server) fetchError(ctx context.Context, err error) error {
	var se *fetch.StatusError
	switch {
	case ctx.Err() != nil:
		return ctx.Err() // the request's own time out: 503
	case errors.Is(err, fetch.ErrBadURL):
		return badRequest("url", "must be an absolute http or https URL")
	case errors.Is(err, fetch.ErrForbidden):
		return badRequest("url", "is, resolves or redirects to an address that is not public (loopback, private, link-local): not fetched")
	case errors.Is(err, fetch.ErrTooLarge), errors.Is(err, fetch.ErrNotHTML), errors.Is(err, articleio.ErrNoArticle):
		return &apiError{Status: http.StatusUnprocessableEntity, Code: "unreadable_page", Field: "url", Message: err.Error(), Err: err}
	case errors.As(err, &se):
		return &apiError{Status: http.StatusBadGateway, Code: "fetch_failed", Field: "url",
			Message: "the page's server answered " + http.StatusText(se.Status) + " (" + strconv.Itoa(se.Status) + ")", Err: err}
	case errors.Is(err, context.DeadlineExceeded):
		return &apiError{Status: http.StatusGatewayTimeout, Code: "fetch_timeout", Field: "url", Message: "the page did not arrive in time", Err: err}
	}
	return &apiError{Status: http.StatusBadGateway, Code: "fetch_failed", Field: "url", Message: "the page could not be fetched: " + err.Error(), Err: err}
}

// feedStates answers the state of the polled feeds, nil without a poller.
func (s *Server) feedStates() []fetch.FeedState {
	if s.opts.Feeds == nil {
		return nil
	}
	return s.opts.Feeds.States()
}
