package storage

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/readalike/readalike/recommend"
)

// TestSpaceGuard drives the guard with a free space the test sets: writes
// are refused below the minimum and taken again above it, a store opened
// with too little free is read-only, and its engine refuses writes alike.
func TestSpaceGuard(t *testing.T) {
	ctx := context.Background()
	var free atomic.Int64
	free.Store(1 << 30)
	var logged syncBuffer
	opts := salvageOptions
	opts.MinFreeBytes = 100 << 20
	opts.freeSpace = func(string) (int64, error) { return free.Load(), nil }
	opts.Logger = slog.New(slog.NewTextHandler(&logged, &slog.HandlerOptions{Level: slog.LevelInfo}))
	dir := t.TempDir()

	d, err := Open(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	commit(t, d, recommend.Write{Puts: []recommend.Put{bigPut("a", "one")}})

	free.Store(100<<20 + 1<<10) // room for a delete, not for an article
	noSpace := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, recommend.ErrNoSpace) {
			t.Errorf("%s: got %v, want ErrNoSpace", what, err)
		}
	}
	big := recommend.Generation{Number: 1, DF: map[string]uint32{}}
	list := recommend.NeighborList{ID: "a", K: 100}
	for i := range 100 {
		big.DF[fmt.Sprintf("%x", uint32(i)*2654435761)] = 1
		list.Neighbors = append(list.Neighbors, recommend.Neighbor{ID: fmt.Sprintf("neighbor%03d", i)})
	}
	noSpace("commit", d.Commit(ctx, recommend.Write{Puts: []recommend.Put{bigPut("b", "one")}}))
	noSpace("save generation", d.SaveGeneration(ctx, big))
	noSpace("put neighbors", d.PutNeighbors(ctx, []recommend.NeighborList{list}))
	wantArticle(t, d, "a", "a one")
	commit(t, d, recommend.Write{Deletes: []string{"nobody"}})
	if !strings.Contains(logged.String(), "disk nearly full: refusing writes") {
		t.Errorf("no word of the refusal in the log:\n%s", logged.String())
	}
	free.Store(1 << 30)
	commit(t, d, recommend.Write{Puts: []recommend.Put{bigPut("b", "one")}})
	if !strings.Contains(logged.String(), "free space recovered") {
		t.Errorf("no word of the recovery in the log:\n%s", logged.String())
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}

	// Too little free at start: read-only, and the engine on it alike.
	free.Store(50 << 20)
	logged = syncBuffer{}
	col, err := OpenCollection(ctx, dir, opts, recommend.Options{}, nil)
	if err != nil {
		t.Fatalf("open with too little free: %v\nlog:\n%s", err, logged.String())
	}
	if !strings.Contains(logged.String(), "store opened read-only") {
		t.Errorf("no word of read-only in the log:\n%s", logged.String())
	}
	d = col.DB
	noSpace("read-only commit", d.Commit(ctx, recommend.Write{Deletes: []string{"a"}}))
	noSpace("read-only save generation", d.SaveGeneration(ctx, recommend.Generation{Number: 9}))
	wantArticle(t, d, "a", "a one")
	checkStats(t, d, recommend.TermStats{})
	if _, err := col.Engine.Upsert(ctx, recommend.Article{ID: "c", Title: "c", Body: "a body"}); !errors.Is(err, recommend.ErrNoSpace) {
		t.Errorf("engine upsert: got %v, want ErrNoSpace", err)
	}
	if st := col.Engine.Stats(); st.Articles != 2 {
		t.Errorf("engine: got %d articles, want 2", st.Articles)
	}
	if err := col.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, openMarker)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("read-only open left the open marker: %v", err)
	}

	// Space again: writes again.
	free.Store(1 << 30)
	d = openTest(t, dir, opts)
	commit(t, d, recommend.Write{Deletes: []string{"a"}})

	// No store is created on a nearly full disk.
	free.Store(1 << 20)
	if _, err := Open(t.TempDir(), opts); !errors.Is(err, recommend.ErrNoSpace) {
		t.Errorf("new store on a full disk: got %v, want ErrNoSpace", err)
	}

	// A store left open is recovered, then opened read-only, if the
	// recovery has room; else Open says it has not.
	crashed := crashCopy(t, d)
	free.Store(1 << 10)
	if _, err := Open(crashed, opts); !errors.Is(err, recommend.ErrNoSpace) || !strings.Contains(err.Error(), "recovering it") {
		t.Errorf("unclean store on a full disk: got %v, want ErrNoSpace naming the recovery", err)
	}
	free.Store(50 << 20)
	d2, logged2 := openLogged(t, crashed, opts)
	if !d2.Recovery().Unclean || !d2.readOnly {
		t.Errorf("unclean store with room to recover: got %+v, read-only %v; log:\n%s", d2.Recovery(), d2.readOnly, logged2.String())
	}
	wantArticle(t, d2, "b", "b one")
}

// fullDiskDirEnv names the store a child process of TestFullDisk fills.
const fullDiskDirEnv = "READALIKE_STORAGE_FULLDISK_DIR"

// fullDiskOptions are small: the default minimum free is 2 + 16 MiB.
var fullDiskOptions = Options{MemTableSize: 1 << 20, valueLogFileSize: 1 << 20, GCInterval: 50 * time.Millisecond}

