package storage

import (
	"os"
	"path/filepath"
	"slices"
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
		{"old one flushed meanwhile", 3, []int{4, 5}, 5, 1},
		{"several flushed", 3, []int{6, 7, 8}, 8, 2},
		{"collected in between", 3, []int{3, 5, 8}, 8, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := &logSeries{dir: t.TempDir(), format: "%05d.mem", cur: tt.known, dirSynced: tt.known}
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
	if err := wal.find(); err != nil || wal.cur != 2 {
		t.Errorf("wal: got %d, %v, want 2, the oldest", wal.cur, err)
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

// TestLogSeriesRotationDuringSync rotates a log while a sync fsyncs it: a
// commit that wrote to the old file after the fsync began, and saw the
// rotation, must be covered by the next sync, which must fsync the old file
// again.
func TestLogSeriesRotationDuringSync(t *testing.T) {
	dir := t.TempDir()
	var synced []string
	rotate := true
	l := &logSeries{dir: dir, format: "%05d.mem", hook: func(path string) func() {
		synced = append(synced, filepath.Base(path))
		if rotate && filepath.Base(path) == "00003.mem" {
			// Badger appends to 3, then opens 4, during the fsync of 3.
			rotate = false
			if err := os.WriteFile(filepath.Join(dir, "00004.mem"), []byte("x"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return nil
	}}
	if err := os.WriteFile(l.path(3), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := l.find(); err != nil {
		t.Fatal(err)
	}
	if err := l.sync(); err != nil {
		t.Fatal(err)
	}
	if l.cur != 3 {
		t.Errorf("after a rotation during the fsync: cur is %d, want 3 (not known complete)", l.cur)
	}
	synced = nil
	if err := l.sync(); err != nil {
		t.Fatal(err)
	}
	if want := []string{"00003.mem", "00004.mem"}; !slices.Equal(synced, want) || l.cur != 4 {
		t.Errorf("next sync: fsynced %v, cur %d, want %v, 4", synced, l.cur, want)
	}
	synced = nil
	if err := l.sync(); err != nil {
		t.Fatal(err)
	}
	if want := []string{"00004.mem"}; !slices.Equal(synced, want) {
		t.Errorf("third sync: fsynced %v, want %v", synced, want)
	}
}
