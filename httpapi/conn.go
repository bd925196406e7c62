package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
)

// HTTPServer returns the http.Server to serve the API with: the handler,
// the header, idle and write timeouts and the header limit of the
// options, and net/http's own error log sent to the Logger at warn level.
// Serve it on a listener wrapped by Listener, as
// hs.Serve(s.Listener(ln)): ListenAndServe would go without the limit of
// connections per IP and answer net/http's own errors (431 and malformed
// requests) in plain text rather than the JSON shape. Shut it down with
// Shutdown as any http.Server.
func (s *Server) HTTPServer() *http.Server {
	o := s.opts
	return &http.Server{
		Handler:           s.echo,
		ReadHeaderTimeout: o.HeaderTimeout,
		// The write deadline until the answer starts, when connDeadlines
		// sets its own: it covers a 100 Continue, sent while the body is
		// read, within Timeout.
		WriteTimeout:   o.Timeout + o.WriteTimeout,
		IdleTimeout:    o.IdleTimeout,
		MaxHeaderBytes: o.MaxHeaderBytes,
		ErrorLog:       slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
}

// Listener wraps ln for the http.Server of HTTPServer. A connection beyond
// Options.MaxConnsPerIP from one peer address is answered 503, code
// "too_many_connections", and closed at once, before it costs a request's
// buffers. And the few answers net/http writes itself, before a request
// reaches the handler, leave in the JSON error shape rather than plain
// text: 431 for headers over MaxHeaderBytes, 400 for a request that is
// not HTTP, 501 for an unknown transfer coding, 505 for another protocol
// version. Its Accept is safe for use by one http.Server.
func (s *Server) Listener(ln net.Listener) net.Listener {
	return &listener{Listener: ln, s: s}
}

type listener struct {
	net.Listener
	s *Server
}

func (l *listener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		ip := peerIP(c.RemoteAddr())
		if l.s.conns.acquire(ip) {
			return &conn{Conn: c, release: func() { l.s.conns.release(ip) }}, nil
		}
		l.s.log.Debug("connection refused", "remote_ip", ip, "limit", l.s.opts.MaxConnsPerIP)
		go refuseConn(c, l.s.opts.MaxConnsPerIP)
	}
}

// peerIP returns the IP of a peer address, or the address whole when it
// has no port.
func peerIP(a net.Addr) string {
	host, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	return host
}

// refuseConn answers a connection over the limit with 503 before any
// request and closes it. The answer is best effort: a client still
// sending its request when the connection closes may see a reset instead.
func refuseConn(c net.Conn, limit int) {
	_ = c.SetWriteDeadline(time.Now().Add(time.Second))
	_, _ = c.Write(plainAnswer(http.StatusServiceUnavailable, errorBody{Error: errorDetail{
		Code:    "too_many_connections",
		Message: fmt.Sprintf("more than %d connections from this address are open; reuse one or close some", limit),
	}}))
	_ = c.Close()
}

// conn is an accepted connection: it gives its place back to the
// per-address count once closed, and rewrites net/http's own error
// answers into the JSON shape.
type conn struct {
	net.Conn
	release func()
	once    sync.Once
}

func (c *conn) Close() error {
	c.once.Do(c.release)
	return c.Conn.Close()
}

