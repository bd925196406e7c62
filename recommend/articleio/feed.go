package articleio

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/mmcdole/gofeed"

	"github.com/readalike/readalike/recommend"
	"github.com/readalike/readalike/vectorize"
)

// MaxFeedBytes is the largest feed file read, in bytes.
const MaxFeedBytes = 64 << 20

// ReadFeed reads an RSS (0.9x to 2.0), Atom (0.3, 1.0) or JSON Feed and
// sends an article per item to fn, in the feed's order (see FeedArticle);
// name is the Source of its records, each numbered by Item. A feed that
// cannot be read at all (not a feed, broken XML, over MaxFeedBytes) is an
// error naming it; fn's error stops the reading and is returned.
func ReadFeed(name string, r io.Reader, fn func(Record) error) error {
	b, err := io.ReadAll(io.LimitReader(r, MaxFeedBytes+1))
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if len(b) > MaxFeedBytes {
		return fmt.Errorf("%s: a feed larger than %d bytes", name, MaxFeedBytes)
	}
	f, err := gofeed.NewParser().Parse(bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("%s: not a readable RSS, Atom or JSON feed: %w", name, err)
	}
	for i, it := range f.Items {
		if it == nil {
			continue
		}
		rec := Record{Source: name, Item: i + 1}
		rec.Article, rec.Dropped, rec.Err = FeedArticle(f, it)
		if err := fn(rec); err != nil {
			return err
		}
	}
	return nil
}

// FeedArticle returns the article of a feed item: its id (ItemID), its
// title and its content (or else its description) as text (HTML read as a
// browser shows it: vectorize.VisibleText), its link as url (relative to
// the feed's link when relative), its first category, its publication
// date (or else its update date) read by ParseTime, and the feed's
// language when it names one. A date in no known form is left out and
// returned among the dropped fields; an item without a guid or link to
// make an id from is an error.
func FeedArticle(f *gofeed.Feed, it *gofeed.Item) (recommend.Article, []*recommend.FieldError, error) {
	a := recommend.Article{
		Title: strings.TrimSpace(htmlText(it.Title)),
		Body:  htmlText(it.Content),
		Lang:  strings.TrimSpace(f.Language),
	}
	if strings.TrimSpace(a.Body) == "" {
		a.Body = htmlText(it.Description)
	}
	id, err := ItemID(f, it)
	if err != nil {
		return a, nil, err
	}
	a.ID = id
	a.URL = absoluteLink(f.Link, strings.TrimSpace(it.Link))
	for _, c := range it.Categories {
		if c = strings.TrimSpace(c); c != "" {
			a.Category = c
			break
		}
	}
	var dropped []*recommend.FieldError
	date := it.Published
	if strings.TrimSpace(date) == "" {
		date = it.Updated
	}
	if a.Published, err = ParseTime(date); err != nil {
		dropped = append(dropped, &recommend.FieldError{Field: "published", Message: err.Error()})
	}
	return a, dropped, nil
}

// ItemID returns the id of a feed item's article: "item-" and the first 16
// hex digits of the SHA-256 of the item's key. The key is its guid (the
// RSS guid, the Atom id) or, when it has none, its link. A guid that is
// not a URI (a number such as "1234": no scheme) is prefixed with the
// feed's link and a space, so that two feeds numbering their items alike
// do not share ids. The id is stable: the same item gets it from a file,
// from a URL and in every poll.
func ItemID(f *gofeed.Feed, it *gofeed.Item) (string, error) {
	key := strings.TrimSpace(it.GUID)
	switch u, err := url.Parse(key); {
	case key == "":
		key = strings.TrimSpace(it.Link)
		if key == "" {
			return "", &recommend.FieldError{Field: "id", Message: "the item has no guid or link to make an id from"}
		}
	case err != nil || u.Scheme == "":
		key = strings.TrimSpace(f.Link) + " " + key
	}
	return hashID("item-", key), nil
}

// hashID returns prefix and the first 16 hex digits of the SHA-256 of key.
func hashID(prefix, key string) string {
	sum := sha256.Sum256([]byte(key))
	return prefix + hex.EncodeToString(sum[:8])
}

// htmlText returns the text a browser shows for s, which feeds write as
// HTML (or plain text, where it changes nothing but character references).
func htmlText(s string) string {
	if strings.TrimSpace(s) == "" {
		return ""
	}
	return vectorize.VisibleText(s)
}

// absoluteLink resolves link against base when link is relative and base
// an absolute URL; otherwise it returns link.
func absoluteLink(base, link string) string {
	if link == "" {
		return ""
	}
	u, err := url.Parse(link)
	if err != nil || u.IsAbs() {
		return link
	}
	b, err := url.Parse(strings.TrimSpace(base))
	if err != nil || !b.IsAbs() {
		return link
	}
	return b.ResolveReference(u).String()
}
