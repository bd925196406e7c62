package storage

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/readalike/readalike/recommend"
	"github.com/readalike/readalike/vectorize"
)

// Commit writes w atomically and returns once it is durable against power
// loss, as recommend.Store says. A put replaces any stored article with its
// id; deleting an absent id does nothing; a write that names an id twice is
// refused. N changes in the same transaction;
// each term's df changes in memory before Commit returns, and on disk at
// the next checkpoint (see keys.go: a crash in between costs a recount at
// Open, never a wrong df).
//
// Commit checks w first and returns an error naming the put or delete and
// the problem, writing nothing, for an empty id or one over 1024 bytes, and
// for counts that are not sorted by term, repeat a term, or hold an empty
// or over-long term or a zero count. It returns an error wrapping
// ErrBatchTooBig for a batch that does not fit in one Badger transaction
// (see Options.MemTableSize), one wrapping recommend.ErrNoSpace, writing
// nothing, when the disk is nearly full or the store was opened read-only
// (see Options.MinFreeBytes), and one wrapping ErrClosed after Close.
//
// Many concurrent Commits share one sync: Commit hands the batch to the
// committer goroutine, which applies all the batches waiting; then one sync
// makes them durable, and they are acknowledged. If ctx ends first, Commit returns ctx's error;
// a batch already handed over may still be written (and is then as durable
// as any other). If the sync fails, the batch is written but may not survive
// a power loss; committing it again is safe. Commit is safe for concurrent
// use, and does not keep w or anything in it once it returns.
func (d *DB) Commit(ctx context.Context, w recommend.Write) error {
	if !d.gate.enter() {
		return fmt.Errorf("commit: %w", ErrClosed)
	}
	defer d.gate.leave()
	if d.readOnly {
		return fmt.Errorf("commit: %w", errReadOnly(d.space.min))
	}
	r, err := prepare(w)
	if err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	if r == nil {
		return nil // nothing to write
	}
	return d.c.submit(ctx, r)
}

// request is a checked and encoded Write on its way to the committer.
type request struct {
	puts    []prepared
	deletes []string
	reads   []recommend.Read
	size    int64      // bytes it writes, roughly
	err     error      // set by the committer
	done    chan error // buffered: the committer never waits for Commit
}

type prepared struct {
	id      string
	article []byte           // encoded
	counts  []byte           // encoded
	terms   vectorize.Counts // a copy: Commit may return before the committer is done
}

// prepare checks b and encodes it, in the caller's goroutine so that many
// writers encode in parallel. It returns nil for an empty batch.
func prepare(b recommend.Write) (*request, error) {
	if len(b.Puts) == 0 && len(b.Deletes) == 0 && len(b.Reads) == 0 {
		return nil, nil
	}
	if err := b.Check(); err != nil {
		return nil, err
	}
	r := &request{
		puts:    make([]prepared, len(b.Puts)),
		deletes: slices.Clone(b.Deletes),
		reads:   slices.Clone(b.Reads),
		done:    make(chan error, 1),
	}
	for i := range b.Puts {
		p := &b.Puts[i]
		if err := checkPut(p); err != nil {
			return nil, fmt.Errorf("put %d (id %q): %w", i, p.Article.ID, err)
		}
		r.puts[i] = prepared{
			id:      p.Article.ID,
			article: encodeArticle(&p.Article),
			counts:  encodeCounts(p.Counts),
			terms:   slices.Clone(p.Counts),
		}
		r.size += int64(len(r.puts[i].article) + len(r.puts[i].counts) + 2*(len(p.Article.ID)+entryOverhead))
	}
	for i, id := range b.Deletes {
		if err := checkKey("id", id); err != nil {
			return nil, fmt.Errorf("delete %d: %w", i, err)
		}
		r.size += int64(3 * (len(id) + entryOverhead))
	}
	for i, rd := range b.Reads {
		if err := checkKey("id", rd.ID); err != nil {
			return nil, fmt.Errorf("read %d: %w", i, err)
		}
		if len(rd.Reader) > maxKeyLen || strings.IndexByte(rd.Reader, 0) >= 0 {
			return nil, fmt.Errorf("read %d: reader %q is longer than %d bytes or holds a NUL", i, rd.Reader, maxKeyLen)
		}
		if rd.At.Before(time.Unix(0, 0)) {
			return nil, fmt.Errorf("read %d: time %v is before 1970", i, rd.At)
		}
	}
	return r, nil
}

// entryOverhead is roughly what Badger adds to a record in its logs and
// tables: header, version, checksum, value pointer.
const entryOverhead = 40

func checkPut(p *recommend.Put) error {
	if err := checkKey("id", p.Article.ID); err != nil {
		return err
	}
	for i, tc := range p.Counts {
		if tc.Term == "" || len(tc.Term) > maxKeyLen {
			return checkKey(fmt.Sprintf("term %d", i), tc.Term)
		}
		if tc.Count == 0 {
			return fmt.Errorf("term %d (%q) has count 0", i, tc.Term)
		}
		if i == 0 {
			continue
		}
		switch prev := p.Counts[i-1].Term; {
		case tc.Term == prev:
			return fmt.Errorf("term %q appears twice in the counts", tc.Term)
		case tc.Term < prev:
			return fmt.Errorf("counts not sorted by term: %q after %q", tc.Term, prev)
		}
	}
	return nil
}

func checkKey(what, s string) error {
	if s == "" {
		return fmt.Errorf("%s is empty", what)
	}
	if len(s) > maxKeyLen {
		return fmt.Errorf("%s is %d bytes long, over the limit of %d", what, len(s), maxKeyLen)
	}
	return nil
}
