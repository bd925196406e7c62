package benchmarks

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// sharedArticle is one line of the corpora in ../shared/data.
type sharedArticle struct {
	ID       string `json:"id"`
	Title    string `json:"title"`
	Body     string `json:"body"`
	Category string `json:"category"`
	Lang     string `json:"lang"`
}

// loadShared reads ../shared/data/name, skipping the benchmark or test with
// a clear message where the shared data is absent.
func loadShared(tb testing.TB, name string) []sharedArticle {
	tb.Helper()
	path := filepath.Join("..", "..", "shared", "data", name)
	f, err := os.Open(path)
	if err != nil {
		tb.Skipf("shared corpus not available (%v): run with ../shared beside the repository", err)
	}
	defer f.Close()
	var out []sharedArticle
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var a sharedArticle
		if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
			tb.Fatalf("%s: %v", path, err)
		}
		out = append(out, a)
	}
	if err := sc.Err(); err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
	return out
}
