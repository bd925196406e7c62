package main

import (
	"bufio"
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"

	"github.com/readalike/readalike/recommend"
	"github.com/readalike/readalike/recommend/articleio"
	"github.com/readalike/readalike/storage"
)

func TestMain(m *testing.M) { ptest.MainWithDefault(m, "prism") }

// repoRoot returns the main module's folder: two up from this one.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(root, "go.mod")); err != nil || !strings.HasPrefix(string(b), "module github.com/readalike/readalike\n") {
		t.Fatalf("%s is not the readalike module's root", root)
	}
	return root
}

// sample writes the first 2,000 BBC News articles to a file, with bad
// records and a repeated id among them; it skips where the shared data is
// absent.
func sample(t *testing.T) string {
	t.Helper()
	src := filepath.Join(repoRoot(t), "..", "shared", "data", "bbc_news.jsonl")
	f, err := os.Open(src)
	if err != nil {
		t.Skipf("the shared corpus is absent (%v): nothing to compare on", err)
	}
	defer f.Close()
	var b strings.Builder
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for n := 0; n < 2000 && sc.Scan(); n++ {
		b.WriteString(sc.Text() + "\n")
		switch n {
		case 10:
			b.WriteString("{not json\n")
		case 20:
			b.WriteString(`{"id": "no-body", "title": "a title"}` + "\n")
		case 30:
			b.WriteString(`{"id": "bad-date", "title": "t", "body": "the market rose today", "published": "last tuesday"}` + "\n")
		case 40:
			// A later record of an id wins.
			b.WriteString(`{"id": "bbc-business-001", "title": "Replaced", "body": "Shares in the bank fell as the market closed lower on interest rate fears."}` + "\n")
		}
	}
	path := filepath.Join(t.TempDir(), "articles.jsonl")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// readalike builds the readalike command of the main module, once.
func readalike(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "readalike-beam-test-")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "readalike")
		cmd := exec.Command("go", "build", "-o", binPath, "./cmd/readalike")
		cmd.Dir = repoRoot(t)
		if out, err := cmd.CombinedOutput(); err != nil {
			binErr = fmt.Errorf("build readalike: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

func runReadalike(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command(readalike(t), args...).CombinedOutput()
	if err != nil {
		t.Fatalf("readalike %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

type lists map[string][]recommend.Neighbor

func readLists(t *testing.T, path string) (lists, []string) {
	t.Helper()
	l := lists{}
	var order []string
	err := articleio.ReadLists(path, func(id string, ns []recommend.Neighbor) error {
		l[id] = ns
		order = append(order, id)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return l, order
}

// sameLists fails unless got and want hold the same articles with the
// same neighbors, scores to 1e-6.
func sameLists(t *testing.T, got, want lists) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("got %d lists, want %d", len(got), len(want))
	}
	bad := 0
	for id, w := range want {
		g, ok := got[id]
		same := ok && len(g) == len(w)
		for i := 0; same && i < len(g); i++ {
			same = g[i].ID == w[i].ID && math.Abs(g[i].Score-w[i].Score) <= 1e-6
		}
		if !same {
			if bad++; bad <= 5 {
				t.Errorf("%s: got %v, want %v", id, g, w)
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d lists differ", bad)
	}
}

// runPipeline runs the pipeline of c on prism and returns its counters.
func runPipeline(t *testing.T, c Config) map[string]int64 {
	t.Helper()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.Snapshot != "" {
		os.MkdirAll(c.Snapshot, 0o755)
	}
	p, s := beam.NewPipelineWithRoot()
	Build(s, c)
	res, err := ptest.RunWithMetrics(p)
	if err != nil {
		t.Fatal(err)
	}
	counters := map[string]int64{}
	for _, r := range res.Metrics().AllMetrics().Counters() {
		if r.Key.Namespace == "readalike" {
			counters[r.Key.Name] += r.Result()
		}
	}
	return counters
}

// TestMatchesBatch checks that every list the pipeline writes is the list
// readalike batch --input writes for the same file (ids, and scores to
// 1e-6), with blocks of several sizes and with filters, and that the bad
// records are counted and written to the dead letters.
func TestMatchesBatch(t *testing.T) {
	input := sample(t)
	dir := t.TempDir()
	cases := []struct {
		name      string
		blockSize int
		q         recommend.Query
		flags     []string
	}{
		{"one block", 5000, recommend.Query{}, nil},
		{"blocks of 700", 700, recommend.Query{}, nil},
		{"filters, blocks of 400", 400, recommend.Query{K: 8, Categories: []string{"business", "sport"}, MinScore: 0.05},
			[]string{"--k", "8", "--category", "business,sport", "--min-score", "0.05"}},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			wantPath := filepath.Join(dir, fmt.Sprintf("batch-%d.jsonl", i))
			runReadalike(t, append([]string{"batch", "--input", "--out", wantPath}, append(tc.flags, input)...)...)
			want, _ := readLists(t, wantPath)

			out := filepath.Join(dir, fmt.Sprintf("beam-%d.jsonl", i))
			dead := filepath.Join(dir, fmt.Sprintf("dead-%d.jsonl", i))
			counters := runPipeline(t, Config{Inputs: []string{input}, Out: out, Format: articleio.JSONL, DeadLetter: dead,
				BlockSize: tc.blockSize, Shards: 1, Query: tc.q})
			got, order := readLists(t, out)
			sameLists(t, got, want)
			for j := 1; j < len(order); j++ {
				if order[j-1] >= order[j] {
					t.Fatalf("lists out of id order: %s before %s", order[j-1], order[j])
				}
			}
			// 2,000 articles and the one whose bad date was left out.
			if got["bbc-business-001"] == nil || got["bad-date"] == nil || len(got) != 2001 {
				t.Errorf("got %d lists, want 2001 with the replaced article's", len(got))
			}
			b, err := os.ReadFile(dead)
			if err != nil {
				t.Fatal(err)
			}
			if n := strings.Count(string(b), "\n"); n != 3 || counters["bad_records"] != 2 || counters["fields_left_out"] != 1 {
				t.Errorf("dead letters: %d lines, counters %v; want 3 lines, 2 bad records, 1 field left out:\n%s", n, counters, b)
			}
			t.Logf("counters: %v", counters)
		})
	}
}

// TestSnapshot checks that a snapshot imported into a collection answers
// similar exactly as the snapshot's lists say, and as a collection that
// ingest fitted from the same file does.
func TestSnapshot(t *testing.T) {
	input := sample(t)
	dir := t.TempDir()
	snap := filepath.Join(dir, "snapshot")
	runPipeline(t, Config{Inputs: []string{input}, Snapshot: snap, Format: articleio.JSONL, BlockSize: 700, Shards: 3})
	imported, fitted := filepath.Join(dir, "imported"), filepath.Join(dir, "fitted")
	t.Log(runReadalike(t, "import-snapshot", "--data", imported, "--check", "100000", snap))
	// Ingest says with exit status 3 that it skipped the bad records.
	if out, err := exec.Command(readalike(t), "ingest", "--data", fitted, input).CombinedOutput(); err != nil {
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 3 {
			t.Fatalf("readalike ingest: %v\n%s", err, out)
		}
	}

	m, err := articleio.ReadSnapshotManifest(snap)
	if err != nil {
		t.Fatal(err)
	}
	want := lists{}
	for _, name := range m.Lists {
		l, _ := readLists(t, filepath.Join(snap, name))
		for id, ns := range l {
			want[id] = ns
		}
	}
	ctx := context.Background()
	open := func(dir string) *storage.Collection {
		c, err := storage.OpenCollection(ctx, dir, storage.Options{}, recommend.Options{RefitShare: -1}, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	a, b := open(imported), open(fitted)
	for _, c := range []*storage.Collection{a, b} {
		got := lists{}
		for id := range want {
			res, err := c.Engine.Similar(ctx, id, m.Query.Query())
			if err != nil {
				t.Fatal(err)
			}
			got[id] = res.Neighbors
		}
		sameLists(t, got, want)
	}
}
