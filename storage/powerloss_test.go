package storage

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/readalike/readalike/recommend"
	"github.com/readalike/readalike/vectorize"
)

// The power-loss test. A child process writes to a store: articles put and
// replaced from several goroutines, refits saving generations, neighbor
// lists, with small memtables and value-log files so that logs rotate and
// the value-log GC rewrites files. It prints each acknowledgement, and each
// fsync its syncer makes, with how far the file's intact entries reached
// when the fsync began. The parent stops it (SIGSTOP) now and then and
// copies the store: the page cache as it is, as if every page had reached
// the disk. Then it takes from each copy what a power loss could take, in
// several ways, and opens it: Open must succeed, every acknowledged write
// must be there and intact, and the term statistics must equal a recount.
//
// What a power loss can take, in this model: of Badger's write-ahead logs
// and value logs, anything past the extent the last fsync covered, page by
// page, in any order; a log file the syncer never saw, whole (its directory
// entry may not be durable). A value log with a successor is whole (Badger
// msyncs it when it rotates it). SSTs, the manifest and Badger's other
// files are kept as they are, as Badger syncs them before it relies on
// them, but for one way, a flush cut short: a table half written, and its
// change to the manifest torn.

// powerLossDirEnv names the store a child process of TestPowerLoss writes
// to.
const powerLossDirEnv = "READALIKE_STORAGE_POWERLOSS_DIR"

// powerLossOptions rotate logs every megabyte and run the GC often.
var powerLossOptions = Options{MemTableSize: 1 << 20, valueLogFileSize: 1 << 20, GCInterval: 40 * time.Millisecond}

func TestPowerLoss(t *testing.T) {
	if dir := os.Getenv(powerLossDirEnv); dir != "" {
		powerLossChild(dir)
		return
	}
	if testing.Short() {
		t.Skip("power-loss test skipped in short mode")
	}
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("READALIKE_POWERLOSS_SEED"); s != "" {
		seed, _ = strconv.ParseUint(s, 10, 64)
	}
	t.Logf("seed %d (set READALIKE_POWERLOSS_SEED to repeat)", seed)
	rng := rand.New(rand.NewPCG(seed, 1))

	dir := t.TempDir()
	var snaps []*snapshot
	acked := newAckLog()
	for run := range 3 {
		snaps = append(snaps, runPowerLossChild(t, rng, dir, run, acked)...)
	}
	modes := []damage{cutToSynced, dropPages, loseValues, tearWAL, tearFlush}
	var total Recovery
	opens := 0
	defer func() {
		t.Logf("%d damaged copies opened: %d transactions rolled back, %d records dropped, %d values restored, %v recovering",
			opens, total.Transactions, total.Dropped, total.Restored, total.Took.Round(time.Millisecond))
	}()
	for i, s := range snaps {
		for _, m := range pick(rng, modes, 2) {
			t.Run(fmt.Sprintf("snapshot%d/%s", i, m.name), func(t *testing.T) {
				dst := t.TempDir()
				copyDir(t, s.dir, dst)
				m.apply(t, rand.New(rand.NewPCG(seed, uint64(i))), dst, s.synced)
				rec := checkAfterPowerLoss(t, dst, s.acked)
				total.Transactions += rec.Transactions
				total.Dropped += rec.Dropped
				total.Restored += rec.Restored
				total.Took += rec.Took
				opens++
			})
		}
	}
}

// pick returns n of xs, at random.
func pick[T any](rng *rand.Rand, xs []T, n int) []T {
	xs = slices.Clone(xs)
	rng.Shuffle(len(xs), func(i, j int) { xs[i], xs[j] = xs[j], xs[i] })
	return xs[:n]
}

// snapshot is a copy of the store taken with the child stopped, with what
// was acknowledged and synced by then.
type snapshot struct {
	dir    string
	acked  ackLog
	synced map[string]int64 // file name: the extent of its entries known durable
}

// ackLog is what the child acknowledged: the last version of each article
// put, the version each deleted article was deleted at, and the last
// generation saved.
type ackLog struct {
	versions map[string]int
	deleted  map[string]int
	gen      uint64
}

func newAckLog() ackLog { return ackLog{versions: map[string]int{}, deleted: map[string]int{}} }

