// Command gencorpus writes readalike's synthetic benchmark corpus as JSONL,
// one article a line: {"id","title","body","topic","story"}. The output
// depends only on -seed and -topics (and -n for its length), never on
// -workers; the first n articles of a longer corpus are the corpus of -n n.
//
//	go run ./benchmarks/cmd/gencorpus -n 100000 -seed 42 -o c100k.jsonl
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"strconv"
	"time"

	"github.com/readalike/readalike/benchmarks/corpus"
)

// Config is what the flags set.
type Config struct {
	N       int
	Seed    uint64
	Topics  int
	Workers int
	Out     string // "-" is standard output
}

func main() {
	var cfg Config
	flag.IntVar(&cfg.N, "n", 10000, "number of articles")
	flag.Uint64Var(&cfg.Seed, "seed", 42, "random seed")
	flag.IntVar(&cfg.Topics, "topics", 300, "number of topics")
	flag.IntVar(&cfg.Workers, "workers", runtime.GOMAXPROCS(0), "chunks generated in parallel")
	flag.StringVar(&cfg.Out, "o", "-", `output file ("-" is standard output)`)
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := cfg.validate(); err != nil {
		fmt.Fprintln(os.Stderr, "gencorpus:", err)
		flag.Usage()
		os.Exit(2)
	}
	start := time.Now()
	bytes, err := run(cfg)
	if err != nil {
		log.Error("generate corpus", "err", err)
		os.Exit(1)
	}
	log.Info("generated corpus", "articles", cfg.N, "bytes", bytes, "out", cfg.Out,
		"seconds", time.Since(start).Seconds())
}

func (c *Config) validate() error {
	switch {
	case c.N < 0:
		return errors.New("-n must not be negative")
	case c.Topics < 1:
		return errors.New("-topics must be at least 1")
	case c.Workers < 1:
		return errors.New("-workers must be at least 1")
	case c.Out == "":
		return errors.New(`-o must name a file, or "-" for standard output`)
	}
	return nil
}

// run writes the corpus to cfg.Out and returns the number of bytes written.
func run(cfg Config) (int64, error) {
	if cfg.Out == "-" {
		return write(os.Stdout, cfg)
	}
	f, err := os.Create(cfg.Out)
	if err != nil {
		return 0, err
	}
	n, err := write(f, cfg)
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("write %s: %w", cfg.Out, cerr)
	}
	return n, err
}

func write(w io.Writer, cfg Config) (int64, error) {
	cw := &countingWriter{w: w}
	bw := bufio.NewWriterSize(cw, 1<<20)
	g := corpus.New(corpus.Options{Seed: cfg.Seed, Topics: cfg.Topics})
	var line []byte
	err := g.Generate(cfg.N, cfg.Workers, func(a corpus.Article) error {
		line = appendJSON(line[:0], a)
		_, err := bw.Write(line)
		return err
	})
	if err == nil {
		err = bw.Flush()
	}
	if err != nil {
		return cw.n, fmt.Errorf("write %s: %w", cfg.Out, err)
	}
	return cw.n, nil
}

// appendJSON appends a as one JSON line, as encoding/json would marshal it
// except that <, > and & are not escaped for HTML. It is written by hand
// because encoding is the slowest step of writing the corpus.
func appendJSON(b []byte, a corpus.Article) []byte {
	b = append(b, `{"id":`...)
	b = appendString(b, a.ID)
	b = append(b, `,"title":`...)
	b = appendString(b, a.Title)
	b = append(b, `,"body":`...)
	b = appendString(b, a.Body)
	b = append(b, `,"topic":`...)
	b = strconv.AppendInt(b, int64(a.Topic), 10)
	b = append(b, `,"story":`...)
	b = strconv.AppendInt(b, int64(a.Story), 10)
	return append(b, '}', '\n')
}

// appendString appends s as a JSON string. s must be valid UTF-8, which the
// generator's ASCII text is.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	last := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		b = append(b, s[last:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
		}
		last = i + 1
	}
	b = append(b, s[last:]...)
	return append(b, '"')
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
