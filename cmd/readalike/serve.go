package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"sync/atomic"
	"time"

	"github.com/readalike/readalike/httpapi"
	"github.com/readalike/readalike/recommend"
	"github.com/readalike/readalike/recommend/fetch"
	"github.com/readalike/readalike/storage"
)

func runServe(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet("serve", "[--data DIR] [--addr 127.0.0.1:8080] [--demo] [--feeds FILE]")
	var sf storeFlags
	sf.register(fs)
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on")
	refitShare := fs.Float64("refit-share", recommend.DefaultRefitShare,
		"refit automatically once this share of the collection changed (negative: never)")
	keep := fs.Int("keep-neighbors", recommend.DefaultKeepNeighbors,
		"neighbors kept per article, so that an unfiltered similar query asking for at most that many is a lookup (0: none kept, every query searches)")
	demo := fs.Bool("demo", false, "load the embedded demo collection into an empty store first (a temporary one, removed at exit, when --data is not given)")
	apiKey := fs.String("api-key", "", "when set, writes need 'Authorization: Bearer KEY'; reads stay open")
	maxRequest := fs.Int64("max-request", httpapi.DefaultMaxRequestBytes, "largest request body, in bytes")
	maxBatch := fs.Int("max-batch", 1000, "most articles in one POST")
	maxK := fs.Int("max-k", recommend.MaxK, "largest k a query may ask for")
	timeout := fs.Duration("timeout", httpapi.DefaultTimeout, "longest a request may take, its body's arrival included")
	headerTimeout := fs.Duration("header-timeout", httpapi.DefaultHeaderTimeout, "longest a request's headers may take to arrive")
	writeTimeout := fs.Duration("write-timeout", httpapi.DefaultWriteTimeout, "how long a client may take to read its answer once the server starts writing it")
	idleTimeout := fs.Duration("idle-timeout", httpapi.DefaultIdleTimeout, "how long a keep-alive connection may wait for its next request")
	maxHeader := fs.Int("max-header", httpapi.DefaultMaxHeaderBytes, "largest request headers, in bytes")
	maxConns := fs.Int("max-conns-per-ip", httpapi.DefaultMaxConnsPerIP, "connections open at once from one client address (0: no limit; raise it behind a reverse proxy)")
	rate := fs.Float64("rate", 1000, "requests per second per client address (0: no limit)")
	burst := fs.Int("burst", 2000, "requests a client may make at once above the rate")
	grace := fs.Duration("shutdown-grace", 20*time.Second, "how long in-flight requests may finish after SIGINT or SIGTERM")
	var ff fetchFlags
	ff.register(fs)
	feeds := fs.String("feeds", "", "a file listing RSS or Atom feed URLs, one a line, to poll and ingest (# starts a comment)")
	feedInterval := fs.Duration("feed-interval", fetch.DefaultInterval, "time between two polls of a feed")
	feedBackoff := fs.Duration("feed-max-backoff", fetch.DefaultMaxBackoff, "longest wait after failed polls of a feed (the wait doubles from twice --feed-interval with each failure)")
	minFree := fs.Int64("min-free", 0, "refuse writes (507) while the store's disk has fewer bytes free than this, and open the store read-only if it has fewer at start (0: 2 value-log files + 16 memtables, 768 MiB; negative: no guard)")
	logFormat := fs.String("log-format", "text", "log format: text or json")
	logLevel := fs.String("log-level", "info", "log level: debug, info, warn or error")
	if _, err := parse(e, fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	if sf.data == "" && !*demo {
		return usagef("--data is required (or --demo, to serve the demo collection from memory)")
	}
	log, err := newLogger(e.stderr, *logFormat, *logLevel)
	if err != nil {
		return err
	}
	fetcher, err := ff.fetcher()
	if err != nil {
		return err
	}
	if *feedInterval <= 0 || *feedBackoff <= 0 {
		return usagef("--feed-interval and --feed-max-backoff must be positive")
	}
	var poller *fetch.Poller
	sink := &engineSink{}
	if *feeds != "" {
		urls, err := readFeedList(*feeds)
		if err != nil {
			return usagef("--feeds: %v", err)
		}
		poller = fetch.NewPoller(urls, fetcher, sink, fetch.PollOptions{Interval: *feedInterval, MaxBackoff: *feedBackoff, Logger: log})
	}

	if *rate == 0 {
		*rate = -1 // httpapi: negative turns the limit off
	}
	if *maxConns == 0 {
		*maxConns = -1 // likewise
	}
	var db atomic.Pointer[storage.DB]
	srv := httpapi.New(httpapi.Options{
		Logger: log, APIKey: *apiKey, MaxRequestBytes: *maxRequest, MaxBatch: *maxBatch, MaxK: *maxK,
		Timeout: *timeout, RateLimit: *rate, RateBurst: *burst,
		HeaderTimeout: *headerTimeout, WriteTimeout: *writeTimeout, IdleTimeout: *idleTimeout,
		MaxHeaderBytes: *maxHeader, MaxConnsPerIP: *maxConns,
		Fetcher: fetcher, Feeds: feedStates(poller),
		StoreSize: func() (int64, error) {
			if d := db.Load(); d != nil {
				lsm, vlog, err := d.Size()
				return lsm + vlog, err
			}
			return 0, nil
		},
	})
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	hs := srv.HTTPServer()
	served := make(chan error, 1)
	go func() { served <- hs.Serve(srv.Listener(ln)) }()
	log.Info("listening", "addr", ln.Addr().String(), "data", sf.data, "demo", *demo)

	dir := sf.data
	if dir == "" {
		// The demo alone: a store in a temporary directory, removed at exit.
		// On disk, not in memory, because Badger in memory refuses values
		// over 1 MiB and bounds a transaction by whole values.
		if dir, err = os.MkdirTemp("", "readalike-demo-"); err != nil {
			hs.Close()
			return err
		}
		defer os.RemoveAll(dir)
	}
	// The server answers /healthz (and 503 elsewhere) while the index loads.
	col, err := openCollectionWith(ctx, dir, storage.Options{MinFreeBytes: *minFree}, recommend.Options{RefitShare: *refitShare, KeepNeighbors: keepOption(*keep)}, log, e.stderr)
	if err != nil {
		hs.Close()
		return err
	}
	defer col.Close()
	db.Store(col.DB)
	if *demo {
		n, err := loadDemo(ctx, col.Engine)
		if err != nil {
			hs.Close()
			return err
		}
		if n > 0 {
			log.Info("loaded the demo collection", "articles", n)
		}
	}
	srv.SetEngine(col.Engine)
	if poller != nil {
		sink.e.Store(col.Engine)
		pctx, stop := context.WithCancel(ctx)
		polled := make(chan struct{})
		go func() { poller.Run(pctx); close(polled) }()
		defer func() { stop(); <-polled }() // before the collection closes
		log.Info("polling feeds", "feeds", len(poller.States()), "interval", feedInterval.String())
	}
	st := col.Engine.Stats()
	log.Info("ready", "articles", st.Articles, "generation", st.Generation, "url", "http://"+ln.Addr().String())
	fmt.Fprintf(e.stderr, "\nreadalike is serving %d articles on http://%s\nthe reading page: http://%s/\ntry: curl -s http://%s/v1/articles/%s/similar\n\n",
		st.Articles, ln.Addr(), ln.Addr(), ln.Addr(), exampleID(col))

	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down", "grace", grace.String())
	sctx, cancel := context.WithTimeout(context.Background(), *grace)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Warn("shutdown", "err", err)
	}
	return nil
}

// feedStates returns what httpapi reports of the poller: nothing without
// one.
func feedStates(p *fetch.Poller) httpapi.FeedStates {
	if p == nil {
		return nil
	}
	return p
}

// exampleID returns an id to show in the first curl line.
func exampleID(c *storage.Collection) string {
	if _, err := c.Engine.Get(context.Background(), "sci-lunar-lander-001"); err == nil {
		return "sci-lunar-lander-001" // the demo collection's
	}
	return "ARTICLE-ID"
}

// keepOption turns --keep-neighbors into recommend.Options.KeepNeighbors,
// where 0 means the default and a negative number none.
func keepOption(n int) int {
	if n <= 0 {
		return -1
	}
	return n
}