func (a ackLog) clone() ackLog {
	return ackLog{versions: maps.Clone(a.versions), deleted: maps.Clone(a.deleted), gen: a.gen}
}

// runPowerLossChild runs one child on dir, takes a few snapshots of it,
// and kills it.
func runPowerLossChild(t *testing.T, rng *rand.Rand, dir string, run int, acked ackLog) []*snapshot {
	t.Helper()
	cmd, out, stop := startChild(t, "TestPowerLoss", powerLossDirEnv, dir)
	defer stop()

	var mu sync.Mutex
	synced := map[string]int64{} // this run's: file ids restart after a clean close
	acks, opened := 0, false
	lines := make(chan struct{}, 1)
	readErr := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			mu.Lock()
			switch {
			case len(f) == 3 && f[0] == "synced":
				n, _ := strconv.ParseInt(f[2], 10, 64)
				synced[f[1]] = max(synced[f[1]], n)
			case len(f) == 3 && f[0] == "put":
				v, _ := strconv.Atoi(f[2])
				acked.versions[f[1]] = v
				acks++
			case len(f) == 3 && f[0] == "del":
				v, _ := strconv.Atoi(f[2])
				acked.deleted[f[1]] = v
			case len(f) == 2 && f[0] == "gen":
				g, _ := strconv.ParseUint(f[1], 10, 64)
				acked.gen = max(acked.gen, g)
			case len(f) == 1 && f[0] == "opened":
				opened = true
			}
			mu.Unlock()
			select {
			case lines <- struct{}{}:
			default:
			}
		}
		readErr <- sc.Err()
	}()

	var snaps []*snapshot
	for range 3 {
		mu.Lock()
		target := acks + 100 + rng.IntN(400)
		mu.Unlock()
		for {
			mu.Lock()
			done := opened && acks >= target
			mu.Unlock()
			if done {
				break
			}
			select {
			case <-lines:
			case err := <-readErr:
				t.Fatalf("run %d: child stopped before the snapshot: %v, %v", run, err, cmd.Wait())
			}
		}
		time.Sleep(time.Duration(rng.IntN(20)) * time.Millisecond)
		if err := cmd.Process.Signal(syscall.SIGSTOP); err != nil {
			t.Fatal(err)
		}
		// Lines already written are in the pipe: wait until it is quiet.
		for quiet := false; !quiet; {
			select {
			case <-lines:
			case <-time.After(100 * time.Millisecond):
				quiet = true
			}
		}
		s := &snapshot{dir: t.TempDir()}
		copyDir(t, dir, s.dir)
		mu.Lock()
		s.acked = acked.clone()
		s.synced = maps.Clone(synced)
		mu.Unlock()
		snaps = append(snaps, s)
		if err := cmd.Process.Signal(syscall.SIGCONT); err != nil {
			t.Fatal(err)
		}
	}
	cmd.Process.Kill()
	cmd.Wait()
	<-readErr
	t.Logf("run %d: %d articles acknowledged so far, generation %d", run, len(acked.versions), acked.gen)
	return snaps
}

