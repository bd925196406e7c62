package httpapi

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
)

// These tests drive the server over raw TCP connections, as slow or broken
// clients would. Their bounds are generous (slack for a loaded machine and
// -race): they check that a connection is cut, not how fast.
const slack = 3 * time.Second

// connLog records when the server closed each connection, by the client's
// address. Its hook is the http.Server's ConnState.
type connLog struct {
	mu     sync.Mutex
	closed map[string]time.Time
}

func (l *connLog) hook(c net.Conn, st http.ConnState) {
	if st == http.StateClosed || st == http.StateHijacked {
		l.mu.Lock()
		l.closed[c.RemoteAddr().String()] = time.Now()
		l.mu.Unlock()
	}
}

// waitClosed returns when the server closed the connection from addr,
// failing the test if it has not within d.
func (l *connLog) waitClosed(t testing.TB, addr string, d time.Duration) time.Time {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		l.mu.Lock()
		at, ok := l.closed[addr]
		l.mu.Unlock()
		if ok {
			return at
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server did not close the connection from %s within %v", addr, d)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// dial opens a raw connection to the server, closed when the test ends.
func (env *testEnv) dial() net.Conn {
	env.t.Helper()
	c, err := net.Dial("tcp", env.ts.Listener.Addr().String())
	if err != nil {
		env.t.Fatal(err)
	}
	env.t.Cleanup(func() { c.Close() })
	return c
}

// trickle writes s one byte every interval until it is written, the
// connection fails, or stop is closed; it returns at once.
func trickle(c net.Conn, s string, interval time.Duration, stop <-chan struct{}) {
	go func() {
		for i := range len(s) {
			select {
			case <-stop:
				return
			case <-time.After(interval):
			}
			if _, err := c.Write([]byte{s[i]}); err != nil {
				return
			}
		}
	}()
}

// readAnswer reads one answer from a raw connection.
func readAnswer(t testing.TB, br *bufio.Reader) (*http.Response, errorBody) {
	t.Helper()
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("read answer: %v", err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("read answer body: %v", err)
	}
	var eb errorBody
	if res.StatusCode >= 400 {
		if err := json.Unmarshal(b, &eb); err != nil || eb.Error.Code == "" || eb.Error.Message == "" {
			t.Fatalf("%d answer not in the error shape: %q", res.StatusCode, b)
		}
		if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Errorf("%d answer of type %q, want application/json", res.StatusCode, ct)
		}
	}
	return res, eb
}

// expectClosed checks that the client sees its connection closed (EOF or a
// reset) within d.
func expectClosed(t testing.TB, c net.Conn, br *bufio.Reader, d time.Duration) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(d))
	_, err := io.Copy(io.Discard, br)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("the connection was still open after %v", d)
	}
}

const similarHead = "POST /v1/similar HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"

// A body trickled slower than the request timeout is cut: 408 in the JSON
// shape, then the connection closes, whether the route reads the body or
// answers without it (a write refused for want of the key).
func TestSlowBodyIsCut(t *testing.T) {
	const timeout = 500 * time.Millisecond
	env := newEnv(t, Options{Timeout: timeout, APIKey: "k"})
	body := `{"body": "the moon and its craters, written very slowly"}`
	for _, tc := range []struct {
		name, head string
		status     int
		code       string
	}{
		{"read by the route", fmt.Sprintf(similarHead, len(body)), http.StatusRequestTimeout, "body_timeout"},
		{"chunked", "POST /v1/similar HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n", http.StatusRequestTimeout, "body_timeout"},
		{"not read by the route", fmt.Sprintf(strings.Replace(similarHead, "/v1/similar", "/v1/articles", 1), len(body)),
			http.StatusUnauthorized, "unauthorized"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := env.dial()
			stop := make(chan struct{})
			defer close(stop)
			start := time.Now()
			if _, err := io.WriteString(c, tc.head); err != nil {
				t.Fatal(err)
			}
			trickled := body
			if strings.Contains(tc.head, "chunked") {
				trickled = fmt.Sprintf("%x\r\n%s\r\n0\r\n\r\n", len(body), body)
			}
			trickle(c, trickled, 50*time.Millisecond, stop) // 2.5 s at least; the timeout is 0.5 s
			br := bufio.NewReader(c)
			c.SetReadDeadline(time.Now().Add(timeout + slack))
			res, eb := readAnswer(t, br)
			if res.StatusCode != tc.status || eb.Error.Code != tc.code {
				t.Fatalf("got %d %q, want %d %q", res.StatusCode, eb.Error.Code, tc.status, tc.code)
			}
			at := env.conns.waitClosed(t, c.LocalAddr().String(), timeout+slack)
			expectClosed(t, c, br, slack)
			if took := at.Sub(start); took < timeout {
				t.Errorf("closed after %v, before the timeout of %v", took, timeout)
			}
		})
	}
}

