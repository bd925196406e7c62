package storage

import (
	"os"
	"path/filepath"
	"testing"
)

// TestLogSeries drives the file tracking of the syncer over fake WALs.
func TestLogSeries(t *testing.T) {
	tests := []struct {
		name          string
		known         int   // the file active at the last sync
		files         []int // the files there now
		wantCur       int
		wantRotations int
	}{
		{"no rotation", 3, []int{3}, 3, 0},
		{"one rotation", 3, []int{3, 4}, 4, 1},
		{"two rotations", 3, []int{3, 4, 5}, 5, 2},
		{"old one flushed meanwhile", 3, []int{4, 5}, 5, 2},
		{"several flushed: lost track", 3, []int{6, 7, 8}, 8, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := &logSeries{dir: t.TempDir(), format: "%05d.mem", cur: tt.known}
			for _, id := range tt.files {
				if err := os.WriteFile(l.path(id), []byte("x"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if err := l.sync(); err != nil {
				t.Fatal(err)
			}
			if l.cur != tt.wantCur || l.rotations != tt.wantRotations {
				t.Errorf("got file %d after %d rotations, want %d after %d", l.cur, l.rotations, tt.wantCur, tt.wantRotations)
			}
		})
	}
}

func TestLogSeriesIDs(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"100000.mem", "00002.mem", "00010.mem", "000001.vlog", "MANIFEST", "x.mem"} {
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	wal := logSeries{dir: dir, format: "%05d.mem"}
	if err := wal.find(); err != nil || wal.cur != 100000 {
		t.Errorf("wal: got %d, %v, want 100000", wal.cur, err)
	}
	ids, err := wal.ids()
	if err != nil || len(ids) != 3 || ids[0] != 2 || ids[1] != 10 || ids[2] != 100000 {
		t.Errorf("got %v, %v, want [2 10 100000]", ids, err)
	}
	vlog := logSeries{dir: dir, format: "%06d.vlog"}
	if err := vlog.find(); err != nil || vlog.cur != 1 {
		t.Errorf("vlog: got %d, %v, want 1", vlog.cur, err)
	}
}
