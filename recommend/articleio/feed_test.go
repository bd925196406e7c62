package articleio

import (
	"bufio"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"

	"github.com/readalike/readalike/recommend"
)

// readAll returns the records of the inputs, failing t on an error.
func readAll(t *testing.T, paths ...string) []Record {
	t.Helper()
	var recs []Record
	if err := Read(paths, nil, func(r Record) error { recs = append(recs, r); return nil }); err != nil {
		t.Fatal(err)
	}
	return recs
}

func TestReadFeedRSS(t *testing.T) {
	recs := readAll(t, "testdata/feed.xml")
	if len(recs) != 4 {
		t.Fatalf("got %d records, want 4", len(recs))
	}
	want := []struct {
		where, title, url, category, published, bodyStart string
	}{
		{"testdata/feed.xml: item 1", "Ferry timetable changes for the winter", "https://gazette.example.org/2024/11/ferry-winter-timetable",
			"Transport", "2024-11-04T07:15:00Z", "The ferry company announced on Monday that the crossing to the outer islands will run twice a day"},
		{"testdata/feed.xml: item 2", "Lifeboat crew rescues two kayakers off the point", "https://gazette.example.org/2024/11/lifeboat-kayakers",
			"Sea", "2024-11-03T16:40:00Z", "The volunteer lifeboat crew was called out on Sunday afternoon after two kayakers were swept past the point by the ebbing tide & a strong"},
		{"testdata/feed.xml: item 3", "Town council approves the new harbour wall", "https://gazette.example.org/2024/10/harbour-wall-approved",
			"Council", "2024-10-31T17:00:00Z", "After two years of debate"},
		{"testdata/feed.xml: item 4", "Autumn festival brings music to the quay", "https://gazette.example.org/2024/10/autumn-festival",
			"", "2024-10-26T12:00:00Z", "Bands from the whole county"},
	}
	ids := map[string]bool{}
	for i, r := range recs {
		a, w := r.Article, want[i]
		if r.Err != nil || len(r.Dropped) > 0 {
			t.Errorf("%s: %v, dropped %v", r.Where(), r.Err, r.Dropped)
		}
		if r.Where() != w.where || a.Title != w.title || a.URL != w.url || a.Category != w.category ||
			a.Published.Format(time.RFC3339) != w.published || !strings.HasPrefix(a.Body, w.bodyStart) || a.Lang != "en-gb" {
			t.Errorf("record %d: got %s %+v\nwant %+v", i, r.Where(), a, w)
		}
		if strings.ContainsAny(a.Body, "<>") || strings.Contains(a.Body, "&amp;") {
			t.Errorf("%s: markup left in the body: %q", r.Where(), a.Body)
		}
		if !strings.HasPrefix(a.ID, "item-") || len(a.ID) != len("item-")+16 || ids[a.ID] {
			t.Errorf("%s: id %q, want item- and 16 hex digits, unique", r.Where(), a.ID)
		}
		ids[a.ID] = true
		if err := recommend.Validate(&a, 0); err != nil {
			t.Errorf("%s: the engine refuses it: %v", r.Where(), err)
		}
	}
	// Paragraphs stay paragraphs.
	if n := strings.Count(recs[0].Article.Body, "\n\n"); n != 2 {
		t.Errorf("item 1 has %d paragraph breaks, want 2: %q", n, recs[0].Article.Body)
	}
	// The id: the hash of the guid, or of the feed's link and a guid that
	// is no URI, or of the link when there is no guid.
	for i, key := range []string{
		"https://gazette.example.org/2024/11/ferry-winter-timetable",
		"https://gazette.example.org/ 4711",
		"/2024/10/harbour-wall-approved",
		"https://gazette.example.org/?p=980",
	} {
		if got, want := recs[i].Article.ID, hashID("item-", key); got != want {
			t.Errorf("item %d: id %s, want %s (the hash of %q)", i+1, got, want, key)
		}
	}
}

func TestReadFeedAtom(t *testing.T) {
	recs := readAll(t, "testdata/atom.xml")
	if len(recs) != 3 {
		t.Fatalf("got %d records, want 3", len(recs))
	}
	for i, w := range []struct{ title, published, category string }{
		{"Le bac <vers les îles> passe à l'horaire d'hiver", "2024-11-04T07:15:00Z", "Transports"},
		{"Les pêcheurs inquiets pour la saison de la coquille", "2024-11-02T17:30:00Z", "Pêche"}, // updated: no published
		{"Un nouveau marché couvert sur le quai", "2024-10-28T00:00:00Z", ""},
	} {
		a := recs[i].Article
		if a.Title != w.title || a.Published.Format(time.RFC3339) != w.published || a.Category != w.category || a.Lang != "fr" || a.Body == "" {
			t.Errorf("entry %d: got %+v, want %+v", i+1, a, w)
		}
	}
	if got, want := recs[0].Article.ID, hashID("item-", "tag:journal.example.fr,2024:bac-horaire-hiver"); got != want {
		t.Errorf("id %s, want %s", got, want)
	}
}

