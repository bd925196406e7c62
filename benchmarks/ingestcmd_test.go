package benchmarks

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"syscall"
	"testing"
	"time"

	"github.com/readalike/readalike/benchmarks/corpus"
	"github.com/readalike/readalike/recommend"
	"github.com/readalike/readalike/recommend/articleio"
	"github.com/readalike/readalike/storage"
)

// BenchmarkIngestCommand runs the real `readalike ingest --lang en` (the
// binary of -load.bin, or one built from this tree) on a JSONL file
// (-scale.corpus, whole, or -scale.n articles from the Go generator) into
// a fresh store, and reports its articles/s as it prints them, and the
// child's wall time, CPU time (user+sys, which the machine's other load
// does not inflate) and peak RSS. The batch-input variant runs
// `readalike batch --input --lang en` on the same file, end to end (load,
// fit, every article's top 5). Compare two binaries in one session with
// -load.bin.
//
//	go test ./benchmarks -run XXX -bench IngestCommand -benchtime 1x -timeout 1h -scale.corpus /tmp/perf/c100k.jsonl
func BenchmarkIngestCommand(b *testing.B) {
	if testing.Short() {
		b.Skip("command benchmark skipped in -short mode")
	}
	bin := readalikeBinary(b)
	file := corpusFile(b, *scaleN)
	n := fileLines(b, file)
	for _, v := range []struct {
		name string
		args func(dir string) []string
	}{
		{"ingest", func(dir string) []string {
			return []string{"ingest", "--data", filepath.Join(dir, "store"), "--lang", "en", file}
		}},
		{"batch-input", func(dir string) []string {
			return []string{"batch", "--input", "--lang", "en", "--out", filepath.Join(dir, "lists.jsonl"), file}
		}},
	} {
		b.Run(v.name, func(b *testing.B) {
			var wall, cpu time.Duration
			var rss int64
			for b.Loop() {
				dir := b.TempDir()
				cmd := exec.Command(bin, v.args(dir)...)
				start := time.Now()
				out, err := cmd.CombinedOutput()
				wall = time.Since(start)
				if err != nil {
					b.Fatalf("%v: %v\n%s", cmd.Args, err, tail(out))
				}
				ps := cmd.ProcessState
				cpu = ps.UserTime() + ps.SystemTime()
				if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
					rss = ru.Maxrss * 1024
				}
			}
			b.ReportMetric(float64(n)/wall.Seconds(), "articles/s")
			b.ReportMetric(wall.Seconds(), "wall-s")
			b.ReportMetric(cpu.Seconds(), "cpu-s")
			b.ReportMetric(float64(rss)/(1<<20), "peak-rss-MB")
		})
	}
}

// BenchmarkIngestLoad loads the same file as BenchmarkIngestCommand in
// process, through articleio.LoadFiles as ingest does, into a fresh
// durable store (no refit), and reports idle-%, the share of GOMAXPROCS
// left with nothing to run; and gives a CPU profile of ingest with
// -cpuprofile.
//
//	go test ./benchmarks -run XXX -bench IngestLoad -benchtime 1x -cpuprofile /tmp/ingest.prof -scale.corpus /tmp/perf/c100k.jsonl
func BenchmarkIngestLoad(b *testing.B) {
	if testing.Short() {
		b.Skip("ingest benchmark skipped in -short mode")
	}
	file := corpusFile(b, *scaleN)
	ctx := context.Background()
	var wall, cpu time.Duration
	var n int
	var idle float64
	for b.Loop() {
		col, err := storage.OpenCollection(ctx, filepath.Join(b.TempDir(), "store"), storage.Options{},
			recommend.Options{RefitShare: -1, KeepNeighbors: -1}, nil)
		if err != nil {
			b.Fatal(err)
		}
		start, cpu0, idle0 := time.Now(), processCPU(), idleCPU()
		res, err := articleio.LoadFiles(ctx, col.Engine, []string{file}, nil, articleio.LoadOptions{Lang: "en"})
		wall, cpu, n = time.Since(start), processCPU()-cpu0, res.Written
		idle = (idleCPU() - idle0) / (wall.Seconds() * float64(runtime.GOMAXPROCS(0)))
		if err == nil {
			err = col.Close()
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)/wall.Seconds(), "articles/s")
	b.ReportMetric(wall.Seconds(), "wall-s")
	b.ReportMetric(cpu.Seconds(), "cpu-s")
	b.ReportMetric(100*idle, "idle-%")
}

// idleCPU returns the CPU seconds the Go scheduler's processors spent
// with no goroutine to run, which the machine's other load does not
// inflate: the share of the cores a pipeline leaves unused.
func idleCPU() float64 {
	s := []metrics.Sample{{Name: "/cpu/classes/idle:cpu-seconds"}}
	metrics.Read(s)
	return s[0].Value.Float64()
}

// corpusFile returns -scale.corpus when given, else a JSONL file of n
// articles from the Go generator, written once per benchmark.
func corpusFile(b *testing.B, n int) string {
	b.Helper()
	if *scaleCorpus != "" {
		return *scaleCorpus
	}
	path := filepath.Join(b.TempDir(), "corpus.jsonl")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	err = corpus.New(corpus.Options{Seed: 42}).Generate(n, 0, func(a corpus.Article) error {
		return enc.Encode(a.Article())
	})
	if err == nil {
		err = w.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		b.Fatal(err)
	}
	return path
}

// fileLines counts the lines of a JSONL file: its articles.
func fileLines(b *testing.B, path string) int {
	b.Helper()
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	n := 0
	for sc.Scan() {
		n++
	}
	if err := sc.Err(); err != nil {
		b.Fatal(err)
	}
	return n
}

// tail returns the last 2 KB of a child's output, for a failure report.
func tail(out []byte) []byte {
	return out[max(0, len(out)-2048):]
}
