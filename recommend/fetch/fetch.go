// Package fetch gets articles from the web: a page saved by its URL, the
// items of feeds fetched once or polled on an interval (Poller). It fetches
// over an HTTP client that refuses loopback, private and link-local
// addresses where it dials them, after DNS resolution and on every
// redirect, and bounds every fetch in time, size and redirects; what it
// fetches it reads with recommend/articleio.
package fetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Defaults of Options, used where a field is zero.
const (
	DefaultTimeout      = 10 * time.Second
	DefaultMaxBytes     = 5 << 20 // bytes of a page or a feed, decompressed
	DefaultMaxRedirects = 5
	DefaultUserAgent    = "readalike/1 (+https://github.com/readalike/readalike)"
)

// Options configure a Fetcher. The zero value works: public addresses
// only, the limits above.
type Options struct {
	// Timeout bounds a fetch, from the request to the last byte of the
	// body, redirects included. 0 = DefaultTimeout.
	Timeout time.Duration
	// MaxBytes bounds the body read, after decompression; a longer one is
	// refused (ErrTooLarge). 0 = DefaultMaxBytes.
	MaxBytes int64
	// MaxRedirects is the most redirects followed; 0 = DefaultMaxRedirects,
	// negative follows none.
	MaxRedirects int
	// AllowPrivate lets the fetcher dial loopback, private, link-local and
	// other addresses that are not public (see Allowed): for tests, and for
	// a server whose sources are on its own network. Off, they are refused
	// (ErrForbidden).
	AllowPrivate bool
	// Allow lists addresses allowed even though they are not public, such
	// as an intranet's prefix.
	Allow []netip.Prefix
	// UserAgent is sent with every request; "" = DefaultUserAgent.
	UserAgent string
}

func (o Options) withDefaults() Options {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.MaxRedirects == 0 {
		o.MaxRedirects = DefaultMaxRedirects
	} else if o.MaxRedirects < 0 {
		o.MaxRedirects = 0
	}
	if o.UserAgent == "" {
		o.UserAgent = DefaultUserAgent
	}
	return o
}

// Errors of a fetch, to test for with errors.Is.
var (
	// ErrForbidden: the URL's host is, or resolves to, an address that is
	// not allowed (loopback, private, link-local, ...), or a redirect led
	// to one.
	ErrForbidden = errors.New("address not allowed")
	// ErrTooLarge: the body is longer than Options.MaxBytes.
	ErrTooLarge = errors.New("too large")
	// ErrBadURL: not an absolute http or https URL.
	ErrBadURL = errors.New("not an absolute http or https URL")
)

// StatusError is the error of an answer other than 200 (or 304 to a
// conditional request).
type StatusError struct {
	Status     int
	RetryAfter time.Duration // from a 429 or 503's Retry-After, else 0
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("the server answered %d %s", e.Status, http.StatusText(e.Status))
}

// Fetcher fetches pages and feeds. It is safe for concurrent use.
type Fetcher struct {
	opts   Options
	client *http.Client
}

// New returns a Fetcher with options o.
func New(o Options) *Fetcher {
	o = o.withDefaults()
	f := &Fetcher{opts: o}
	dialer := &net.Dialer{Timeout: o.Timeout, KeepAlive: 30 * time.Second, Control: f.control}
	tr := &http.Transport{
		Proxy:                 nil, // a proxy would dial for us, past the check
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          16,
		IdleConnTimeout:       60 * time.Second,
		TLSHandshakeTimeout:   o.Timeout,
		ResponseHeaderTimeout: o.Timeout,
	}
	f.client = &http.Client{
		Transport: tr,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) > o.MaxRedirects {
				return fmt.Errorf("more than %d redirects", o.MaxRedirects)
			}
			return f.checkURL(req.URL)
		},
	}
	return f
}

// control refuses, at dial time, an address that is not allowed: the
// address is the one resolved and about to be connected to, so a name
// that resolves to a public address when checked and a private one when
// dialed (DNS rebinding) cannot slip through.
func (f *Fetcher) control(network, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return fmt.Errorf("dial %s: %w", address, ErrForbidden)
	}
	return f.checkAddr(addr)
}

func (f *Fetcher) checkAddr(addr netip.Addr) error {
	if f.opts.AllowPrivate || Allowed(addr) {
		return nil
	}
	for _, p := range f.opts.Allow {
		if p.Contains(addr.Unmap()) {
			return nil
		}
	}
	return fmt.Errorf("%s is a %s address: %w", addr, addrKind(addr), ErrForbidden)
}

// checkURL refuses a URL that is not absolute http or https, or whose host
// is an address literal that is not allowed (named hosts are checked where
// they are dialed).
func (f *Fetcher) checkURL(u *url.URL) error {
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%s: %w", u.Redacted(), ErrBadURL)
	}
	if addr, err := netip.ParseAddr(strings.Trim(u.Hostname(), "[]")); err == nil {
		if err := f.checkAddr(addr); err != nil {
			return fmt.Errorf("%s: %w", u.Redacted(), err)
		}
	}
	return nil
}

