package httpapi

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/readalike/readalike/recommend"
)

// similarResponse answers a query: the neighbors best first, with the
// model generation that scored them. ID is the query article's, for
// GET /v1/articles/{id}/similar only. A Match leaves out url, category and
// published when the article has none.
type similarResponse struct {
	ID         string               `json:"id,omitempty"`
	Generation uint64               `json:"generation"`
	Neighbors  []recommend.Neighbor `json:"neighbors"`
}

func newSimilarResponse(id string, res recommend.Result) similarResponse {
	ns := res.Neighbors
	if ns == nil {
		ns = []recommend.Neighbor{}
	}
	return similarResponse{ID: id, Generation: res.Generation, Neighbors: ns}
}

// similarByID answers GET /v1/articles/{id}/similar.
func (s *Server) similarByID(c echo.Context) error {
	e, err := s.eng()
	if err != nil {
		return err
	}
	id, err := pathID(c)
	if err != nil {
		return err
	}
	v, err := queryValues(c)
	if err != nil {
		return err
	}
	q, err := s.queryParams(v)
	if err != nil {
		return err
	}
	ctx, err := liveContext(c)
	if err != nil {
		return err
	}
	res, err := e.Similar(ctx, id, q)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, newSimilarResponse(id, res))
}

// liveContext returns the request's context, or its error when it has
// ended: the engine's queries run in memory without looking at it, so a
// request out of time is stopped here.
func liveContext(c echo.Context) (context.Context, error) {
	ctx := c.Request().Context()
	return ctx, ctx.Err()
}

// similarByBody answers POST /v1/similar: the nearest articles to a text
// not in the collection (title, body, lang) or to a reading history
// (history), exactly one of the two, with the filters of the GET route as
// JSON members.
func (s *Server) similarByBody(c echo.Context) error {
	e, err := s.eng()
	if err != nil {
		return err
	}
	m, err := readQuery(c)
	if err != nil {
		return err
	}
	r, err := s.decodeSimilar(m)
	if err != nil {
		return err
	}
	ctx, err := liveContext(c)
	if err != nil {
		return err
	}
	if r.history != nil {
		rec, err := e.SimilarHistory(ctx, r.history, r.q)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, newRecommendResponse(rec))
	}
	res, err := e.SimilarText(ctx, recommend.Text{Title: r.title, Body: r.body, Lang: r.lang}, r.q)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, newSimilarResponse("", res))
}

// similarRequest is a decoded POST /v1/similar body. history is nil for a
// text query.
type similarRequest struct {
	title, body, lang string
	history           []string
	q                 recommend.Query
}

func (s *Server) decodeSimilar(m map[string]json.RawMessage) (similarRequest, error) {
	r := similarRequest{q: recommend.Query{K: recommend.DefaultK}}
	for _, k := range sortedKeys(m) {
		if err := s.similarMember(&r, k, m[k]); err != nil {
			return r, err
		}
	}
	text := r.title != "" || r.body != ""
	switch {
	case text && len(r.history) > 0:
		return r, badRequest("history", "give a text (title, body) or a history, not both")
	case len(r.history) > 0:
		if r.lang != "" {
			return r, badRequest("lang", "applies to a text, not a history")
		}
		if len(r.history) > s.opts.MaxBatch {
			return r, badRequest("history", "holds %d ids, more than %d", len(r.history), s.opts.MaxBatch)
		}
	case text:
		r.history = nil
	default:
		return r, badRequest("body", "give a text (title, body) or a history (ids of articles read)")
	}
	return r, r.q.Validate()
}

// similarMember decodes one member of a POST /v1/similar body.
func (s *Server) similarMember(r *similarRequest, k string, v json.RawMessage) error {
	switch k {
	case "title":
		return decodeString(v, k, &r.title)
	case "body":
		return decodeString(v, k, &r.body)
	case "lang":
		return decodeString(v, k, &r.lang)
	case "history":
		return decodeStrings(v, k, &r.history)
	}
	if ok, err := s.queryMember(&r.q, k, v); ok {
		return err
	}
	return badRequest(k, "is not a field of a similar request (title, body, lang, history, %s)", queryOptionNames)
}
