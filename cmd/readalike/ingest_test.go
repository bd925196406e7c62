package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestIngestJSONL(t *testing.T) {
	dir := t.TempDir()
	in := corpusFile(t, dir)
	data := filepath.Join(dir, "data")
	r := mustRun(t, "ingest", "--data", data, in)
	n := len(testCorpus())
	if want := fmt.Sprintf("ingested %d articles", n); !strings.Contains(r.stdout, want) || !strings.Contains(r.stdout, "refitted: generation 2") {
		t.Errorf("stdout:\n%s\nwant %q and the refit", r.stdout, want)
	}
	got := scanCollection(t, data)
	if len(got) != n {
		t.Fatalf("got %d articles, want %d", len(got), n)
	}
	for _, a := range testCorpus() {
		g := got[a.ID]
		lang := a.Lang
		if lang == "" {
			lang = "en"
		}
		pub := ""
		if !g.Published.IsZero() {
			pub = g.Published.Format(time.RFC3339)
		}
		if g.Title != a.Title || g.Body != a.Body || g.URL != a.URL || g.Category != a.Category || g.Lang != lang || pub != a.Published {
			t.Errorf("stored %+v\nwant %+v", g, a)
		}
	}
}

func TestIngestCSV(t *testing.T) {
	dir := t.TempDir()
	// A byte-order mark, columns in any order and case, a quoted body over
	// two lines, a date-only published.
	in := writeFile(t, filepath.Join(dir, "in.csv"), "\ufeffBody,ID,title,published,category\n"+
		"\"Rockets launch from the coast,\nsaid the agency.\",csv-1,Rocket launch,2024-01-18,space\n"+
		"Strikers score late goals,csv-2,Late goals,,football\n")
	data := filepath.Join(dir, "data")
	mustRun(t, "ingest", "--data", data, in)
	got := scanCollection(t, data)
	want1 := "Rockets launch from the coast,\nsaid the agency."
	if a := got["csv-1"]; a.Body != want1 || a.Title != "Rocket launch" || a.Category != "space" || a.Published.Format(time.DateOnly) != "2024-01-18" {
		t.Errorf("csv-1 stored as %+v", a)
	}
	if a := got["csv-2"]; a.Body != "Strikers score late goals" || !a.Published.IsZero() {
		t.Errorf("csv-2 stored as %+v", a)
	}

	for _, tc := range []struct{ name, header, want string }{
		{"unknown column", "id,body,author", `in.csv:1: unknown column "author"`},
		{"no id", "title,body", `in.csv:1: the header names no "id" column`},
		{"no body", "id,title", `in.csv:1: the header names no "body" column`},
		{"twice", "id,body,title,Title", `in.csv:1: column "title" appears twice`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			in := writeFile(t, filepath.Join(dir, "in.csv"), tc.header+"\nx,y,z\n")
			data := filepath.Join(dir, "data")
			r := readalike(t, "ingest", "--data", data, in)
			if r.code != exitFailed || !strings.Contains(r.stderr, tc.want) {
				t.Errorf("got exit %d, stderr:\n%s\nwant exit 1 and %q", r.code, r.stderr, tc.want)
			}
			if n := len(scanCollection(t, data)); n != 0 {
				t.Errorf("%d articles stored, want none", n)
			}
		})
	}
}

// A bad CSV record is reported at the line it starts on, skipped, and the
// records after it are read.
func TestIngestCSVBadRecord(t *testing.T) {
	dir := t.TempDir()
	in := writeFile(t, filepath.Join(dir, "in.csv"), "id,body\n"+
		"c1,first body\n"+
		"c2,a bare \" quote\n"+
		"c3,third body\n"+
		"c4,\"an unclosed quote\nover lines\n")
	data := filepath.Join(dir, "data")
	r := readalike(t, "ingest", "--data", data, in)
	if r.code != exitSkipped {
		t.Errorf("exit %d, want %d", r.code, exitSkipped)
	}
	for _, want := range []string{in + ":3: bad CSV", in + ":5: bad CSV"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr:\n%s\nwant %q", r.stderr, want)
		}
	}
	if got := slices.Sorted(mapsKeys(scanCollection(t, data))); !slices.Equal(got, []string{"c1", "c3"}) {
		t.Errorf("stored %v, want [c1 c3]", got)
	}
}

func mapsKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func TestIngestFolder(t *testing.T) {
	// Brackets in the name: the folder is listed, not globbed.
	dir := filepath.Join(t.TempDir(), "news[2024]")
	writeFile(t, filepath.Join(dir, "lunar-lander.txt"), "Lander touches down\nThe lunar lander touched down in the crater.\n\nAll systems are nominal.\n")
	writeFile(t, filepath.Join(dir, "cup-final.txt"), "  Cup final tonight  \r\nThe striker is fit for the cup final.\r\n")
	writeFile(t, filepath.Join(dir, "notes.md"), "not an article\nat all\n")
	data := filepath.Join(t.TempDir(), "data")
	r := mustRun(t, "ingest", "--data", data, dir)
	if !strings.Contains(r.stdout, "ingested 2 articles") {
		t.Errorf("stdout:\n%s", r.stdout)
	}
	got := scanCollection(t, data)
	if a := got["lunar-lander"]; a.Title != "Lander touches down" || a.Body != "The lunar lander touched down in the crater.\n\nAll systems are nominal.\n" {
		t.Errorf("lunar-lander stored as %q / %q", a.Title, a.Body)
	}
	if a := got["cup-final"]; a.Title != "Cup final tonight" || !strings.Contains(a.Body, "striker") {
		t.Errorf("cup-final stored as %q / %q", a.Title, a.Body)
	}
	if len(got) != 2 {
		t.Errorf("got %d articles, want 2", len(got))
	}

	empty := t.TempDir()
	if r := readalike(t, "ingest", "--data", data, empty); r.code != exitFailed || !strings.Contains(r.stderr, "no .txt files") {
		t.Errorf("empty folder: exit %d, stderr:\n%s", r.code, r.stderr)
	}
}

