// Package storage keeps readalike's articles, their term counts, the term
// statistics and the fitted model in Badger, an embedded key-value store, and
// is the only package that imports Badger. Commit validates and encodes a
// batch; a committer goroutine applies the batches waiting in Badger
// transactions, and an acknowledger goroutine syncs the disk once for all of
// them before acknowledging them. Document frequencies live in memory and
// reach the disk in checkpoints; reads go straight to Badger. Precomputed
// neighbor lists are stamped so that any later commit makes them stale
// (keys.go). After a crash or power loss, Open reads every record back and
// rolls back the writes that did not fully reach the disk (salvage.go); on
// a nearly full disk, writes are refused before Badger can fault (space.go).
// DB implements recommend.Store.
package storage

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/readalike/readalike/recommend"
)

var (
	// ErrFormat is returned by Open for a store written in a format this
	// program does not know, such as one written by a newer version.
	ErrFormat = errors.New("unsupported store format")

	// ErrCorrupt is returned when a stored record cannot be decoded.
	ErrCorrupt = errors.New("corrupt store")

	// ErrClosed is returned by every method called after Close.
	ErrClosed = errors.New("store closed")

	// ErrBatchTooBig is returned by Commit for a batch that does not fit in
	// one Badger transaction; see Options.MemTableSize.
	ErrBatchTooBig = errors.New("batch too big for one transaction")
)

// Options configure Open. The zero value works.
type Options struct {
	// Logger receives Badger's log and the value-log GC's; nil discards.
	Logger *slog.Logger

	// InMemory keeps everything in memory and nothing on disk: for tests
	// where durability is not the point. dir is ignored.
	InMemory bool

	// NoSync makes writes durable against a crash of the process but not
	// of the machine: Commit returns once its transaction committed,
	// without an fsync, and the df records are never checkpointed (a
	// later Open recounts them). For a store that is thrown away after
	// use, such as batch --input's; dir is still where it lives.
	NoSync bool

	// GCInterval is how often the value-log GC runs. 0 means 5 minutes; a
	// negative value turns it off.
	GCInterval time.Duration

	// MemTableSize is the size of Badger's memtables; 0 means 32 MiB. Badger
	// limits one transaction to 15% of it, which bounds one Batch: about
	// 25,000 puts or deletes with the default.
	MemTableSize int64

	// MaxGroup is the most batches the committer takes at once and
	// commits in as few transactions as fit; 0 means 256. Several groups
	// may share a sync.
	MaxGroup int

	// MinFreeBytes is how much space must stay free on the store's disk:
	// a write that would leave less is refused with an error wrapping
	// recommend.ErrNoSpace, and a store with less free at Open is opened
	// read-only, every write refused alike. Badger would otherwise be
	// killed by SIGBUS on a full disk. 0 means 2 value-log files plus 16
	// memtables, 768 MiB with the defaults (space.go says why); negative
	// turns the guard off.
	MinFreeBytes int64

	checkpointIdle   time.Duration                    // for tests; 0 means checkpointIdle
	valueLogFileSize int64                            // for tests; 0 means 128 MiB
	syncHook         syncHook                         // for tests: sees every fsync of a log file
	freeSpace        func(path string) (int64, error) // for tests; nil means statfs
}

const (
	defaultGCInterval       = 5 * time.Minute
	defaultMemTableSize     = 32 << 20
	defaultMaxGroup         = 256
	defaultValueLogFileSize = 128 << 20
)

// DB is a readalike store on Badger. It implements recommend.Store. All
// methods are safe for concurrent use; Close waits for the calls in
// progress, and every call after it returns ErrClosed.
type DB struct {
	bdb      *badger.DB
	dir      string // "" in memory
	log      *slog.Logger
	gate     gate
	sync     *syncer
	c        *committer
	gc       *gcLoop
	space    *space // nil in memory
	readOnly bool   // opened read-only, for want of free space
	recovery Recovery
}

