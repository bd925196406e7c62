package httpapi

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/readalike/readalike/recommend"
)

// What a reading app needs beyond similar articles: the list of articles,
// reads, recommendations for a reader, the collection's figures.

// listArticles answers GET /v1/articles: a page of the articles, newest
// first, by category and language.
func (s *Server) listArticles(c echo.Context) error {
	e, err := s.eng()
	if err != nil {
		return err
	}
	var lq recommend.ListQuery
	for name, vals := range c.QueryParams() {
		if len(vals) > 1 {
			return badRequest(name, "is given more than once")
		}
		val := vals[0]
		switch name {
		case "category":
			lq.Category = val
		case "lang":
			lq.Lang = val
		case "offset", "limit":
			n, err := strconv.Atoi(val)
			if err != nil {
				return badRequest(name, "must be an integer")
			}
			if name == "offset" {
				lq.Offset = n
			} else if lq.Limit = n; n < 1 {
				return badRequest(name, "must be an integer from 1 to %d", recommend.MaxListLimit)
			}
		default:
			return badRequest(name, "is not a query parameter of this route (category, lang, offset, limit)")
		}
	}
	ctx, err := liveContext(c)
	if err != nil {
		return err
	}
	l, err := e.List(ctx, lq)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, l)
}

// readArticle answers POST /v1/articles/{id}/reads: it records a read, and
// answers the article's read count and last read. The body is optional:
// {"reader": "r1", "at": "2026-01-02T03:04:05Z"}. The request must declare
// JSON even without a body, as every write does: a page on another site
// then cannot count reads through a reader's browser without its consent
// (CORS). Reads need no API key: a reading page counts its readers' reads;
// the rate limit bounds them.
func (s *Server) readArticle(c echo.Context) error {
	e, err := s.eng()
	if err != nil {
		return err
	}
	id, err := pathID(c)
	if err != nil {
		return err
	}
	r := recommend.Read{ID: id}
	if mediaType(c) != mediaJSON {
		return unsupportedMedia(c, mediaJSON)
	}
	if c.Request().ContentLength != 0 {
		m, err := readQuery(c)
		if err != nil {
			return err
		}
		for _, k := range sortedKeys(m) {
			switch k {
			case "reader":
				err = decodeString(m[k], k, &r.Reader)
			case "at":
				var at string
				if err = decodeString(m[k], k, &at); err == nil {
					r.At, err = parseBound(k, at, false)
				}
			default:
				err = badRequest(k, "is not a field of a read (reader, at)")
			}
			if err != nil {
				return err
			}
		}
	}
	ctx, err := writeContext(c)
	if err != nil {
		return err
	}
	res, err := e.Read(ctx, r)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, res)
}

// recommendResponse answers a recommendation: the neighbors, the strategy,
// and the ids of the history the collection lacks.
type recommendResponse struct {
	Generation uint64               `json:"generation"`
	Strategy   recommend.Strategy   `json:"strategy"`
	Neighbors  []recommend.Neighbor `json:"neighbors"`
	Missing    []string             `json:"missing"`
}

func newRecommendResponse(rec recommend.Recommendation) recommendResponse {
	r := recommendResponse{Generation: rec.Generation, Strategy: rec.Strategy, Neighbors: rec.Neighbors, Missing: rec.Missing}
	if r.Neighbors == nil {
		r.Neighbors = []recommend.Neighbor{}
	}
	if r.Missing == nil {
		r.Missing = []string{}
	}
	return r
}

// recommend answers POST /v1/recommend: the articles to read next after a
// history (ids, or the reads recorded for a reader), never one read or given
// as negative.
func (s *Server) recommend(c echo.Context) error {
	e, err := s.eng()
	if err != nil {
		return err
	}
	m, err := readQuery(c)
	if err != nil {
		return err
	}
	var p recommend.Profile
	q := recommend.Query{K: recommend.DefaultK}
	for _, k := range sortedKeys(m) {
		if err := s.recommendMember(&p, &q, k, m[k]); err != nil {
			return err
		}
	}
	switch {
	case len(p.History) == 0 && p.Reader == "":
		return badRequest("history", "give a history (ids of articles read) or a reader")
	case len(p.History) > s.opts.MaxBatch:
		return badRequest("history", "holds %d ids, more than %d", len(p.History), s.opts.MaxBatch)
	case len(p.Negative) > s.opts.MaxBatch:
		return badRequest("negative", "holds %d ids, more than %d", len(p.Negative), s.opts.MaxBatch)
	}
	if err := q.Validate(); err != nil {
		return err
	}
	ctx, err := liveContext(c)
	if err != nil {
		return err
	}
	rec, err := e.Recommend(ctx, p, q)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, newRecommendResponse(rec))
}

func (s *Server) recommendMember(p *recommend.Profile, q *recommend.Query, k string, v json.RawMessage) error {
	switch k {
	case "history":
		return decodeStrings(v, k, &p.History)
	case "negative":
		return decodeStrings(v, k, &p.Negative)
	case "reader":
		return decodeString(v, k, &p.Reader)
	case "strategy":
		var st string
		err := decodeString(v, k, &st)
		p.Strategy = recommend.Strategy(st)
		return err
	}
	if ok, err := s.queryMember(q, k, v); ok {
		return err
	}
	return badRequest(k, "is not a field of a recommend request (history, negative, reader, strategy, %s)", queryOptionNames)
}

// configResult answers GET /v1/config: what a page needs to know of the
// server before it writes.
type configResult struct {
	WritesNeedKey bool `json:"writes_need_key"`
	ReadsNeedKey  bool `json:"reads_need_key"` // recording a read; always false
	MaxBatch      int  `json:"max_batch"`
	MaxK          int  `json:"max_k"`
}

func (s *Server) config(c echo.Context) error {
	return c.JSON(http.StatusOK, configResult{
		WritesNeedKey: s.opts.APIKey != "", MaxBatch: s.opts.MaxBatch, MaxK: s.opts.MaxK,
	})
}
