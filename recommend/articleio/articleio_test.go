package articleio

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/readalike/readalike/recommend"
)

func TestDecodeArticle(t *testing.T) {
	for _, tc := range []struct {
		name    string
		raw     string
		mode    Mode
		field   string // of the error, "" for none
		dropped []string
	}{
		{"good", `{"id": "a", "title": "T", "body": "B", "url": "https://x.org", "category": "c", "lang": "en", "published": "2024-01-18"}`, Strict, "", nil},
		{"bom", "\ufeff" + `{"id": "a", "body": "B"}`, Strict, "", nil},
		{"unknown member, strict", `{"id": "a", "body": "B", "topic": 3}`, Strict, "topic", nil},
		{"unknown member, lenient", `{"id": "a", "body": "B", "topic": 3, "story": "s"}`, Lenient, "", nil},
		{"kept member, strict", `{"id": "a", "body": "B", "read_count": 3}`, Strict, "read_count", nil},
		{"kept member, lenient", `{"id": "a", "body": "B", "read_count": 3}`, Lenient, "", nil},
		{"not a string", `{"id": "a", "body": 5}`, Lenient, "body", nil},
		{"bad date, strict", `{"id": "a", "body": "B", "published": "last tuesday"}`, Strict, "published", nil},
		{"bad date, lenient", `{"id": "a", "body": "B", "published": "last tuesday"}`, Lenient, "", []string{"published"}},
		{"date not a string, lenient", `{"id": "a", "body": "B", "published": 2024}`, Lenient, "", []string{"published"}},
		{"invalid UTF-8 raw", "{\"id\": \"iu\xff2\", \"body\": \"B\"}", Strict, "id", nil},
		{"invalid UTF-8 in body", "{\"id\": \"a\", \"body\": \"B\xfe\"}", Lenient, "body", nil},
		{"lone surrogate", `{"id": "a", "body": "B\udc00"}`, Lenient, "body", nil},
		{"replacement character itself", `{"id": "a", "body": "B` + "\ufffd" + ` \ufffd"}`, Strict, "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, dropped, err := DecodeArticle([]byte(tc.raw), tc.mode)
			var fe *recommend.FieldError
			switch {
			case tc.field == "" && err != nil:
				t.Fatalf("got %v, want no error", err)
			case tc.field != "" && (!errors.As(err, &fe) || fe.Field != tc.field):
				t.Fatalf("got %v, want a FieldError on %s", err, tc.field)
			}
			var names []string
			for _, d := range dropped {
				names = append(names, d.Field)
			}
			if !slices.Equal(names, tc.dropped) {
				t.Fatalf("dropped %v, want %v", names, tc.dropped)
			}
			if err == nil && a.ID != "a" {
				t.Fatalf("id %q", a.ID)
			}
		})
	}
	// Two ids that differ only in invalid bytes must not collide.
	if _, _, err := DecodeArticle([]byte("{\"id\": \"iu\xfe2\", \"body\": \"B\"}"), Lenient); err == nil {
		t.Error("invalid UTF-8 in an id was accepted")
	}
	if _, _, err := DecodeArticle([]byte(`[1, 2]`), Lenient); err == nil || !strings.Contains(err.Error(), "not a JSON object") {
		t.Errorf("an array: %v", err)
	}
}

