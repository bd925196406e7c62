package storage

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// gcDiscardRatio is the share of a value-log file that must be stale before
// GC rewrites it: Badger's suggested 0.5 rewrites a file to reclaim at least
// half of it.
const gcDiscardRatio = 0.5

// gcLoop runs Badger's value-log GC every interval until stopped. Badger
// reclaims LSM space by compaction on its own, but a value-log file (where
// article bodies live) only when GC rewrites it.
//
// The GC moves the live values of a file to the head of the value log
// through Badger's ordinary write path, which we leave unsynced (see
// sync.go), and then deletes the file. After a power loss the moved values
// could be gone while the deletion survived: acknowledged articles would
// lose their bodies. But Badger defers deleting rewritten files while any
// iterator is open. So a GC round holds an iterator open (a gcPin) until
// the moved values are synced, and only then lets the files go. (The other
// way round, the moved values' pointers can survive a power loss without
// them; the salvage at the next open then finds the originals in the files
// still there: salvage.go.)
type gcLoop struct {
	cancel context.CancelFunc
	done   chan struct{}
	rounds atomic.Int64 // GC rounds run, for tests
}

// startGC starts the loop; a round is skipped while room reports too
// little free disk space for it.
func startGC(bdb *badger.DB, s *syncer, dir string, interval time.Duration, room func() bool, log *slog.Logger) *gcLoop {
	ctx, cancel := context.WithCancel(context.Background())
	g := &gcLoop{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(g.done)
		var pin *gcPin // a round whose sync failed, waiting for one that works
		defer func() {
			if pin != nil && pin.release(s) != nil {
				pin.abandon() // Close must go on: the risk is the one Badger takes
			}
		}()
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			if pin != nil {
				if err := pin.release(s); err != nil {
					log.Warn("value log gc: sync still failing", "dir", dir, "err", err)
					continue
				}
				pin = nil
			}
			if !room() {
				continue
			}
			var n int
			var err error
			n, pin, err = runGC(ctx, bdb, s)
			g.rounds.Add(1)
			if err != nil {
				log.Warn("value log gc failed", "dir", dir, "err", err)
			}
			if n > 0 {
				log.Info("value log gc", "dir", dir, "files_rewritten", n)
			}
		}
	}()
	return g
}

// stop ends the loop and waits for it, which may take as long as the one
// file rewrite in progress.
func (g *gcLoop) stop() {
	g.cancel()
	<-g.done
}

// runGC runs one GC round: it rewrites files until none is worth it or ctx
// ends, syncs, and lets Badger delete the rewritten files. It returns how
// many files it rewrote, and if the sync failed, the pin still holding
// them, to release once a sync works.
func runGC(ctx context.Context, bdb *badger.DB, s *syncer) (int, *gcPin, error) {
	pin := pinValueLog(bdb)
	rewritten := 0
	var gcErr error
	for ctx.Err() == nil {
		err := bdb.RunValueLogGC(gcDiscardRatio)
		if err == nil {
			rewritten++
			continue
		}
		if !errors.Is(err, badger.ErrNoRewrite) && !errors.Is(err, badger.ErrRejected) {
			gcErr = err
		}
		break
	}
	if err := pin.release(s); err != nil {
		return rewritten, pin, errors.Join(gcErr, err)
	}
	return rewritten, nil, gcErr
}

// gcPin holds an iterator open, which makes Badger defer deleting the
// value-log files that GC rewrites.
type gcPin struct {
	txn *badger.Txn
	it  *badger.Iterator
}

func pinValueLog(bdb *badger.DB) *gcPin {
	txn := bdb.NewTransaction(false)
	// Any iterator will do; this one has at most one key to look at.
	return &gcPin{txn: txn, it: txn.NewIterator(prefixOptions(prefixFormat))}
}

// release syncs, and if that works, closes the iterator: Badger then
// deletes the files rewritten meanwhile.
func (p *gcPin) release(s *syncer) error {
	if err := s.sync(); err != nil {
		return fmt.Errorf("sync the values gc moved: %w", err)
	}
	p.abandon()
	return nil
}

// abandon closes the iterator without syncing.
func (p *gcPin) abandon() {
	p.it.Close()
	p.txn.Discard()
}
