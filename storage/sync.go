package storage

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// syncer makes committed transactions durable against power loss.
//
// Badger writes through mmap: once a transaction commits, a killed process
// loses nothing, but the pages may still be only in the page cache. With
// SyncWrites off, Badger leaves syncing to us, and syncer fsyncs the files
// that committed transactions were written to: the memtables' write-ahead
// logs (.mem) and the value logs (.vlog). On Linux fsync writes back every
// dirty page of the file, those dirtied through a shared mmap included
// (msync(MS_SYNC) is the same operation).
//
// Why not badger.DB.Sync, which does just that? It holds Badger's DB lock
// for reading while it syncs the WAL, and every Badger write takes that
// lock for writing first, so no transaction can commit during the sync:
// the committer's next group would wait for the acknowledger's sync instead
// of overlapping it, which halves throughput. It also misses a case: when a
// memtable fills up during a commit, Badger moves it to the flush queue and
// opens a new WAL, and never syncs the old one; its entries are durable only
// once the memtable is flushed to an SST, which may be after we acknowledged
// them. (A full value-log file is msynced when Badger rotates it, but we do
// not rely on that.)
//
// Badger names WALs "%05d.mem" and value logs "%06d.vlog", with ids that go
// up by one per new file, and writes only to the newest file of each
// series: once a file has a successor, nothing more is written to it. So a
// series keeps cur, the oldest file not known to be durable whole, and a
// sync fsyncs cur and every file after it; before each fsync it looks for
// the file's successor (it lists the directory first), and only if one
// existed before the fsync began is the file done, and cur moves on.
// (Looking after the fsync would miss a commit that wrote to the file after
// the fsync and then saw a rotation: its data would sit in a file the next
// sync skips.) Ids have gaps where the GC deleted value logs. Each file's directory
// entry is fsynced once, before its data, so that a new file cannot vanish
// with the data a sync vouched for. A file that is gone was a WAL whose
// memtable Badger flushed to a synced SST, or a value log the GC emptied
// into newer files after a sync (gc.go): nothing is left to sync. Every
// file that exists when the store opens starts out not known durable, so
// the first sync also covers what Badger replayed at open. The store's
// tests check that rotations are seen, should Badger ever change its
// naming.
type syncer struct {
	mu   sync.Mutex // one sync at a time: the series are not safe for concurrent use
	wal  logSeries
	vlog logSeries
}

// syncHook, for tests, is called with a file's path before each fsync
// the syncer makes; the func it returns, when not nil, after the fsync
// succeeded.
type syncHook func(path string) func()

func newSyncer(dir string, hook syncHook) (*syncer, error) {
	s := &syncer{
		wal:  logSeries{dir: dir, format: "%05d.mem", hook: hook},
		vlog: logSeries{dir: dir, format: "%06d.vlog", hook: hook},
	}
	if dir == "" {
		return s, nil
	}
	for _, l := range []*logSeries{&s.wal, &s.vlog} {
		if err := l.find(); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// sync makes every transaction committed before the call durable. It is
// safe for concurrent use; concurrent calls take turns. In memory it does
// nothing.
func (s *syncer) sync() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.wal.dir == "" {
		return nil
	}
	// The two series wait on the disk, not the CPU: overlap them.
	var vlogErr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		vlogErr = s.vlog.sync()
	}()
	walErr := s.wal.sync()
	<-done
	if err := errors.Join(walErr, vlogErr); err != nil {
		return fmt.Errorf("sync: %w", err)
	}
	return nil
}

// logSeries follows one series of Badger's numbered log files.
type logSeries struct {
	dir       string
	format    string // the file name, from the id
	cur       int    // the oldest file not known to be durable whole, -1 if none
	dirSynced int    // the newest file whose directory entry is durable, -1 if none
	rotations int    // files found complete since the first sync, for tests
	hook      syncHook
}

// find sets cur to the oldest file of the series.
func (l *logSeries) find() error {
	ids, err := l.ids()
	if err != nil {
		return err
	}
	l.cur, l.dirSynced = -1, -1
	if len(ids) > 0 {
		l.cur = ids[0]
	}
	return nil
}

// sync fsyncs cur and every file after it, and moves cur to the newest:
// the files before it had a successor when the directory was listed,
// before their fsync began, so the fsync covered all of them.
func (l *logSeries) sync() error {
	ids, err := l.ids()
	if err != nil {
		return err
	}
	// Files below cur are durable, or were flushed or collected.
	i, _ := slices.BinarySearch(ids, l.cur)
	ids = ids[i:]
	if len(ids) == 0 {
		return nil
	}
	if newest := ids[len(ids)-1]; newest > l.dirSynced {
		if err := syncDir(l.dir); err != nil {
			return err
		}
		l.dirSynced = newest
	}
	for i, id := range ids {
		if err := l.fsync(id); err != nil {
			return err
		}
		if i > 0 {
			l.rotations++
		}
		l.cur = id
	}
	return nil
}

func (l *logSeries) fsync(id int) error {
	path := l.path(id)
	var after func()
	if l.hook != nil {
		after = l.hook(path)
	}
	if err := fsync(path); err != nil {
		return err
	}
	if after != nil {
		after()
	}
	return nil
}

func (l *logSeries) path(id int) string {
	return filepath.Join(l.dir, fmt.Sprintf(l.format, id))
}

// ids returns the ids of the series' files, in increasing order.
func (l *logSeries) ids() ([]int, error) {
	entries, err := os.ReadDir(l.dir)
	if err != nil {
		return nil, err
	}
	ext := filepath.Ext(l.format)
	var ids []int
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ext)
		if !ok {
			continue
		}
		if id, err := strconv.Atoi(name); err == nil {
			ids = append(ids, id)
		}
	}
	// ReadDir sorts by name, and names are zero-padded, but only so far.
	slices.Sort(ids)
	return ids, nil
}

func exists(path string) (bool, error) {
	_, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}

// fsync syncs the file at path. A file that is gone was a WAL whose memtable
// Badger has flushed to a synced SST, or a value log the GC emptied into
// newer files: nothing is left to sync.
func fsync(path string) error {
	if err := syncPath(path); !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// syncDir fsyncs a directory, making the creation and removal of the files
// in it durable.
func syncDir(dir string) error { return syncPath(dir) }

// syncPath opens path, a file or a directory, and fsyncs it.
func syncPath(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