// blocked are ranges that are not public beyond what netip's predicates
// say.
var blocked = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),       // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),   // carrier-grade NAT, also cloud metadata services
	netip.MustParsePrefix("192.0.0.0/24"),    // IETF protocol assignments
	netip.MustParsePrefix("192.0.2.0/24"),    // documentation
	netip.MustParsePrefix("198.18.0.0/15"),   // benchmarking
	netip.MustParsePrefix("198.51.100.0/24"), // documentation
	netip.MustParsePrefix("203.0.113.0/24"),  // documentation
	netip.MustParsePrefix("240.0.0.0/4"),     // reserved, and the broadcast address
	netip.MustParsePrefix("100::/64"),        // discard
	netip.MustParsePrefix("2001:db8::/32"),   // documentation
	netip.MustParsePrefix("fec0::/10"),       // site-local, deprecated
}

// Allowed reports whether addr is a public unicast address, one a fetch
// may dial without Options.AllowPrivate: not loopback, private (RFC 1918,
// unique local), link-local, multicast, unspecified, carrier-grade NAT,
// documentation, benchmarking or reserved. An IPv4 address mapped into
// IPv6, or embedded by NAT64 (64:ff9b::/96) or 6to4 (2002::/16), is judged
// as that IPv4 address.
func Allowed(addr netip.Addr) bool {
	addr = addr.Unmap()
	if addr.Is6() {
		b := addr.As16()
		switch {
		case netip.MustParsePrefix("64:ff9b::/96").Contains(addr):
			return Allowed(netip.AddrFrom4([4]byte(b[12:16])))
		case netip.MustParsePrefix("2002::/16").Contains(addr):
			return Allowed(netip.AddrFrom4([4]byte(b[2:6])))
		}
	}
	if !addr.IsValid() || addr.IsLoopback() || addr.IsPrivate() || addr.IsLinkLocalUnicast() ||
		addr.IsMulticast() || addr.IsUnspecified() || addr.IsInterfaceLocalMulticast() || !addr.IsGlobalUnicast() {
		return false
	}
	for _, p := range blocked {
		if p.Contains(addr) {
			return false
		}
	}
	return true
}

// addrKind names the kind of a refused address, for the error.
func addrKind(addr netip.Addr) string {
	addr = addr.Unmap()
	switch {
	case addr.IsLoopback():
		return "loopback"
	case addr.IsPrivate():
		return "private"
	case addr.IsLinkLocalUnicast(), addr.IsLinkLocalMulticast():
		return "link-local"
	case addr.IsUnspecified():
		return "unspecified"
	case addr.IsMulticast():
		return "multicast"
	}
	return "non-public"
}

// Validators are what a server said of a body, for a conditional request
// of it next time.
type Validators struct {
	ETag         string
	LastModified string
}

// Response is what a fetch got.
type Response struct {
	URL         string // after redirects
	Status      int    // 200, or 304 to a conditional request
	ContentType string
	Body        []byte // nil for a 304
	Validators  Validators
}

// Get fetches rawURL with Accept accept and, when cond has them, the
// conditional headers If-None-Match and If-Modified-Since. It returns a 200
// with its body read whole, or a 304 without; another status is a
// *StatusError, a body longer than MaxBytes ErrTooLarge, a refused address
// ErrForbidden, a URL that is not http or https ErrBadURL, and the time
// out context.DeadlineExceeded, each wrapped with the URL.
func (f *Fetcher) Get(ctx context.Context, rawURL, accept string, cond Validators) (*Response, error) {
	u, err := url.Parse(strings.TrimSpace(rawURL))
	if err != nil {
		return nil, fmt.Errorf("%q: %w", rawURL, ErrBadURL)
	}
	if err := f.checkURL(u); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, f.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", u.Redacted(), ErrBadURL)
	}
	req.Header.Set("User-Agent", f.opts.UserAgent)
	req.Header.Set("Accept", accept)
	if cond.ETag != "" {
		req.Header.Set("If-None-Match", cond.ETag)
	}
	if cond.LastModified != "" {
		req.Header.Set("If-Modified-Since", cond.LastModified)
	}
	resp, err := f.client.Do(req)
	if err != nil {
		return nil, fetchError(u, err)
	}
	defer resp.Body.Close()
	r := &Response{
		URL: resp.Request.URL.String(), Status: resp.StatusCode, ContentType: resp.Header.Get("Content-Type"),
		Validators: Validators{ETag: resp.Header.Get("ETag"), LastModified: resp.Header.Get("Last-Modified")},
	}
	switch {
	case resp.StatusCode == http.StatusNotModified && (cond != Validators{}):
		return r, nil
	case resp.StatusCode != http.StatusOK:
		return nil, fmt.Errorf("%s: %w", u.Redacted(), &StatusError{Status: resp.StatusCode, RetryAfter: retryAfter(resp.Header.Get("Retry-After"))})
	case resp.ContentLength > f.opts.MaxBytes:
		return nil, fmt.Errorf("%s: %d bytes, more than %d: %w", u.Redacted(), resp.ContentLength, f.opts.MaxBytes, ErrTooLarge)
	}
	r.Body, err = io.ReadAll(io.LimitReader(resp.Body, f.opts.MaxBytes+1))
	if err != nil {
		return nil, fetchError(u, err)
	}
	if int64(len(r.Body)) > f.opts.MaxBytes {
		return nil, fmt.Errorf("%s: more than %d bytes: %w", u.Redacted(), f.opts.MaxBytes, ErrTooLarge)
	}
	return r, nil
}

// fetchError wraps err with the URL, dropping the *url.Error's own (which
// repeats it) but keeping what errors.Is looks for.
func fetchError(u *url.URL, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return fmt.Errorf("%s: %w", u.Redacted(), err)
}

// retryAfter reads a Retry-After header: seconds, or an HTTP date.
func retryAfter(v string) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0)
	}
	return 0
}
