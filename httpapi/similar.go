package httpapi

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"

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

// queryParams reads the filters of a similar query from the URL: k,
// category and exclude (comma-separated, repeatable), from and to, dedup
// and min_score. Any other parameter, or one given twice, is a 400 naming
// it.
func (s *Server) queryParams(v url.Values) (recommend.Query, error) {
	q := recommend.Query{K: recommend.DefaultK}
	for name, vals := range v {
		switch name {
		case "category":
			q.Categories = splitList(vals)
			continue
		case "exclude":
			q.Exclude = splitList(vals)
			continue
		case "k", "from", "to", "dedup", "min_score":
		default:
			return q, badRequest(name, "is not a query parameter of this route")
		}
		if len(vals) > 1 {
			return q, badRequest(name, "is given more than once")
		}
		if err := s.queryParam(&q, name, vals[0]); err != nil {
			return q, err
		}
	}
	return q, checkRange(q)
}

// queryParam sets the one-valued parameter name of q.
func (s *Server) queryParam(q *recommend.Query, name, val string) error {
	var err error
	switch name {
	case "k":
		if q.K, err = strconv.Atoi(val); err != nil || q.K < 1 || q.K > s.opts.MaxK {
			return kError(s.opts.MaxK)
		}
	case "from":
		q.From, err = parseBound(name, val, false)
	case "to":
		q.To, err = parseBound(name, val, true)
	case "dedup":
		dedup, perr := strconv.ParseBool(val)
		if perr != nil {
			return badRequest(name, "must be true or false")
		}
		q.NoDedup = !dedup
	case "min_score":
		if q.MinScore, err = strconv.ParseFloat(val, 64); err != nil {
			return badRequest(name, "must be a number from 0 to 1")
		}
	}
	return err
}

// checkRange reports a min_score out of [0, 1] or a to before from, naming
// the field as the engine would.
func checkRange(q recommend.Query) error {
	if q.MinScore < 0 || q.MinScore > 1 || math.IsNaN(q.MinScore) {
		return &recommend.FieldError{Field: "min_score", Message: "must be a number from 0 to 1"}
	}
	return q.Validate()
}

// splitList splits comma-separated values, trimming space and dropping
// empty items.
func splitList(vals []string) []string {
	var out []string
	for _, v := range vals {
		for item := range strings.SplitSeq(v, ",") {
			if item = strings.TrimSpace(item); item != "" {
				out = append(out, item)
			}
		}
	}
	return out
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
	var res recommend.Result
	if r.history != nil {
		res, err = e.SimilarHistory(ctx, r.history, r.q)
	} else {
		res, err = e.SimilarText(ctx, recommend.Text{Title: r.title, Body: r.body, Lang: r.lang}, r.q)
	}
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
	return r, checkRange(r.q)
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
	case "k":
		return decodeK(v, s.opts.MaxK, &r.q.K)
	case "category":
		return decodeStrings(v, k, &r.q.Categories)
	case "exclude":
		return decodeStrings(v, k, &r.q.Exclude)
	case "from", "to":
		var t string
		if err := decodeString(v, k, &t); err != nil {
			return err
		}
		var err error
		if k == "from" {
			r.q.From, err = parseBound(k, t, false)
		} else {
			r.q.To, err = parseBound(k, t, true)
		}
		return err
	case "dedup":
		dedup := true
		err := decodeBool(v, k, &dedup)
		r.q.NoDedup = !dedup
		return err
	case "min_score":
		return decodeNumber(v, k, &r.q.MinScore)
	}
	return badRequest(k, "is not a field of a similar request (title, body, lang, history, k, category, from, to, exclude, dedup, min_score)")
}
