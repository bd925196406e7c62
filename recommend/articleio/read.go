// Package articleio reads and writes articles as files hold them: JSONL,
// CSV with a header row, folders of .txt files, dates in the forms sources
// write; it loads them into an engine in concurrent, ordered writes, and
// writes the batch's neighbor lists as JSONL or CSV. The command line, the
// HTTP API and the benchmarks all read articles through it.
package articleio

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/mmcdole/gofeed"

	"github.com/readalike/readalike/recommend"
)

// Record is one article read from an input, or why it could not be read.
type Record struct {
	Source  string // file name or URL, "-" for standard input
	Line    int    // 1-based line (JSONL, CSV), or 0 (a .txt file, a feed, a page)
	Item    int    // 1-based item of a feed, or 0
	Article recommend.Article
	// Dropped are the optional fields left out because they could not be
	// read (see Lenient), each saying why.
	Dropped []*recommend.FieldError
	Err     error // the record cannot be used
}

// Where returns the record's place: FILE:LINE, FEED: item N, or FILE for a
// .txt file or a page.
func (r *Record) Where() string {
	switch {
	case r.Line > 0:
		return fmt.Sprintf("%s:%d", r.Source, r.Line)
	case r.Item > 0:
		return fmt.Sprintf("%s: item %d", r.Source, r.Item)
	}
	return r.Source
}

// Read reads every input in order and sends its records to fn: a .csv file
// (a header row naming the fields), a folder of .txt files (first line
// title, rest body, id from the file name), an RSS, Atom or JSON feed
// (.xml, .rss, .atom: an article per item, see ReadFeed), a web page
// (.html, .htm: its article, see ReadPage, with the file's name as id),
// "-" for JSONL on stdin, and any other file as JSONL (one article a
// line), or as a feed or a page when it starts with "<". fn's error stops
// the reading and is returned; so does an input that cannot be read at
// all.
func Read(paths []string, stdin io.Reader, fn func(Record) error) error {
	for _, p := range paths {
		var err error
		switch st, statErr := os.Stat(p); {
		case p == "-":
			err = ReadJSONL("-", stdin, fn)
		case statErr != nil:
			return statErr
		case st.IsDir():
			err = readFolder(p, fn)
		default:
			err = withFile(p, func(f *bufio.Reader) error { return readFile(p, f, fn) })
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// readFile reads one file by its kind: its extension, or for another
// extension its first byte.
func readFile(path string, f *bufio.Reader, fn func(Record) error) error {
	switch Kind(path, f) {
	case KindCSV:
		return ReadCSV(path, f, fn)
	case KindFeed:
		return ReadFeed(path, f, fn)
	case KindPage:
		rec := Record{Source: path}
		rec.Article, rec.Dropped, rec.Err = ReadPage("", "", f)
		rec.Article.ID = strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
		return fn(rec)
	}
	return ReadJSONL(path, f, fn)
}

// Kinds of input files.
const (
	KindJSONL = "jsonl"
	KindCSV   = "csv"
	KindFeed  = "feed"
	KindPage  = "page"
)

// Kind returns the kind of the file at path: by its extension (.csv;
// .xml, .rss, .atom a feed; .html, .htm a page; .jsonl, .ndjson, .json
// JSONL), else by its first bytes, peeked from r when r is not nil: a feed
// or a page when it starts with "<" (after space and a byte order mark),
// JSONL otherwise.
func Kind(path string, r *bufio.Reader) string {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv":
		return KindCSV
	case ".xml", ".rss", ".atom":
		return KindFeed
	case ".html", ".htm", ".xhtml":
		return KindPage
	case ".jsonl", ".ndjson", ".json":
		return KindJSONL
	}
	if r == nil {
		return KindJSONL
	}
	head, _ := r.Peek(4096)
	head = bytes.TrimLeft(bytes.TrimPrefix(head, []byte("\ufeff")), " \t\r\n")
	if !bytes.HasPrefix(head, []byte("<")) {
		return KindJSONL
	}
	if gofeed.DetectFeedType(bytes.NewReader(head)) != gofeed.FeedTypeUnknown {
		return KindFeed
	}
	return KindPage
}

func withFile(path string, fn func(*bufio.Reader) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return fn(bufio.NewReaderSize(f, 1<<20))
}

// MaxLine is the longest JSONL line read, in bytes.
const MaxLine = 64 << 20

// ReadJSONL reads one article a line (Lenient), skipping blank lines and a
// byte order mark before the first; name is the Source of its records.
func ReadJSONL(name string, r io.Reader, fn func(Record) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), MaxLine)
	line := 0
	for sc.Scan() {
		line++
		b := sc.Bytes()
		if line == 1 {
			b = bytes.TrimPrefix(b, []byte("\ufeff"))
		}
		if len(bytes.TrimSpace(b)) == 0 {
			continue
		}
		rec := Record{Source: name, Line: line}
		rec.Article, rec.Dropped, rec.Err = DecodeArticle(b, Lenient)
		if err := fn(rec); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s:%d: %w", name, line+1, err)
	}
	return nil
}

