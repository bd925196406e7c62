package fetch

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// testdata is where the feeds and pages the tests serve are.
const testdata = "../articleio/testdata"

// local returns a fetcher allowed to dial the test servers on 127.0.0.1,
// and nothing else that is not public.
func local(o Options) *Fetcher {
	o.Allow = append(o.Allow, netip.MustParsePrefix("127.0.0.1/32"))
	return New(o)
}

func TestAllowed(t *testing.T) {
	for _, tc := range []struct {
		addr string
		ok   bool
	}{
		{"93.184.215.14", true}, {"2606:2800:21f:cb07:6820:80da:af6b:8b2c", true}, {"8.8.8.8", true},
		{"127.0.0.1", false}, {"127.8.9.10", false}, {"::1", false}, // loopback
		{"10.1.2.3", false}, {"172.16.0.1", false}, {"172.31.255.255", false}, {"192.168.1.1", false}, {"fd00::1", false}, // private
		{"169.254.169.254", false}, {"fe80::1", false}, // link-local, cloud metadata
		{"0.0.0.0", false}, {"::", false}, {"0.1.2.3", false}, // unspecified, this network
		{"224.0.0.1", false}, {"ff02::1", false}, {"255.255.255.255", false}, {"240.0.0.1", false}, // multicast, broadcast, reserved
		{"100.64.0.1", false}, {"100.100.100.200", false}, // carrier-grade NAT (a cloud's metadata)
		{"192.0.2.1", false}, {"198.18.0.1", false}, {"2001:db8::1", false}, // documentation, benchmarking
		{"::ffff:127.0.0.1", false}, {"::ffff:10.0.0.1", false}, {"::ffff:8.8.8.8", true}, // v4-mapped
		{"64:ff9b::a00:1", false}, {"64:ff9b::808:808", true}, // NAT64 of 10.0.0.1, 8.8.8.8
		{"2002:7f00:1::", false}, {"2002:808:808::", true}, // 6to4 of 127.0.0.1, 8.8.8.8
		{"172.32.0.1", true}, {"11.0.0.1", true}, {"192.169.0.1", true}, // just outside the private ranges
	} {
		if got := Allowed(netip.MustParseAddr(tc.addr)); got != tc.ok {
			t.Errorf("Allowed(%s) = %v, want %v", tc.addr, got, tc.ok)
		}
	}
}

// A server on this machine is refused by default, whether named by its
// address or by a name that resolves to it, and is never reached.
func TestRefusesPrivate(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	f := New(Options{})
	for _, target := range []string{srv.URL, "http://localhost:" + u.Port() + "/", "http://[::ffff:127.0.0.1]:" + u.Port() + "/"} {
		_, err := f.Get(context.Background(), target, "*/*", Validators{})
		if !errors.Is(err, ErrForbidden) {
			t.Errorf("Get(%s): %v, want ErrForbidden", target, err)
		}
	}
	if hits.Load() != 0 {
		t.Errorf("the server was reached %d times", hits.Load())
	}
	// Allowed, it is reached.
	if _, err := New(Options{AllowPrivate: true}).Get(context.Background(), srv.URL, "*/*", Validators{}); err != nil || hits.Load() != 1 {
		t.Errorf("with AllowPrivate: %v, %d hits", err, hits.Load())
	}
}

// A redirect to a private address is refused, as is one to another
// scheme, and redirects beyond the limit.
func TestRedirects(t *testing.T) {
	var private atomic.Int64
	other := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { private.Add(1) }))
	ln, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Skipf("cannot listen on 127.0.0.2: %v", err)
	}
	other.Listener = ln
	other.Start()
	defer other.Close()
	mux := http.NewServeMux()
	mux.HandleFunc("/private", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/secret", http.StatusFound)
	})
	mux.HandleFunc("/file", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "file:///etc/passwd", http.StatusFound)
	})
	mux.HandleFunc("/loop/", func(w http.ResponseWriter, r *http.Request) {
		var n int
		fmt.Sscanf(r.URL.Path, "/loop/%d", &n)
		if n == 0 {
			fmt.Fprint(w, "arrived")
			return
		}
		http.Redirect(w, r, fmt.Sprintf("/loop/%d", n-1), http.StatusMovedPermanently)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	f := local(Options{MaxRedirects: 3})
	ctx := context.Background()
	if _, err := f.Get(ctx, srv.URL+"/private", "*/*", Validators{}); !errors.Is(err, ErrForbidden) || private.Load() != 0 {
		t.Errorf("redirect to 127.0.0.2: %v, %d hits; want ErrForbidden and none", err, private.Load())
	}
	if _, err := f.Get(ctx, srv.URL+"/file", "*/*", Validators{}); !errors.Is(err, ErrBadURL) {
		t.Errorf("redirect to file: %v, want ErrBadURL", err)
	}
	if r, err := f.Get(ctx, srv.URL+"/loop/3", "*/*", Validators{}); err != nil || string(r.Body) != "arrived" || !strings.HasSuffix(r.URL, "/loop/0") {
		t.Errorf("3 redirects: %v", err)
	}
	if _, err := f.Get(ctx, srv.URL+"/loop/4", "*/*", Validators{}); err == nil || !strings.Contains(err.Error(), "more than 3 redirects") {
		t.Errorf("4 redirects: %v, want more than 3 redirects", err)
	}
	if _, err := local(Options{MaxRedirects: -1}).Get(ctx, srv.URL+"/loop/1", "*/*", Validators{}); err == nil {
		t.Error("a redirect followed with MaxRedirects -1")
	}
}

func TestLimits(t *testing.T) {
	release := make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) { w.Write(make([]byte, 2000)) })
	mux.HandleFunc("/big-chunked", func(w http.ResponseWriter, r *http.Request) {
		for range 20 {
			w.Write(make([]byte, 100))
			w.(http.Flusher).Flush()
		}
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	mux.HandleFunc("/gone", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "gone", http.StatusGone) })
	mux.HandleFunc("/busy", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "120")
		http.Error(w, "busy", http.StatusServiceUnavailable)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	defer close(release)
	f := local(Options{MaxBytes: 1000, Timeout: 300 * time.Millisecond})
	ctx := context.Background()
	for _, path := range []string{"/big", "/big-chunked"} {
		if _, err := f.Get(ctx, srv.URL+path, "*/*", Validators{}); !errors.Is(err, ErrTooLarge) {
			t.Errorf("%s: %v, want ErrTooLarge", path, err)
		}
	}
	start := time.Now()
	if _, err := f.Get(ctx, srv.URL+"/slow", "*/*", Validators{}); !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 5*time.Second {
		t.Errorf("/slow: %v after %v, want a time out", err, time.Since(start))
	}
	var se *StatusError
	if _, err := f.Get(ctx, srv.URL+"/gone", "*/*", Validators{}); !errors.As(err, &se) || se.Status != 410 {
		t.Errorf("/gone: %v", err)
	}
	if _, err := f.Get(ctx, srv.URL+"/busy", "*/*", Validators{}); !errors.As(err, &se) || se.Status != 503 || se.RetryAfter != 2*time.Minute {
		t.Errorf("/busy: %v, %+v", err, se)
	}
	for _, bad := range []string{"ftp://example.org/", "example.org/page", "", "http://", "file:///etc/passwd"} {
		if _, err := f.Get(ctx, bad, "*/*", Validators{}); !errors.Is(err, ErrBadURL) {
			t.Errorf("Get(%q): %v, want ErrBadURL", bad, err)
		}
	}
}
