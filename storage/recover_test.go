package storage

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dgraph-io/ristretto/v2/z"

	"github.com/readalike/readalike/recommend"
)

// TestOpenRepairsEmptyLogFiles recreates badger issue 2207: zero-length
// .mem and .vlog files, as a power loss right after Badger created them
// leaves behind, make badger.Open fail with "Create a new file".
func TestOpenRepairsEmptyLogFiles(t *testing.T) {
	tests := []struct {
		name  string
		files []string
	}{
		{"memtable wal", []string{"00009.mem"}},
		{"last value log", []string{"000009.vlog"}},
		{"earlier value log", []string{"000000.vlog"}},
		{"all of them", []string{"00007.mem", "00009.mem", "000000.vlog", "000009.vlog"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			d, err := Open(dir, Options{})
			if err != nil {
				t.Fatal(err)
			}
			commit(t, d, recommend.Write{Puts: []recommend.Put{put("a", "x", "y"), put("b", "y")}})
			if err := d.Close(); err != nil {
				t.Fatal(err)
			}
			for _, f := range tt.files {
				if err := os.WriteFile(filepath.Join(dir, f), nil, 0o644); err != nil {
					t.Fatal(err)
				}
			}

			var logged syncBuffer
			log := slog.New(slog.NewTextHandler(&logged, &slog.HandlerOptions{Level: slog.LevelWarn}))
			d, err = Open(dir, Options{Logger: log})
			if err != nil {
				t.Fatalf("open: %v", err)
			}
			if !strings.Contains(logged.String(), "badger issue 2207") {
				t.Errorf("got no warning, log:\n%s", logged.String())
			}
			checkStats(t, d, recommend.TermStats{N: 2, DF: map[string]uint32{"x": 1, "y": 2}})
			commit(t, d, recommend.Write{Puts: []recommend.Put{put("c", "z")}, Deletes: []string{"a"}})
			if err := d.Close(); err != nil {
				t.Fatal(err)
			}

			// The repair left nothing behind that needs another one.
			for _, f := range tt.files {
				info, err := os.Stat(filepath.Join(dir, f))
				if err == nil && info.Size() > vlogHeaderSize {
					t.Errorf("%s: %d bytes left, want it gone or an empty header", f, info.Size())
				}
			}
			logged = syncBuffer{}
			d = openTest(t, dir, Options{Logger: log})
			if logged.String() != "" {
				t.Errorf("second open logged:\n%s", logged.String())
			}
			checkStats(t, d, recommend.TermStats{N: 2, DF: map[string]uint32{"y": 1, "z": 1}})
			if _, err := d.Article(ctx, "c"); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestOpenLeavesOtherFailuresAlone checks that only the 2207 failure is
// repaired: a store locked by another Open fails as it is.
func TestOpenLeavesOtherFailuresAlone(t *testing.T) {
	dir := t.TempDir()
	d := openTest(t, dir, Options{})
	empty := filepath.Join(dir, "00099.mem")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir, Options{}); err == nil || isNewFileError(err) {
		t.Fatalf("second open of a locked store: got %v, want a lock error", err)
	}
	if info, err := os.Stat(empty); err != nil || info.Size() != 0 {
		t.Errorf("empty file touched: %v, %v", info, err)
	}
	d.Close()
}

func TestIsNewFileError(t *testing.T) {
	tests := map[string]bool{
		"while opening memtables err: while opening fid: 9 err: Create a new file":            true,
		`During db.vlog.open err: Open existing file: "x/000009.vlog" err: Create a new file`: true,
		"Cannot acquire directory lock": false,
	}
	for msg, want := range tests {
		if got := isNewFileError(errors.New(msg)); got != want {
			t.Errorf("%q: got %v, want %v", msg, got, want)
		}
	}
	if !isNewFileError(fmt.Errorf("open: %w", z.NewFile)) {
		t.Error("wrapped z.NewFile: got false, want true")
	}
}

// TestOpenRepairsTornManifest appends a half-written change to the
// manifest, as a power loss during the fsync of a table's addition leaves
// it: Open cuts it off. A bad change with data after it is not a torn end,
// and Open fails on it as Badger does.
func TestOpenRepairsTornManifest(t *testing.T) {
	for _, tt := range []struct {
		name  string
		after []byte // what follows the torn change
		ok    bool
	}{
		{"torn end", nil, true},
		{"torn end, zeros after", make([]byte, 100), true},
		{"bad change before good data", []byte("more changes"), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			d, err := Open(dir, salvageOptions)
			if err != nil {
				t.Fatal(err)
			}
			commit(t, d, recommend.Write{Puts: []recommend.Put{bigPut("a", "one")}})
			if err := d.Close(); err != nil {
				t.Fatal(err)
			}
			// A change of 40 bytes whose second half never reached the disk.
			torn := make([]byte, 8+40)
			binary.BigEndian.PutUint32(torn, 40)
			binary.BigEndian.PutUint32(torn[4:], 0xdeadbeef)
			copy(torn[8:], "twenty bytes of data")
			f, err := os.OpenFile(filepath.Join(dir, "MANIFEST"), os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			f.Write(append(torn, tt.after...))
			f.Close()

			var logged syncBuffer
			log := slog.New(slog.NewTextHandler(&logged, &slog.HandlerOptions{Level: slog.LevelWarn}))
			opts := salvageOptions
			opts.Logger = log
			d, err = Open(dir, opts)
			if !tt.ok {
				if err == nil || !strings.Contains(err.Error(), "manifest") {
					t.Errorf("got %v, want Badger's manifest error", err)
				}
				if d != nil {
					d.Close()
				}
				return
			}
			if err != nil {
				t.Fatalf("open: %v", err)
			}
			defer d.Close()
			if !strings.Contains(logged.String(), "torn change") {
				t.Errorf("no word of the repair in the log:\n%s", logged.String())
			}
			wantArticle(t, d, "a", "a one")
		})
	}
}
