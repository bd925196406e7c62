package fetch

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/readalike/readalike/recommend/articleio"
)

// testServer serves the files of testdata, and a few answers of its own.
func testServer(t *testing.T) *httptest.Server {
	mux := http.NewServeMux()
	mux.Handle("/", http.FileServer(http.Dir(testdata)))
	mux.HandleFunc("/old-address", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/page.html", http.StatusMovedPermanently)
	})
	mux.HandleFunc("/report.pdf", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/pdf")
		w.Write([]byte("%PDF-1.7"))
	})
	mux.HandleFunc("/login", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("<html><body><form><input name=user><input type=password></form></body></html>"))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestPage(t *testing.T) {
	srv := testServer(t)
	f := local(Options{})
	ctx := context.Background()
	a, dropped, err := f.Page(ctx, srv.URL+"/old-address")
	if err != nil || len(dropped) > 0 {
		t.Fatalf("Page: %v, dropped %v", err, dropped)
	}
	wantID, _ := articleio.PageID(srv.URL + "/page.html")
	if a.ID != wantID || a.URL != srv.URL+"/page.html" || a.Title != "New tide gauge goes live at the harbour" ||
		!strings.HasPrefix(a.Body, "A new tide gauge") || strings.Contains(a.Body, "cookies") ||
		!a.Published.Equal(time.Date(2024, 11, 6, 10, 30, 0, 0, time.UTC)) || a.Lang != "en-GB" {
		t.Errorf("got %+v; want id %s, the page's URL after the redirect", a, wantID)
	}
	for path, want := range map[string]error{
		"/report.pdf": ErrNotHTML, "/login": articleio.ErrNoArticle, "/missing.html": nil,
	} {
		a, _, err := f.Page(ctx, srv.URL+path)
		var se *StatusError
		if (want != nil && !errors.Is(err, want)) || (want == nil && !errors.As(err, &se)) || a.ID != "" || a.Body != "" {
			t.Errorf("%s: %+v, %v; want no article and %v", path, a, err, want)
		}
	}
	if _, _, err := New(Options{}).Page(ctx, srv.URL+"/page.html"); !errors.Is(err, ErrForbidden) {
		t.Errorf("a page on 127.0.0.1 by default: %v, want ErrForbidden", err)
	}
}

// Read fetches feeds named by URL, reads files, and fetches pages; a page
// that cannot be had is a bad record, a feed that cannot be had an error.
func TestRead(t *testing.T) {
	srv := testServer(t)
	f := local(Options{})
	var got []string
	err := f.Read(context.Background(), []string{srv.URL + "/feed.xml", testdata + "/atom.xml"},
		[]string{srv.URL + "/page.html", srv.URL + "/login"}, nil, func(r articleio.Record) error {
			s := r.Where()
			if r.Err != nil {
				s += " error"
			}
			got = append(got, s)
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		srv.URL + "/feed.xml: item 1", srv.URL + "/feed.xml: item 2", srv.URL + "/feed.xml: item 3", srv.URL + "/feed.xml: item 4",
		testdata + "/atom.xml: item 1", testdata + "/atom.xml: item 2", testdata + "/atom.xml: item 3",
		srv.URL + "/page.html", srv.URL + "/login error",
	}
	if !slices.Equal(got, want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
	if err := f.Read(context.Background(), []string{srv.URL + "/broken.xml"}, nil, nil, func(articleio.Record) error { return nil }); err == nil ||
		!strings.Contains(err.Error(), "not a readable RSS, Atom or JSON feed") {
		t.Errorf("a broken feed: %v", err)
	}
	if !IsURL("HTTPS://x.org/feed") || IsURL("feeds/x.xml") || IsURL("-") {
		t.Error("IsURL")
	}
}

// FuzzPage serves whatever the fuzzer makes as a page, under whatever
// content type: Page returns a whole article or an error, never a part.
func FuzzPage(f *testing.F) {
	var body, ctype atomicString
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", ctype.Load())
		w.Write([]byte(body.Load()))
	}))
	defer srv.Close()
	f.Add("<html><body><article><p>"+strings.Repeat("The quay was rebuilt in stone. ", 30)+"</p></article></body></html>", "text/html; charset=utf-8")
	f.Add("<p>\xff\xfe</p>", "text/html; charset=utf-16")
	f.Add("", "")
	fe := local(Options{})
	f.Fuzz(func(t *testing.T, page, contentType string) {
		body.Store(page)
		ctype.Store(contentType)
		a, _, err := fe.Page(context.Background(), srv.URL+"/p")
		if err != nil {
			if a.ID != "" || a.Body != "" {
				t.Fatalf("an error with part of an article: %v, %+v", err, a)
			}
			return
		}
		if !strings.HasPrefix(a.ID, "page-") || strings.TrimSpace(a.Body) == "" {
			t.Fatalf("article %+v", a)
		}
	})
}

// atomicString is a string read and written from several goroutines.
type atomicString struct{ v atomic.Value }

func (s *atomicString) Load() string {
	v, _ := s.v.Load().(string)
	return v
}

func (s *atomicString) Store(v string) { s.v.Store(v) }