// powerLossChild writes to the store in dir until it is killed.
func powerLossChild(dir string) {
	var mu sync.Mutex // one line at a time
	say := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Printf(format+"\n", args...)
	}
	// Where each file's last intact entry started and ended at its last
	// fsync, to go on scanning from there. A name comes back when Badger
	// starts its ids over, so the entry must still be there, or the file is
	// scanned from the start.
	type extent struct{ last, end int64 }
	ends := map[string]extent{}
	var endsMu sync.Mutex
	opts := powerLossOptions
	opts.syncHook = func(path string) func() {
		endsMu.Lock()
		defer endsMu.Unlock()
		x := ends[path]
		from := x.last
		for range 2 {
			x = extent{from, from}
			_, err := scanLog(path, from, func(e *logEntry) error {
				x = extent{e.offset, e.offset + e.size}
				return nil
			})
			if err != nil {
				return nil // gone: flushed or collected
			}
			if from == 0 || x.end >= ends[path].end {
				break
			}
			from = 0 // not the file scanned last time
		}
		ends[path] = x
		end := max(x.end, vlogHeaderSize)
		return func() { say("synced %s %d", filepath.Base(path), end) }
	}
	d, err := Open(dir, opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, "power-loss child:", err)
		os.Exit(2)
	}
	// What Open left is durable: the salvage synced it, or a clean close.
	names, _ := filepath.Glob(filepath.Join(dir, "*.*"))
	for _, name := range names {
		if strings.HasSuffix(name, ".mem") || strings.HasSuffix(name, ".vlog") {
			if end, err := scanLog(name, 0, nil); err == nil {
				say("synced %s %d", filepath.Base(name), end)
			}
		}
	}
	say("opened")
	time.AfterFunc(60*time.Second, func() { os.Exit(3) }) // if the parent is gone
	ctx := context.Background()
	pid := os.Getpid()
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(pid), uint64(w)))
			versions := map[string]int{}
			var ids []string
			for i := 0; ; i++ {
				id := fmt.Sprintf("p%d-w%d-%05d", pid, w, i)
				ids = append(ids, id)
				versions[id] = 1
				b := recommend.Write{Puts: []recommend.Put{powerLossPut(id, 1)}}
				if i%3 == 2 {
					old := ids[rng.IntN(len(ids)-1)]
					versions[old]++
					b.Puts = append(b.Puts, powerLossPut(old, versions[old]))
				}
				// Put and deleted in turn, each put a new version: one
				// that comes back after its delete is older than it.
				tmp := fmt.Sprintf("p%d-w%d-tmp%d", pid, w, i%5)
				if i%2 == 0 {
					b.Puts = append(b.Puts, powerLossPut(tmp, i+1))
				} else {
					b.Deletes = []string{tmp}
				}
				if err := d.Commit(ctx, b); err != nil {
					fmt.Fprintln(os.Stderr, "power-loss child:", err)
					os.Exit(2)
				}
				for _, p := range b.Puts {
					if !strings.Contains(p.Article.ID, "tmp") {
						say("put %s %d", p.Article.ID, versions[p.Article.ID])
					}
				}
				if len(b.Deletes) > 0 {
					say("del %s %d", tmp, i+1)
				}
			}
		})
	}
	wg.Go(func() { // refits
		g, _ := d.Generation(ctx)
		for n := g.Number + 1; ; n++ {
			st, err := d.TermStats(ctx)
			if err != nil {
				os.Exit(2)
			}
			gen := recommend.Generation{Number: n, N: st.N, DF: st.DF, Settings: "power loss", FittedAt: time.Now().UTC()}
			if err := d.SaveGeneration(ctx, gen); err != nil {
				fmt.Fprintln(os.Stderr, "power-loss child:", err)
				os.Exit(2)
			}
			say("gen %d", n)
			time.Sleep(30 * time.Millisecond)
		}
	})
	wg.Go(func() { // neighbor lists
		for i := 0; ; i++ {
			var lists []recommend.NeighborList
			for w := range 4 {
				l := recommend.NeighborList{ID: fmt.Sprintf("p%d-w%d-%05d", pid, w, i), Generation: 1, K: 30}
				for j := range 30 {
					l.Neighbors = append(l.Neighbors, recommend.Neighbor{ID: fmt.Sprintf("neighbor-%d-%d", i, j), Score: 0.5})
				}
				lists = append(lists, l)
			}
			if err := d.PutNeighbors(ctx, lists); err != nil {
				fmt.Fprintln(os.Stderr, "power-loss child:", err)
				os.Exit(2)
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
	wg.Wait()
}

// powerLossPut is version v of article id: its title names both, and its
// body and terms follow from them, a few hundred bytes to a few KiB.
func powerLossPut(id string, v int) recommend.Put {
	h := fnv.New64a()
	fmt.Fprintf(h, "%s/%d", id, v)
	x := h.Sum64()
	words := 10 + int(x%400)
	var body strings.Builder
	m := map[string]uint32{}
	for i := range words {
		w := fmt.Sprintf("w%x", (x>>(i%40))%997)
		body.WriteString(w + " ")
		m[w]++
	}
	return recommend.Put{
		Article: recommend.Article{ID: id, Title: fmt.Sprintf("%s v%d", id, v), Body: body.String(), Words: words},
		Counts:  vectorize.CountsFromMap(m),
	}
}

// damage is one way a power loss can treat the logs of a copied store.
type damage struct {
	name  string
	apply func(t *testing.T, rng *rand.Rand, dir string, synced map[string]int64)
}

var (
	// cutToSynced cuts every log to the extent synced, and removes or
	// empties the logs never synced.
	cutToSynced = damage{"cut-to-synced", func(t *testing.T, rng *rand.Rand, dir string, synced map[string]int64) {
		eachLog(t, dir, synced, func(path string, durable int64, seen bool) {
			cut(t, rng, path, durable, seen)
		})
	}}
	// dropPages zeroes each page past the synced extent with probability
	// 1/2, and sometimes cuts the file at a page boundary past it.
	dropPages = damage{"drop-pages", func(t *testing.T, rng *rand.Rand, dir string, synced map[string]int64) {
		eachLog(t, dir, synced, func(path string, durable int64, seen bool) {
			if !seen && rng.IntN(2) == 0 {
				cut(t, rng, path, 0, false)
				return
			}
			zeroPages(t, rng, path, durable)
		})
	}}
	// loseValues keeps the write-ahead logs whole and cuts the value logs:
	// log entries reached the disk, their values did not.
	loseValues = damage{"lose-values", func(t *testing.T, rng *rand.Rand, dir string, synced map[string]int64) {
		eachLog(t, dir, synced, func(path string, durable int64, seen bool) {
			if strings.HasSuffix(path, ".vlog") {
				cut(t, rng, path, durable, seen)
			}
		})
	}}
	// tearWAL keeps the value logs whole and tears the write-ahead logs.
	tearWAL = damage{"tear-wal", func(t *testing.T, rng *rand.Rand, dir string, synced map[string]int64) {
		eachLog(t, dir, synced, func(path string, durable int64, seen bool) {
			if strings.HasSuffix(path, ".mem") {
				zeroPages(t, rng, path, durable)
			}
		})
	}}
)

// tearFlush is cutToSynced during a memtable flush: a table half
// written, its addition to the manifest torn.
var tearFlush = damage{"tear-flush", func(t *testing.T, rng *rand.Rand, dir string, synced map[string]int64) {
	cutToSynced.apply(t, rng, dir, synced)
	tables, _ := filepath.Glob(filepath.Join(dir, "*.sst"))
	next := 1
	for _, name := range tables {
		id, _ := strconv.Atoi(strings.TrimSuffix(filepath.Base(name), ".sst"))
		next = max(next, id+1)
	}
	half := make([]byte, 64<<10)
	for i := range half[:len(half)/2] {
		half[i] = byte(rng.IntN(256))
	}
	if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%06d.sst", next)), half, 0o644); err != nil {
		t.Fatal(err)
	}
	change := make([]byte, 8+60) // its second half never reached the disk
	binary.BigEndian.PutUint32(change, 60)
	binary.BigEndian.PutUint32(change[4:], rng.Uint32())
	for i := 8; i < 38; i++ {
		change[i] = byte(rng.IntN(256))
	}
	f, err := os.OpenFile(filepath.Join(dir, "MANIFEST"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(change); err != nil {
		t.Fatal(err)
	}
}}

// eachLog calls fn with each log file in dir, the extent of it that is
// durable, and whether its directory entry is.
func eachLog(t *testing.T, dir string, synced map[string]int64, fn func(path string, durable int64, seen bool)) {
	t.Helper()
	for _, ext := range []string{".mem", ".vlog"} {
		names, _ := filepath.Glob(filepath.Join(dir, "*"+ext))
		slices.Sort(names) // zero-padded ids: in id order
		newestSeen := -1   // the newest file of the series with a sync: the files before it are in the directory for good
		for i, name := range names {
			if _, ok := synced[filepath.Base(name)]; ok {
				newestSeen = i
			}
		}
		for i, name := range names {
			durable, ok := synced[filepath.Base(name)]
			if ext == ".vlog" && i < len(names)-1 {
				durable, ok = fileSize(t, name), true // msynced when Badger rotated it
			}
			fn(name, durable, ok || i <= newestSeen)
		}
	}
}

func fileSize(t *testing.T, path string) int64 {
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return info.Size()
}

// cut truncates a log to n bytes; one whose directory entry is not durable
// may instead be removed.
func cut(t *testing.T, rng *rand.Rand, path string, n int64, seen bool) {
	t.Helper()
	if !seen && rng.IntN(2) == 0 {
		if err := os.Remove(path); err != nil {
			t.Fatal(err)
		}
		return
	}
	if n < fileSize(t, path) {
		if err := os.Truncate(path, n); err != nil {
			t.Fatal(err)
		}
	}
}

// zeroPages zeroes each 4 KiB page of a log from the one holding offset
// durable on with probability 1/2 (sparing the durable bytes of that
// first page), and with probability 1/3 then cuts the file at a page
// boundary past durable.
func zeroPages(t *testing.T, rng *rand.Rand, path string, durable int64) {
	t.Helper()
	const page = 4096
	end, err := scanLog(path, durable, nil) // past it, all zeros
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for p := durable / page * page; p < end; p += page {
		if rng.IntN(2) == 0 {
			continue
		}
		from := max(p, durable)
		if _, err := f.WriteAt(make([]byte, p+page-from), from); err != nil {
			t.Fatal(err)
		}
	}
	if rng.IntN(3) == 0 && end > durable {
		at := (durable/page + 1 + rng.Int64N((end-durable)/page+1)) * page
		if at < fileSize(t, path) {
			if err := f.Truncate(at); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// checkAfterPowerLoss opens the damaged copy and checks it against what
// was acknowledged.
func checkAfterPowerLoss(t *testing.T, dir string, acked ackLog) Recovery {
	ctx := context.Background()
	opts := powerLossOptions
	opts.GCInterval = -1
	d, logged := openLogged(t, dir, opts)
	rec := d.Recovery()
	if !rec.Unclean {
		t.Errorf("the store was not seen as unclean")
	}
	lost := 0
	for id, v := range acked.versions {
		a, err := d.Article(ctx, id)
		if err != nil {
			if lost++; lost <= 10 {
				t.Errorf("acknowledged article %s v%d: %v", id, v, err)
			}
			continue
		}
		var got int
		fmt.Sscanf(a.Title[len(id):], " v%d", &got)
		if got < v || got > v+1 {
			t.Errorf("article %s: got version %d, acknowledged %d", id, got, v)
			continue
		}
		want := powerLossPut(id, got)
		if a.Body != want.Article.Body {
			t.Errorf("article %s v%d: body not intact", id, got)
		}
		c, err := d.Counts(ctx, id)
		if err != nil || !slices.Equal(c, want.Counts) {
			t.Errorf("article %s v%d: term counts not intact: %v", id, got, err)
		}
	}
	if lost > 0 {
		t.Errorf("%d of %d acknowledged articles lost; log:\n%s", lost, len(acked.versions), logged.String())
	}
	// A deleted article stays deleted, unless put again since, in a write
	// not yet acknowledged: a newer version. (The put after an
	// acknowledged delete may have been in flight.)
	back := 0
	for id, v := range acked.deleted {
		a, err := d.Article(ctx, id)
		if errors.Is(err, recommend.ErrNotFound) {
			continue
		}
		var got int
		if err == nil {
			fmt.Sscanf(a.Title[len(id):], " v%d", &got)
		}
		if err != nil || got <= v {
			if back++; back <= 10 {
				t.Errorf("article %s deleted at version %d: got version %d, %v, want it gone", id, v, got, err)
			}
		}
	}
	if back > 0 {
		t.Errorf("%d of %d deleted articles back", back, len(acked.deleted))
	}
	checkStats(t, d, recommend.TermStats{})
	g, err := d.Generation(ctx)
	if err != nil || g.Number < acked.gen {
		t.Errorf("generation: got %d, %v, want at least %d", g.Number, err, acked.gen)
	}
	for id := range acked.versions {
		if _, err := d.Neighbors(ctx, id); err != nil && !errors.Is(err, recommend.ErrNotFound) {
			t.Errorf("neighbors of %s: %v", id, err)
		}
		break
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	return rec
}
