package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"

	"github.com/labstack/echo/v4"

	"github.com/readalike/readalike/recommend"
)

// writeResult answers a write of articles. For one article it names the
// article and the language it was analysed in, saying when that was
// detected (the article named none) and when the text was too short or
// too ambiguous to tell (English by default). For a batch, Errors lists
// the records refused and LangFallbacks those written in English by
// default, by position; each is left out when empty.
type writeResult struct {
	Written       int           `json:"written"`
	ID            string        `json:"id,omitempty"`
	Lang          string        `json:"lang,omitempty"`
	LangDetected  bool          `json:"lang_detected,omitempty"`
	LangFallback  bool          `json:"lang_fallback,omitempty"`
	Warnings      []string      `json:"warnings,omitempty"` // a fetched page's fields left out
	Errors        []recordError `json:"errors,omitempty"`
	LangFallbacks []recordRef   `json:"lang_fallbacks,omitempty"`
}

// recordRef names a record of a batch: its position and id.
type recordRef struct {
	Index int    `json:"index"`
	ID    string `json:"id"`
}

// oneResult is the answer to a write of one article.
func oneResult(r recommend.WriteResult) writeResult {
	return writeResult{Written: 1, ID: r.ID, Lang: r.Lang, LangDetected: r.LangDetected, LangFallback: r.LangFallback}
}

