package fetch

import (
	"context"
	"crypto/sha256"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/readalike/readalike/recommend"
)

// feedServer serves one feed whose content the test changes, with an ETag
// and a Last-Modified, answering 304 to a request that has them.
type feedServer struct {
	*httptest.Server
	mu          sync.Mutex
	body        string
	status      int // when not 0, the answer instead of the feed
	modified    time.Time
	requests    int
	conditional int // requests that came with If-None-Match or If-Modified-Since
	notModified int
}

func newFeedServer(t *testing.T, body string) *feedServer {
	s := &feedServer{body: body, modified: time.Date(2024, 11, 5, 9, 0, 0, 0, time.UTC)}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *feedServer) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests++
	if s.status != 0 {
		http.Error(w, "down", s.status)
		return
	}
	etag := fmt.Sprintf(`"%x"`, sha256.Sum256([]byte(s.body)))
	inm, ims := r.Header.Get("If-None-Match"), r.Header.Get("If-Modified-Since")
	if inm != "" || ims != "" {
		s.conditional++
	}
	if inm == etag {
		s.notModified++
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("ETag", etag)
	w.Header().Set("Last-Modified", s.modified.Format(http.TimeFormat))
	w.Header().Set("Content-Type", "application/rss+xml")
	fmt.Fprint(w, s.body)
}

func (s *feedServer) set(body string, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.body, s.status, s.modified = body, status, s.modified.Add(time.Hour)
}

// countingSink is an engine that counts the articles written to it.
type countingSink struct {
	*recommend.Engine
	written atomic.Int64
}

func (c *countingSink) Upsert(ctx context.Context, arts ...recommend.Article) (recommend.WriteResults, error) {
	c.written.Add(int64(len(arts)))
	return c.Engine.Upsert(ctx, arts...)
}

