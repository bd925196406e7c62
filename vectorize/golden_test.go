package vectorize

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// TestGolden runs whole articles, in every supported language, through
// Inspect and compares every stage with testdata/golden. Refresh with
// go test ./vectorize -run Golden -update, and read the diff.
func TestGolden(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "articles", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no articles in testdata/articles: %v", err)
	}
	a := NewAnalyzer(Options{})
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		t.Run(name, func(t *testing.T) {
			var d struct{ Title, Body, Lang string }
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(raw, &d); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			ins, err := a.Inspect(Document{Title: d.Title, Body: d.Body, Lang: d.Lang}, nil)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := json.MarshalIndent(ins, "", "  ")
			got = append(got, '\n')
			golden := filepath.Join("testdata", "golden", name+".json")
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from the analysis; got:\n%s", golden, got)
			}
		})
	}
}
