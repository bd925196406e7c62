package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/readalike/readalike/recommend"
	"github.com/readalike/readalike/recommend/fetch"
)

// fetchFlags are the flags of the commands that fetch pages or feeds.
type fetchFlags struct {
	private  bool
	timeout  time.Duration
	maxBytes int64
}

func (f *fetchFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&f.private, "fetch-private", false, "let fetches of pages and feeds reach loopback, private and link-local addresses (refused by default, at every redirect and after DNS resolution)")
	fs.DurationVar(&f.timeout, "fetch-timeout", fetch.DefaultTimeout, "longest a fetch of a page or a feed may take, redirects included")
	fs.Int64Var(&f.maxBytes, "fetch-max-bytes", fetch.DefaultMaxBytes, "largest page or feed fetched, in bytes")
}

func (f *fetchFlags) fetcher() (*fetch.Fetcher, error) {
	if f.timeout <= 0 || f.maxBytes <= 0 {
		return nil, usagef("--fetch-timeout and --fetch-max-bytes must be positive")
	}
	return fetch.New(fetch.Options{AllowPrivate: f.private, Timeout: f.timeout, MaxBytes: f.maxBytes}), nil
}

// urlList is a flag given once per URL.
type urlList []string

func (u *urlList) String() string { return strings.Join(*u, " ") }

func (u *urlList) Set(v string) error {
	if !fetch.IsURL(v) {
		return fmt.Errorf("%q is not an http or https URL", v)
	}
	*u = append(*u, v)
	return nil
}

// readFeedList reads a file of feed URLs, one a line; blank lines and
// lines starting with # are skipped.
func readFeedList(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var urls []string
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if !fetch.IsURL(line) {
			return nil, fmt.Errorf("%s:%d: %q is not an http or https URL", path, n, line)
		}
		urls = append(urls, line)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(urls) == 0 {
		return nil, fmt.Errorf("%s: no feed URLs", path)
	}
	return urls, nil
}

// engineSink is the engine a poller writes to, once it is loaded.
type engineSink struct {
	e atomic.Pointer[recommend.Engine]
}

func (s *engineSink) Get(ctx context.Context, id string) (recommend.Article, error) {
	return s.e.Load().Get(ctx, id)
}

func (s *engineSink) Upsert(ctx context.Context, arts ...recommend.Article) (recommend.WriteResults, error) {
	return s.e.Load().Upsert(ctx, arts...)
}

func (s *engineSink) Validate(a *recommend.Article) error { return s.e.Load().Validate(a) }