// Headers trickled slower than HeaderTimeout are cut without an answer.
func TestSlowHeadersAreCut(t *testing.T) {
	const timeout = 400 * time.Millisecond
	env := newEnv(t, Options{HeaderTimeout: timeout})
	c := env.dial()
	stop := make(chan struct{})
	defer close(stop)
	trickle(c, "GET /healthz HTTP/1.1\r\nHost: test\r\nX-Slow: "+strings.Repeat("x", 100)+"\r\n\r\n", 50*time.Millisecond, stop)
	env.conns.waitClosed(t, c.LocalAddr().String(), timeout+slack)
	expectClosed(t, c, bufio.NewReader(c), slack)
}

// A keep-alive connection is closed after IdleTimeout without a request,
// not before.
func TestIdleConnectionIsClosed(t *testing.T) {
	const idle = 400 * time.Millisecond
	env := newEnv(t, Options{IdleTimeout: idle})
	c := env.dial()
	br := bufio.NewReader(c)
	for range 2 { // kept alive between the two
		io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n")
		if res, _ := readAnswer(t, br); res.StatusCode != http.StatusOK {
			t.Fatalf("status %d", res.StatusCode)
		}
	}
	answered := time.Now()
	at := env.conns.waitClosed(t, c.LocalAddr().String(), idle+slack)
	if took := at.Sub(answered); took < idle*3/4 {
		t.Errorf("closed %v after the last answer, before the idle timeout of %v", took, idle)
	}
	expectClosed(t, c, br, slack)
}

// A client that does not read its answers has its connection closed once
// WriteTimeout has passed since its answer started.
func TestSlowReaderIsCut(t *testing.T) {
	const timeout, write = 300 * time.Millisecond, 300 * time.Millisecond
	env := newEnv(t, Options{Timeout: timeout, WriteTimeout: write, RateLimit: -1})
	c := env.dial()
	// 600 pipelined requests for the 39 kB OpenAPI document: 23 MB of
	// answers, far more than the sockets' buffers hold, never read.
	if _, err := io.WriteString(c, strings.Repeat("GET /openapi.json HTTP/1.1\r\nHost: test\r\n\r\n", 600)); err != nil {
		t.Fatal(err)
	}
	env.conns.waitClosed(t, c.LocalAddr().String(), timeout+write+slack)
}

// An answer that starts late, as that of a write the engine finished
// after the timeout does, is still delivered: the write timeout runs from
// the answer's start.
func TestLateAnswerIsDelivered(t *testing.T) {
	const timeout, write = 200 * time.Millisecond, 200 * time.Millisecond
	env := newEnv(t, Options{Timeout: timeout, WriteTimeout: write})
	env.srv.Echo().GET("/test/late", func(c echo.Context) error {
		time.Sleep(timeout + write + 300*time.Millisecond)
		return c.JSON(http.StatusOK, status{Status: "late"})
	})
	env.get("/test/late").expectStatus(t, http.StatusOK)
}

