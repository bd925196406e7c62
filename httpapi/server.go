// Package httpapi serves readalike's JSON API over HTTP with echo: articles
// in (one object, an array or NDJSON) and out, the nearest articles to an
// article, a text or a reading history, text analysis, refits, statistics,
// health, Prometheus metrics and the OpenAPI document. Every error leaves
// through one handler in one JSON shape. It is the only package that
// imports echo; it talks to the engine (recommend) and reads articles as
// the rest of readalike does (recommend/articleio).
package httpapi

import (
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/readalike/readalike/recommend"
	"github.com/readalike/readalike/recommend/fetch"
)

// Defaults of Options, used where a field is zero.
const (
	DefaultMaxRequestBytes = 8 << 20 // bytes of a request body
	DefaultMaxBatch        = 1000    // articles of one POST, ids of one history
	DefaultMaxK            = 100     // neighbors a query may ask for
	DefaultTimeout         = 10 * time.Second
	DefaultRefitTimeout    = 10 * time.Minute
	DefaultRateLimit       = 1000                 // requests per second per client IP
	DefaultRateBurst       = 2 * DefaultRateLimit // twice the rate, whatever the rate
	DefaultHeaderTimeout   = 10 * time.Second
	DefaultWriteTimeout    = 10 * time.Second
	DefaultIdleTimeout     = 60 * time.Second
	DefaultMaxHeaderBytes  = 64 << 10 // bytes of a request's headers
	DefaultMaxConnsPerIP   = 256      // open connections from one client IP
)

// Options configure a Server. The zero value works: no API key, the limits
// above, rate limiting on.
type Options struct {
	// Logger receives one line per request and every 5xx error; nil
	// discards.
	Logger *slog.Logger

	// APIKey, when set, is required of writes (POST and DELETE of
	// articles, POST /v1/refit) as "Authorization: Bearer KEY"; reads stay
	// open.
	APIKey string

	// MaxRequestBytes bounds a request body; more is refused with 413.
	// 0 = DefaultMaxRequestBytes.
	MaxRequestBytes int64

	// MaxBatch bounds the articles of one POST /v1/articles (more is
	// refused with 413, code "batch_too_large") and the ids of one reading
	// history (more is a 400 naming "history"). 0 = DefaultMaxBatch.
	MaxBatch int

	// MaxK is the largest k a query may ask for. 0 = DefaultMaxK; it is
	// capped at recommend.MaxK.
	MaxK int

	// Timeout bounds each request, from the end of its headers. Its body
	// must have arrived by then: a body still arriving gets 408, code
	// "body_timeout", and the connection is closed. Its work is bounded
	// through its context: a request that runs out gets 503, code
	// "timeout". 0 = DefaultTimeout. A write the engine has started is let
	// finish, so the store and the index stay in step.
	Timeout time.Duration

	// RefitTimeout bounds POST /v1/refit, which the request Timeout does
	// not. 0 = DefaultRefitTimeout.
	RefitTimeout time.Duration

	// RateLimit is the requests per second allowed to one client IP, with
	// RateBurst more at once; beyond it a request gets 429 with
	// Retry-After. 0 = DefaultRateLimit; negative turns rate limiting off.
	// /healthz, /readyz and /metrics are never limited.
	RateLimit float64
	RateBurst int // 0 = twice RateLimit (DefaultRateBurst with the default rate)

	// TrustProxy takes the client IP (for rate limiting and logs) from
	// X-Forwarded-For when the connection comes from a loopback or private
	// address, as it does behind a reverse proxy. Off, the peer address is
	// the client IP and the header is ignored.
	TrustProxy bool

	// The limits below hold at the connection and belong to the
	// http.Server of HTTPServer and the listener of Listener; a Handler
	// served elsewhere keeps only the body and answer deadlines.

	// HeaderTimeout bounds the arrival of a request's headers; a client
	// slower than that has its connection closed. 0 = DefaultHeaderTimeout.
	HeaderTimeout time.Duration

	// WriteTimeout bounds the delivery of an answer: a client must have
	// taken its whole answer within WriteTimeout of the server starting to
	// write it, or its connection is closed. 0 = DefaultWriteTimeout.
	WriteTimeout time.Duration

	// IdleTimeout closes a keep-alive connection that has sent no new
	// request for this long. 0 = DefaultIdleTimeout.
	IdleTimeout time.Duration

	// MaxHeaderBytes bounds a request's headers (net/http allows 4 KiB
	// more); larger headers get 431, code "headers_too_large".
	// 0 = DefaultMaxHeaderBytes.
	MaxHeaderBytes int

	// MaxConnsPerIP bounds the connections open at once from one peer
	// address; one more is answered 503, code "too_many_connections", and
	// closed before any request is read. The peer is the address the
	// connection comes from (a reverse proxy's, behind one, whatever
	// TrustProxy says). 0 = DefaultMaxConnsPerIP; negative turns the limit
	// off.
	MaxConnsPerIP int

	// StoreSize, when set, reports the store's size in bytes for
	// GET /v1/stats (store_bytes) and the metrics.
	StoreSize func() (int64, error)

	// Fetcher fetches the page of POST /v1/articles {"url": ...,
	// "fetch": true}. nil = a fetch.Fetcher with its defaults, which
	// refuses addresses that are not public.
	Fetcher PageFetcher

	// Feeds, when set, reports the state of the feeds a poller polls, in
	// GET /v1/stats ("feeds") and the metrics.
	Feeds FeedStates
}