// A broken feed is an error naming it, and no record.
func TestReadFeedBroken(t *testing.T) {
	n := 0
	err := Read([]string{"testdata/broken.xml"}, nil, func(Record) error { n++; return nil })
	if err == nil || !strings.Contains(err.Error(), "testdata/broken.xml: not a readable RSS, Atom or JSON feed") || n != 0 {
		t.Errorf("got %v after %d records, want an error naming the file and no record", err, n)
	}
	for _, bad := range []string{"", "<html><body>not a feed</body></html>", "<rss><channel><item><title>x</title>"} {
		if err := ReadFeed("x", strings.NewReader(bad), func(Record) error { return nil }); err == nil {
			t.Errorf("ReadFeed(%q) accepted", bad)
		}
	}
}

// An item's faults: a date in no known form is left out with the field
// named; an item without guid or link has no id; HTML in a title is text.
func TestReadFeedItemFaults(t *testing.T) {
	const src = `<rss version="2.0"><channel><title>T</title><link>https://x.example/</link><language>de</language>
<item><title>Bad &lt;b&gt;date&lt;/b&gt;</title><guid>https://x.example/1</guid><pubDate>last tuesday</pubDate><description>a body</description></item>
<item><title>No id</title><description>a body</description></item>
<item><guid>https://x.example/3</guid><title>No body</title></item>
</channel></rss>`
	var recs []Record
	if err := ReadFeed("f.xml", strings.NewReader(src), func(r Record) error { recs = append(recs, r); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 {
		t.Fatalf("%d records", len(recs))
	}
	if r := recs[0]; r.Err != nil || len(r.Dropped) != 1 || r.Dropped[0].Field != "published" || !r.Article.Published.IsZero() || r.Article.Title != "Bad date" {
		t.Errorf("bad date: %+v", r)
	}
	var fe *recommend.FieldError
	if r := recs[1]; !errors.As(r.Err, &fe) || fe.Field != "id" || r.Where() != "f.xml: item 2" {
		t.Errorf("no id: %v at %s", r.Err, r.Where())
	}
	// The engine refuses what it cannot take: no body, and the feed's
	// language, which it does not stem.
	a := recs[2].Article
	if err := recommend.Validate(&a, 0); !errors.As(err, &fe) || fe.Field != "lang" {
		t.Errorf("a German feed's item: %v, want a lang error", err)
	}
	a.Lang = ""
	if err := recommend.Validate(&a, 0); !errors.As(err, &fe) || fe.Field != "body" {
		t.Errorf("an item without a body: %v, want a body error", err)
	}
}

func TestKind(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct{ name, content, want string }{
		{"a.csv", "id,body\n", KindCSV},
		{"a.jsonl", "<rss>", KindJSONL},
		{"a.RSS", "{}", KindFeed},
		{"a.htm", "", KindPage},
		{"feed", "\ufeff  <?xml version=\"1.0\"?><feed xmlns=\"http://www.w3.org/2005/Atom\"></feed>", KindFeed},
		{"page", "<!DOCTYPE html><html><body><p>x</p></body></html>", KindPage},
		{"data", `{"id": "a", "body": "b"}`, KindJSONL},
	} {
		path := filepath.Join(dir, tc.name)
		os.WriteFile(path, []byte(tc.content), 0o644)
		var got string
		withFile(path, func(r *bufio.Reader) error { got = Kind(path, r); return nil })
		if got != tc.want {
			t.Errorf("Kind(%s) = %s, want %s", tc.name, got, tc.want)
		}
	}
}

// ItemID qualifies a guid that is no URI by the feed's link.
func TestItemID(t *testing.T) {
	a := &gofeed.Feed{Link: "https://a.example/"}
	b := &gofeed.Feed{Link: "https://b.example/"}
	it := &gofeed.Item{GUID: "42"}
	ida, _ := ItemID(a, it)
	idb, _ := ItemID(b, it)
	uri := &gofeed.Item{GUID: "urn:uuid:1", Link: "https://a.example/x"}
	ua, _ := ItemID(a, uri)
	ub, _ := ItemID(b, uri)
	if ida == idb || ua != ub {
		t.Errorf("guid 42: %s and %s (want different); urn: %s and %s (want the same)", ida, idb, ua, ub)
	}
}

func FuzzReadFeed(f *testing.F) {
	for _, name := range []string{"feed.xml", "atom.xml", "broken.xml"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"version": "https://jsonfeed.org/version/1.1", "items": [{"id": "1", "content_html": "<p>x</p>", "date_published": "2024-01-01T00:00:00Z"}]}`))
	f.Add([]byte("<rss><channel><item><guid>\xff</guid><title>\x00</title><description>&#0;</description></item></channel></rss>"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_ = ReadFeed("fuzz", strings.NewReader(string(b)), func(r Record) error {
			if r.Err != nil {
				return nil
			}
			a := r.Article
			if !strings.HasPrefix(a.ID, "item-") || recommend.ValidateID(a.ID) != nil {
				t.Fatalf("id %q", a.ID)
			}
			if !a.Published.IsZero() && a.Published.Location() != time.UTC {
				t.Fatalf("published %v not in UTC", a.Published)
			}
			// Whatever the item holds, the engine checks it without panicking.
			_ = recommend.Validate(&a, 0)
			return nil
		})
	})
}
