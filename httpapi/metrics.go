package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/readalike/readalike/recommend/fetch"
)

// metrics are the server's Prometheus metrics, in a registry of its own:
// request latency by method, route template and status class, requests in
// flight, the engine's figures, and the Go runtime's and the process's.
type metrics struct {
	reg      *prometheus.Registry
	duration *prometheus.HistogramVec
	inFlight prometheus.Gauge
}

func newMetrics(s *Server) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "readalike", Subsystem: "http", Name: "request_duration_seconds",
			Help:    "Time from the request's arrival to its answer, by method, route template and status class.",
			Buckets: []float64{.00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"method", "route", "status"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "readalike", Subsystem: "http", Name: "requests_in_flight",
			Help: "Requests being served.",
		}),
	}
	m.reg.MustRegister(m.duration, m.inFlight, newEngineCollector(s), newFeedCollector(s),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// handler serves the registry in the Prometheus text format.
func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// observe records one answered request.
func (m *metrics) observe(method, route string, status int, d time.Duration) {
	m.duration.WithLabelValues(method, route, statusClass(status)).Observe(d.Seconds())
}

// statusClass returns "2xx" for 200 to 299, and so on.
func statusClass(status int) string {
	switch status / 100 {
	case 1:
		return "1xx"
	case 2:
		return "2xx"
	case 3:
		return "3xx"
	case 4:
		return "4xx"
	case 5:
		return "5xx"
	}
	return strconv.Itoa(status)
}

// engineCollector reports the engine's Stats at each scrape, and nothing
// but readalike_ready 0 while there is no engine.
type engineCollector struct {
	s                                          *Server
	ready, articles, terms, generation, fitted *prometheus.Desc
	changed, tombstones, refitting, storeBytes *prometheus.Desc
	queries, scanned, skipped, exact, refits   *prometheus.Desc
	listAnswers, listsKept, listRebuilds       *prometheus.Desc
	listStale, listBytes, reads                *prometheus.Desc
}

func newEngineCollector(s *Server) *engineCollector {
	d := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc("readalike_"+name, help, nil, nil)
	}
	return &engineCollector{
		s:          s,
		ready:      d("ready", "1 once the collection is loaded and queries are answered."),
		articles:   d("articles", "Articles in the collection."),
		terms:      d("terms", "Distinct terms ever seen (the dictionary's size)."),
		generation: d("model_generation", "Number of the model generation in use."),
		fitted:     d("model_fitted_articles", "Articles the model generation in use was fitted on."),
		changed:    d("changed_since_fit", "Articles added, replaced or removed since the last fit."),
		tombstones: d("tombstones", "Replaced or deleted articles still in the index until the next refit."),
		refitting:  d("refitting", "1 while a refit runs."),
		storeBytes: d("store_bytes", "Disk space the store takes, in bytes."),
		queries:    d("queries_total", "Similarity queries answered."),
		scanned:    d("postings_scanned_total", "Postings read by queries."),
		skipped:    d("postings_skipped_total", "Postings queries skipped by their score bounds."),
		exact:      d("exact_scores_total", "Candidates queries scored exactly."),
		refits:     d("refits_total", "Model refits completed."),

		listAnswers:  d("list_answers_total", "Of the queries, those answered from kept neighbor lists (a lookup)."),
		listsKept:    d("lists_kept", "1 while the neighbor lists are kept exact and answer queries."),
		listRebuilds: d("list_rebuilds_total", "Rebuilds of the neighbor lists after a bulk load."),
		listStale:    d("list_stale_total", "Times a bulk load marked the neighbor lists stale."),
		listBytes:    d("list_bytes", "Memory the neighbor lists take, in bytes."),
		reads:        d("reads_total", "Reads of articles recorded."),
	}
}