// Open opens the store in dir, creating it if needed, and loads the term
// statistics into memory. It refuses a store of a newer format with an
// error wrapping ErrFormat, and upgrades one of an older format it knows
// (format.go); it deletes the tombstones of deleted articles that nothing
// can bring back any more (tombstone.go). Only one process may have a store open. With
// less than Options.MinFreeBytes free on the disk, it opens an existing
// store read-only (every write then fails with an error wrapping
// recommend.ErrNoSpace), and refuses to create one.
//
// If the process that had the store open died, or the machine lost power,
// Open first reads back every record: a record whose value cannot be read
// back belongs to a write that was never acknowledged, and Open rolls its
// whole transaction back, logging each record and counting them in
// Recovery (salvage.go says why no acknowledged write can be among them).
// It then recounts the document frequencies from every article's term
// counts. Both take time in proportion to the store, and log a warning. If
// Badger fails on the zero-length log files that a power loss can leave
// behind (badger issue 2207), Open repairs them, logs a warning and tries
// once more.
func Open(dir string, opts Options) (*DB, error) {
	opts = opts.withDefaults()
	if opts.InMemory {
		dir = ""
	} else if dir == "" {
		return nil, errors.New("open store: no directory given")
	}
	d := &DB{dir: dir, log: opts.Logger}
	if !opts.InMemory {
		d.space = &space{dir: dir, min: opts.MinFreeBytes, log: opts.Logger, free: opts.freeSpace}
		if err := d.prepare(opts); err != nil {
			return nil, fmt.Errorf("open store %s: %w", dir, err)
		}
	}
	bdb, err := openBadger(badgerOptions(dir, opts).WithReadOnly(d.readOnly), opts.Logger)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", dir, err)
	}
	d.bdb = bdb
	if err := d.load(opts); err != nil {
		bdb.Close()
		return nil, fmt.Errorf("open store %s: %w", dir, err)
	}
	d.c.start()
	if !opts.InMemory && !d.readOnly && opts.GCInterval > 0 {
		// A GC round writes up to a file's live values before it frees the
		// file, and a memtable's worth of pointers to them.
		room := func() bool { return d.space.room(opts.valueLogFileSize + 2*opts.MemTableSize) }
		d.gc = startGC(bdb, d.sync, dir, opts.GCInterval, room, opts.Logger)
	}
	return d, nil
}

func (o Options) withDefaults() Options {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.MemTableSize <= 0 {
		o.MemTableSize = defaultMemTableSize
	}
	if o.MaxGroup <= 0 {
		o.MaxGroup = defaultMaxGroup
	}
	if o.GCInterval == 0 {
		o.GCInterval = defaultGCInterval
	}
	if o.checkpointIdle <= 0 {
		o.checkpointIdle = checkpointIdle
	}
	if o.valueLogFileSize <= 0 {
		o.valueLogFileSize = defaultValueLogFileSize
	}
	if o.MinFreeBytes == 0 {
		o.MinFreeBytes = defaultMinFree(o.MemTableSize, o.valueLogFileSize)
	}
	if o.freeSpace == nil {
		o.freeSpace = freeBytes
	}
	return o
}

// openMarker is the file a store holds while a process has it open for
// writing: created (and synced) before Badger opens, removed after Badger
// closed cleanly. Badger's own files say as much (a clean close leaves no
// write-ahead log), but a power loss can take a log whose directory entry
// was not yet synced; the marker is synced before any write.
const openMarker = "readalike.open"

