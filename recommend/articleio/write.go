package articleio

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"

	"github.com/readalike/readalike/recommend"
)

// Formats of neighbor lists.
const (
	JSONL = "jsonl" // {"id": "...", "neighbors": [{"id": "...", "score": 0.83}]} a line
	CSV   = "csv"   // id,rank,neighbor,score with a header row
)

// ListWriter writes neighbor lists, the batch's output, in one of the
// formats above. It is not safe for concurrent use.
type ListWriter struct {
	w      *bufio.Writer
	format string
	enc    *json.Encoder
	cw     *csv.Writer
	header bool
	buf    []listEntry
}

// listEntry is a neighbor as a JSONL list shows it.
type listEntry struct {
	ID    string  `json:"id"`
	Score float64 `json:"score"`
}

// NewListWriter returns a writer of lists to w in format (JSONL or CSV).
func NewListWriter(w io.Writer, format string) (*ListWriter, error) {
	lw := &ListWriter{w: bufio.NewWriterSize(w, 1<<20), format: format, buf: []listEntry{}}
	switch format {
	case JSONL:
		lw.enc = json.NewEncoder(lw.w)
	case CSV:
		lw.cw = csv.NewWriter(lw.w)
	default:
		return nil, fmt.Errorf("format %q: want %s or %s", format, JSONL, CSV)
	}
	return lw, nil
}

// Write writes the list of article id: its neighbors, best first.
func (lw *ListWriter) Write(id string, ns []recommend.Neighbor) error {
	if lw.enc != nil {
		lw.buf = lw.buf[:0] // an article without neighbors gets [], not null
		for _, n := range ns {
			lw.buf = append(lw.buf, listEntry{n.ID, n.Score})
		}
		return lw.enc.Encode(struct {
			ID        string      `json:"id"`
			Neighbors []listEntry `json:"neighbors"`
		}{id, lw.buf})
	}
	if err := lw.writeHeader(); err != nil {
		return err
	}
	for i, n := range ns {
		if err := lw.cw.Write([]string{id, strconv.Itoa(i + 1), n.ID, strconv.FormatFloat(n.Score, 'f', 6, 64)}); err != nil {
			return err
		}
	}
	return nil
}

func (lw *ListWriter) writeHeader() error {
	if lw.header {
		return nil
	}
	lw.header = true
	return lw.cw.Write([]string{"id", "rank", "neighbor", "score"})
}

// Flush writes what is buffered (a CSV file gets its header even when no
// list was written).
func (lw *ListWriter) Flush() error {
	if lw.cw != nil {
		if err := lw.writeHeader(); err != nil {
			return err
		}
		lw.cw.Flush()
		if err := lw.cw.Error(); err != nil {
			return err
		}
	}
	return lw.w.Flush()
}

// File is an output file written under a temporary name beside its final
// one, and renamed to it by Commit once complete, so that a half-written
// file never stands under the final name.
type File struct {
	*os.File
	path string
	done bool
}

// CreateFile creates the temporary file .BASE.partial-N beside path. Unlike
// os.CreateTemp, which makes it private (0600), it asks for 0666 and lets
// the umask decide, as the shell's > would.
func CreateFile(path string) (*File, error) {
	for try := 0; ; try++ {
		name := filepath.Join(filepath.Dir(path), fmt.Sprintf(".%s.partial-%d", filepath.Base(path), rand.Uint32()))
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o666)
		if errors.Is(err, fs.ErrExist) && try < 100 {
			continue
		}
		if err != nil {
			return nil, err
		}
		return &File{File: f, path: path}, nil
	}
}

// Commit syncs the file, closes it and renames it to its final name.
func (f *File) Commit() error {
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(f.Name(), f.path); err != nil {
		return err
	}
	f.done = true
	return nil
}

// Abort removes the file unless Commit renamed it; it is safe to defer.
func (f *File) Abort() {
	if !f.done {
		f.Close()
		os.Remove(f.Name())
	}
}