func newSink(t *testing.T) *countingSink {
	e, err := recommend.Open(context.Background(), recommend.NewMemoryStore(), recommend.Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return &countingSink{Engine: e}
}

func readTestdata(t *testing.T, name string) string {
	b, err := os.ReadFile(testdata + "/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Polling: the first poll writes every item; a poll of an unchanged feed
// is a 304 and writes nothing; a changed feed writes its new and changed
// items only, an item repeated in it once; a failed poll backs off; a new
// poller (a restart) writes nothing already in the store.
func TestPoller(t *testing.T) {
	ctx := context.Background()
	rss := readTestdata(t, "feed.xml")
	srv := newFeedServer(t, rss)
	sink := newSink(t)
	interval := time.Hour
	p := NewPoller([]string{srv.URL + "/feed.xml"}, local(Options{}), sink, PollOptions{Interval: interval, MaxBackoff: 5 * time.Hour})
	state := func() FeedState { return p.States()[0] }
	if st := state(); st.Status != StatePending || st.Polls != 0 {
		t.Fatalf("before a poll: %+v", st)
	}

	p.Poll(ctx)
	st := state()
	if st.Status != StateOK || st.HTTPStatus != 200 || st.Items != 4 || st.Ingested != 4 || st.Polls != 1 || sink.written.Load() != 4 {
		t.Fatalf("first poll: %+v, %d written", st, sink.written.Load())
	}
	if d := st.NextPoll.Sub(st.LastPoll); d != interval {
		t.Errorf("next poll in %v, want %v", d, interval)
	}
	if n := sink.Stats().Articles; n != 4 {
		t.Errorf("%d articles stored, want 4", n)
	}

	// Unchanged: 304, twice.
	p.Poll(ctx)
	p.Poll(ctx)
	st = state()
	if st.Status != StateNotModified || st.HTTPStatus != 304 || st.NotModified != 2 || st.Ingested != 4 || sink.written.Load() != 4 {
		t.Errorf("unchanged feed: %+v, %d written", st, sink.written.Load())
	}
	if srv.conditional != 2 || srv.notModified != 2 {
		t.Errorf("the server saw %d conditional requests, answered %d with 304; want 2 and 2", srv.conditional, srv.notModified)
	}

	// Changed: one new item, one item edited, one repeated in the feed.
	newItem := `<item><title>Storm warning for the weekend</title><link>https://gazette.example.org/2024/11/storm</link>
<guid>https://gazette.example.org/2024/11/storm</guid><pubDate>Wed, 06 Nov 2024 09:00:00 GMT</pubDate>
<description>Gales are expected on Saturday, and the ferry may not sail.</description></item>`
	repeated := `<item><title>Storm warning for the weekend (again)</title><guid>https://gazette.example.org/2024/11/storm</guid><description>The same item twice.</description></item>`
	changed := strings.Replace(rss, "refunded at the harbour office", "refunded at the harbour office or online", 1)
	changed = strings.Replace(changed, "<item>", newItem+repeated+"<item>", 1)
	srv.set(changed, 0)
	p.Poll(ctx)
	st = state()
	if st.Status != StateOK || st.Items != 6 || st.Ingested != 6 || st.Unchanged != 3 || sink.written.Load() != 6 {
		t.Errorf("changed feed: %+v, %d written; want 2 written (a new item, an edited one), 3 unchanged", st, sink.written.Load())
	}
	if a, err := sink.Get(ctx, "item-"+hashOf("https://gazette.example.org/2024/11/storm")); err != nil || a.Title != "Storm warning for the weekend" {
		t.Errorf("the repeated item: %+v, %v; want the first of the two", a, err)
	}

	// Errors back off: twice the interval, then four times; a broken feed
	// is an error too; then the feed recovers.
	srv.set(changed, http.StatusInternalServerError)
	p.Poll(ctx)
	st = state()
	if st.Status != StateError || st.HTTPStatus != 500 || st.ErrorsInARow != 1 || st.NextPoll.Sub(st.LastPoll) != 2*interval || !strings.Contains(st.LastError, "500") {
		t.Errorf("after an error: %+v", st)
	}
	srv.set(readTestdata(t, "broken.xml"), 0)
	p.Poll(ctx)
	st = state()
	if st.Status != StateError || st.ErrorsInARow != 2 || st.NextPoll.Sub(st.LastPoll) != 4*interval || !strings.Contains(st.LastError, "not a readable") {
		t.Errorf("after a broken feed: %+v", st)
	}
	srv.set(changed, 0)
	for range 3 {
		srv.set(changed, http.StatusBadGateway)
		p.Poll(ctx)
	}
	if st = state(); st.NextPoll.Sub(st.LastPoll) != 5*time.Hour || st.Errors != 5 {
		t.Errorf("backoff not capped at MaxBackoff: %+v", st)
	}
	// Recovered, unchanged since the last read: the validators of that
	// read, kept through the errors, get a 304.
	srv.set(changed, 0)
	p.Poll(ctx)
	if st = state(); st.Status != StateNotModified || st.ErrorsInARow != 0 || st.LastError != "" || sink.written.Load() != 6 {
		t.Errorf("recovered: %+v, %d written", st, sink.written.Load())
	}

	// A restart: a new poller knows nothing, and finds every item stored.
	p2 := NewPoller([]string{srv.URL + "/feed.xml"}, local(Options{}), sink, PollOptions{Interval: interval})
	p2.Poll(ctx)
	if st := p2.States()[0]; st.Status != StateOK || st.Ingested != 0 || st.Unchanged != 5 || sink.written.Load() != 6 {
		t.Errorf("after a restart: %+v, %d written; want nothing written", st, sink.written.Load())
	}
}

func hashOf(key string) string {
	sum := sha256.Sum256([]byte(key))
	return fmt.Sprintf("%x", sum[:8])
}

// Run polls on its own until its context ends; a feed that cannot be
// fetched does not hold up the others.
func TestPollerRun(t *testing.T) {
	good := newFeedServer(t, readTestdata(t, "atom.xml"))
	bad := newFeedServer(t, "")
	bad.set("", http.StatusNotFound)
	sink := newSink(t)
	p := NewPoller([]string{good.URL + "/atom.xml", bad.URL + "/gone.xml", "http://10.255.255.1/never-dialled.xml"},
		local(Options{}), sink, PollOptions{Interval: 20 * time.Millisecond, MaxBackoff: 40 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { p.Run(ctx); close(done) }()
	deadline := time.Now().Add(20 * time.Second)
	for {
		sts := p.States()
		if sts[0].Polls >= 3 && sts[1].Errors >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("states after 20 s: %+v", sts)
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
	sts := p.States()
	if sts[0].Ingested != 3 || sts[0].NotModified < 2 || sink.written.Load() != 3 {
		t.Errorf("good feed: %+v, %d written", sts[0], sink.written.Load())
	}
	if sts[1].Status != StateError || sts[1].HTTPStatus != 404 {
		t.Errorf("missing feed: %+v", sts[1])
	}
	if sts[2].Status != StateError || !strings.Contains(sts[2].LastError, "private") {
		t.Errorf("private feed: %+v", sts[2])
	}
}
