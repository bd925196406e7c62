package main

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/readalike/readalike/recommend/articleio"
)

// sourcesDir holds the feeds and pages the tests ingest.
const sourcesDir = "../../recommend/articleio/testdata"

// sourcesServer serves sourcesDir, counting requests that got a 304.
func sourcesServer(t *testing.T) (*httptest.Server, *atomic.Int64) {
	var notModified atomic.Int64
	files := http.FileServer(http.Dir(sourcesDir))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/login" {
			fmt.Fprint(w, "<html><body><form><input name=user><input type=password></form></body></html>")
			return
		}
		rec := &statusRecorder{ResponseWriter: w}
		files.ServeHTTP(rec, r)
		if rec.status == http.StatusNotModified {
			notModified.Add(1)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &notModified
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

// ingest reads feeds and pages from files: an article per item, a page's
// article under its file name.
func TestIngestFeedsAndPages(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	r := mustRun(t, "ingest", "--data", data, sourcesDir+"/feed.xml", sourcesDir+"/atom.xml", sourcesDir+"/page.html")
	if !strings.Contains(r.stdout, "ingested 8 articles") || r.stderr != "" && strings.Contains(r.stderr, "warning") {
		t.Errorf("stdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
	}
	got := scanCollection(t, data)
	langs := map[string]int{}
	for _, a := range got {
		langs[a.Lang]++
		if a.LangDetected {
			t.Errorf("%s: lang detected, though its source declares it", a.ID)
		}
	}
	if langs["en"] != 5 || langs["fr"] != 3 {
		t.Errorf("languages %v, want 5 en and 3 fr", langs)
	}
	if a := got["page"]; a.Title != "New tide gauge goes live at the harbour" || strings.Contains(a.Body, "cookies") || a.Published.IsZero() {
		t.Errorf("the page: %+v", a)
	}
	// Ingested again: the same ids, nothing new.
	mustRun(t, "ingest", "--data", data, sourcesDir+"/feed.xml")
	if n := len(scanCollection(t, data)); n != 8 {
		t.Errorf("%d articles after ingesting the feed again, want 8", n)
	}
	// A broken feed is an input that cannot be read.
	r = readalike(t, "ingest", "--data", data, sourcesDir+"/broken.xml")
	if r.code != exitFailed || !strings.Contains(r.stderr, "broken.xml: not a readable RSS, Atom or JSON feed") {
		t.Errorf("broken feed: exit %d, stderr:\n%s", r.code, r.stderr)
	}
}

// A feed item's date in no known form is a warning naming the item and
// the field, and --strict refuses it.
func TestIngestFeedBadDate(t *testing.T) {
	dir := t.TempDir()
	feed := filepath.Join(dir, "f.xml")
	os.WriteFile(feed, []byte(`<rss version="2.0"><channel><title>T</title><link>https://x.example/</link>
<item><guid>https://x.example/1</guid><title>One</title><pubDate>18/01/2024</pubDate><description>The quay was rebuilt over the winter.</description></item>
<item><guid>https://x.example/2</guid><title>Two</title><pubDate>Thu, 18 Jan 2024 06:30:00 EST</pubDate><description>The ferry sails twice a day.</description></item>
</channel></rss>`), 0o644)
	r := mustRun(t, "ingest", "--data", filepath.Join(dir, "data"), feed)
	if want := feed + `: item 1: warning: published: "18/01/2024" is not a time`; !strings.Contains(r.stderr, want) {
		t.Errorf("stderr:\n%s\nwant %q", r.stderr, want)
	}
	r = readalike(t, "ingest", "--strict", "--data", filepath.Join(dir, "strict"), feed)
	if want := feed + ": item 1: bad record (strict)"; r.code != exitFailed || !strings.Contains(r.stderr, want) {
		t.Errorf("--strict: exit %d, stderr:\n%s\nwant %q", r.code, r.stderr, want)
	}
}

// ingest fetches feeds and pages by URL; addresses on this machine only
// with --fetch-private.
func TestIngestURLs(t *testing.T) {
	srv, _ := sourcesServer(t)
	data := filepath.Join(t.TempDir(), "data")
	r := readalike(t, "ingest", "--data", data, "--fetch-private", srv.URL+"/feed.xml",
		"--url", srv.URL+"/page.html", "--url", srv.URL+"/login")
	if r.code != exitSkipped || !strings.Contains(r.stdout, "ingested 5 articles") ||
		!strings.Contains(r.stderr, srv.URL+"/login: "+srv.URL+"/login: no article text found in the page") {
		t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	got := scanCollection(t, data)
	id, _ := articleio.PageID(srv.URL + "/page.html")
	if a, ok := got[id]; !ok || a.URL != srv.URL+"/page.html" {
		t.Errorf("the page's article %s: %+v, %v (ids %v)", id, a, ok, slices.Sorted(mapsKeys(got)))
	}

	for _, args := range [][]string{{srv.URL + "/feed.xml"}, {"--url", srv.URL + "/page.html"}} {
		r = readalike(t, append([]string{"ingest", "--data", filepath.Join(t.TempDir(), "d")}, args...)...)
		if r.code == exitOK || !strings.Contains(r.stderr, "loopback address") {
			t.Errorf("%v without --fetch-private: exit %d, stderr:\n%s", args, r.code, r.stderr)
		}
	}
	if r = readalike(t, "ingest", "--data", data, "--url", "ftp://example.org/"); r.code != exitUsage {
		t.Errorf("--url ftp: exit %d", r.code)
	}
}

// serve --feeds polls the feeds, with conditional requests, and reports
// them in /v1/stats; an item is written once.
func TestServeFeeds(t *testing.T) {
	srv, notModified := sourcesServer(t)
	dir := t.TempDir()
	list := filepath.Join(dir, "feeds.txt")
	os.WriteFile(list, []byte("# the test's feeds\n"+srv.URL+"/feed.xml\n\n"+srv.URL+"/atom.xml\n"+srv.URL+"/missing.xml\n"), 0o644)
	s := startServe(t, "--data", filepath.Join(dir, "data"), "--feeds", list, "--fetch-private", "--feed-interval", "200ms", "--feed-max-backoff", "400ms")
	type feed struct {
		URL         string `json:"url"`
		Status      string `json:"status"`
		Ingested    int    `json:"ingested"`
		Polls       int    `json:"polls"`
		NotModified int    `json:"not_modified"`
		Errors      int    `json:"errors"`
	}
	var st struct {
		Articles int    `json:"articles"`
		Feeds    []feed `json:"feeds"`
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		getJSON(t, s.url+"/v1/stats", &st)
		if len(st.Feeds) == 3 && st.Feeds[0].NotModified >= 2 && st.Feeds[1].NotModified >= 2 && st.Feeds[2].Errors >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("stats after 30 s: %+v", st)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if st.Articles != 7 || st.Feeds[0].Ingested != 4 || st.Feeds[1].Ingested != 3 || st.Feeds[2].Status != "error" || notModified.Load() < 4 {
		t.Errorf("stats %+v, %d answered 304; want 7 articles, each item written once", st, notModified.Load())
	}
	resp, err := http.Get(s.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	metrics, _ := io.ReadAll(resp.Body)
	if want := fmt.Sprintf(`readalike_feed_ingested_total{feed="%s/feed.xml"} 4`, srv.URL); !strings.Contains(string(metrics), want) {
		t.Errorf("metrics lack %q", want)
	}
	if code := s.stop(t); code != exitOK {
		t.Errorf("serve exited %d", code)
	}
}

func TestServeFeedsUsage(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.txt")
	os.WriteFile(bad, []byte("https://ok.example/feed\nfeeds/local.xml\n"), 0o644)
	r := readalike(t, "serve", "--data", filepath.Join(dir, "data"), "--feeds", bad)
	if r.code != exitUsage || !strings.Contains(r.stderr, bad+`:2: "feeds/local.xml" is not an http or https URL`) {
		t.Errorf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
	r = readalike(t, "serve", "--data", filepath.Join(dir, "data"), "--feeds", filepath.Join(dir, "none.txt"))
	if r.code != exitUsage {
		t.Errorf("missing list: exit %d, stderr:\n%s", r.code, r.stderr)
	}
}
