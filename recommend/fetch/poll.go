package fetch

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/readalike/readalike/recommend"
	"github.com/readalike/readalike/recommend/articleio"
)

// Defaults of PollOptions, used where a field is zero.
const (
	DefaultInterval   = 15 * time.Minute
	DefaultMaxBackoff = 6 * time.Hour
	DefaultPollers    = 4
)

// PollOptions configure a Poller. The zero value works.
type PollOptions struct {
	// Interval is the time between two polls of a feed that answered.
	// 0 = DefaultInterval.
	Interval time.Duration
	// MaxBackoff bounds the wait after failed polls, which doubles from
	// twice the Interval with every failure in a row (a Retry-After longer
	// than that is honoured, up to MaxBackoff). 0 = DefaultMaxBackoff.
	MaxBackoff time.Duration
	// Pollers is how many feeds are fetched at once. 0 = DefaultPollers.
	Pollers int
	Logger  *slog.Logger // nil = discard
}

func (o PollOptions) withDefaults() PollOptions {
	if o.Interval <= 0 {
		o.Interval = DefaultInterval
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = DefaultMaxBackoff
	}
	o.MaxBackoff = max(o.MaxBackoff, o.Interval)
	if o.Pollers <= 0 {
		o.Pollers = DefaultPollers
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// Sink is where a Poller writes the articles of its feeds, and looks up
// what it wrote before: *recommend.Engine is one.
type Sink interface {
	Get(ctx context.Context, id string) (recommend.Article, error)
	Upsert(ctx context.Context, arts ...recommend.Article) (recommend.WriteResults, error)
	Validate(a *recommend.Article) error
}

// Feed states.
const (
	StatePending     = "pending"      // not polled yet
	StateOK          = "ok"           // read at the last poll
	StateNotModified = "not_modified" // unchanged at the last poll (304)
	StateError       = "error"        // the last poll failed
)

// FeedState is what a Poller knows of one feed.
type FeedState struct {
	URL      string    `json:"url"`
	Status   string    `json:"status"`
	LastPoll time.Time `json:"last_poll,omitzero"`
	NextPoll time.Time `json:"next_poll,omitzero"`
	// HTTPStatus is the last poll's answer: 200, 304, or an error's status;
	// 0 when there was none (the server could not be reached).
	HTTPStatus int `json:"http_status,omitempty"`
	// Items is how many items the feed held when last read.
	Items int `json:"items"`
	// Ingested counts the articles written from the feed, new or changed;
	// Unchanged the items found again as they were written, and not
	// written again; Refused the items that could not be articles.
	Ingested  uint64 `json:"ingested"`
	Unchanged uint64 `json:"unchanged"`
	Refused   uint64 `json:"refused"`
	// Polls counts the polls, Errors those that failed; ErrorsInARow the
	// failures since the last success, which set the backoff.
	Polls        uint64 `json:"polls"`
	NotModified  uint64 `json:"not_modified"`
	Errors       uint64 `json:"errors"`
	ErrorsInARow int    `json:"errors_in_a_row"`
	LastError    string `json:"last_error,omitempty"`
}

// Poller polls feeds and writes their items as articles, each item once:
// an item is written when it is new or its article changed, and otherwise
// counted as unchanged. It remembers, per feed, the ids and content hashes
// of the items of its last read; an item it does not remember (after a
// restart, or one that left the feed and came back) is compared with the
// article the Sink holds under its id, so the store itself is the record
// of what was ingested and nothing is written twice across restarts. It
// polls with conditional requests (ETag, Last-Modified) and backs off
// exponentially on errors. A Poller is safe for concurrent use.
type Poller struct {
	fetcher *Fetcher
	sink    Sink
	opts    PollOptions
	feeds   []*feed
	sem     chan struct{}
}

// feed is one polled feed.
type feed struct {
	mu     sync.Mutex // guards all below; held by one poll at a time
	poll   sync.Mutex
	state  FeedState
	valid  Validators
	hashes map[string]uint64 // id -> content hash, of the items of the last read
}

// NewPoller returns a Poller of the feeds at urls, fetched with f and
// written to sink. It polls when Run or Poll is called.
func NewPoller(urls []string, f *Fetcher, sink Sink, o PollOptions) *Poller {
	o = o.withDefaults()
	p := &Poller{fetcher: f, sink: sink, opts: o, sem: make(chan struct{}, o.Pollers)}
	for _, u := range urls {
		p.feeds = append(p.feeds, &feed{state: FeedState{URL: u, Status: StatePending}})
	}
	return p
}

// Run polls every feed at once and then each when its next poll is due,
// until ctx ends.
func (p *Poller) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for _, fd := range p.feeds {
		wg.Go(func() {
			for {
				next := p.pollFeed(ctx, fd)
				t := time.NewTimer(time.Until(next))
				select {
				case <-ctx.Done():
					t.Stop()
					return
				case <-t.C:
				}
			}
		})
	}
	wg.Wait()
}

// Poll polls every feed once now, and returns when all are done.
func (p *Poller) Poll(ctx context.Context) {
	var wg sync.WaitGroup
	for _, fd := range p.feeds {
		wg.Go(func() { p.pollFeed(ctx, fd) })
	}
	wg.Wait()
}

// States returns the state of every feed, in the order of the URLs.
func (p *Poller) States() []FeedState {
	out := make([]FeedState, len(p.feeds))
	for i, fd := range p.feeds {
		fd.mu.Lock()
		out[i] = fd.state
		fd.mu.Unlock()
	}
	return out
}

// pollFeed polls fd once and returns when its next poll is due.
func (p *Poller) pollFeed(ctx context.Context, fd *feed) time.Time {
	fd.poll.Lock()
	defer fd.poll.Unlock()
	select {
	case p.sem <- struct{}{}:
		defer func() { <-p.sem }()
	case <-ctx.Done():
		return time.Now()
	}
	fd.mu.Lock()
	url, valid := fd.state.URL, fd.valid
	fd.mu.Unlock()

	resp, err := p.fetcher.Get(ctx, url, acceptFeed, valid)
	var got polled
	if err == nil && resp.Status == 200 {
		got, err = p.ingest(ctx, fd, url, resp.Body)
	}
	now := time.Now().UTC()

	fd.mu.Lock()
	defer fd.mu.Unlock()
	st := &fd.state
	st.Polls++
	st.LastPoll = now
	st.HTTPStatus = 0
	var se *StatusError
	if errors.As(err, &se) {
		st.HTTPStatus = se.Status
	}
	if ctx.Err() != nil && err != nil {
		st.Polls-- // a poll cut short by shutdown is no poll
		return now
	}
	if err != nil {
		st.Status, st.LastError = StateError, err.Error()
		st.Errors++
		st.ErrorsInARow++
		wait := p.backoff(st.ErrorsInARow)
		if se != nil && se.RetryAfter > wait {
			wait = min(se.RetryAfter, p.opts.MaxBackoff)
		}
		st.NextPoll = now.Add(wait)
		p.opts.Logger.Warn("feed poll failed", "feed", url, "err", err, "errors_in_a_row", st.ErrorsInARow, "next_poll", st.NextPoll)
		return st.NextPoll
	}
	st.HTTPStatus = resp.Status
	st.ErrorsInARow, st.LastError = 0, ""
	if resp.Status == 304 {
		st.Status = StateNotModified
		st.NotModified++
	} else {
		st.Status = StateOK
		st.Items = got.items
		st.Ingested += got.ingested
		st.Unchanged += got.unchanged
		st.Refused += got.refused
		fd.valid = resp.Validators
		fd.hashes = got.hashes
		p.opts.Logger.Info("feed polled", "feed", url, "items", got.items, "ingested", got.ingested, "unchanged", got.unchanged, "refused", got.refused)
	}
	st.NextPoll = now.Add(p.opts.Interval)
	return st.NextPoll
}

// backoff returns the wait after n failed polls in a row: twice the
// interval, doubling with each, up to MaxBackoff.
func (p *Poller) backoff(n int) time.Duration {
	wait := p.opts.Interval
	for range min(n, 40) {
		if wait >= p.opts.MaxBackoff {
			break
		}
		wait *= 2
	}
	return min(wait, p.opts.MaxBackoff)
}

// polled is what a read of a feed did.
type polled struct {
	items                        int
	ingested, unchanged, refused uint64
	hashes                       map[string]uint64
}

// ingest reads a feed's body and writes its new and changed items.
func (p *Poller) ingest(ctx context.Context, fd *feed, url string, body []byte) (polled, error) {
	fd.mu.Lock()
	known := fd.hashes
	fd.mu.Unlock()
	got := polled{hashes: map[string]uint64{}}
	var write []recommend.Article
	var hashes []uint64
	err := articleio.ReadFeed(url, bytes.NewReader(body), func(r articleio.Record) error {
		got.items++
		if r.Err == nil {
			r.Err = r.Check(p.sink.Validate)
		}
		if r.Err != nil {
			got.refused++
			p.opts.Logger.Warn("feed item refused", "where", r.Where(), "err", r.Err)
			return nil
		}
		h := contentHash(&r.Article)
		id := r.Article.ID
		if _, dup := got.hashes[id]; dup {
			return nil // the same item twice in one feed: the first wins
		}
		got.hashes[id] = h
		if known[id] == h && h != 0 {
			got.unchanged++
			return nil
		}
		if _, ok := known[id]; !ok {
			stored, err := p.sink.Get(ctx, id)
			if err == nil && contentHash(&stored) == h {
				got.unchanged++
				return nil
			}
			if err != nil && !errors.Is(err, recommend.ErrNotFound) {
				return err
			}
		}
		write = append(write, r.Article)
		hashes = append(hashes, h)
		return nil
	})
	if err != nil {
		return got, err
	}
	if len(write) == 0 {
		return got, nil
	}
	rs, err := p.sink.Upsert(ctx, write...)
	if err != nil {
		return got, err
	}
	for i, r := range rs {
		if r.Outcome == recommend.Refused {
			got.refused++
			delete(got.hashes, write[i].ID) // tried again next time
			p.opts.Logger.Warn("feed item refused", "feed", url, "id", r.ID, "err", r.Err)
			continue
		}
		got.ingested++
	}
	return got, nil
}

// contentHash hashes what a feed gives of an article, as written: a stored
// article and the item it came from hash alike unless the item changed.
// A detected language is the engine's, not the feed's, and is left out.
func contentHash(a *recommend.Article) uint64 {
	h := sha256.New()
	lang := a.Lang
	if a.LangDetected {
		lang = ""
	}
	for _, s := range []string{a.ID, a.Title, a.Body, a.URL, a.Category, lang, a.Published.UTC().Format(time.RFC3339Nano)} {
		var n [binary.MaxVarintLen64]byte
		h.Write(n[:binary.PutUvarint(n[:], uint64(len(s)))])
		io.WriteString(h, s)
	}
	return binary.BigEndian.Uint64(h.Sum(nil)) | 1 // never 0, which means unknown
}
