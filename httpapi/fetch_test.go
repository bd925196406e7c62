package httpapi

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/readalike/readalike/recommend"
	"github.com/readalike/readalike/recommend/articleio"
	"github.com/readalike/readalike/recommend/fetch"
)

// pageServer serves the pages of articleio's testdata, and a few answers
// of its own.
func pageServer(t *testing.T) *httptest.Server {
	mux := http.NewServeMux()
	mux.Handle("/", http.FileServer(http.Dir("../recommend/articleio/testdata")))
	mux.HandleFunc("/login", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("<html><body><form><input name=user><input type=password></form></body></html>"))
	})
	mux.HandleFunc("/german", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `<html lang="de"><body><article><p>%s</p></article></body></html>`,
			strings.Repeat("Der Ausschuss hat den neuen Haushalt nach einer langen Debatte am Dienstag gebilligt. ", 10))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// localFetcher may fetch from the test servers on 127.0.0.1, and nothing
// else that is not public.
func localFetcher() *fetch.Fetcher {
	return fetch.New(fetch.Options{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}})
}

func TestPostFetch(t *testing.T) {
	pages := pageServer(t)
	env := newEnv(t, Options{Fetcher: localFetcher()})
	r := env.postJSON("/v1/articles", fmt.Sprintf(`{"url": %q, "fetch": true}`, pages.URL+"/page.html"))
	r.expectStatus(t, http.StatusCreated)
	id, _ := articleio.PageID(pages.URL + "/page.html")
	if got, want := strings.TrimSpace(string(r.body)), fmt.Sprintf(`{"written":1,"id":%q,"lang":"en"}`, id); got != want {
		t.Errorf("answer: got %s, want %s", got, want)
	}
	var a recommend.Article
	env.get("/v1/articles/"+id).decode(t, &a)
	if a.Title != "New tide gauge goes live at the harbour" || a.URL != pages.URL+"/page.html" || !strings.HasPrefix(a.Body, "A new tide gauge") ||
		strings.Contains(a.Body, "cookies") || !a.Published.Equal(time.Date(2024, 11, 6, 10, 30, 0, 0, time.UTC)) || a.Summary == "" {
		t.Errorf("stored: %+v", a)
	}
	// It is searchable: the similar readings of a harbour story.
	env.get("/v1/articles/"+id+"/similar").expectStatus(t, http.StatusOK)

	// What the request gives wins over the page.
	r = env.postJSON("/v1/articles", fmt.Sprintf(`{"url": %q, "fetch": true, "id": "tide-gauge", "category": "science"}`, pages.URL+"/page.html"))
	r.expectStatus(t, http.StatusCreated)
	a = recommend.Article{}
	env.get("/v1/articles/tide-gauge").decode(t, &a)
	if a.Category != "science" || a.Title == "" {
		t.Errorf("stored with a given id and category: %+v", a)
	}
	// A page in a language readalike does not analyse, unless lang says how.
	env.postJSON("/v1/articles", fmt.Sprintf(`{"url": %q, "fetch": true}`, pages.URL+"/german")).expectError(t, 422, "unreadable_page", "url")
	env.postJSON("/v1/articles", fmt.Sprintf(`{"url": %q, "fetch": true, "lang": "en"}`, pages.URL+"/german")).expectStatus(t, http.StatusCreated)
}