// Describe implements prometheus.Collector.
func (ec *engineCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{ec.ready, ec.articles, ec.terms, ec.generation, ec.fitted,
		ec.changed, ec.tombstones, ec.refitting, ec.storeBytes,
		ec.queries, ec.scanned, ec.skipped, ec.exact, ec.refits,
		ec.listAnswers, ec.listsKept, ec.listRebuilds, ec.listStale, ec.listBytes, ec.reads} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (ec *engineCollector) Collect(ch chan<- prometheus.Metric) {
	gauge := func(d *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v)
	}
	counter := func(d *prometheus.Desc, v uint64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v))
	}
	e := ec.s.engine.Load()
	if e == nil {
		gauge(ec.ready, 0)
		return
	}
	st := e.Stats()
	gauge(ec.ready, 1)
	gauge(ec.articles, float64(st.Articles))
	gauge(ec.terms, float64(st.Terms))
	gauge(ec.generation, float64(st.Generation))
	gauge(ec.fitted, float64(st.FittedArticles))
	gauge(ec.changed, float64(st.ChangedSinceFit))
	gauge(ec.tombstones, float64(st.Tombstones))
	refitting := 0.0
	if st.Refitting {
		refitting = 1
	}
	gauge(ec.refitting, refitting)
	counter(ec.queries, st.Queries)
	counter(ec.scanned, st.PostingsScanned)
	counter(ec.skipped, st.PostingsSkipped)
	counter(ec.exact, st.ExactScores)
	counter(ec.refits, st.Refits)
	counter(ec.listAnswers, st.ListAnswers)
	kept := 0.0
	if st.Lists == "kept" {
		kept = 1
	}
	gauge(ec.listsKept, kept)
	counter(ec.listRebuilds, st.ListRebuilds)
	counter(ec.listStale, st.ListStale)
	gauge(ec.listBytes, float64(st.ListBytes))
	counter(ec.reads, st.ReadsRecorded)
	if ec.s.opts.StoreSize != nil {
		if n, err := ec.s.opts.StoreSize(); err == nil {
			gauge(ec.storeBytes, float64(n))
		}
	}
}

// feedCollector reports the state of each polled feed at each scrape,
// labelled by its URL, and nothing without a poller.
type feedCollector struct {
	s                                          *Server
	up, items, lastPoll, nextPoll, errorsInRow *prometheus.Desc
	polls, notModified, errors, ingested       *prometheus.Desc
	unchanged, refused                         *prometheus.Desc
}

func newFeedCollector(s *Server) *feedCollector {
	d := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc("readalike_feed_"+name, help, []string{"feed"}, nil)
	}
	return &feedCollector{
		s:           s,
		up:          d("up", "1 when the feed's last poll succeeded (read or not modified), 0 when it failed or none was made."),
		items:       d("items", "Items the feed held when last read."),
		lastPoll:    d("last_poll_timestamp_seconds", "When the feed was last polled, in Unix seconds."),
		nextPoll:    d("next_poll_timestamp_seconds", "When the feed is next polled, in Unix seconds."),
		errorsInRow: d("errors_in_a_row", "Failed polls since the last success: the backoff's exponent."),
		polls:       d("polls_total", "Polls of the feed."),
		notModified: d("not_modified_total", "Polls answered 304 Not Modified."),
		errors:      d("errors_total", "Polls that failed."),
		ingested:    d("ingested_total", "Articles written from the feed's items, new or changed."),
		unchanged:   d("unchanged_total", "Items found again as written, not written again."),
		refused:     d("refused_total", "Items that could not be articles."),
	}
}

// Describe implements prometheus.Collector.
func (fc *feedCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{fc.up, fc.items, fc.lastPoll, fc.nextPoll, fc.errorsInRow,
		fc.polls, fc.notModified, fc.errors, fc.ingested, fc.unchanged, fc.refused} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (fc *feedCollector) Collect(ch chan<- prometheus.Metric) {
	for _, st := range fc.s.feedStates() {
		gauge := func(d *prometheus.Desc, v float64) {
			ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, st.URL)
		}
		counter := func(d *prometheus.Desc, v uint64) {
			ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), st.URL)
		}
		up := 0.0
		if st.Status == fetch.StateOK || st.Status == fetch.StateNotModified {
			up = 1
		}
		gauge(fc.up, up)
		gauge(fc.items, float64(st.Items))
		if !st.LastPoll.IsZero() {
			gauge(fc.lastPoll, float64(st.LastPoll.UnixNano())/1e9)
		}
		if !st.NextPoll.IsZero() {
			gauge(fc.nextPoll, float64(st.NextPoll.UnixNano())/1e9)
		}
		gauge(fc.errorsInRow, float64(st.ErrorsInARow))
		counter(fc.polls, st.Polls)
		counter(fc.notModified, st.NotModified)
		counter(fc.errors, st.Errors)
		counter(fc.ingested, st.Ingested)
		counter(fc.unchanged, st.Unchanged)
		counter(fc.refused, st.Refused)
	}
}
