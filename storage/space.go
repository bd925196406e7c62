package storage

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"

	"github.com/readalike/readalike/recommend"
)

// Badger writes its logs and tables through mmap, into files it grows
// sparsely, so a full disk does not fail a write: the kernel kills the
// process with SIGBUS when a page cannot be backed (in valueLog.write, or at
// the next start in table.CreateTable, flushing what it replayed). So the
// store refuses writes while the store's filesystem has less than
// Options.MinFreeBytes free, before Badger gets near that point, and opens
// a store read-only when there is not that much free at start.
//
// The headroom is what Badger may write in the background, on top of the
// write being refused or taken, with M = MemTableSize and V the value-log
// file size (128 MiB):
//
//	2 V   the active value log grows to a full file, and a value-log GC
//	      round writes up to a file's live values before it deletes it
//	4 M   the write-ahead logs: the active memtable's and those of the up
//	      to two full memtables waiting to be flushed, each at most M plus
//	      one transaction (15% of M)
//	4 M   the level-0 tables flushed from them, at most a memtable each,
//	      written before their logs are deleted
//	8 M   a compaction writes its output before it deletes its input:
//	      level 0 into level 1 starts at 5 tables of up to M each, and
//	      the tables of level 1 they overlap add as much again, at most
//
// 2 V + 16 M: 768 MiB with the defaults, 18 MiB in the tests' smallest
// stores. The store takes the write only if the headroom stays free after
// it as well. It is a bound on what Badger does with these options, not a
// guarantee: a compaction of deep levels with large tables can write
// more, which is why it is a setting.
func defaultMinFree(memTableSize, vlogFileSize int64) int64 {
	return 2*vlogFileSize + 16*memTableSize
}

// space watches the free space of the filesystem a store lives on. It is
// safe for concurrent use.
type space struct {
	dir  string
	min  int64 // bytes that must stay free; negative: no guard
	log  *slog.Logger
	free func(path string) (int64, error) // freeBytes, or a test's
	low  atomic.Bool                      // the last check refused, for logging the changes only
}

// check returns an error wrapping recommend.ErrNoSpace if writing need
// bytes would leave less than the minimum free. It lets the write go if
// the free space cannot be read.
func (s *space) check(need int64) error {
	if s == nil || s.min < 0 {
		return nil
	}
	free, err := s.free(s.dir)
	if err != nil {
		return nil
	}
	if free-need < s.min {
		if !s.low.Swap(true) {
			s.log.Warn("disk nearly full: refusing writes until more space is free",
				"dir", s.dir, "free", free, "min_free", s.min)
		}
		return fmt.Errorf("%w: %s free on the store's disk, and %s must stay free",
			recommend.ErrNoSpace, bytesText(free), bytesText(s.min))
	}
	if s.low.Swap(false) {
		s.log.Info("free space recovered: accepting writes", "dir", s.dir, "free", free)
	}
	return nil
}

// room reports whether need bytes can be written without faulting, the
// headroom left aside: for the value-log GC, which frees space but first
// writes some.
func (s *space) room(need int64) bool {
	if s == nil || s.min < 0 {
		return true
	}
	free, err := s.free(s.dir)
	return err != nil || free >= need
}

// freeBytes returns the bytes available to the process on the filesystem
// holding path, or its nearest existing parent.
func freeBytes(path string) (int64, error) {
	for {
		free, err := statfsFree(path)
		if !errors.Is(err, fs.ErrNotExist) {
			return free, err
		}
		parent := filepath.Dir(path)
		if parent == path {
			return free, err
		}
		path = parent
	}
}

// errReadOnly is what writes get from a store opened read-only.
func errReadOnly(min int64) error {
	return fmt.Errorf("%w: the store was opened read-only, with less than %s free on its disk; free some space and restart",
		recommend.ErrNoSpace, bytesText(min))
}

// recoveryRoom estimates what the salvage of an unclean store in dir
// writes: the level-0 tables flushed from what it replays from the
// write-ahead logs, and its own memtable.
func recoveryRoom(dir string, memTableSize int64) int64 {
	entries, _ := os.ReadDir(dir)
	var wal int64
	for _, e := range entries {
		if info, err := e.Info(); err == nil && strings.HasSuffix(e.Name(), ".mem") {
			wal += diskUsage(info)
		}
	}
	return 2*wal + 2*memTableSize
}

// bytesText writes a byte count in MiB, or GiB from 10 GiB on.
func bytesText(n int64) string {
	if n >= 10<<30 {
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	}
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}
