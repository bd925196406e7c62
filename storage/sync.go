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
// that committed transactions were written to: the active memtable's
// write-ahead log (.mem) and the active value-log file (.vlog). On Linux
// fsync writes back every dirty page of the file, those dirtied through a
// shared mmap included (msync(MS_SYNC) is the same operation).
//
// Why not badger.DB.Sync, which does just that? It holds Badger's DB lock
// for reading while it syncs the WAL, and every Badger write takes that
// lock for writing first, so no transaction can commit during the sync:
// the committer's next group would wait for the acknowledger's sync instead
// of overlapping it, which halves throughput. It also misses a case: when a
// memtable fills up during a commit, Badger moves it to the flush queue and
// opens a new WAL, and never syncs the old one; its entries are durable only
// once the memtable is flushed to an SST, which may be after we acknowledged
// them. (A full value-log file is synced when Badger rotates it.)
//
// Badger names WALs "%05d.mem" and value logs "%06d.vlog", with ids that go
// up by one per new file; it flushes memtables in order and deletes a WAL
// once its SST is durable. So a series only has to look for the file after
// the one it knows to be active: one stat per sync, and a directory listing
// only if the one it knew is gone (flushed) with no successor in sight. The
// store's tests check that rotations are seen, should Badger ever change its
// naming.
type syncer struct {
	mu   sync.Mutex // one sync at a time: the series are not safe for concurrent use
	wal  logSeries
	vlog logSeries
}

func newSyncer(dir string) (*syncer, error) {
	s := &syncer{
		wal:  logSeries{dir: dir, format: "%05d.mem"},
		vlog: logSeries{dir: dir, format: "%06d.vlog"},
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
	// The two fsyncs wait on the disk, not the CPU: overlap them.
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
	cur       int    // the file active at the last sync, -1 if none
	rotations int    // files synced after they stopped being active, for tests
}

// find sets cur to the newest file of the series.
func (l *logSeries) find() error {
	ids, err := l.ids()
	if err != nil {
		return err
	}
	l.cur = -1
	if len(ids) > 0 {
		l.cur = ids[len(ids)-1]
	}
	return nil
}

// sync fsyncs the active file, and every file that became active since the
// last sync: a transaction committed before the call wrote to one of them.
func (l *logSeries) sync() error {
	for {
		if err := fsync(l.path(l.cur)); err != nil {
			return err
		}
		next, err := exists(l.path(l.cur + 1))
		if err != nil {
			return err
		}
		if !next {
			break
		}
		l.cur++
		l.rotations++
	}
	cur, err := exists(l.path(l.cur))
	if err != nil || cur {
		return err
	}
	// The file we knew was flushed and deleted, and so was its successor:
	// several rotations happened since the last sync. Sync all that are left.
	ids, err := l.ids()
	if err != nil || len(ids) == 0 {
		return err
	}
	for _, id := range ids {
		if err := fsync(l.path(id)); err != nil {
			return err
		}
	}
	l.rotations += len(ids) - 1
	l.cur = ids[len(ids)-1]
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
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
