package storage

import (
	"fmt"
	"os"
	"strings"
)

// Size returns the disk space the store takes: the value log (.vlog files,
// where article bodies live) and everything else (the LSM tree's tables,
// the memtable logs, the manifest). It counts the blocks allocated, not the
// apparent sizes: Badger preallocates its log files sparsely. In memory it
// returns zeros. It is safe for concurrent use, and reads the directory on
// each call.
func (d *DB) Size() (lsm, vlog int64, err error) {
	if !d.gate.enter() {
		return 0, 0, fmt.Errorf("size: %w", ErrClosed)
	}
	defer d.gate.leave()
	if d.dir == "" {
		return 0, 0, nil
	}
	entries, err := os.ReadDir(d.dir)
	if err != nil {
		return 0, 0, fmt.Errorf("size: %w", err)
	}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue // removed since ReadDir: compaction or GC at work
		}
		if strings.HasSuffix(e.Name(), ".vlog") {
			vlog += diskUsage(info)
		} else {
			lsm += diskUsage(info)
		}
	}
	return lsm, vlog, nil
}