// recordError is one refused record of a batch: its position (0-based,
// counting the array's elements or the non-blank NDJSON lines), its id when
// known, the field at fault when there is one, and why.
type recordError struct {
	Index   int    `json:"index"`
	ID      string `json:"id,omitempty"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

// postArticles upserts one article (a JSON object), or a batch (a JSON
// array, or NDJSON). With ?mode=create an id the collection has is refused
// (409 for one article, a per-record error in a batch).
func (s *Server) postArticles(c echo.Context) error {
	e, err := s.eng()
	if err != nil {
		return err
	}
	create, err := createMode(c)
	if err != nil {
		return err
	}
	recs, single, err := s.readArticles(c)
	if err != nil {
		return err
	}
	if single {
		return s.writeOne(c, e, recs[0], create)
	}
	return s.writeBatch(c, e, recs, create)
}

// createMode reads ?mode=upsert|create.
func createMode(c echo.Context) (bool, error) {
	q, err := queryValues(c)
	if err != nil {
		return false, err
	}
	for k := range q {
		if k != "mode" {
			return false, badRequest(k, "is not a query parameter of this route")
		}
	}
	switch q.Get("mode") {
	case "", "upsert":
		return false, nil
	case "create":
		return true, nil
	}
	return false, badRequest("mode", "must be upsert or create")
}

// writeOne writes one article: 201 when it is new, 200 when it replaced
// one, 409 in create mode when the id exists, 400 naming the field of a bad
// article. An article whose page is to be fetched is fetched first, and a
// page that cannot be fetched or read answers why (see fetchError).
func (s *Server) writeOne(c echo.Context, e *recommend.Engine, r record, create bool) error {
	if r.err != nil {
		return r.err
	}
	var warnings []string
	if r.fetch {
		var err error
		if r.art, warnings, err = s.fetchPage(c.Request().Context(), r.art); err != nil {
			return err
		}
	}
	ctx, err := writeContext(c)
	if err != nil {
		return err
	}
	write := e.Upsert
	if create {
		write = e.Create
	}
	rs, err := write(ctx, r.art)
	if err != nil {
		return err
	}
	res := rs[0]
	out := oneResult(res)
	out.Warnings = warnings
	switch res.Outcome {
	case recommend.Refused:
		return res.Err
	case recommend.Created:
		c.Response().Header().Set(echo.HeaderLocation, "/v1/articles/"+url.PathEscape(res.ID))
		return c.JSON(http.StatusCreated, out)
	}
	return c.JSON(http.StatusOK, out)
}

// writeBatch writes the articles of a batch in one call and answers the
// count written with the records refused, each with its position: 200 when
// some were written, 400 when none was.
func (s *Server) writeBatch(c echo.Context, e *recommend.Engine, recs []record, create bool) error {
	if len(recs) == 0 {
		return badRequest("", "the body holds no articles")
	}
	var (
		errs  []recordError
		valid []recommend.Article
		pos   []int // of valid[i] in recs
	)
	for i, r := range recs {
		if r.err != nil {
			errs = append(errs, recordErrorOf(i, r.art.ID, r.err))
			continue
		}
		valid, pos = append(valid, r.art), append(pos, i)
	}
	ctx, err := writeContext(c)
	if err != nil {
		return err
	}
	write := e.Upsert
	if create {
		write = e.Create
	}
	var rs recommend.WriteResults
	if len(valid) > 0 {
		if rs, err = write(ctx, valid...); err != nil {
			return err
		}
	}
	var fallbacks []recordRef
	for i, r := range rs {
		switch {
		case r.Outcome == recommend.Refused:
			errs = append(errs, recordErrorOf(pos[i], r.ID, r.Err))
		case r.LangFallback:
			fallbacks = append(fallbacks, recordRef{pos[i], r.ID})
		}
	}
	slices.SortFunc(errs, func(a, b recordError) int { return a.Index - b.Index })
	if rs.Written() == 0 {
		return &apiError{Status: http.StatusBadRequest, Code: "invalid", Records: errs,
			Message: fmt.Sprintf("none of the %d articles was written", len(recs))}
	}
	return c.JSON(http.StatusOK, writeResult{Written: rs.Written(), Errors: errs, LangFallbacks: fallbacks})
}

// recordErrorOf describes why record i was refused.
func recordErrorOf(i int, id string, err error) recordError {
	re := recordError{Index: i, ID: id, Message: err.Error()}
	var (
		fe *recommend.FieldError
		ae *apiError
	)
	switch {
	case errors.As(err, &fe):
		re.Field, re.Message = fe.Field, fe.Message
	case errors.As(err, &ae):
		re.Field, re.Message = ae.Field, ae.Message
	case errors.Is(err, recommend.ErrExists):
		re.Field, re.Message = "id", "already exists"
	case errors.Is(err, recommend.ErrNotFound):
		re.Field, re.Message = "id", "not found"
	}
	return re
}

// writeContext returns the context a write runs under. A request already
// out of time starts no write; a write once started is not cancelled, since
// the store may make a batch durable after its caller gave up, and the
// index must then have it too.
func writeContext(c echo.Context) (context.Context, error) {
	ctx := c.Request().Context()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return context.WithoutCancel(ctx), nil
}

// getArticle answers the stored article, engine-kept fields included.
func (s *Server) getArticle(c echo.Context) error {
	e, err := s.eng()
	if err != nil {
		return err
	}
	id, err := pathID(c)
	if err != nil {
		return err
	}
	a, err := e.Get(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, a)
}

// deleteArticle removes an article: 204, or 404 for an unknown id.
func (s *Server) deleteArticle(c echo.Context) error {
	e, err := s.eng()
	if err != nil {
		return err
	}
	id, err := pathID(c)
	if err != nil {
		return err
	}
	ctx, err := writeContext(c)
	if err != nil {
		return err
	}
	rs, err := e.Delete(ctx, id)
	if err == nil {
		err = rs[0].Err
	}
	if err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// pathID returns the article id of the path, unescaped once: echo matched
// the escaped path when the request had one (RawPath), the decoded one
// otherwise.
func pathID(c echo.Context) (string, error) {
	id := c.Param("id")
	if c.Request().URL.RawPath != "" {
		var err error
		if id, err = url.PathUnescape(id); err != nil {
			return "", badRequest("id", "is not a valid escaped path segment")
		}
	}
	if err := recommend.ValidateID(id); err != nil {
		return "", err
	}
	return id, nil
}
