package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// readmeCommand is one command of a ```sh block of README.md.
type readmeCommand struct {
	line int    // where it starts in README.md
	text string // as written, continuation lines included
}

// readmeCommands returns the commands of README.md's ```sh blocks, in
// order: lines that are not comments, joined while a single quote is open
// or a line ends in a backslash.
func readmeCommands(t *testing.T, readme string) []readmeCommand {
	t.Helper()
	var cmds []readmeCommand
	in := false
	var cur *readmeCommand
	for i, line := range strings.Split(readme, "\n") {
		trimmed := strings.TrimSpace(line)
		switch {
		case !in && trimmed == "```sh":
			in = true
			continue
		case in && trimmed == "```":
			if cur != nil {
				t.Fatalf("README.md:%d: a command is not finished at the end of its block", cur.line)
			}
			in = false
			continue
		case !in:
			continue
		}
		if cur == nil {
			if trimmed == "" || strings.HasPrefix(trimmed, "#") {
				continue
			}
			cur = &readmeCommand{line: i + 1}
		} else {
			cur.text += "\n"
		}
		cur.text += line
		if strings.Count(cur.text, "'")%2 == 0 && !strings.HasSuffix(trimmed, `\`) {
			cmds = append(cmds, *cur)
			cur = nil
		}
	}
	if in {
		t.Fatal("README.md: a ```sh block is not closed")
	}
	return cmds
}

// TestReadmeExamples runs every command of README.md's ```sh blocks
// exactly as written, from the repository root, in order: a serve command
// starts in the background (and must answer /readyz), every other command
// must succeed, and a command printing JSON must not print an error
// object. `readalike` on the PATH is the binary built from this tree, as
// `go install ./cmd/readalike` would put it there; `go test` commands are
// the test command itself and are not run again.
func TestReadmeExamples(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the README's examples against a demo server; skipped with -short")
	}
	if _, err := exec.LookPath("curl"); err != nil {
		t.Fatal("the README's examples use curl, which is not installed (apt-get install curl)")
	}
	root := moduleRoot(t)
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	cmds := readmeCommands(t, string(readme))
	if len(cmds) < 5 {
		t.Fatalf("README.md has %d commands in ```sh blocks; its examples are missing", len(cmds))
	}
	bin := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(bin, "readalike"), "./cmd/readalike")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	environ := append(cleanEnviron(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	for _, dir := range exampleDirs(string(readme)) {
		os.RemoveAll(dir)
		t.Cleanup(func() { os.RemoveAll(dir) })
	}

	var servers []*exec.Cmd
	t.Cleanup(func() {
		for _, s := range servers {
			syscall.Kill(-s.Process.Pid, syscall.SIGTERM)
			done := make(chan struct{})
			go func() { s.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(20 * time.Second):
				syscall.Kill(-s.Process.Pid, syscall.SIGKILL)
			}
		}
	})
	serveRE := regexp.MustCompile(`(^|\s)(readalike|\./cmd/readalike) serve\b`)
	for _, c := range cmds {
		where := fmt.Sprintf("README.md:%d: %s", c.line, c.text)
		switch {
		case strings.HasPrefix(c.text, "go test"):
			continue
		case serveRE.MatchString(c.text):
			addr := "127.0.0.1:8080"
			if m := regexp.MustCompile(`--addr[ =](\S+)`).FindStringSubmatch(c.text); m != nil {
				addr = m[1]
			}
			if ln, err := net.Listen("tcp", addr); err != nil {
				t.Fatalf("%s\n%s is taken, and the README's examples name it: %v", where, addr, err)
			} else {
				ln.Close()
			}
			var log bytes.Buffer
			s := exec.Command("bash", "-c", c.text)
			s.Dir, s.Env, s.Stdout, s.Stderr = root, environ, &log, &log
			s.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
			if err := s.Start(); err != nil {
				t.Fatalf("%s\n%v", where, err)
			}
			servers = append(servers, s)
			if !waitFor(3*time.Minute, func() bool {
				resp, err := http.Get("http://" + addr + "/readyz")
				if err == nil {
					resp.Body.Close()
				}
				return err == nil && resp.StatusCode == http.StatusOK
			}) {
				t.Fatalf("%s\nnever answered /readyz:\n%s", where, log.String())
			}
		default:
			out := runExample(t, where, root, environ, c.text)
			checkExampleOutput(t, where, out)
		}
	}
}

// exampleDirs returns the directories under /tmp that the README's
// examples create, so that every run starts without them.
func exampleDirs(readme string) []string {
	return regexp.MustCompile(`/tmp/readalike-[a-z.-]+`).FindAllString(readme, -1)
}

// runExample runs one command with bash, failing t unless it succeeds.
func runExample(t *testing.T, where, dir string, environ []string, text string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "bash", "-c", "set -o pipefail\n"+text)
	cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = dir, environ, &stdout, &stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s\nfailed: %v\nstdout:\n%s\nstderr:\n%s", where, err, stdout.Bytes(), stderr.Bytes())
	}
	t.Logf("%s: %v", where, time.Since(start).Round(time.Millisecond))
	return stdout.Bytes()
}

// checkExampleOutput fails t when a command printed JSON that is not valid
// or is an error answer.
func checkExampleOutput(t *testing.T, where string, out []byte) {
	t.Helper()
	trimmed := bytes.TrimSpace(out)
	if len(trimmed) == 0 || (trimmed[0] != '{' && trimmed[0] != '[') {
		return
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	for dec.More() {
		var v any
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("%s\nprinted invalid JSON: %v\n%s", where, err, out)
		}
		if m, ok := v.(map[string]any); ok && m["error"] != nil {
			t.Fatalf("%s\nanswered an error:\n%s", where, out)
		}
	}
}