// A file's records are reported by line, blank lines counted.
func TestReadJSONLLines(t *testing.T) {
	var got []string
	err := ReadJSONL("f", strings.NewReader("\ufeff\n{\"id\":\"a\",\"body\":\"x\"}\n\n  \n{\"id\":\"b\",\"body\":\"y\"}\n{oops\n"), func(r Record) error {
		got = append(got, fmt.Sprintf("%s %s %v", r.Where(), r.Article.ID, r.Err != nil))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"f:2 a false", "f:5 b false", "f:6  true"}; !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestReadCSV(t *testing.T) {
	in := "\ufeffID,Body,Published,url\n" +
		"a,first,2024-01-18,https://x.org/a\n" +
		"b,second,not a date,\n" +
		"c,third,,,extra\n" +
		"\"d,\"unclosed\n"
	var got []string
	err := ReadCSV("f.csv", strings.NewReader(in), func(r Record) error {
		s := fmt.Sprintf("%s %s", r.Where(), r.Article.ID)
		if r.Err != nil {
			s += " error"
		}
		for _, d := range r.Dropped {
			s += " dropped " + d.Field
		}
		got = append(got, s)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"f.csv:2 a", "f.csv:3 b dropped published", "f.csv:4  error", "f.csv:5  error"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	for _, bad := range []string{"id,body,colour\n", "id,id,body\n", "title\n"} {
		if err := ReadCSV("f.csv", strings.NewReader(bad), func(Record) error { return nil }); err == nil {
			t.Errorf("header %q accepted", bad)
		}
	}
	if err := ReadCSV("f.csv", strings.NewReader("id,body\nx,b\xff\n"), func(r Record) error { return r.Err }); err == nil {
		t.Error("invalid UTF-8 in a CSV field was accepted")
	}
}

func TestReadFolder(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "one.txt"), []byte("Title one\nbody one"), 0o644)
	os.WriteFile(filepath.Join(dir, "two.TXT"), []byte("\ufeffTitle two\nbody two"), 0o644)
	os.WriteFile(filepath.Join(dir, "bad.txt"), []byte("Title\nbody \xff"), 0o644)
	os.WriteFile(filepath.Join(dir, "skip.md"), []byte("not read"), 0o644)
	var got []string
	err := Read([]string{dir}, nil, func(r Record) error {
		got = append(got, fmt.Sprintf("%s|%s|%v", r.Article.ID, r.Article.Title, r.Err != nil))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"||true", "one|Title one|false", "two|Title two|false"}; !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

// CreateFile's Abort removes the partial file, and Commit puts it under
// the final name; Abort after Commit changes nothing.
func TestCreateFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.csv")
	f, err := CreateFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("half written")
	if ents, _ := os.ReadDir(dir); len(ents) != 1 || !strings.HasPrefix(ents[0].Name(), ".out.csv.partial-") {
		t.Errorf("while writing: %v, want one .out.csv.partial-* file", ents)
	}
	f.Abort()
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("after Abort: %v", ents)
	}
	f, err = CreateFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("complete\n")
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	f.Abort()
	if b, err := os.ReadFile(path); err != nil || string(b) != "complete\n" {
		t.Errorf("got %q, %v", b, err)
	}
}

func TestListWriter(t *testing.T) {
	ns := []recommend.Neighbor{{ID: "b", Score: 0.5}, {ID: "c", Score: 0.25}}
	for _, tc := range []struct{ format, want string }{
		{JSONL, `{"id":"a","neighbors":[{"id":"b","score":0.5},{"id":"c","score":0.25}]}` + "\n" + `{"id":"z","neighbors":[]}` + "\n"},
		{CSV, "id,rank,neighbor,score\na,1,b,0.500000\na,2,c,0.250000\n"},
	} {
		var b strings.Builder
		lw, err := NewListWriter(&b, tc.format)
		if err != nil {
			t.Fatal(err)
		}
		lw.Write("a", ns)
		lw.Write("z", nil)
		if err := lw.Flush(); err != nil {
			t.Fatal(err)
		}
		if b.String() != tc.want {
			t.Errorf("%s: got %q, want %q", tc.format, b.String(), tc.want)
		}
	}
	if _, err := NewListWriter(&strings.Builder{}, "xml"); err == nil {
		t.Error("format xml accepted")
	}
}

func FuzzDecodeArticle(f *testing.F) {
	f.Add([]byte(`{"id": "a", "body": "B", "published": "2024-01-18"}`))
	f.Add([]byte("{\"id\": \"\xff\"}"))
	f.Add([]byte(`{"id": "a", "body": "\ud800"}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		for _, mode := range []Mode{Lenient, Strict} {
			a, _, err := DecodeArticle(raw, mode)
			if err != nil {
				continue
			}
			for _, s := range []string{a.ID, a.Title, a.Body, a.URL, a.Category, a.Lang} {
				if !strings.ContainsRune(s, '\ufffd') {
					continue
				}
				if !strings.Contains(string(raw), "\ufffd") && !strings.Contains(strings.ToLower(string(raw)), `\ufffd`) {
					t.Fatalf("%q: U+FFFD appeared in %q", raw, s)
				}
			}
		}
	})
}