// CloseWrite lets net/http half-close the connection after its own 431,
// as it would the bare TCP connection, so the client can read it.
func (c *conn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

func (c *conn) Write(p []byte) (int, error) {
	if answer, ok := ownErrorAnswer(p); ok {
		if _, err := c.Conn.Write(answer); err != nil {
			return 0, err
		}
		return len(p), nil
	}
	return c.Conn.Write(p)
}

// ownErrorHeaders are the headers of every answer net/http's server writes
// itself when it cannot read a request (net/http/server.go, conn.serve).
const ownErrorHeaders = "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"

// ownErrorAnswer recognises one of net/http's own error answers, written
// whole in one Write, and returns it in the JSON shape. Nothing the
// handler writes can be taken for one: those answers carry other headers
// (Date, a JSON or Prometheus type), and a write that continues an answer
// is JSON or Prometheus text, which never holds the bare CR LF the match
// needs.
func ownErrorAnswer(p []byte) ([]byte, bool) {
	rest, ok := bytes.CutPrefix(p, []byte("HTTP/1.1 "))
	if !ok {
		return nil, false
	}
	statusLine, _, ok := bytes.Cut(rest, []byte(ownErrorHeaders))
	if !ok || bytes.Contains(statusLine, []byte("\r\n")) || len(statusLine) < 4 || statusLine[3] != ' ' {
		return nil, false
	}
	status, err := strconv.Atoi(string(statusLine[:3]))
	if err != nil || status < 400 || status > 599 {
		return nil, false
	}
	// The status text, and after a colon net/http's reason (for example
	// "Bad Request: missing required Host header").
	_, reason, _ := bytes.Cut(statusLine[4:], []byte(": "))
	d := errorDetail{Code: statusCode(status)}
	switch status {
	case http.StatusRequestHeaderFieldsTooLarge:
		d.Code, d.Message = "headers_too_large", "the request's headers are too large"
	case http.StatusNotImplemented:
		d.Message = "the request's transfer encoding is not supported"
	case http.StatusHTTPVersionNotSupported:
		d.Message = "the request's HTTP version is not supported: send HTTP/1.1"
	default:
		d.Message = "the request is not valid HTTP"
		if len(reason) > 0 {
			d.Message += ": " + string(reason)
		}
	}
	return plainAnswer(status, errorBody{Error: d}), true
}

// plainAnswer returns a whole HTTP/1.1 answer carrying body as JSON, for
// writing straight to a connection, which it closes.
func plainAnswer(status int, body errorBody) []byte {
	b, _ := json.Marshal(body) // strings only: Marshal cannot fail
	b = append(b, '\n')
	return fmt.Appendf(nil, "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s",
		status, http.StatusText(status), len(b), b)
}

// connDeadlines sets the connection's deadlines for the request, first of
// all middleware, so that no answer (a 429, a 404) waits on a slow client
// either: the body must arrive within Options.Timeout, and the answer must
// be taken within WriteTimeout of its first byte, however long the
// handler took to write it (a write the engine started is let finish, and
// its answer must not be lost for being late). A body read past its
// deadline fails with 408, code "body_timeout", and the connection is
// closed. Without a body no read deadline is set: net/http is then already
// reading the connection, to notice a client that goes away, and a
// deadline would cancel the request instead. The deadlines are the
// connection's, so they hold on the http.Server of HTTPServer (whose
// WriteTimeout covers what net/http writes before the answer, a
// 100 Continue); elsewhere (a ResponseRecorder) they are skipped.
func (s *Server) connDeadlines(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		rc := http.NewResponseController(c.Response().Writer)
		c.Response().Before(func() { _ = rc.SetWriteDeadline(time.Now().Add(s.opts.WriteTimeout)) })
		if req.Body != nil && req.Body != http.NoBody {
			if rc.SetReadDeadline(time.Now().Add(s.opts.Timeout)) == nil {
				req.Body = &deadlineBody{ReadCloser: req.Body, c: c, timeout: s.opts.Timeout}
			}
		}
		return next(c)
	}
}

// deadlineBody is a request body read under a deadline: a read past it
// fails with the 408 answer, which also closes the connection, since the
// rest of the body will not be read.
type deadlineBody struct {
	io.ReadCloser
	c       echo.Context
	timeout time.Duration
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && errors.Is(err, os.ErrDeadlineExceeded) {
		b.c.Response().Header().Set(echo.HeaderConnection, "close")
		return n, &apiError{Status: http.StatusRequestTimeout, Code: "body_timeout", Err: err,
			Message: fmt.Sprintf("the request body did not arrive within %v", b.timeout)}
	}
	return n, err
}

// answerNotTaken reports whether err is the failure to write an answer to
// its connection: a client slower than the write deadline, or gone.
func answerNotTaken(err error) bool {
	var oe *net.OpError
	return errors.Is(err, os.ErrDeadlineExceeded) || errors.As(err, &oe) && oe.Op == "write"
}

// connCounter counts the open connections of each peer address and
// refuses those beyond a limit. It is safe for concurrent use; a nil
// *connCounter allows everything.
type connCounter struct {
	limit int
	mu    sync.Mutex
	open  map[string]int
}

// newConnCounter returns a counter allowing limit connections per
// address, or nil when limit is negative.
func newConnCounter(limit int) *connCounter {
	if limit < 0 {
		return nil
	}
	return &connCounter{limit: limit, open: make(map[string]int)}
}

// acquire counts a new connection from ip, or reports false when ip has
// the limit open already.
func (cc *connCounter) acquire(ip string) bool {
	if cc == nil {
		return true
	}
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if cc.open[ip] >= cc.limit {
		return false
	}
	cc.open[ip]++
	return true
}

// release gives back a connection acquire counted.
func (cc *connCounter) release(ip string) {
	if cc == nil {
		return
	}
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if cc.open[ip]--; cc.open[ip] <= 0 {
		delete(cc.open, ip)
	}
}