// TestFullDisk fills a 32 MiB tmpfs that the test mounts: a child process
// writes until the store refuses, and goes on writing for a while; it must
// not die (Badger faults with SIGBUS where a page of a file it maps cannot
// be backed), and reads must keep working. Then the store, on the still
// nearly full disk, opens read-only, and opens for writing once space is
// freed.
func TestFullDisk(t *testing.T) {
	if dir := os.Getenv(fullDiskDirEnv); dir != "" {
		fullDiskChild(dir)
		return
	}
	if testing.Short() {
		t.Skip("full-disk test skipped in short mode")
	}
	mnt := mountTmpfs(t, "32m")
	dir := filepath.Join(mnt, "store")

	cmd := exec.Command(os.Args[0], "-test.run=^TestFullDisk$")
	cmd.Env = append(os.Environ(), fullDiskDirEnv+"="+dir)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if strings.Contains(out.String(), "signal SIGBUS") {
		// The Go runtime turns the fault into a crash with exit status 2.
		t.Fatalf("the child died of SIGBUS on the full disk; output:\n%s", out.String())
	}
	if err != nil {
		t.Fatalf("child: %v; output:\n%s", err, out.String())
	}
	report := ""
	for line := range strings.Lines(out.String()) {
		if strings.HasPrefix(line, "full disk:") {
			report = strings.TrimSpace(line)
		}
	}
	if report == "" {
		t.Fatalf("the child never reported; output:\n%s", out.String())
	}
	t.Log(report)

	// Still nearly full: read-only.
	filler := filepath.Join(mnt, "filler")
	fill(t, filler, 8<<20)
	var logged syncBuffer
	opts := fullDiskOptions
	opts.Logger = slog.New(slog.NewTextHandler(&logged, &slog.HandlerOptions{Level: slog.LevelWarn}))
	col, err := OpenCollection(context.Background(), dir, opts, recommend.Options{}, nil)
	if err != nil {
		t.Fatalf("open on the full disk: %v\nlog:\n%s", err, logged.String())
	}
	if !col.DB.readOnly || !strings.Contains(logged.String(), "store opened read-only") {
		t.Errorf("got read-only %v, log:\n%s", col.DB.readOnly, logged.String())
	}
	if st := col.Engine.Stats(); st.Articles == 0 {
		t.Error("no articles read back")
	}
	if _, err := col.Engine.Upsert(context.Background(), recommend.Article{ID: "more", Title: "t", Body: "b"}); !errors.Is(err, recommend.ErrNoSpace) {
		t.Errorf("upsert on a read-only store: got %v, want ErrNoSpace", err)
	}
	if err := col.Close(); err != nil {
		t.Fatal(err)
	}

	// Space freed: writes again.
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	d := openTest(t, dir, fullDiskOptions)
	if d.readOnly {
		t.Fatal("still read-only with space freed")
	}
	commit(t, d, recommend.Write{Deletes: []string{"full-000000"}})
}

// fullDiskChild fills the store in dir until it refuses writes, writes on
// for a while, then closes it and reports.
func fullDiskChild(dir string) {
	d, err := Open(dir, fullDiskOptions)
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(2)
	}
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	written, refused := 0, 0
	for i := 0; refused < 300; i++ {
		var w recommend.Write
		for j := range 10 {
			w.Puts = append(w.Puts, randPut(rng, fmt.Sprintf("full-%06d", 10*i+j), 5000, 300))
		}
		err := d.Commit(ctx, w)
		switch {
		case err == nil && refused == 0:
			written += len(w.Puts)
		case errors.Is(err, recommend.ErrNoSpace):
			refused++
			time.Sleep(2 * time.Millisecond) // the background goes on meanwhile
		default:
			fmt.Println("commit:", err)
			os.Exit(2)
		}
		if refused > 0 {
			if _, err := d.Article(ctx, "full-000000"); err != nil {
				fmt.Println("read while full:", err)
				os.Exit(2)
			}
		}
	}
	free, _ := freeBytes(dir)
	if err := d.Close(); err != nil {
		fmt.Println("close:", err)
		os.Exit(2)
	}
	after, _ := freeBytes(dir)
	fmt.Printf("full disk: %d articles written, then %d writes refused; %s free when refusing, %s after close\n",
		written, refused, bytesText(free), bytesText(after))
}

// mountTmpfs mounts a tmpfs of the given size on a new directory, for the
// test's duration, or skips the test where it cannot.
func mountTmpfs(t *testing.T, size string) string {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("mounts a tmpfs: Linux only")
	}
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size="+size); err != nil {
		t.Skipf("cannot mount a tmpfs to fill (root needed): %v", err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, 0); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	return dir
}

// fill writes a file that leaves about keep bytes free on its filesystem.
func fill(t *testing.T, path string, keep int64) {
	t.Helper()
	free, err := freeBytes(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := bufio.NewWriter(f)
	chunk := make([]byte, 1<<16)
	for n := free - keep; n > 0; n -= int64(len(chunk)) {
		if _, err := w.Write(chunk[:min(int64(len(chunk)), n)]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
}
