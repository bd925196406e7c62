package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem"

	"github.com/readalike/readalike/recommend"
	"github.com/readalike/readalike/recommend/articleio"
	"github.com/readalike/readalike/vectorize"
)

var (
	badRecords    = beam.NewCounter("readalike", "bad_records")
	droppedFields = beam.NewCounter("readalike", "fields_left_out")
	recordsRead   = beam.NewCounter("readalike", "records_read")
)

// expandFn expands the input patterns into files, numbered in the order
// they are read: patterns in order, each one's files sorted.
type expandFn struct {
	Patterns []string
}

func (f *expandFn) ProcessElement(ctx context.Context, _ []byte, emit func(int, string)) error {
	n := 0
	for _, p := range f.Patterns {
		fs, err := filesystem.New(ctx, p)
		if err != nil {
			return fmt.Errorf("input %s: %w", p, err)
		}
		names, err := fs.List(ctx, p)
		fs.Close()
		if err != nil {
			return fmt.Errorf("input %s: %w", p, err)
		}
		if len(names) == 0 {
			return fmt.Errorf("input %s: no such file", p)
		}
		slices.Sort(names)
		for _, name := range names {
			emit(n, name)
			n++
		}
	}
	return nil
}

// readFn reads one file (CSV by its extension, else JSONL), checks every
// record as the engine does before a write, and analyses it. Every record
// that cannot be used, and a file that cannot be read, goes to the dead
// letters as a JSON line; the job goes on.
type readFn struct {
	Settings settings
	analyzer *vectorize.Analyzer
}

func (f *readFn) Setup() {
	f.analyzer = vectorize.NewAnalyzer(f.Settings.Analyzer)
}

func (f *readFn) ProcessElement(ctx context.Context, fileNo int, name string, emit func(string, []byte), dead func(string)) {
	report := func(where string, err error, skipped bool) {
		if skipped {
			badRecords.Inc(ctx, 1)
		} else {
			droppedFields.Inc(ctx, 1)
		}
		b, _ := json.Marshal(struct {
			Where   string `json:"where"`
			Error   string `json:"error"`
			Skipped bool   `json:"skipped"`
		}{where, err.Error(), skipped})
		dead(string(b))
	}
	err := readFile(ctx, name, func(r articleio.Record) error {
		recordsRead.Inc(ctx, 1)
		if r.Err == nil {
			r.Err = r.Check(func(a *recommend.Article) error { return recommend.Validate(a, f.Settings.MaxBodyBytes) })
		}
		if r.Err != nil {
			report(r.Where(), r.Err, true)
			return nil
		}
		for _, d := range r.Dropped {
			report(r.Where(), fmt.Errorf("%w; left out", d), false)
		}
		a := &r.Article
		an, err := f.analyzer.Analyze(vectorize.Document{Title: a.Title, Body: a.Body, Lang: a.Lang})
		if err != nil {
			report(r.Where(), err, true)
			return nil
		}
		var line bytes.Buffer
		if err := articleio.WriteSnapshotArticle(&line, a); err != nil {
			report(r.Where(), err, true)
			return nil
		}
		d := doc{article: bytes.TrimSuffix(line.Bytes(), []byte("\n")), cat: a.Category, counts: an.Counts}
		if !a.Published.IsZero() {
			d.pub = a.Published.UnixNano()
		}
		binary.BigEndian.PutUint64(d.order[:8], uint64(fileNo))
		binary.BigEndian.PutUint64(d.order[8:], uint64(r.Line))
		emit(a.ID, encodeDoc(&d))
		return nil
	})
	if err != nil {
		report(name, err, true)
	}
}

// readFile sends the records of one file to fn, as articleio reads them.
func readFile(ctx context.Context, name string, fn func(articleio.Record) error) error {
	fs, err := filesystem.New(ctx, name)
	if err != nil {
		return err
	}
	defer fs.Close()
	rc, err := fs.OpenRead(ctx, name)
	if err != nil {
		return err
	}
	defer rc.Close()
	r := io.Reader(bufio.NewReaderSize(rc, 1<<20))
	if strings.EqualFold(path.Ext(name), ".csv") {
		return articleio.ReadCSV(name, r, fn)
	}
	return articleio.ReadJSONL(name, r, fn)
}

// latestFn keeps, of two records of one id, the one read later, as ingest
// and batch --input do.
func latestFn(a, b []byte) []byte {
	if laterDoc(a, b) {
		return a
	}
	return b
}

func termsFn(_ string, b []byte, emit func(string, int)) error {
	d, err := decodeDoc(b)
	if err != nil {
		return err
	}
	for _, tc := range d.counts {
		emit(tc.Term, 1)
	}
	return nil
}

func sumFn(a, b int) int { return a + b }

func oneFn(_ string, _ []byte) int { return 1 }

func oneTermFn(_ string, _ int) int { return 1 }

// articleLineFn returns the snapshot's line of an article, keyed by id.
func articleLineFn(id string, b []byte) (string, []byte, error) {
	d, err := decodeDoc(b)
	if err != nil {
		return "", nil, err
	}
	return id, d.article, nil
}

// badLineFn keys a dead letter by itself, for a sorted file.
func badLineFn(line string) (string, []byte) { return line, []byte(line) }
