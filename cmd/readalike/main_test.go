package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/readalike/readalike/recommend"
	"github.com/readalike/readalike/vectorize"
)

// result is what one run of the command gave.
type result struct {
	code           int
	stdout, stderr string
}

// invocation is how a test runs the command: its context, standard input
// and environment (READALIKE_* only; nothing is read from the process's).
type invocation struct {
	ctx    context.Context
	stdin  string
	env    map[string]string
	stderr interface{ Write([]byte) (int, error) } // when set, receives stderr instead of a buffer
}

func (c invocation) run(t *testing.T, args ...string) result {
	t.Helper()
	ctx := c.ctx
	if ctx == nil {
		ctx = t.Context()
	}
	var stdout, stderr syncBuffer
	e := &env{
		stdin:  strings.NewReader(c.stdin),
		stdout: &stdout,
		stderr: &stderr,
		getenv: func(k string) string { return c.env[k] },
	}
	if c.stderr != nil {
		e.stderr = c.stderr
	}
	code := run(ctx, e, args)
	return result{code, stdout.String(), stderr.String()}
}

// readalike runs the command with no input and an empty environment.
func readalike(t *testing.T, args ...string) result {
	t.Helper()
	return invocation{}.run(t, args...)
}

// mustRun runs the command and fails the test unless it exits 0.
func mustRun(t *testing.T, args ...string) result {
	t.Helper()
	r := readalike(t, args...)
	if r.code != exitOK {
		t.Fatalf("readalike %s: exit %d, want 0\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r
}

// syncBuffer is a bytes.Buffer safe for concurrent writes (loggers,
// request goroutines).
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// watcher is a concurrent-safe writer that calls on, once, with the
// submatches of the first text matching re.
type watcher struct {
	syncBuffer
	re   *regexp.Regexp
	on   func(m []string)
	once sync.Once
}

func (w *watcher) Write(p []byte) (int, error) {
	n, err := w.syncBuffer.Write(p)
	if m := w.re.FindStringSubmatch(w.String()); m != nil {
		w.once.Do(func() { w.on(m) })
	}
	return n, err
}

func writeFile(t *testing.T, path, content string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func jsonLines(t *testing.T, vs ...any) string {
	t.Helper()
	var b strings.Builder
	for _, v := range vs {
		j, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(j)
		b.WriteByte('\n')
	}
	return b.String()
}

// art is an input line.
type art struct {
	ID        string `json:"id"`
	Title     string `json:"title,omitempty"`
	Body      string `json:"body,omitempty"`
	URL       string `json:"url,omitempty"`
	Category  string `json:"category,omitempty"`
	Lang      string `json:"lang,omitempty"`
	Published string `json:"published,omitempty"`
}

var topics = map[string][]string{
	"space":    {"rocket", "orbit", "lunar", "lander", "astronaut", "satellite", "launch", "mission", "telescope", "planet", "crater", "capsule", "thruster", "booster"},
	"football": {"match", "goal", "striker", "league", "coach", "penalty", "stadium", "season", "keeper", "transfer", "referee", "derby", "midfield", "cup"},
	"markets":  {"shares", "investors", "profit", "bank", "inflation", "bond", "trading", "earnings", "dividend", "currency", "stocks", "rates", "merger", "revenue"},
	"cooking":  {"recipe", "oven", "flour", "butter", "sauce", "garlic", "roast", "bread", "pastry", "simmer", "herbs", "onion", "kitchen", "chef"},
	"music":    {"album", "guitar", "concert", "band", "singer", "chorus", "tour", "drummer", "melody", "record", "festival", "lyrics", "piano", "orchestra"},
	"politics": {"vote", "ballot", "candidate", "parliament", "campaign", "poll", "minister", "coalition", "turnout", "debate", "party", "seat", "senate", "reform"},
}

var common = []string{"city", "report", "people", "week", "new", "year", "officials", "plan", "early", "local", "group", "changes"}

// testCorpus returns about 40 short articles in six categories, written
// from a seeded generator: most words of an article come from its topic,
// some from another. It holds an exact duplicate pair (equal scores against
// everything else, so ties broken by id) and a near duplicate (left out by
// the near-duplicate rule), and two French articles.
func testCorpus() []art {
	rng := rand.New(rand.NewPCG(7, 11))
	names := make([]string, 0, len(topics))
	for n := range topics {
		names = append(names, n)
	}
	slices.Sort(names)
	words := func(topic string, n int) string {
		var ws []string
		for range n {
			switch r := rng.IntN(10); {
			case r < 6:
				ws = append(ws, topics[topic][rng.IntN(len(topics[topic]))])
			case r < 8:
				ws = append(ws, common[rng.IntN(len(common))])
			default:
				other := names[rng.IntN(len(names))]
				ws = append(ws, topics[other][rng.IntN(len(topics[other]))])
			}
		}
		return strings.Join(ws, " ")
	}
	var arts []art
	day := 0
	for _, topic := range names {
		for i := range 6 {
			day++
			body := words(topic, 14) + ".\n\n" + words(topic, 16) + ". " + words(topic, 10) + "."
			arts = append(arts, art{
				ID: fmt.Sprintf("%s-%02d", topic, i+1), Title: words(topic, 4), Body: body,
				URL: fmt.Sprintf("https://example.com/%s/%d", topic, i+1), Category: topic,
				Published: fmt.Sprintf("2024-03-%02dT08:00:00Z", day%28+1),
			})
		}
	}
	dup := art{Title: "Booster lands beside the lunar lander", Body: "The booster landed beside the lunar lander after a short orbit and a long mission. Astronauts watched the capsule and the thrusters from the crater rim.", Category: "space"}
	a, b := dup, dup
	a.ID, b.ID = "space-twin-a", "space-twin-b"
	near := arts[slices.IndexFunc(arts, func(a art) bool { return a.ID == "space-01" })]
	near.ID = "space-01-copy"
	near.Body = strings.Replace(near.Body, ".", " today.", 1)
	arts = append(arts, a, b, near,
		art{ID: "fr-cuisine-1", Title: "Recette du pain au beurre", Body: "La recette du pain demande de la farine, du beurre et un four très chaud. Le chef ajoute des herbes.", Category: "cooking", Lang: "fr"},
		art{ID: "fr-cuisine-2", Title: "Le beurre et la farine", Body: "Le chef prépare une sauce au beurre, puis le pain cuit au four avec des herbes et de l'ail.", Category: "cooking", Lang: "fr"},
	)
	return arts
}

func corpusFile(t *testing.T, dir string) string {
	t.Helper()
	var vs []any
	for _, a := range testCorpus() {
		vs = append(vs, a)
	}
	return writeFile(t, filepath.Join(dir, "corpus.jsonl"), jsonLines(t, vs...))
}

func TestUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
	}{
		{nil, exitUsage},
		{[]string{"help"}, exitOK},
		{[]string{"--help"}, exitOK},
		{[]string{"frobnicate"}, exitUsage},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			r := readalike(t, tc.args...)
			if r.code != tc.code {
				t.Errorf("exit %d, want %d", r.code, tc.code)
			}
			for _, c := range commands() {
				if !strings.Contains(r.stderr, "  "+c.name) {
					t.Errorf("usage lacks command %s:\n%s", c.name, r.stderr)
				}
			}
		})
	}
}

