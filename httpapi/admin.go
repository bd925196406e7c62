package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/readalike/readalike/recommend"
	"github.com/readalike/readalike/recommend/fetch"
)

// analyze answers POST /v1/analyze: every stage of the analysis of a text
// under the current model, as the engine would index it as an article.
func (s *Server) analyze(c echo.Context) error {
	e, err := s.eng()
	if err != nil {
		return err
	}
	m, err := readQuery(c)
	if err != nil {
		return err
	}
	var t recommend.Text
	for _, k := range sortedKeys(m) {
		if err := analyzeMember(&t, k, m[k]); err != nil {
			return err
		}
	}
	if strings.TrimSpace(t.Body) == "" {
		return badRequest("body", "is required")
	}
	ins, err := e.Inspect(t)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, ins)
}

func analyzeMember(a *recommend.Text, k string, v json.RawMessage) error {
	switch k {
	case "title":
		return decodeString(v, k, &a.Title)
	case "body":
		return decodeString(v, k, &a.Body)
	case "lang":
		return decodeString(v, k, &a.Lang)
	}
	return badRequest(k, "is not a field of an analyze request (title, body, lang)")
}

// refitResult answers POST /v1/refit.
type refitResult struct {
	Generation uint64 `json:"generation"`
}

// refit answers POST /v1/refit: it fits the next model generation and
// answers its number once it is in use. It runs under Options.RefitTimeout
// rather than the request Timeout; one refit runs at a time, a second
// request waits for the first.
func (s *Server) refit(c echo.Context) error {
	e, err := s.eng()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), s.opts.RefitTimeout)
	defer cancel()
	gen, err := e.Refit(ctx)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, refitResult{Generation: gen})
}

// statsResult answers GET /v1/stats: the engine's figures, and the store's
// size on disk when Options.StoreSize is set.
type statsResult struct {
	recommend.Stats
	recommend.Overview
	StoreBytes *int64 `json:"store_bytes,omitempty"`
	// Feeds is the state of each polled feed, when a poller runs.
	Feeds []fetch.FeedState `json:"feeds,omitempty"`
}

func (s *Server) stats(c echo.Context) error {
	e, err := s.eng()
	if err != nil {
		return err
	}
	res := statsResult{Stats: e.Stats(), Overview: e.Overview(10), Feeds: s.feedStates()}
	if s.opts.StoreSize != nil {
		n, err := s.opts.StoreSize()
		if err != nil {
			s.log.Warn("store size", "err", err)
		} else {
			res.StoreBytes = &n
		}
	}
	return c.JSON(http.StatusOK, res)
}
