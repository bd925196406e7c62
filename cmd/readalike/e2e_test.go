package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/readalike/readalike/recommend"
)

// TestEndToEnd builds the binary, ingests the BBC corpus, serves it, and
// checks the answers of GET /v1/articles/{id}/similar against the
// brute-force reference over the weights analyze --input --vectors prints
// for the same file: after ingest the collection is refitted, so the served
// model is a from-scratch fit on the same articles. Then it stops the
// server with SIGTERM.
func TestEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test: builds and runs the binary; skipped with -short")
	}
	root := moduleRoot(t)
	const corpus = "../shared/data/bbc_news.jsonl" // relative to the repository root
	if _, err := os.Stat(filepath.Join(root, corpus)); err != nil {
		t.Skipf("end-to-end test needs %s: run with ../shared beside the repository (%v)", corpus, err)
	}
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "readalike")
	build := exec.Command("go", "build", "-o", bin, "./cmd/readalike")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	data := filepath.Join(tmp, "d")
	command := func(args ...string) *exec.Cmd {
		c := exec.Command(bin, args...)
		c.Dir = root
		c.Env = cleanEnviron()
		return c
	}
	run := func(args ...string) []byte {
		t.Helper()
		var stdout, stderr bytes.Buffer
		c := command(args...)
		c.Stdout, c.Stderr = &stdout, &stderr
		start := time.Now()
		if err := c.Run(); err != nil {
			t.Fatalf("readalike %s: %v\n%s", strings.Join(args, " "), err, stderr.Bytes())
		}
		t.Logf("readalike %s: %v", args[0], time.Since(start).Round(time.Millisecond))
		return stdout.Bytes()
	}

	out := run("ingest", "--data", data, corpus)
	if !bytes.Contains(out, []byte("ingested 2225 articles")) || !bytes.Contains(out, []byte("refitted: generation 2")) {
		t.Fatalf("ingest printed:\n%s", out)
	}
	a := parseAnalyzed(t, bytes.NewReader(run("analyze", "--input", corpus, "--vectors")))
	if len(a.Rows) != 2225 {
		t.Fatalf("analyze printed %d articles, want 2225", len(a.Rows))
	}
	ref := newReference(a)

	srv := command("serve", "--data", data, "--addr", "127.0.0.1:0", "--shutdown-grace", "5s", "--log-level", "warn")
	stderr, err := srv.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	url := make(chan string, 1)
	var log syncBuffer
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			fmt.Fprintln(&log, sc.Text())
			if m := servingLine.FindStringSubmatch(sc.Text() + "\n"); m != nil {
				url <- m[2]
			}
		}
		exited <- srv.Wait()
	}()
	defer srv.Process.Kill()
	var base string
	select {
	case base = <-url:
	case err := <-exited:
		t.Fatalf("serve exited: %v\n%s", err, log.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("serve did not start in 30 s:\n%s", log.String())
	}
	if !waitFor(10*time.Second, func() bool {
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil && resp.StatusCode == 200
	}) {
		t.Fatalf("/readyz never answered 200:\n%s", log.String())
	}

	// Twenty ids across the file, and one of the 98 exact duplicate pairs,
	// whose twin (cosine 1) must be left out.
	var ids []string
	for i := 0; i < len(ref.ids) && len(ids) < 19; i += len(ref.ids) / 19 {
		ids = append(ids, ref.ids[i])
	}
	ids = append(ids, "bbc-business-007")
	for _, id := range ids {
		var res similarOut
		if code := getJSON(t, base+"/v1/articles/"+id+"/similar", &res); code != 200 {
			t.Fatalf("GET similar of %s: status %d", id, code)
		}
		if res.ID != id || res.Generation != 2 {
			t.Errorf("%s: got id %q generation %d, want generation 2", id, res.ID, res.Generation)
		}
		got := make([]neighbor, len(res.Neighbors))
		for i, m := range res.Neighbors {
			got[i] = neighbor{m.ID, m.Score}
		}
		if d := ref.diffNeighbors(id, got, ref.nearest(id, 5, recommend.DefaultDedup), 1e-6); d != "" {
			t.Error(d)
		}
		if id == "bbc-business-007" && len(got) > 0 && got[0].ID == "bbc-business-253" {
			t.Error("bbc-business-007's exact duplicate is its first neighbor")
		}
	}

	start := time.Now()
	if err := srv.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("serve exited with %v after SIGTERM, want status 0:\n%s", err, log.String())
		}
		t.Logf("serve stopped %v after SIGTERM", time.Since(start).Round(time.Millisecond))
	case <-time.After(10 * time.Second):
		t.Fatalf("serve still running 10 s after SIGTERM (grace 5 s):\n%s", log.String())
	}
}

// moduleRoot returns the directory of the go.mod of the module under test.
func moduleRoot(t *testing.T) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatalf("go env GOMOD: %v", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		t.Fatal("go env GOMOD: not in a module")
	}
	return filepath.Dir(gomod)
}

// cleanEnviron is the process's environment without READALIKE_* settings,
// which would change what the commands do.
func cleanEnviron() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "READALIKE_") {
			env = append(env, kv)
		}
	}
	return env
}
