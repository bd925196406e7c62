package storage

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/readalike/readalike/recommend"
)

// crashDirEnv names the store a child process of TestCrash writes to.
const crashDirEnv = "READALIKE_STORAGE_CRASH_DIR"

// TestCrash starts this test binary again as a child process that commits
// batches from several goroutines and prints each acknowledged id, kills it
// with SIGKILL after some acknowledgements, and checks that the reopened
// store holds every acknowledged article and that N and df agree with a
// recount (which Open has just redone, as after any crash: the check is
// that Open recounts, that N was kept in step, and that articles and counts
// agree). It does so a few times over the same store, so each child also
// opens a store left by a killed process.
func TestCrash(t *testing.T) {
	if dir := os.Getenv(crashDirEnv); dir != "" {
		crashChild(dir)
		return
	}
	if testing.Short() {
		t.Skip("kill -9 test skipped in short mode")
	}
	dir := t.TempDir()
	acked := map[string]bool{}
	for round := range 4 {
		for _, id := range runCrashChild(t, dir, 150+100*round) {
			acked[id] = true
		}
		var logged syncBuffer
		log := slog.New(slog.NewTextHandler(&logged, &slog.HandlerOptions{Level: slog.LevelWarn}))
		d, err := Open(dir, Options{Logger: log})
		if err != nil {
			t.Fatalf("round %d: open after kill -9: %v", round, err)
		}
		if !strings.Contains(logged.String(), "recounted document frequencies") {
			t.Errorf("round %d: no recount after kill -9; log:\n%s", round, logged.String())
		}
		if strings.Contains(logged.String(), "stored article count was wrong") {
			t.Errorf("round %d: N was not kept with the counts; log:\n%s", round, logged.String())
		}
		for id := range acked {
			if _, err := d.Article(context.Background(), id); err != nil {
				t.Errorf("round %d: acknowledged article lost: %v", round, err)
			}
		}
		checkStats(t, d, recommend.TermStats{})
		st := liveStats(t, d)
		t.Logf("round %d: %d acknowledged so far, N=%d, %d terms", round, len(acked), st.N, len(st.DF))
		if err := d.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// runCrashChild runs a child until it printed acks acknowledgements, kills
// it, and returns every id it acknowledged.
func runCrashChild(t *testing.T, dir string, acks int) []string {
	t.Helper()
	cmd, out, stop := startChild(t, "TestCrash", crashDirEnv, dir)
	defer stop()
	var ids []string
	lines := bufio.NewScanner(out)
	killed := false
	for lines.Scan() {
		id, ok := strings.CutPrefix(lines.Text(), "acked ")
		if !ok {
			continue // the testing package's own output
		}
		ids = append(ids, id)
		if len(ids) == acks && !killed {
			// Lines already in the pipe were acknowledged too: keep reading.
			if err := cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			killed = true
		}
	}
	err := cmd.Wait()
	if !killed {
		t.Fatalf("child stopped after %d acknowledgements, before the kill: %v", len(ids), err)
	}
	return ids
}

// startChild runs this test binary's test named test in a child process,
// with env set to dir, and returns the child and its standard output; the
// child is killed after a minute, or when stop is called.
func startChild(t *testing.T, test, env, dir string) (cmd *exec.Cmd, out io.ReadCloser, stop func()) {
	t.Helper()
	cmd = exec.Command(os.Args[0], "-test.run=^"+test+"$")
	cmd.Env = append(os.Environ(), env+"="+dir)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.AfterFunc(time.Minute, func() { cmd.Process.Kill() })
	return cmd, out, func() { deadline.Stop() }
}

// crashChild commits until it is killed: puts of new articles, replaces of
// its own earlier ones, and deletes of ones it never reports.
func crashChild(dir string) {
	d, err := Open(dir, Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "crash child:", err)
		os.Exit(2)
	}
	time.AfterFunc(30*time.Second, func() { os.Exit(3) }) // if the parent is gone
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(os.Getpid()), uint64(w)))
			prefix := fmt.Sprintf("p%d-w%d", os.Getpid(), w)
			for i := 0; ; i++ {
				id := fmt.Sprintf("%s-%05d", prefix, i)
				b := recommend.Write{Puts: []recommend.Put{
					randPut(rng, id, 500, 60),
					randPut(rng, fmt.Sprintf("%s-tmp%d", prefix, i%7), 500, 60),
				}}
				if i > 0 && i%3 == 0 {
					b.Puts = append(b.Puts, randPut(rng, fmt.Sprintf("%s-%05d", prefix, rng.IntN(i)), 500, 60))
					b.Deletes = []string{fmt.Sprintf("%s-tmp%d", prefix, (i%7+1+rng.IntN(6))%7)} // not the one put
				}
				err := d.Commit(context.Background(), b)
				if errors.Is(err, ErrClosed) {
					return
				}
				if err != nil {
					fmt.Fprintln(os.Stderr, "crash child:", err)
					os.Exit(2)
				}
				mu.Lock()
				fmt.Println("acked", id)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
}
