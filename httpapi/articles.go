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

// writeResult answers a write of articles. Errors lists the records of a
// batch that were refused, by position; it is left out when there are none.
type writeResult struct {
	Written int           `json:"written"`
	Errors  []recordError `json:"errors,omitempty"`
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
	q := c.QueryParams()
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

// writeOne validates and writes one article: 201 when it is new, 200 when
// it replaced one. The engine's Upsert does not say which it did, so Add
// goes first and a replacement is analysed twice.
func (s *Server) writeOne(c echo.Context, e *recommend.Engine, r record, create bool) error {
	if r.err != nil {
		return r.err
	}
	if err := e.Validate(&r.art); err != nil {
		return err
	}
	ctx, err := writeContext(c)
	if err != nil {
		return err
	}
	status := http.StatusCreated
	err = e.Add(ctx, r.art)
	if errors.Is(err, recommend.ErrExists) && !create {
		status, err = http.StatusOK, e.Upsert(ctx, r.art)
	}
	if err != nil {
		return err
	}
	if status == http.StatusCreated {
		c.Response().Header().Set(echo.HeaderLocation, "/v1/articles/"+url.PathEscape(r.art.ID))
	}
	return c.JSON(status, writeResult{Written: 1})
}

// writeBatch validates every record, writes the valid ones in one call and
// answers the count written with the records refused: 200 when some were
// written, 400 when none was.
func (s *Server) writeBatch(c echo.Context, e *recommend.Engine, recs []record, create bool) error {
	if len(recs) == 0 {
		return badRequest("", "the body holds no articles")
	}
	var (
		errs  []recordError
		valid []recommend.Article
		pos   []int // of valid[i] in recs
		seen  = make(map[string]int, len(recs))
	)
	for i := range recs {
		r := &recs[i]
		if r.err == nil {
			r.err = e.Validate(&r.art)
		}
		if j, dup := seen[r.art.ID]; r.err == nil && dup {
			r.err = &recommend.FieldError{Field: "id", Message: fmt.Sprintf("repeats article %d of the batch", j)}
		}
		if r.err != nil {
			errs = append(errs, recordErrorOf(i, r.art.ID, r.err))
			continue
		}
		seen[r.art.ID] = i
		valid, pos = append(valid, r.art), append(pos, i)
	}
	ctx, err := writeContext(c)
	if err != nil {
		return err
	}
	write := e.Upsert
	if create {
		write = e.Add
		if valid, pos, errs, err = refuseExisting(ctx, e, valid, pos, errs); err != nil {
			return err
		}
	}
	// The engine writes all or nothing and names the first article it
	// refuses: refuse that one and write the rest. Everything the engine
	// checks was checked above, so this loop turns again only for an id
	// created meanwhile in create mode; maxRetries bounds the work a batch
	// can cause.
	for try := 0; len(valid) > 0; try++ {
		err := write(ctx, valid...)
		var be *recommend.BatchError
		if err == nil {
			break
		}
		if !errors.As(err, &be) || be.Index < 0 || be.Index >= len(valid) || try == maxRetries {
			return err
		}
		errs = append(errs, recordErrorOf(pos[be.Index], valid[be.Index].ID, be.Err))
		valid, pos = slices.Delete(valid, be.Index, be.Index+1), slices.Delete(pos, be.Index, be.Index+1)
	}
	slices.SortFunc(errs, func(a, b recordError) int { return a.Index - b.Index })
	if len(valid) == 0 {
		return &apiError{Status: http.StatusBadRequest, Code: "invalid", Records: errs,
			Message: fmt.Sprintf("none of the %d articles was written", len(recs))}
	}
	return c.JSON(http.StatusOK, writeResult{Written: len(valid), Errors: errs})
}

// maxRetries is how many times writeBatch writes again without an article
// the engine refused.
const maxRetries = 8

// refuseExisting moves the articles the collection has to the refused ones,
// for create mode: one at a time through the engine's refusals would
// analyse the batch again for each.
func refuseExisting(ctx context.Context, e *recommend.Engine, valid []recommend.Article, pos []int, errs []recordError) ([]recommend.Article, []int, []recordError, error) {
	keep := 0
	for i, a := range valid {
		_, err := e.Get(ctx, a.ID)
		switch {
		case err == nil:
			errs = append(errs, recordError{Index: pos[i], ID: a.ID, Field: "id", Message: "already exists"})
			continue
		case !errors.Is(err, recommend.ErrNotFound):
			return nil, nil, nil, err
		}
		valid[keep], pos[keep] = a, pos[i]
		keep++
	}
	return valid[:keep], pos[:keep], errs, nil
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
	if err := e.Delete(ctx, id); err != nil {
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