func TestPostFetchErrors(t *testing.T) {
	pages := pageServer(t)
	other, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Skipf("cannot listen on 127.0.0.2: %v", err)
	}
	private := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("the private address was reached: %s", r.URL)
	}))
	private.Listener = other
	private.Start()
	defer private.Close()
	redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, private.URL+"/secret", http.StatusFound)
	}))
	defer redirect.Close()

	env := newEnv(t, Options{Fetcher: localFetcher()})
	for _, tc := range []struct {
		name, body  string
		status      int
		code, field string
	}{
		{"redirect to a private address", fmt.Sprintf(`{"url": %q, "fetch": true}`, redirect.URL), 400, "invalid", "url"},
		{"a private address", fmt.Sprintf(`{"url": %q, "fetch": true}`, private.URL), 400, "invalid", "url"},
		{"not found", fmt.Sprintf(`{"url": %q, "fetch": true}`, pages.URL+"/missing.html"), 502, "fetch_failed", "url"},
		{"no article", fmt.Sprintf(`{"url": %q, "fetch": true}`, pages.URL+"/login"), 422, "unreadable_page", "url"},
		{"a feed, not a page", fmt.Sprintf(`{"url": %q, "fetch": true}`, pages.URL+"/feed.xml"), 422, "unreadable_page", "url"},
		{"not http", `{"url": "ftp://example.org/x", "fetch": true}`, 400, "invalid", "url"},
		{"no url", `{"fetch": true}`, 400, "invalid", "url"},
		{"fetch false", `{"url": "https://example.org/", "fetch": false}`, 400, "invalid", "fetch"},
		{"fetch not a bool", `{"url": "https://example.org/", "fetch": "yes"}`, 400, "invalid", "fetch"},
		{"a body given", `{"url": "https://example.org/", "fetch": true, "body": "b"}`, 400, "invalid", "body"},
		{"an unknown member", `{"url": "https://example.org/", "fetch": true, "colour": "red"}`, 400, "invalid", "colour"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env.postJSON("/v1/articles", tc.body).expectError(t, tc.status, tc.code, tc.field)
		})
	}
	// In a batch, a fetch is refused by position.
	r := env.postJSON("/v1/articles", `[{"id": "ok-1", "body": "a harbour story"}, {"url": "https://example.org/", "fetch": true}]`)
	r.expectStatus(t, http.StatusOK)
	var wr writeResult
	r.decode(t, &wr)
	if wr.Written != 1 || len(wr.Errors) != 1 || wr.Errors[0].Index != 1 || wr.Errors[0].Field != "fetch" {
		t.Errorf("batch: %s", r.body)
	}

	// The default fetcher refuses the test server itself.
	def := newEnv(t, Options{})
	def.postJSON("/v1/articles", fmt.Sprintf(`{"url": %q, "fetch": true}`, pages.URL+"/page.html")).expectError(t, 400, "invalid", "url")
}

// feedStub reports fixed feed states.
type feedStub []fetch.FeedState

func (f feedStub) States() []fetch.FeedState { return f }

func TestStatsFeeds(t *testing.T) {
	when := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	env := newEnv(t, Options{Feeds: feedStub{
		{URL: "https://a.example/feed.xml", Status: fetch.StateOK, LastPoll: when, NextPoll: when.Add(15 * time.Minute), HTTPStatus: 200, Items: 4, Ingested: 4, Polls: 1},
		{URL: "https://b.example/rss", Status: fetch.StateError, LastPoll: when, NextPoll: when.Add(30 * time.Minute), Errors: 1, ErrorsInARow: 1, LastError: "the server answered 500", Polls: 1},
	}})
	r := env.get("/v1/stats")
	r.expectStatus(t, http.StatusOK)
	var st struct {
		Feeds []fetch.FeedState `json:"feeds"`
	}
	r.decode(t, &st)
	if len(st.Feeds) != 2 || st.Feeds[0].Items != 4 || st.Feeds[1].LastError == "" || !st.Feeds[1].NextPoll.Equal(when.Add(30*time.Minute)) {
		t.Errorf("stats feeds: %s", r.body)
	}
	text := string(env.get("/metrics").body)
	for _, want := range []string{
		`readalike_feed_up{feed="https://a.example/feed.xml"} 1`,
		`readalike_feed_up{feed="https://b.example/rss"} 0`,
		`readalike_feed_items{feed="https://a.example/feed.xml"} 4`,
		`readalike_feed_ingested_total{feed="https://a.example/feed.xml"} 4`,
		`readalike_feed_errors_total{feed="https://b.example/rss"} 1`,
		`readalike_feed_last_poll_timestamp_seconds{feed="https://a.example/feed.xml"} 1.767323045e+09`,
		`readalike_feed_next_poll_timestamp_seconds{feed="https://b.example/rss"}`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics: no %q", want)
		}
	}
	// Without a poller, no feeds.
	if strings.Contains(string(newEnv(t, Options{}).get("/v1/stats").body), `"feeds"`) {
		t.Error("stats name feeds without a poller")
	}
}

// A page whose date is in no known form is saved without it, and the
// answer says so.
func TestPostFetchWarnings(t *testing.T) {
	env := newEnv(t, Options{Fetcher: stubFetcher{}})
	r := env.postJSON("/v1/articles", `{"url": "https://example.org/page", "fetch": true}`)
	r.expectStatus(t, http.StatusCreated)
	var wr writeResult
	r.decode(t, &wr)
	if wr.ID != "page-stub" || len(wr.Warnings) != 1 || !strings.HasPrefix(wr.Warnings[0], "published: ") {
		t.Errorf("answer: %s", r.body)
	}
}