// 200 clients trickling bodies neither stop a normal client from being
// served meanwhile nor outlive the request timeout.
func TestManySlowClients(t *testing.T) {
	const timeout = time.Second
	env := newEnv(t, Options{Timeout: timeout})
	stop := make(chan struct{})
	defer close(stop)
	body := `{"body": "a body that takes a minute to arrive"}`
	var slow []net.Conn
	for range 200 {
		c := env.dial()
		io.WriteString(c, fmt.Sprintf(similarHead, len(body)))
		trickle(c, body, 100*time.Millisecond, stop)
		slow = append(slow, c)
	}
	started := time.Now()
	client := &http.Client{Timeout: 5 * time.Second}
	for range 5 {
		for _, req := range []func() (*http.Response, error){
			func() (*http.Response, error) { return client.Get(env.ts.URL + "/v1/articles/moon-01/similar") },
			func() (*http.Response, error) {
				return client.Post(env.ts.URL+"/v1/similar", "application/json", strings.NewReader(`{"body": "moon"}`))
			},
		} {
			res, err := req()
			if err != nil {
				t.Fatalf("a normal client was not served beside 200 slow ones: %v", err)
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusOK {
				t.Fatalf("a normal client got %d beside 200 slow ones", res.StatusCode)
			}
		}
	}
	if time.Since(started) > timeout {
		t.Logf("the normal requests took %v, past the slow clients' cut-off; the machine is slow", time.Since(started))
	}
	for _, c := range slow {
		env.conns.waitClosed(t, c.LocalAddr().String(), timeout+slack)
	}
}

// Connections beyond MaxConnsPerIP get 503 in the JSON shape at once and
// are closed; once one closes, a new one is served.
func TestConnLimitPerIP(t *testing.T) {
	env := newEnv(t, Options{MaxConnsPerIP: 3})
	var open []net.Conn
	for range 3 {
		c := env.dial()
		br := bufio.NewReader(c)
		io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n")
		if res, _ := readAnswer(t, br); res.StatusCode != http.StatusOK {
			t.Fatalf("connection %d: status %d", len(open), res.StatusCode)
		}
		open = append(open, c)
	}
	c := env.dial()
	br := bufio.NewReader(c)
	c.SetReadDeadline(time.Now().Add(slack))
	res, eb := readAnswer(t, br)
	if res.StatusCode != http.StatusServiceUnavailable || eb.Error.Code != "too_many_connections" {
		t.Fatalf("a fourth connection: got %d %q, want 503 too_many_connections", res.StatusCode, eb.Error.Code)
	}
	expectClosed(t, c, br, slack)

	open[0].Close()
	env.conns.waitClosed(t, open[0].LocalAddr().String(), slack)
	env.get("/healthz").expectStatus(t, http.StatusOK)

	off := newEnv(t, Options{MaxConnsPerIP: -1})
	if off.srv.conns != nil {
		t.Errorf("a negative MaxConnsPerIP left a limit")
	}
}

// What net/http answers itself, before the handler, is in the JSON shape
// too.
func TestOwnErrorsAreJSON(t *testing.T) {
	env := newEnv(t, Options{MaxHeaderBytes: 1 << 10})
	for _, tc := range []struct {
		name, req string
		status    int
		code      string
	}{
		{"headers too large", "GET /healthz HTTP/1.1\r\nHost: test\r\nX-Big: " + strings.Repeat("x", 8<<10) + "\r\n\r\n", 431, "headers_too_large"},
		{"not HTTP", "HELLO\r\n\r\n", 400, "invalid"},
		{"no Host", "GET /healthz HTTP/1.1\r\n\r\n", 400, "invalid"},
		{"bad header", "GET /healthz HTTP/1.1\r\nHost: test\r\nBad Name: x\r\n\r\n", 400, "invalid"},
		{"transfer coding", "POST /v1/similar HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: gzip\r\n\r\n", 501, "not_implemented"},
		{"version", "GET /healthz HTTP/2.0\r\nHost: test\r\n\r\n", 505, "http_version_not_supported"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := env.dial()
			io.WriteString(c, tc.req)
			c.SetReadDeadline(time.Now().Add(slack))
			res, eb := readAnswer(t, bufio.NewReader(c))
			if res.StatusCode != tc.status || eb.Error.Code != tc.code {
				t.Errorf("got %d %+v, want %d %q", res.StatusCode, eb.Error, tc.status, tc.code)
			}
		})
	}
	// Headers just under the limit are served.
	env.do("GET", "/healthz", "", "", "X-Big", strings.Repeat("x", 900)).expectStatus(t, http.StatusOK)
}

func TestOwnErrorAnswer(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string // "" when the write is not one of net/http's own answers
	}{
		{"HTTP/1.1 431 Request Header Fields Too Large" + ownErrorHeaders + "431 Request Header Fields Too Large", "headers_too_large"},
		{"HTTP/1.1 400 Bad Request: missing required Host header" + ownErrorHeaders + "400 Bad Request: missing required Host header", "invalid"},
		{"HTTP/1.1 200 OK" + ownErrorHeaders + "ok", ""},
		{"HTTP/1.1 400 Bad Request\r\nDate: x" + ownErrorHeaders, ""},
		{"HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\n\r\n{}", ""},
		{`{"id": "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"}`, ""},
		{"", ""},
	} {
		got, ok := ownErrorAnswer([]byte(tc.in))
		if ok != (tc.want != "") || ok && !strings.Contains(string(got), `"code":"`+tc.want+`"`) {
			t.Errorf("%q: got %v %q, want %q", tc.in, ok, got, tc.want)
		}
	}
}
