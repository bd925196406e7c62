package articleio

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/readalike/readalike/recommend"
)

// The page's article is its story, without the boilerplate around it.
func TestReadPage(t *testing.T) {
	f, err := os.Open("testdata/page.html")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	a, dropped, err := ReadPage("https://gazette.example.org/2024/11/tide-gauge", "text/html; charset=utf-8", f)
	if err != nil || len(dropped) > 0 {
		t.Fatalf("ReadPage: %v, dropped %v", err, dropped)
	}
	if a.Title != "New tide gauge goes live at the harbour" || a.Lang != "en-GB" || a.URL != "https://gazette.example.org/2024/11/tide-gauge" {
		t.Errorf("got title %q, lang %q, url %q", a.Title, a.Lang, a.URL)
	}
	if want := time.Date(2024, 11, 6, 10, 30, 0, 0, time.UTC); !a.Published.Equal(want) {
		t.Errorf("published %v, want %v (JSON-LD datePublished)", a.Published, want)
	}
	for _, want := range []string{"A new tide gauge at the end of the north pier", "will be kept as a small museum."} {
		if !strings.Contains(a.Body, want) {
			t.Errorf("the body lacks %q:\n%s", want, a.Body)
		}
	}
	for _, boiler := range []string{"cookies", "Sign in", "Most read", "Advertisement", "Holiday cottages", "All rights reserved",
		"Great news", "Newsletter", "dataLayer", "site.css", "Tide tables"} {
		if strings.Contains(a.Body, boiler) {
			t.Errorf("boilerplate %q in the body:\n%s", boiler, a.Body)
		}
	}
	if n := strings.Count(a.Body, "\n\n"); n < 3 {
		t.Errorf("%d paragraph breaks, want the story's paragraphs kept:\n%s", n, a.Body)
	}
}

func TestReadPageMetadata(t *testing.T) {
	story := "<p>" + strings.Repeat("The harbour master opened the new quay to the fishing fleet on a calm morning. ", 12) + "</p>"
	for _, tc := range []struct {
		name, head, body string
		lang, published  string
		dropped          bool
	}{
		{"meta published_time", `<meta property="article:published_time" content="2024-03-05T08:00:00+01:00">`, "", "", "2024-03-05T07:00:00Z", false},
		{"dc date", `<meta name="DC.date.issued" content="2024-03-05">`, "", "", "2024-03-05T00:00:00Z", false},
		{"time pubdate", "", `<time pubdate datetime="2024-03-05 09:00">5 March</time>`, "", "2024-03-05T09:00:00Z", false},
		{"itemprop", "", `<span itemprop="datePublished" content="Tue, 05 Mar 2024 09:00:00 GMT"></span>`, "", "2024-03-05T09:00:00Z", false},
		{"JSON-LD first", `<meta property="article:published_time" content="2020-01-01"><script type="application/ld+json">{"datePublished": "2024-03-05T10:00:00Z"}</script>`, "", "", "2024-03-05T10:00:00Z", false},
		{"bad date then good", `<meta property="article:published_time" content="March 5th"><meta name="date" content="2024-03-05">`, "", "", "2024-03-05T00:00:00Z", false},
		{"bad date only", `<meta property="article:published_time" content="March 5th">`, "", "", "0001-01-01T00:00:00Z", true},
		{"og:locale", `<meta property="og:locale" content="fr_FR">`, "", "fr_FR", "0001-01-01T00:00:00Z", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			page := "<html><head><title>Quay</title>" + tc.head + "</head><body><article>" + tc.body + story + "</article></body></html>"
			a, dropped, err := ReadPage("", "", strings.NewReader(page))
			if err != nil {
				t.Fatal(err)
			}
			if a.Lang != tc.lang || a.Published.Format(time.RFC3339) != tc.published || (len(dropped) > 0) != tc.dropped {
				t.Errorf("got lang %q, published %s, dropped %v; want %q, %s, dropped %v", a.Lang, a.Published.Format(time.RFC3339), dropped, tc.lang, tc.published, tc.dropped)
			}
			if tc.dropped && dropped[0].Field != "published" {
				t.Errorf("dropped %v", dropped)
			}
		})
	}
}