func TestIngestStdin(t *testing.T) {
	data := t.TempDir()
	in := jsonLines(t, art{ID: "s1", Title: "From stdin", Body: "piped body text"}, art{ID: "s2", Body: "another piped body"})
	r := invocation{stdin: in}.run(t, "ingest", "--data", data, "-")
	if r.code != exitOK || !strings.Contains(r.stdout, "ingested 2 articles") {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	if got := scanCollection(t, data); got["s1"].Title != "From stdin" || got["s2"].Body != "another piped body" {
		t.Errorf("stored %v", got)
	}
	r = invocation{stdin: "{\"id\": \"s3\"}\n"}.run(t, "ingest", "--data", data, "-")
	if r.code != exitSkipped || !strings.Contains(r.stderr, "-:1: body: is required") {
		t.Errorf("exit %d, stderr:\n%s\nwant exit 3 and -:1: body: is required", r.code, r.stderr)
	}
}

// badInput is a JSONL file of good and bad records, one kind of mistake a
// line: the ids kept in file order, the reason each bad line must be
// reported with, and the warning each line kept without an optional field
// must get.
func badInput(t *testing.T, dir string) (path string, kept []string, bad, warned map[int]string) {
	lines := []string{
		`{"id": "good-1", "title": "One", "body": "the first good article"}`,
		`{"id": "bad-json", "body": "unterminated`,
		`{"id": "no-body", "title": "Only a title"}`,
		`{"id": "bad-lang", "body": "some text", "lang": "klingon"}`,
		`{"id": "bad-date", "body": "some text", "published": "last tuesday"}`,
		`{"id": "bad-url", "body": "some text", "url": "ftp://example.com/x"}`,
		`{"id": "good-2", "body": "the second good article"}`,
		``,
		`{"id": "good-3", "body": "the third good article", "lang": "FR", "url": "https://example.com/3"}`,
	}
	path = writeFile(t, filepath.Join(dir, "mixed.jsonl"), strings.Join(lines, "\n")+"\n")
	bad = map[int]string{
		2: "not valid JSON",
		3: "body: is required",
		4: "lang: ",
	}
	warned = map[int]string{
		5: `warning: published: "last tuesday" is not a time`,
		6: "warning: url: must be an absolute http or https URL; left out",
	}
	return path, []string{"good-1", "bad-date", "bad-url", "good-2", "good-3"}, bad, warned
}

func TestIngestBadRecords(t *testing.T) {
	dir := t.TempDir()
	in, kept, bad, warned := badInput(t, dir)
	data := filepath.Join(dir, "data")
	r := readalike(t, "ingest", "--data", data, in)
	if r.code != exitSkipped {
		t.Errorf("exit %d, want %d (skipped)", r.code, exitSkipped)
	}
	for _, m := range []map[int]string{bad, warned} {
		for line, reason := range m {
			if want := fmt.Sprintf("%s:%d: %s", in, line, reason); !strings.Contains(r.stderr, want) {
				t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
			}
		}
	}
	if !strings.Contains(r.stdout, "ingested 5 articles") || !strings.Contains(r.stdout, "skipped 3 bad records") {
		t.Errorf("stdout:\n%s", r.stdout)
	}
	if !strings.Contains(r.stderr, "skipped bad records: 3 of 8") {
		t.Errorf("stderr lacks the count of skipped records:\n%s", r.stderr)
	}
	got := scanCollection(t, data)
	if ids := slices.Sorted(mapsKeys(got)); !slices.Equal(ids, slices.Sorted(slices.Values(kept))) {
		t.Errorf("stored %v, want %v", ids, kept)
	}
	if got["bad-date"].Published.IsZero() == false || got["bad-url"].URL != "" {
		t.Errorf("fields that could not be read were kept: %+v %+v", got["bad-date"], got["bad-url"])
	}
	if got["good-3"].Lang != "fr" {
		t.Errorf("lang stored as %q, want fr (canonical)", got["good-3"].Lang)
	}

	// Nothing bad: exit 0.
	ok := writeFile(t, filepath.Join(dir, "ok.jsonl"), jsonLines(t, art{ID: "ok", Body: "fine"}))
	mustRun(t, "ingest", "--data", data, ok)
}

// --strict stops at the first bad record with status 1: the records before
// it are written, whatever the batch size, and none after it.
func TestIngestStrict(t *testing.T) {
	for _, batch := range []string{"1", "256"} {
		t.Run("batch="+batch, func(t *testing.T) {
			dir := t.TempDir()
			in, _, _, _ := badInput(t, dir)
			data := filepath.Join(dir, "data")
			r := readalike(t, "ingest", "--strict", "--batch", batch, "--data", data, in)
			if r.code != exitFailed {
				t.Errorf("exit %d, want %d", r.code, exitFailed)
			}
			if want := in + ":2: bad record (strict)"; !strings.Contains(r.stderr, want) {
				t.Errorf("stderr:\n%s\nwant %q", r.stderr, want)
			}
			if strings.Contains(r.stderr, ":3:") {
				t.Errorf("read on after the first bad record:\n%s", r.stderr)
			}
			if ids := slices.Sorted(mapsKeys(scanCollection(t, data))); !slices.Equal(ids, []string{"good-1"}) {
				t.Errorf("stored %v, want [good-1]", ids)
			}
		})
	}
}

// When an id repeats, the later line wins: within one batch, and across
// batches that concurrent writers take.
func TestIngestRepeatedID(t *testing.T) {
	dir := t.TempDir()
	var lines []any
	for i := range 300 {
		lines = append(lines,
			art{ID: "dup", Title: fmt.Sprintf("version %d", i), Body: fmt.Sprintf("body of version %d", i)},
			art{ID: fmt.Sprintf("other-%d", i), Body: "an unrelated article"})
	}
	in := writeFile(t, filepath.Join(dir, "dup.jsonl"), jsonLines(t, lines...))
	for _, batch := range []string{"1", "3", "256"} {
		t.Run("batch="+batch, func(t *testing.T) {
			data := t.TempDir()
			mustRun(t, "ingest", "--batch", batch, "--writers", "4", "--data", data, in)
			got := scanCollection(t, data)
			if len(got) != 301 || got["dup"].Title != "version 299" {
				t.Errorf("got %d articles and dup %q, want 301 and version 299", len(got), got["dup"].Title)
			}
		})
	}
}

func TestIngestUsage(t *testing.T) {
	in := writeFile(t, filepath.Join(t.TempDir(), "in.jsonl"), jsonLines(t, art{ID: "e1", Body: "from the environment"}))
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no data", []string{"ingest", in}, "--data is required"},
		{"no input", []string{"ingest", "--data", t.TempDir()}, "name at least one input"},
		{"bad batch", []string{"ingest", "--data", t.TempDir(), "--batch", "0", in}, "--batch and --writers must be at least 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := readalike(t, tc.args...)
			if r.code != exitUsage || !strings.Contains(r.stderr, tc.want) {
				t.Errorf("got exit %d, stderr:\n%s\nwant exit 2 and %q", r.code, r.stderr, tc.want)
			}
		})
	}
	t.Run("missing file", func(t *testing.T) {
		r := readalike(t, "ingest", "--data", t.TempDir(), filepath.Join(t.TempDir(), "absent.jsonl"))
		if r.code != exitFailed || !strings.Contains(r.stderr, "absent.jsonl") {
			t.Errorf("got exit %d, stderr:\n%s", r.code, r.stderr)
		}
	})
	t.Run("environment", func(t *testing.T) {
		data := t.TempDir()
		r := invocation{env: map[string]string{"READALIKE_DATA": data}}.run(t, "ingest", in)
		if r.code != exitOK {
			t.Fatalf("exit %d, stderr:\n%s", r.code, r.stderr)
		}
		if got := scanCollection(t, data); got["e1"].Body != "from the environment" {
			t.Errorf("stored %v", got)
		}
	})
	t.Run("flags after files", func(t *testing.T) {
		data := t.TempDir()
		mustRun(t, "ingest", in, "--data", data, "--no-refit")
		if len(scanCollection(t, data)) != 1 {
			t.Error("nothing stored")
		}
	})
}

