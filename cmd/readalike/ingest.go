package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/readalike/readalike/recommend"
	"github.com/readalike/readalike/recommend/articleio"
	"github.com/readalike/readalike/recommend/fetch"
	"github.com/readalike/readalike/vectorize"
)

// errSkipped says ingest skipped bad records (exit status 3).
var errSkipped = errors.New("skipped bad records")

func runIngest(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet("ingest", "--data DIR [FILE|FOLDER|FEED-URL|- ...] [--url PAGE-URL ...]")
	var sf storeFlags
	sf.register(fs)
	var ff fetchFlags
	ff.register(fs)
	var pages urlList
	fs.Var(&pages, "url", "a web page to fetch and save as an article (its main text, title, date and language); may be given more than once")
	strict := fs.Bool("strict", false, "stop at the first bad record instead of skipping it")
	batch := fs.Int("batch", 256, "articles per write")
	writers := fs.Int("writers", 4, "concurrent writes (their syncs are shared)")
	noRefit := fs.Bool("no-refit", false, "do not refit the model at the end")
	logLevel := fs.String("log-level", "warn", "log level: debug, info, warn or error")
	lang := langFlag(fs)
	if _, err := parse(e, fs, args); err != nil {
		return err
	}
	if err := needData(&sf); err != nil {
		return err
	}
	if err := checkLang(lang); err != nil {
		return err
	}
	if fs.NArg() == 0 && len(pages) == 0 {
		return usagef("name at least one input: a .jsonl or .csv file, a folder of .txt files, an RSS or Atom feed (a file or a URL), a web page (an .html file, or --url URL), or - for standard input")
	}
	fetcher, err := ff.fetcher()
	if err != nil {
		return err
	}
	if *batch < 1 || *writers < 1 {
		return usagef("--batch and --writers must be at least 1")
	}
	log, err := newLogger(e.stderr, "text", *logLevel)
	if err != nil {
		return err
	}
	col, err := openCollection(ctx, sf.data, recommend.Options{RefitShare: -1, KeepNeighbors: -1}, log, e.stderr)
	if err != nil {
		return err
	}
	defer col.Close()

	total := countRecords(fs.Args())
	if total >= 0 {
		total += int64(len(pages))
	}
	bar := newProgress(e.stderr, "articles", total)
	start := time.Now()
	read := func(fn func(articleio.Record) error) error {
		return fetcher.Read(ctx, fs.Args(), pages, e.stdin, fn)
	}
	n, err := articleio.Load(ctx, col.Engine, read, articleio.LoadOptions{
		Batch: *batch, Writers: *writers, Strict: *strict, Lang: *lang,
		Report:   reporter(e.stderr),
		Progress: func(read int) { bar.set(int64(read)) },
	})
	bar.finish()
	if err != nil {
		return err
	}
	took := time.Since(start)
	fmt.Fprintf(e.stdout, "ingested %d articles in %s (%.0f/s), skipped %d bad records\n",
		n.Written, took.Round(time.Millisecond), float64(n.Written)/took.Seconds(), n.Skipped)
	if !*noRefit && n.Written > 0 {
		gen, err := col.Engine.Refit(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "refitted: generation %d, %d articles\n", gen, col.Engine.Stats().Articles)
	}
	if n.Skipped > 0 {
		return fmt.Errorf("%w: %d of %d", errSkipped, n.Skipped, n.Read)
	}
	return nil
}

// langFlag registers --lang, the language of the articles read that name
// none.
func langFlag(fs *flag.FlagSet) *string {
	return fs.String("lang", "", "the language of the articles that name none (ISO 639-1: "+strings.Join(vectorize.Languages(), ", ")+"); without it, each one's is detected from its text")
}

// checkLang checks --lang and gives it its canonical form.
func checkLang(lang *string) error {
	if *lang == "" {
		return nil
	}
	c, err := vectorize.CanonicalLang(*lang)
	if err != nil {
		return usagef("--lang: %v", err)
	}
	*lang = c
	return nil
}

// reporter prints a skipped record, or a field left out of a record kept,
// as FILE:LINE: reason.
func reporter(w io.Writer) func(where string, err error, skipped bool) {
	return func(where string, err error, skipped bool) {
		if skipped {
			fmt.Fprintf(w, "%s: %v\n", where, err)
		} else {
			fmt.Fprintf(w, "%s: warning: %v\n", where, err)
		}
	}
}

// countRecords estimates the records in the inputs, for the progress bar:
// lines of files, .txt files of folders; -1 when one input is standard
// input, a URL, a feed or a page, or cannot be read.
func countRecords(paths []string) int64 {
	var n int64
	for _, p := range paths {
		if k := articleio.Kind(p, nil); p == "-" || fetch.IsURL(p) || k == articleio.KindFeed || k == articleio.KindPage {
			return -1
		}
		if st, err := os.Stat(p); err == nil && st.IsDir() {
			m, _ := articleio.TxtFiles(p)
			n += int64(len(m))
			continue
		}
		lines, err := countLines(p)
		if err != nil {
			return -1
		}
		if strings.EqualFold(filepath.Ext(p), ".csv") {
			lines-- // the header
		}
		n += lines
	}
	return n
}

// countLines counts the lines of a file, a last one without a newline
// included, reading it a block at a time.
func countLines(path string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	buf := make([]byte, 256<<10)
	var lines int64
	last := byte('\n')
	for {
		k, err := f.Read(buf)
		if k > 0 {
			lines += int64(bytes.Count(buf[:k], []byte{'\n'}))
			last = buf[k-1]
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, err
		}
	}
	if last != '\n' {
		lines++
	}
	return lines, nil
}