// Every command prints its flags for --help and exits 0.
func TestCommandHelp(t *testing.T) {
	for _, c := range commands() {
		t.Run(c.name, func(t *testing.T) {
			r := readalike(t, c.name, "--help")
			if r.code != exitOK {
				t.Errorf("exit %d, want 0", r.code)
			}
			if !strings.Contains(r.stderr, "usage: readalike "+c.name) || !strings.Contains(r.stderr, "READALIKE_") {
				t.Errorf("help output:\n%s", r.stderr)
			}
		})
	}
}

func TestUnknownFlag(t *testing.T) {
	r := readalike(t, "stats", "--frob")
	if r.code != exitUsage || !strings.Contains(r.stderr, "frob") || !strings.Contains(r.stderr, "readalike stats --help") {
		t.Errorf("got exit %d, stderr:\n%s\nwant exit 2 naming the flag", r.code, r.stderr)
	}
}

func TestBadEnvironmentValue(t *testing.T) {
	r := invocation{env: map[string]string{"READALIKE_K": "many"}}.run(t, "similar", "--data", t.TempDir(), "x")
	if r.code != exitUsage || !strings.Contains(r.stderr, "READALIKE_K") {
		t.Errorf("got exit %d, stderr:\n%s\nwant exit 2 naming READALIKE_K", r.code, r.stderr)
	}
}

// Flags may follow the arguments, and "--" ends the flags.
func TestParseInterspersed(t *testing.T) {
	for _, tc := range []struct {
		args []string
		k    int
		json bool
		pos  []string
	}{
		{[]string{"a", "--k", "3", "b", "--json"}, 3, true, []string{"a", "b"}},
		{[]string{"--json", "-", "--k=4"}, 4, true, []string{"-"}},
		{[]string{"a", "--", "--k", "9"}, 5, false, []string{"a", "--k", "9"}},
		{[]string{"--k", "2", "--", "-x"}, 2, false, []string{"-x"}},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			fs := newFlagSet("test", "")
			k := fs.Int("k", 5, "")
			j := fs.Bool("json", false, "")
			e := &env{stderr: &bytes.Buffer{}, getenv: func(string) string { return "" }}
			if _, err := parse(e, fs, tc.args); err != nil {
				t.Fatal(err)
			}
			if *k != tc.k || *j != tc.json || !slices.Equal(fs.Args(), tc.pos) {
				t.Errorf("got k=%d json=%t args=%q, want k=%d json=%t args=%q", *k, *j, fs.Args(), tc.k, tc.json, tc.pos)
			}
		})
	}
}

// The command line wins over the environment, and parse tells which flags
// it gave.
func TestParseEnvironment(t *testing.T) {
	fs := newFlagSet("test", "")
	k := fs.Int("k", 5, "")
	data := fs.String("data", "", "")
	e := &env{stderr: &bytes.Buffer{}, getenv: func(name string) string {
		return map[string]string{"READALIKE_K": "7", "READALIKE_DATA": "/from/env"}[name]
	}}
	given, err := parse(e, fs, []string{"--k", "3"})
	if err != nil {
		t.Fatal(err)
	}
	if *k != 3 || *data != "/from/env" || !given["k"] || given["data"] {
		t.Errorf("got k=%d data=%q given=%v, want k=3 data=/from/env given={k}", *k, *data, given)
	}
}

// within reports whether a and b differ by at most tol.
func within(a, b, tol float64) bool { return a-b <= tol && b-a <= tol }

// waitFor polls f every few milliseconds until it is true or d passed.
func waitFor(d time.Duration, f func() bool) bool {
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		if f() {
			return true
		}
	}
	return f()
}

// scanCollection returns every stored article of the collection in dir, by
// id; the collection is closed again.
func scanCollection(t *testing.T, dir string) map[string]recommend.Article {
	t.Helper()
	col, err := openCollection(t.Context(), dir, recommend.Options{RefitShare: -1}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer col.Close()
	out := map[string]recommend.Article{}
	err = col.DB.Scan(t.Context(), true, func(a *recommend.Article, _ vectorize.Counts) error {
		out[a.ID] = *a
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