func (o Options) withDefaults() Options {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.MaxRequestBytes <= 0 {
		o.MaxRequestBytes = DefaultMaxRequestBytes
	}
	if o.MaxBatch <= 0 {
		o.MaxBatch = DefaultMaxBatch
	}
	if o.MaxK <= 0 {
		o.MaxK = DefaultMaxK
	}
	o.MaxK = min(o.MaxK, recommend.MaxK)
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.RefitTimeout <= 0 {
		o.RefitTimeout = DefaultRefitTimeout
	}
	if o.RateLimit == 0 {
		o.RateLimit = DefaultRateLimit
	}
	if o.RateBurst <= 0 {
		o.RateBurst = max(1, int(2*o.RateLimit))
	}
	if o.HeaderTimeout <= 0 {
		o.HeaderTimeout = DefaultHeaderTimeout
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = DefaultWriteTimeout
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = DefaultIdleTimeout
	}
	if o.MaxHeaderBytes <= 0 {
		o.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	if o.MaxConnsPerIP == 0 {
		o.MaxConnsPerIP = DefaultMaxConnsPerIP
	}
	if o.Fetcher == nil {
		o.Fetcher = fetch.New(fetch.Options{})
	}
	return o
}

// Server is readalike's HTTP API. Build it with New, serve it with the
// http.Server of HTTPServer on a listener wrapped by Listener, and hand it
// the engine with SetEngine once the collection is loaded; until then
// /readyz and every /v1 route answer 503, code "loading". A Server is
// safe for concurrent use and starts no goroutine, so it needs no closing:
// shut down the http.Server that serves it.
type Server struct {
	opts    Options
	log     *slog.Logger
	echo    *echo.Echo
	engine  atomic.Pointer[recommend.Engine]
	metrics *metrics
	limiter *limiter // nil when rate limiting is off
	conns   *connCounter
	fetcher PageFetcher
}

// New returns a server with the given options, with no engine yet.
func New(opts Options) *Server {
	opts = opts.withDefaults()
	s := &Server{opts: opts, log: opts.Logger, fetcher: opts.Fetcher}
	s.metrics = newMetrics(s)
	if opts.RateLimit > 0 {
		s.limiter = newLimiter(opts.RateLimit, opts.RateBurst)
	}
	s.conns = newConnCounter(opts.MaxConnsPerIP)

	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.handleError
	e.IPExtractor = echo.ExtractIPDirect()
	if opts.TrustProxy {
		e.IPExtractor = echo.ExtractIPFromXFFHeader()
	}
	s.echo = e

	e.Use(s.connDeadlines)
	e.Use(middleware.RequestID())
	e.Use(s.observe)
	e.Use(s.recover)
	e.Use(s.rateLimit)
	e.Use(s.limitBody)
	e.Use(s.deadline)
	s.routes()
	return s
}

// routes registers every route; openapi.json describes each one, and a test
// holds them to each other. Every GET route answers HEAD too.
func (s *Server) routes() {
	e := s.echo
	get := func(path string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) {
		e.GET(path, h, m...)
		e.HEAD(path, h, m...) // net/http leaves out the body, keeping GET's headers
	}
	get("/healthz", s.healthz)
	get("/readyz", s.readyz)
	get("/metrics", echo.WrapHandler(s.metrics.handler()))
	get("/openapi.json", s.openAPI)

	ready, write := s.requireEngine, s.requireKey
	e.POST("/v1/articles", s.postArticles, write, ready)
	get("/v1/articles", s.listArticles, ready)
	get("/v1/articles/:id", s.getArticle, ready)
	e.POST("/v1/articles/:id/reads", s.readArticle, ready)
	e.DELETE("/v1/articles/:id", s.deleteArticle, write, ready)
	get("/v1/articles/:id/similar", s.similarByID, ready)
	e.POST("/v1/similar", s.similarByBody, ready)
	e.POST("/v1/recommend", s.recommend, ready)
	e.POST("/v1/analyze", s.analyze, ready)
	e.POST("/v1/refit", s.refit, write, ready)
	get("/v1/stats", s.stats, ready)
	get("/v1/config", s.config)

	s.webRoutes() // the reading page at /, not part of the API
}

// SetEngine hands the server the engine it answers with; nil takes it back,
// and the server answers 503 again. It is safe to call at any time.
func (s *Server) SetEngine(e *recommend.Engine) { s.engine.Store(e) }

// Handler returns the http.Handler serving the API. HTTPServer serves it
// with the connection's timeouts and limits, which a Handler alone lacks.
func (s *Server) Handler() http.Handler { return s.echo }

// Echo returns the echo instance behind Handler, for adding routes or
// middleware in cmd. Routes added there are not in openapi.json.
func (s *Server) Echo() *echo.Echo { return s.echo }

// eng returns the engine, or the "loading" error while there is none.
func (s *Server) eng() (*recommend.Engine, error) {
	if e := s.engine.Load(); e != nil {
		return e, nil
	}
	return nil, errLoading
}

// healthz answers that the process is alive, engine or not.
func (s *Server) healthz(c echo.Context) error {
	return c.JSON(http.StatusOK, status{Status: "ok"})
}

// readyz answers 200 once the engine is set, 503 "loading" before.
func (s *Server) readyz(c echo.Context) error {
	if _, err := s.eng(); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, status{Status: "ready"})
}

type status struct {
	Status string `json:"status"`
}
