// Command readalike finds, for any article, the articles most like it. It
// serves the five nearest articles over HTTP, ingests collections, answers
// queries and scores whole collections from the command line.
//
//	readalike serve --demo                  a demo collection on 127.0.0.1:8080
//	readalike ingest --data DIR FILE...     JSONL, CSV, a folder of .txt, a feed, a page, or -
//	readalike ingest --data DIR --url URL   a web page's article
//	readalike similar --data DIR ID         the nearest articles of one article
//	readalike batch --data DIR --out F      every article's nearest articles
//
// Every flag can also be set through the environment: --api-key as
// READALIKE_API_KEY, --data as READALIKE_DATA, and so on.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
)

// Exit statuses.
const (
	exitOK      = 0
	exitFailed  = 1 // the command failed
	exitUsage   = 2 // bad flags or arguments
	exitSkipped = 3 // ingest finished, but skipped bad records
)

// env is what a command runs with; tests fill it with buffers.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
}

type command struct {
	name, summary string
	run           func(ctx context.Context, e *env, args []string) error
}

func commands() []command {
	return []command{
		{"serve", "serve the HTTP API (and load the demo collection with --demo)", runServe},
		{"ingest", "add articles from JSONL, CSV, a folder of .txt files, RSS and Atom feeds, web pages, or standard input", runIngest},
		{"similar", "print the nearest articles of an article or a text", runSimilar},
		{"show", "print an article: its text, summary, statistics and details", runShow},
		{"analyze", "show every stage of the text pipeline, for a text or a JSONL file", runAnalyze},
		{"batch", "compute every article's nearest articles offline", runBatch},
		{"import-snapshot", "load a snapshot of a batch scored on a cluster (cmd/readalike-beam)", runImportSnapshot},
		{"refit", "fit the next model generation now", runRefit},
		{"stats", "print the collection's figures", runStats},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}, os.Args[1:])
	stop()
	os.Exit(code)
}

func run(ctx context.Context, e *env, args []string) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(e.stderr)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, e, args[1:])
		var ue usageError
		switch {
		case err == nil:
			return exitOK
		case errors.Is(err, flag.ErrHelp):
			return exitOK
		case errors.As(err, &ue):
			fmt.Fprintf(e.stderr, "readalike %s: %v\nrun 'readalike %s --help' for usage\n", c.name, err, c.name)
			return exitUsage
		case errors.Is(err, errSkipped):
			fmt.Fprintf(e.stderr, "readalike %s: %v\n", c.name, err)
			return exitSkipped
		default:
			fmt.Fprintf(e.stderr, "readalike %s: %v\n", c.name, err)
			return exitFailed
		}
	}
	fmt.Fprintf(e.stderr, "readalike: unknown command %q\n", args[0])
	usage(e.stderr)
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: readalike COMMAND [flags]\n\ncommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'readalike COMMAND --help' for a command's flags. Every flag may also come from\nthe environment: --api-key from READALIKE_API_KEY, --data from READALIKE_DATA, ...")
}

// usageError is a mistake in the command line.
type usageError struct{ msg string }

func (u usageError) Error() string { return u.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// parse parses args into fs, flags and arguments in any order (after "--"
// everything is an argument), and then fills every flag not given from its
// READALIKE_* environment variable. It returns the names of the flags given
// on the command line. fs.Args() holds the arguments afterwards.
func parse(e *env, fs *flag.FlagSet, args []string) (given map[string]bool, err error) {
	fs.SetOutput(e.stderr)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usageError{err.Error()}
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		if used := len(args) - len(rest); used > 0 && args[used-1] == "--" {
			pos = append(pos, rest...)
			break
		}
		pos, args = append(pos, rest[0]), rest[1:]
	}
	given = map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var bad error
	fs.VisitAll(func(f *flag.Flag) {
		name := "READALIKE_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v := e.getenv(name); v != "" && !given[f.Name] && bad == nil {
			if err := fs.Set(f.Name, v); err != nil {
				bad = usagef("%s=%q: %v", name, v, err)
			}
		}
	})
	if bad != nil {
		return nil, bad
	}
	// Leaves the arguments, and only them, in fs.Args().
	if err := fs.Parse(append([]string{"--"}, pos...)); err != nil {
		return nil, usageError{err.Error()}
	}
	return given, nil
}

// newFlagSet returns a flag set whose usage lists the flags sorted, after a
// line of synopsis.
func newFlagSet(name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: readalike %s %s\n\nflags (or READALIKE_<FLAG> in the environment):\n", name, synopsis)
		var names []string
		fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
		sort.Strings(names)
		for _, n := range names {
			f := fs.Lookup(n)
			def := ""
			if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" {
				def = fmt.Sprintf(" (default %s)", f.DefValue)
			}
			fmt.Fprintf(fs.Output(), "  --%-14s %s%s\n", n, f.Usage, def)
		}
	}
	return fs
}

func newLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, usagef("--log-level %q: want debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, usagef("--log-format %q: want text or json", format)
}