// A quick load of the index prints no progress line.
func TestIngestQuiet(t *testing.T) {
	data := t.TempDir()
	in := corpusFile(t, t.TempDir())
	mustRun(t, "ingest", "--data", data, in)
	r := mustRun(t, "ingest", "--data", data, in)
	if r.stderr != "" {
		t.Errorf("stderr of a quick ingest:\n%s\nwant nothing", r.stderr)
	}
}

func TestCountRecords(t *testing.T) {
	dir := t.TempDir()
	a := writeFile(t, filepath.Join(dir, "a.jsonl"), "{}\n{}\n{}\n")
	b := writeFile(t, filepath.Join(dir, "b.jsonl"), "{}\n{}")
	c := writeFile(t, filepath.Join(dir, "c.csv"), "id,body\n1,x\n2,y\n")
	folder := filepath.Join(dir, "txt")
	writeFile(t, filepath.Join(folder, "x.txt"), "t\nb")
	writeFile(t, filepath.Join(folder, "y.TXT"), "t\nb")
	writeFile(t, filepath.Join(folder, "z.md"), "t\nb")
	for _, tc := range []struct {
		paths []string
		want  int64
	}{
		{[]string{a}, 3},
		{[]string{b}, 2},
		{[]string{c}, 2},
		{[]string{folder}, 2},
		{[]string{a, b, c, folder}, 9},
		{[]string{a, "-"}, -1},
		{[]string{filepath.Join(dir, "absent")}, -1},
	} {
		if got := countRecords(tc.paths); got != tc.want {
			t.Errorf("countRecords(%v) = %d, want %d", tc.paths, got, tc.want)
		}
	}
}

// Nothing of an ingest stays open: the store can be opened again at once.
func TestIngestReleasesStore(t *testing.T) {
	data := t.TempDir()
	in := corpusFile(t, t.TempDir())
	mustRun(t, "ingest", "--data", data, in)
	r := mustRun(t, "stats", "--data", data)
	if !regexp.MustCompile(`articles\s+41`).MatchString(r.stdout) {
		t.Errorf("stats:\n%s", r.stdout)
	}
	if _, err := os.Stat(filepath.Join(data, "LOCK")); err == nil {
		t.Error("the store's LOCK file is left behind")
	}
}

// TestIngestLang: --lang gives the articles that name no language theirs,
// without detecting it; those that name one keep it; a language we do not
// stem is refused before anything is read.
func TestIngestLang(t *testing.T) {
	dir := t.TempDir()
	in := writeFile(t, filepath.Join(dir, "in.jsonl"),
		`{"id": "fr-text", "title": "Les élections", "body": "Le gouvernement a annoncé les résultats des élections régionales dimanche soir."}`+"\n"+
			`{"id": "named", "body": "El gobierno anunció los resultados de las elecciones.", "lang": "es"}`+"\n")
	data := filepath.Join(dir, "data")
	mustRun(t, "ingest", "--data", data, "--lang", "EN", in)
	got := scanCollection(t, data)
	if a := got["fr-text"]; a.Lang != "en" || a.LangDetected {
		t.Errorf("fr-text stored with lang %q, detected %v; want en as given by --lang", a.Lang, a.LangDetected)
	}
	if a := got["named"]; a.Lang != "es" || a.LangDetected {
		t.Errorf("named stored with lang %q, detected %v; want its own es", a.Lang, a.LangDetected)
	}

	data2 := filepath.Join(dir, "data2")
	mustRun(t, "ingest", "--data", data2, in)
	if a := scanCollection(t, data2)["fr-text"]; a.Lang != "fr" || !a.LangDetected {
		t.Errorf("without --lang fr-text stored with lang %q, detected %v; want fr, detected", a.Lang, a.LangDetected)
	}

	r := readalike(t, "ingest", "--data", filepath.Join(dir, "data3"), "--lang", "klingon", in)
	if r.code != exitUsage || !strings.Contains(r.stderr, "--lang") {
		t.Errorf("--lang klingon: exit %d, stderr:\n%s\nwant exit %d naming --lang", r.code, r.stderr, exitUsage)
	}
	r = readalike(t, "batch", "--input", "--lang", "xx", in)
	if r.code != exitUsage || !strings.Contains(r.stderr, "--lang") {
		t.Errorf("batch --lang xx: exit %d, stderr:\n%s\nwant exit %d naming --lang", r.code, r.stderr, exitUsage)
	}
	r = mustRun(t, "batch", "--input", "--lang", "en", in)
	if !strings.Contains(r.stdout, `"id":"fr-text"`) {
		t.Errorf("batch --input --lang en answered:\n%s", r.stdout)
	}
}