// prepare readies the directory before Badger opens it: it recovers the
// store if the process that had it open died (salvage.go), opens it
// read-only if its disk has too little free space (space.go), and marks it
// open otherwise.
func (d *DB) prepare(opts Options) error {
	marked, err := exists(filepath.Join(d.dir, openMarker))
	if err != nil {
		return err
	}
	wal, err := hasWAL(d.dir)
	if err != nil {
		return err
	}
	free, ferr := d.space.free(d.dir)
	low := opts.MinFreeBytes >= 0 && ferr == nil && free < opts.MinFreeBytes
	if marked || wal {
		if need := recoveryRoom(d.dir, opts.MemTableSize); low && free < need {
			return fmt.Errorf("%w: the store was not closed cleanly, and recovering it writes about %s, more than the %s free",
				recommend.ErrNoSpace, bytesText(need), bytesText(free))
		}
		if d.recovery, err = salvage(d.dir, opts); err != nil {
			return fmt.Errorf("recover: %w", err)
		}
	}
	if low {
		if ok, _ := exists(filepath.Join(d.dir, "MANIFEST")); !ok {
			return fmt.Errorf("%w: no store can be created with %s free, and %s must stay free",
				recommend.ErrNoSpace, bytesText(free), bytesText(opts.MinFreeBytes))
		}
		d.readOnly = true
		d.log.Warn("disk nearly full: store opened read-only; writes are refused until it is reopened with more space free",
			"dir", d.dir, "free", free, "min_free", opts.MinFreeBytes)
		return nil
	}
	if err := os.MkdirAll(d.dir, 0o755); err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(d.dir, openMarker))
	if err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return syncDir(d.dir)
}

// load checks the format and loads the term statistics, recounting them if
// the process died since the last checkpoint.
func (d *DB) load(opts Options) error {
	var err error
	syncDir := d.dir
	if opts.NoSync {
		syncDir = "" // a syncer without a directory syncs nothing
	}
	if d.sync, err = newSyncer(syncDir, opts.syncHook); err != nil {
		return err
	}
	format, err := checkFormat(d.bdb, d.sync, d.readOnly)
	if err != nil {
		return err
	}
	if !d.readOnly {
		if err := d.settle(format); err != nil {
			return err
		}
	}
	start := time.Now()
	st, err := loadTermStats(d.bdb)
	if err != nil {
		return err
	}
	d.c = newCommitter(d.bdb, d.sync, d.log, st, opts, !opts.InMemory && !opts.NoSync && !d.readOnly, d.space)
	// Leaves nothing to recount should the process die again soon.
	written, err := d.c.checkpoint()
	if err != nil {
		return err
	}
	if st.recounted {
		d.log.Warn("store was not closed cleanly: recounted document frequencies from the term counts",
			"dir", d.dir, "n", st.n, "terms", len(st.df), "df_records_fixed", written,
			"took", time.Since(start).Round(time.Millisecond))
		if st.n != st.recordN {
			d.log.Warn("stored article count was wrong", "dir", d.dir, "stored", st.recordN, "counted", st.n)
		}
	}
	return nil
}

// settle upgrades a store of an older format, or else settles its deletes
// (tombstone.go), before anything else writes to it, and logs what it did.
func (d *DB) settle(format byte) error {
	start := time.Now()
	var s settled
	var err error
	if format < formatVersion {
		s, err = upgradeFormat(d.bdb, d.sync, format)
	} else if s, err = settleDeletes(d.bdb, false); err == nil && s != (settled{}) {
		err = d.sync.sync()
	}
	if err != nil {
		return err
	}
	if format < formatVersion {
		d.log.Warn("store upgraded to a newer format: older programs refuse it now",
			"dir", d.dir, "from", format, "to", formatVersion, "took", time.Since(start).Round(time.Millisecond))
	}
	if s != (settled{}) {
		d.log.Info("deletes settled: tombstones written over deletes the value-log gc could undo, tombstones no longer needed deleted",
			"dir", d.dir, "tombstoned", s.tombstoned, "purged", s.purged, "took", time.Since(start).Round(time.Millisecond))
	}
	return nil
}