// A page in another character set is read as its text, in UTF-8.
func TestReadPageCharset(t *testing.T) {
	story := strings.Repeat("Le comit\xe9 a approuv\xe9 le budget du port apr\xe8s un long d\xe9bat. ", 12) // windows-1252
	for _, tc := range []struct{ contentType, page string }{
		{"text/html; charset=windows-1252", "<html><body><article><p>" + story + "</p></article></body></html>"},
		{"", `<html><head><meta charset="windows-1252"></head><body><article><p>` + story + "</p></article></body></html>"},
	} {
		a, _, err := ReadPage("", tc.contentType, strings.NewReader(tc.page))
		if err != nil || !utf8.ValidString(a.Body) || !strings.Contains(a.Body, "Le comité a approuvé le budget du port après") {
			t.Errorf("%q: %v, body %q", tc.contentType, err, a.Body)
		}
	}
}

// A page without article text is refused whole.
func TestReadPageNoArticle(t *testing.T) {
	for _, page := range []string{
		"",
		"<html><head><title>Sign in</title></head><body><form><input name=user><input type=password></form></body></html>",
		"<html><body><script>document.write('hello')</script></body></html>",
	} {
		if a, _, err := ReadPage("", "", strings.NewReader(page)); !errors.Is(err, ErrNoArticle) {
			t.Errorf("ReadPage(%q) = %+v, %v; want ErrNoArticle", page, a, err)
		}
	}
}

func TestPageID(t *testing.T) {
	same := []string{"https://Example.org/a?b=1", "HTTPS://example.org:443/a?b=1#top", "https://example.org/a?b=1#"}
	want, err := PageID(same[0])
	if err != nil || !strings.HasPrefix(want, "page-") || recommend.ValidateID(want) != nil {
		t.Fatalf("PageID: %q, %v", want, err)
	}
	for _, u := range same[1:] {
		if got, _ := PageID(u); got != want {
			t.Errorf("PageID(%s) = %s, want %s as for %s", u, got, want, same[0])
		}
	}
	if a, _ := PageID("https://example.org"); a != hashID("page-", "https://example.org/") {
		t.Errorf("an empty path is /")
	}
	for _, other := range []string{"http://example.org/a?b=1", "https://example.org/a?b=2", "https://example.org/A?b=1", "https://example.org:8443/a?b=1"} {
		if got, _ := PageID(other); got == want {
			t.Errorf("PageID(%s) = %s, the id of %s", other, got, same[0])
		}
	}
	for _, bad := range []string{"", "example.org/a", "ftp://example.org/", "https:///x", "javascript:alert(1)"} {
		if _, err := PageID(bad); err == nil {
			t.Errorf("PageID(%q) accepted", bad)
		}
	}
}

func FuzzReadPage(f *testing.F) {
	b, err := os.ReadFile("testdata/page.html")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b, "text/html")
	f.Add([]byte("<html><head><meta charset=\"shift_jis\"><script type=\"application/ld+json\">[[[{\"datePublished\":1}]]]</script></head><body><p>\x82\xa0</p></body></html>"), "")
	f.Add([]byte("<p>"+strings.Repeat("word ", 200)+"</p>"), "text/html; charset=iso-8859-1")
	f.Fuzz(func(t *testing.T, page []byte, contentType string) {
		a, _, err := ReadPage("https://example.org/p", contentType, strings.NewReader(string(page)))
		if err != nil {
			if a.Body != "" || a.Title != "" {
				t.Fatalf("an error with part of an article: %v, %+v", err, a)
			}
			return
		}
		if strings.TrimSpace(a.Body) == "" {
			t.Fatal("an article without a body")
		}
		if !a.Published.IsZero() && a.Published.Location() != time.UTC {
			t.Fatalf("published %v not in UTC", a.Published)
		}
		_ = recommend.Validate(&a, 0)
	})
}
