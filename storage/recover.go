package storage

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/ristretto/v2/z"
)

// openBadger opens Badger, working around badger issue 2207.
//
// A power loss between the creation of a memtable WAL (.mem) or a value-log
// file (.vlog) and its first write leaves a zero-length file; so can a crash
// during Open itself, which creates both. Badger then refuses to open: its
// mmap helper grows an empty file and reports z.NewFile ("Create a new
// file"), which Badger treats as fatal for a file it expected to exist, so
// Open fails with "while opening fid: N ... Create a new file" (.mem) or
// "Open existing file: ... Create a new file" (.vlog). By then the failed
// Open has grown the file and written its 20-byte header, so a plain retry
// may succeed, but it would keep a large file holding nothing.
//
// So, on exactly that failure, openBadger repairs each .mem or .vlog file
// that was empty before the first attempt, logs a warning and tries once
// more:
//
//   - A .mem file is removed. A WAL that had no bytes held no entries, so
//     nothing is lost, and nothing refers to it: the MANIFEST lists SSTs
//     only, and Badger numbers new memtables after the highest it finds.
//   - A .vlog file is cut to an empty 20-byte header (key id 0: this store is
//     not encrypted), which Badger reads as a value log without entries: it
//     deletes it if a later file exists and otherwise starts the next file
//     after it. A file with no bytes held no values, so nothing is lost. It
//     is not removed because Badger would then reuse its id for the next
//     file, and a value pointer to it written by an unacknowledged commit
//     whose WAL entry survived the power loss would point into new data.
//
// Files that were not empty before the first attempt are left alone: any
// other failure is returned as it is, but for a manifest whose last change
// was torn by a power loss, which is cut off (repairManifestTail).
func openBadger(opts badger.Options, log *slog.Logger) (*badger.DB, error) {
	var empty []string
	if !opts.InMemory {
		var err error
		if empty, err = emptyLogFiles(opts.Dir); err != nil {
			return nil, err
		}
	}
	bdb, err := badger.Open(opts)
	if err != nil && !opts.InMemory && isManifestError(err) {
		repaired, rerr := repairManifestTail(filepath.Join(opts.Dir, "MANIFEST"))
		if rerr != nil {
			return nil, fmt.Errorf("%w (repairing its torn end: %v)", err, rerr)
		}
		if repaired > 0 {
			log.Warn("store's manifest ends in a torn change, as a power loss during a flush can leave: dropped it",
				"dir", opts.Dir, "bytes", repaired, "err", err)
			bdb, err = badger.Open(opts)
		}
	}
	if err == nil || len(empty) == 0 || !isNewFileError(err) {
		return bdb, err
	}
	log.Warn("store has empty log files, as a power loss can leave (badger issue 2207): repairing them",
		"dir", opts.Dir, "files", strings.Join(empty, ","), "err", err)
	for _, name := range empty {
		if err := repairLogFile(filepath.Join(opts.Dir, name)); err != nil {
			return nil, fmt.Errorf("repair %s: %w", name, err)
		}
	}
	bdb, err = badger.Open(opts)
	if err != nil {
		return nil, fmt.Errorf("after repairing empty log files: %w", err)
	}
	return bdb, nil
}

// isManifestError reports whether err is Badger's failure on a manifest
// change that does not check out: formatted into the message, like
// z.NewFile.
func isManifestError(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "manifest has checksum mismatch") || strings.Contains(msg, "Manifest file might be corrupted")
}

// repairManifestTail cuts a torn change off the end of Badger's manifest
// and returns how many bytes it cut, 0 when the manifest has no torn end.
//
// The manifest is a header and then changes, each a 4-byte length, a
// 4-byte CRC-32C and the change; Badger appends one and fsyncs it when a
// table is added or removed, and uses the table only after. A power loss
// during that fsync can leave the change half written (its pages reach the
// disk in any order), and Badger then refuses the manifest at every open,
// though its replay stops quietly at a change cut short by the end of the
// file. So a change that fails its checksum, or claims to run past the end,
// and is followed by nothing but zeros, was never relied on, and is cut
// off. A bad change followed by good data is left alone: that is not a
// torn append.
func repairManifestTail(path string) (int64, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	const header = 8 // magic and versions
	off := int64(header)
	size := int64(len(data))
	for off+8 <= size {
		length := int64(binary.BigEndian.Uint32(data[off:]))
		sum := binary.BigEndian.Uint32(data[off+4:])
		end := off + 8 + length
		if end <= size && crc32.Checksum(data[off+8:end], castagnoli) == sum {
			off = end
			continue
		}
		rest := data[min(end, size):]
		if slices.ContainsFunc(rest, func(b byte) bool { return b != 0 }) {
			return 0, nil // not a torn end: leave it to Badger's error
		}
		if err := os.Truncate(path, off); err != nil {
			return 0, err
		}
		f, err := os.Open(path)
		if err != nil {
			return 0, err
		}
		defer f.Close()
		return size - off, f.Sync()
	}
	return 0, nil
}

// vlogHeaderSize is the size of the header Badger writes at the start of
// every .mem and .vlog file: an 8-byte key id and a 12-byte IV.
const vlogHeaderSize = 20

func repairLogFile(path string) error {
	if strings.HasSuffix(path, ".mem") {
		err := os.Remove(path)
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return err
	}
	// Truncate keeps the header the failed Open may have written, or pads
	// an empty file with zeros: key id 0 either way.
	if err := os.Truncate(path, vlogHeaderSize); err != nil {
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return err
	}
	return nil
}

// emptyLogFiles returns the names of the zero-length .mem and .vlog files in
// dir, which need not exist yet.
func emptyLogFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", dir, err)
	}
	var empty []string
	for _, e := range entries {
		name := e.Name()
		if !e.Type().IsRegular() || !(strings.HasSuffix(name, ".mem") || strings.HasSuffix(name, ".vlog")) {
			continue
		}
		info, err := e.Info()
		if err != nil {
			return nil, fmt.Errorf("stat %s: %w", name, err)
		}
		if info.Size() == 0 {
			empty = append(empty, name)
		}
	}
	return empty, nil
}

// isNewFileError reports whether err is Badger's failure on an empty file.
// Badger formats the cause into the message instead of wrapping it (unless
// built in debug mode), so errors.Is alone cannot see it.
func isNewFileError(err error) bool {
	return errors.Is(err, z.NewFile) || strings.Contains(err.Error(), z.NewFile.Error())
}
