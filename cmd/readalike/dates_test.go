package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// dateForms are dates as sources write them, one of each form, with the
// instant each means.
var dateForms = []struct{ in, want string }{
	{"2024-01-18T06:30:00Z", "2024-01-18T06:30:00Z"},
	{"2024-01-18T15:30:00+09:00", "2024-01-18T06:30:00Z"},
	{"1987-10-19T00:34:08", "1987-10-19T00:34:08Z"}, // no zone: UTC
	{"1987-10-19 00:34:08", "1987-10-19T00:34:08Z"},
	{"1987-10-19T00:34:08.25", "1987-10-19T00:34:08.25Z"},
	{"2024-01-18", "2024-01-18T00:00:00Z"},
	{"Thu, 18 Jan 2024 06:30:00 GMT", "2024-01-18T06:30:00Z"},
	{"Thu, 18 Jan 2024 06:30:00 +0100", "2024-01-18T05:30:00Z"},
	{"18 Jan 24 06:30 EST", "2024-01-18T11:30:00Z"},
}

// Every form of date is read by ingest, in JSONL and CSV alike, and batch
// --input; a date in no form is left out of the article with a warning
// naming the file, the line and the field, and --strict refuses it.
func TestIngestDateForms(t *testing.T) {
	dir := t.TempDir()
	var jsonl, csv strings.Builder
	csv.WriteString("id,body,published\n")
	for i, f := range dateForms {
		fmt.Fprintf(&jsonl, `{"id": "j%d", "body": "an article about the moon", "published": %q}`+"\n", i, f.in)
		fmt.Fprintf(&csv, "c%d,an article about the moon,%q\n", i, f.in)
	}
	fmt.Fprintf(&jsonl, `{"id": "bad", "body": "an article about the sea", "published": "18/01/2024"}`+"\n")
	jpath := writeFile(t, filepath.Join(dir, "dates.jsonl"), jsonl.String())
	cpath := writeFile(t, filepath.Join(dir, "dates.csv"), csv.String())
	data := filepath.Join(dir, "data")
	r := readalike(t, "ingest", "--data", data, jpath, cpath)
	if r.code != exitOK {
		t.Fatalf("exit %d, want 0 (a field left out is a warning)\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	warn := fmt.Sprintf(`%s:%d: warning: published: "18/01/2024" is not a time`, jpath, len(dateForms)+1)
	if !strings.Contains(r.stderr, warn) || strings.Count(r.stderr, "warning") != 1 {
		t.Errorf("stderr:\n%s\nwant the one warning %q", r.stderr, warn)
	}
	got := scanCollection(t, data)
	for i, f := range dateForms {
		for _, id := range []string{fmt.Sprintf("j%d", i), fmt.Sprintf("c%d", i)} {
			if p := got[id].Published.Format(time.RFC3339Nano); p != f.want {
				t.Errorf("%s: %q stored as %s, want %s", id, f.in, p, f.want)
			}
		}
	}
	if a, ok := got["bad"]; !ok || !a.Published.IsZero() {
		t.Errorf("the article with a bad date: %+v, %v; want it kept without the date", a, ok)
	}

	r = readalike(t, "ingest", "--strict", "--data", filepath.Join(dir, "strict"), jpath)
	if want := fmt.Sprintf("%s:%d: published: ", jpath, len(dateForms)+1); r.code != exitFailed || !strings.Contains(r.stderr, want) {
		t.Errorf("--strict: exit %d, stderr:\n%s\nwant exit 1 and %q", r.code, r.stderr, want)
	}

	// The export of the issue: dates without a zone, every record fitted.
	r = readalike(t, "batch", "--input", jpath)
	if want := fmt.Sprintf("read and fitted %d articles", len(dateForms)+1); r.code != exitOK || !strings.Contains(r.stderr, want) {
		t.Errorf("batch --input: exit %d, stderr:\n%s\nwant %q", r.code, r.stderr, want)
	}
}
