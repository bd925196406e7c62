package main

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/readalike/readalike/recommend"
)

// record is one article read from an input, or why it could not be read.
type record struct {
	Source  string // file name, "-" for standard input
	Line    int    // 1-based line (JSONL, CSV) or 0 (a .txt file)
	Article recommend.Article
	Err     error
}

func (r *record) where() string {
	if r.Line > 0 {
		return fmt.Sprintf("%s:%d", r.Source, r.Line)
	}
	return r.Source
}

// articleJSON is an article as an input line may give it. Fields other
// tools add (topic, story, ...) are ignored; engine-kept fields are not read.
type articleJSON struct {
	ID        string `json:"id"`
	Title     string `json:"title"`
	Body      string `json:"body"`
	URL       string `json:"url"`
	Category  string `json:"category"`
	Lang      string `json:"lang"`
	Published string `json:"published"`
}

func (j *articleJSON) article() (recommend.Article, error) {
	a := recommend.Article{ID: j.ID, Title: j.Title, Body: j.Body, URL: j.URL, Category: j.Category, Lang: j.Lang}
	var err error
	a.Published, err = parseTime(j.Published)
	if err != nil {
		return a, &recommend.FieldError{Field: "published", Message: err.Error()}
	}
	return a, nil
}

// parseTime accepts RFC 3339 or a plain date; "" is the zero time.
func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%q is neither RFC 3339 (2024-01-18T06:30:00Z) nor a date (2024-01-18)", s)
}

// readInputs reads every input in order and sends its records to fn: a
// .jsonl or .json file (one article a line), a .csv file (a header row
// naming the fields), a folder of .txt files (first line title, rest body,
// id from the file name), or "-" for JSONL on standard input. fn's error
// stops the reading and is returned.
func readInputs(paths []string, stdin io.Reader, fn func(record) error) error {
	for _, p := range paths {
		var err error
		switch st, statErr := os.Stat(p); {
		case p == "-":
			err = readJSONL("-", stdin, fn)
		case statErr != nil:
			return statErr
		case st.IsDir():
			err = readFolder(p, fn)
		case strings.EqualFold(filepath.Ext(p), ".csv"):
			err = withFile(p, func(f io.Reader) error { return readCSV(p, f, fn) })
		default:
			err = withFile(p, func(f io.Reader) error { return readJSONL(p, f, fn) })
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func withFile(path string, fn func(io.Reader) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return fn(bufio.NewReaderSize(f, 1<<20))
}

func readJSONL(name string, r io.Reader, fn func(record) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	line := 0
	for sc.Scan() {
		line++
		b := sc.Bytes()
		if len(strings.TrimSpace(string(b))) == 0 {
			continue
		}
		rec := record{Source: name, Line: line}
		var j articleJSON
		if err := json.Unmarshal(b, &j); err != nil {
			rec.Err = fmt.Errorf("not a JSON article: %w", err)
		} else {
			rec.Article, rec.Err = j.article()
		}
		if err := fn(rec); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s:%d: %w", name, line+1, err)
	}
	return nil
}

var csvFields = []string{"id", "title", "body", "url", "category", "lang", "published"}

func readCSV(name string, r io.Reader, fn func(record) error) error {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return fmt.Errorf("%s: header row: %w", name, err)
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if !slices.Contains(csvFields, h) {
			return fmt.Errorf("%s:1: unknown column %q; columns are %s", name, h, strings.Join(csvFields, ", "))
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
		rec := record{Source: name}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			// StartLine: where the bad record starts, not where reading it
			// failed (an unclosed quote fails at the end of the file).
			rec.Line, rec.Err = pe.StartLine, fmt.Errorf("bad CSV: %w", pe.Err)
		} else if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		} else {
			rec.Line, _ = cr.FieldPos(0)
			get := func(f string) string {
				if i, ok := col[f]; ok && i < len(row) {
					return row[i]
				}
				return ""
			}
			j := articleJSON{ID: get("id"), Title: get("title"), Body: get("body"), URL: get("url"),
				Category: get("category"), Lang: get("lang"), Published: get("published")}
			rec.Article, rec.Err = j.article()
		}
		if err := fn(rec); err != nil {
			return err
		}
	}
}

// txtFiles returns the paths of the .txt files in dir, sorted. (Not
// filepath.Glob, which would read a folder name holding [ or * as a pattern.)
func txtFiles(dir string) ([]string, error) {
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

func readFolder(dir string, fn func(record) error) error {
	paths, err := txtFiles(dir)
	if err != nil {
		return err
	}
	if len(paths) == 0 {
		return fmt.Errorf("%s: no .txt files", dir)
	}
	for _, p := range paths {
		rec := record{Source: p}
		b, err := os.ReadFile(p)
		if err != nil {
			rec.Err = err
		} else {
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