// ReadCSV reads a CSV file whose header row names its columns, from
// Fields (any order, any case; id and body required). A header naming
// another column is an error, as is a row with more fields than the
// header has; a row that is not valid CSV is a bad record at the line it
// starts on. Field values are read as DecodeArticle reads them (Lenient).
func ReadCSV(name string, r io.Reader, fn func(Record) error) error {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return fmt.Errorf("%s: header row: %w", name, err)
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if !slices.Contains(Fields, h) {
			return fmt.Errorf("%s:1: unknown column %q; columns are %s", name, h, strings.Join(Fields, ", "))
		}
		if _, dup := col[h]; dup {
			return fmt.Errorf("%s:1: column %q appears twice", name, h)
		}
		col[h] = i
	}
	for _, need := range []string{"id", "body"} {
		if _, ok := col[need]; !ok {
			return fmt.Errorf("%s:1: the header names no %q column", name, need)
		}
	}
	for {
		row, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		rec := Record{Source: name}
		var pe *csv.ParseError
		switch {
		case errors.As(err, &pe):
			// StartLine: where the bad record starts, not where reading it
			// failed (an unclosed quote fails at the end of the file).
			rec.Line, rec.Err = pe.StartLine, fmt.Errorf("bad CSV: %w", pe.Err)
		case err != nil:
			return fmt.Errorf("%s: %w", name, err)
		case len(row) > len(header):
			rec.Line, _ = cr.FieldPos(0)
			rec.Err = fmt.Errorf("the row has %d fields, the header names %d columns", len(row), len(header))
		default:
			rec.Line, _ = cr.FieldPos(0)
			rec.Article, rec.Dropped, rec.Err = csvArticle(row, col)
		}
		if err := fn(rec); err != nil {
			return err
		}
	}
}

// csvArticle reads a row as an article, each field as a JSON string
// member would be read.
func csvArticle(row []string, col map[string]int) (recommend.Article, []*recommend.FieldError, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for _, f := range Fields {
		i, ok := col[f]
		if !ok || i >= len(row) {
			continue
		}
		if !utf8.ValidString(row[i]) {
			return recommend.Article{}, nil, &recommend.FieldError{Field: f, Message: "is not valid UTF-8"}
		}
		if b.Len() > 1 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%q:", f)
		writeJSONString(&b, row[i])
	}
	b.WriteByte('}')
	return DecodeArticle(b.Bytes(), Lenient)
}

// TxtFiles returns the paths of the .txt files in dir, sorted. (Not
// filepath.Glob, which would read a folder name holding [ or * as a
// pattern.)
func TxtFiles(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var paths []string
	for _, e := range ents {
		if !e.IsDir() && strings.EqualFold(filepath.Ext(e.Name()), ".txt") {
			paths = append(paths, filepath.Join(dir, e.Name()))
		}
	}
	return paths, nil
}

func readFolder(dir string, fn func(Record) error) error {
	paths, err := TxtFiles(dir)
	if err != nil {
		return err
	}
	if len(paths) == 0 {
		return fmt.Errorf("%s: no .txt files", dir)
	}
	for _, p := range paths {
		rec := Record{Source: p}
		b, err := os.ReadFile(p)
		b = bytes.TrimPrefix(b, []byte("\ufeff"))
		switch {
		case err != nil:
			rec.Err = err
		case !utf8.Valid(b):
			rec.Err = &recommend.FieldError{Field: "body", Message: "is not valid UTF-8"}
		default:
			title, body, _ := strings.Cut(string(b), "\n")
			rec.Article = recommend.Article{
				ID:    strings.TrimSuffix(filepath.Base(p), filepath.Ext(p)),
				Title: strings.TrimSpace(title),
				Body:  body,
			}
		}
		if err := fn(rec); err != nil {
			return err
		}
	}
	return nil
}

// writeJSONString writes s as a JSON string.
func writeJSONString(b *bytes.Buffer, s string) {
	enc, _ := json.Marshal(s) // s is valid UTF-8: Marshal cannot fail
	b.Write(enc)
}