// badgerOptions sizes Badger for a small machine (2 cores, a few GB of RAM)
// holding up to a few million articles.
func badgerOptions(dir string, opts Options) badger.Options {
	o := badger.DefaultOptions(dir).
		WithLogger(badgerLogger{opts.Logger}).
		// One memtable takes writes while up to two wait to be flushed: memtable
		// memory stays under 3 x MemTableSize, and a burst of writes stalls
		// instead of growing it.
		WithMemTableSize(opts.MemTableSize).
		WithNumMemtables(3).
		// Two compactors, Badger's minimum: one favours L0, and more would
		// only fight the committer for the two cores.
		WithNumCompactors(2).
		// Badger's Stream framework (backups, flatten), not used per request.
		WithNumGoroutines(2).
		// Blocks are Snappy-compressed on disk (Badger's default), so reads
		// go through this cache; 64 MiB holds the hot top of the tree: keys,
		// value pointers and the small values.
		WithBlockCacheSize(64 << 20).
		// Table indexes and bloom filters, evicted past 16 MiB. Zero would
		// keep all of them in memory however big the store grows.
		WithIndexCacheSize(16 << 20).
		// Values from 1 KiB up (article bodies, long term-count lists) go to
		// the value log: compaction then rewrites only keys and small values,
		// and such a value counts 14 bytes, not its length, against the
		// per-transaction limit.
		WithValueThreshold(1 << 10).
		// The value-log GC rewrites one whole file at a time: smaller files
		// reclaim space sooner, in shorter pauses. Badger maps 2x this.
		WithValueLogFileSize(opts.valueLogFileSize).
		// We sync once per group of transactions instead (sync.go).
		WithSyncWrites(false).
		// The committer is the only writer of articles, counts and stats;
		// SaveGeneration and Open write keys of their own. There is nothing
		// to detect, and Badger then does not track every key a txn reads.
		WithDetectConflicts(false).
		// Badger's metrics are process-wide expvar globals; Size reports
		// what stats needs.
		WithMetricsEnabled(false)
	if opts.InMemory {
		// Nothing goes to a value log in memory: every value must fit
		// under the threshold, whose largest allowed value is 1 MiB.
		o = o.WithDir("").WithValueDir("").WithInMemory(true).WithValueThreshold(1 << 20)
	}
	return o
}

// Close stops the committer, after it has written and acknowledged every
// batch handed to it and written the df records (a checkpoint, see keys.go),
// stops the value-log GC, and closes Badger, which flushes the memtables. It
// waits for the calls in progress, so a Scan callback must not call it. A
// second Close returns ErrClosed.
func (d *DB) Close() error {
	if !d.gate.close() {
		return ErrClosed
	}
	err := d.c.stop()
	if d.gc != nil {
		d.gc.stop()
	}
	if cerr := d.bdb.Close(); err == nil {
		err = cerr
	}
	if err == nil && d.dir != "" && !d.readOnly {
		// Closed cleanly: nothing to recover at the next open.
		if err = os.Remove(filepath.Join(d.dir, openMarker)); err == nil || errors.Is(err, os.ErrNotExist) {
			err = syncDir(d.dir)
		}
	}
	if err != nil {
		return fmt.Errorf("close store %s: %w", d.dir, err)
	}
	return nil
}

// Recovery returns what Open did to recover the store, if it was not
// closed cleanly: the zero Recovery if it was.
func (d *DB) Recovery() Recovery {
	r := d.recovery
	r.Articles = slices.Clone(r.Articles)
	return r
}

// Path returns the directory the store lives in, or "" in memory.
func (d *DB) Path() string { return d.dir }

// gate lets calls in until it is closed, and lets close wait for the calls
// already in. Unlike a sync.RWMutex it cannot deadlock when a call nests
// another (say Article inside a Scan callback) while Close waits: the inner
// call just gets ErrClosed.
type gate struct {
	mu     sync.Mutex
	closed bool
	calls  sync.WaitGroup
}

// enter reports whether the call may go on; if so, it must call leave.
func (g *gate) enter() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return false
	}
	g.calls.Add(1)
	return true
}

func (g *gate) leave() { g.calls.Done() }

// close shuts the gate and waits for the calls inside. It reports false if
// the gate was already closed.
func (g *gate) close() bool {
	g.mu.Lock()
	was := g.closed
	g.closed = true
	g.mu.Unlock()
	if was {
		return false
	}
	g.calls.Wait()
	return true
}
