package storage

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/readalike/readalike/recommend"
	"github.com/readalike/readalike/vectorize"
)

// checkpointIdle is how long commits must pause before the committer
// writes the df records (see keys.go).
const checkpointIdle = 2 * time.Second

// Before a sync, the acknowledger waits for more committed groups until
// none came for syncPause, or syncMaxDelay after the first. When many
// writers are released by one sync, they come back over a few hundred
// microseconds (each encodes its next batch first); syncing the first few
// at once would split them into cohorts that each pay a whole sync. It
// waits only if the last sync covered several batches, so that a lone
// writer does not pay for it.
const (
	syncPause    = 100 * time.Microsecond
	syncMaxDelay = 2 * time.Millisecond
)

// committer writes articles, counts and N, in two goroutines that form a
// pipeline. The committer goroutine takes the batches waiting, commits them
// in as few Badger transactions as fit, and hands the group on. The
// acknowledger goroutine takes the committed groups as they come until
// they pause (see syncPause), syncs once, and meanwhile applies their df
// and N changes to the in-memory statistics; then it acknowledges every
// batch in them. So the next group's transactions overlap this group's
// sync, the map updates (some 140 per article) overlap it too, a batch is
// acknowledged only after a sync that began after its transaction
// committed, and a writer sees its own commit in TermStats.
//
// df and n in memory change only after the transaction that changed them
// committed, and equal what the 'c' records say once the acknowledger has
// applied every committed group. The committer goroutine also writes the
// df records, in checkpoints (see keys.go).
//
// The acknowledger also holds Badger's compactions back from unsynced
// data. A compaction drops a key's older versions once a newer one is at or
// below its discard timestamp, which in Badger is below the read timestamp
// of every open transaction. Were that newer version not yet synced, a
// power loss could leave it unreadable (its value lost) after the older one
// is gone: an acknowledged write would be lost with it. So after each
// group commits, the committer begins a read-only transaction (a pin), and
// once a sync covering the group succeeded, the acknowledger keeps that pin
// open in place of the last one: compactions then never drop a version in
// favour of one written after the last sync. (Open's salvage runs with
// compactions off, for the same reason; see salvage.go.)
type committer struct {
	bdb        *badger.DB
	sync       *syncer
	log        *slog.Logger
	persistent bool   // false in memory (and read-only): checkpoints are pointless
	space      *space // refuses groups on a nearly full disk; nil: no guard
	maxGroup   int
	idle       time.Duration // checkpoint once commits pause this long

	reqs        chan *request   // from Commit
	checkpoints chan chan error // from checkpointNow: checkpoint, then reply
	acks        chan ackGroup   // committed groups, to the acknowledger
	pin         *badger.Txn     // begun before the last successful sync; owned by the acknowledger
	done        chan struct{}   // closed once both goroutines returned
	closeErr    error           // the last checkpoint's, set before done is closed

	mu      sync.RWMutex // guards df, n and applied; TermStats reads df and n
	df      map[string]uint32
	n       int
	applied int64      // groups whose changes the acknowledger applied
	changed *sync.Cond // on &mu: applied grew

	// Owned by the committer goroutine (or by Open, before it starts).
	committedN int              // N after the last committed transaction
	sent       int64            // groups handed to the acknowledger
	dfCurrent  bool             // the df records on disk equal df
	scratch    vectorize.Counts // reused to decode old counts

	// For benchmarks and tests: batches acknowledged, transactions
	// committed, syncs made.
	batches, txns, syncs atomic.Int64
}

// ackGroup is a group of requests whose transactions are done, with the
// changes of those that committed. written tells whether any did, and so
// needs a sync.
type ackGroup struct {
	reqs    []*request
	changes []dfChanges
	written bool
	pin     *badger.Txn // begun after the group committed, when it wrote
}

func newCommitter(bdb *badger.DB, s *syncer, log *slog.Logger, st termStats, opts Options, persistent bool, sp *space) *committer {
	c := &committer{
		bdb:         bdb,
		sync:        s,
		log:         log,
		persistent:  persistent,
		space:       sp,
		maxGroup:    opts.MaxGroup,
		idle:        opts.checkpointIdle,
		reqs:        make(chan *request, opts.MaxGroup),
		checkpoints: make(chan chan error),
		acks:        make(chan ackGroup, 2),
		done:        make(chan struct{}),
		df:          st.df,
		n:           st.n,
		committedN:  st.n,
		dfCurrent:   st.dfCurrent,
	}
	c.changed = sync.NewCond(&c.mu)
	return c
}

func (c *committer) start() {
	acked := make(chan struct{})
	go func() {
		defer close(acked)
		c.acknowledge()
	}()
	go func() {
		defer close(c.done)
		c.run()
		close(c.acks)
		<-acked
		_, c.closeErr = c.checkpoint()
	}()
}

// submit hands r to the committer and waits for its acknowledgement.
func (c *committer) submit(ctx context.Context, r *request) error {
	// select picks at random among ready cases: without this check a
	// cancelled ctx could still hand the batch over.
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("commit: %w", err) // not handed over: nothing written
	}
	select {
	case c.reqs <- r:
	case <-ctx.Done():
		return fmt.Errorf("commit: %w", ctx.Err()) // not handed over: nothing written
	}
	select {
	case err := <-r.done:
		return err
	case <-ctx.Done():
		return fmt.Errorf("commit: %w (the batch may still be written)", ctx.Err())
	}
}

// stop makes the committer finish the requests already sent, write a
// checkpoint and return. No submit may run during or after stop; DB.Close's
// gate sees to it.
func (c *committer) stop() error {
	close(c.reqs)
	<-c.done
	return c.closeErr
}

// run commits groups of requests until reqs is closed, and writes a
// checkpoint whenever commits pause for c.idle, or when asked.
func (c *committer) run() {
	idle := time.NewTimer(c.idle)
	defer idle.Stop()
	for {
		var timeout <-chan time.Time
		if !c.dfCurrent {
			idle.Reset(c.idle)
			timeout = idle.C
		}
		select {
		case r, ok := <-c.reqs:
			if !ok {
				return
			}
			group := c.gather([]*request{r})
			c.sent++
			g := c.commitGroup(group)
			if g.written {
				g.pin = c.bdb.NewTransaction(false)
			}
			c.acks <- g
		case reply := <-c.checkpoints:
			_, err := c.checkpoint()
			reply <- err
		case <-timeout:
			if _, err := c.checkpoint(); err != nil {
				c.log.Warn("df checkpoint failed; will retry", "err", err)
			}
		}
	}
}

// checkpointNow has the committer write a checkpoint, if one is due, and
// waits for it. It must not be called after stop; DB's gate sees to it.
func (c *committer) checkpointNow(ctx context.Context) error {
	reply := make(chan error, 1)
	select {
	case c.checkpoints <- reply:
	case <-ctx.Done():
		return ctx.Err()
	}
	return <-reply
}

// gather adds to group the requests already waiting, up to maxGroup.
func (c *committer) gather(group []*request) []*request {
	for len(group) < c.maxGroup {
		select {
		case r, ok := <-c.reqs:
			if !ok {
				return group
			}
			group = append(group, r)
		default:
			return group
		}
	}
	return group
}

// commitGroup commits the group's requests, setting the error of each. On
// a nearly full disk it refuses them all.
func (c *committer) commitGroup(group []*request) ackGroup {
	g := ackGroup{reqs: group}
	var need int64
	for _, r := range group {
		need += r.size
	}
	if err := c.space.check(need); err != nil {
		for _, r := range group {
			r.err = fmt.Errorf("commit: %w", err)
		}
		return g
	}
	for i := 0; i < len(group); {
		n, err := c.commitSome(group[i:], &g)
		for _, r := range group[i : i+n] {
			r.err = err
		}
		i += n
	}
	return g
}

// acknowledge takes the committed groups as they come until they pause
// (see syncPause); syncs once if any of them wrote, applying their changes
// to df and N meanwhile; and acknowledges all their requests, until acks is
// closed.
func (c *committer) acknowledge() {
	pause := time.NewTimer(syncPause)
	defer pause.Stop()
	defer func() {
		if c.pin != nil {
			c.pin.Discard()
		}
	}()
	synced := make(chan error, 1)
	var groups []ackGroup
	last := 0 // batches the last sync covered
	for g := range c.acks {
		groups = append(groups[:0], g)
		deadline := time.Now().Add(syncMaxDelay)
	gather:
		for last > 1 && time.Now().Before(deadline) {
			pause.Reset(syncPause)
			select {
			case g, ok := <-c.acks:
				if !ok {
					break gather
				}
				groups = append(groups, g)
			case <-pause.C:
				break gather
			}
		}
		written := false
		for _, g := range groups {
			written = written || g.written
		}
		if written {
			c.syncs.Add(1)
			go func() { synced <- c.sync.sync() }()
		}
		c.apply(groups)
		var err error
		if written {
			err = <-synced
		}
		c.movePin(groups, err == nil)
		last = 0
		for _, g := range groups {
			for _, r := range g.reqs {
				if r.err == nil && err != nil {
					r.err = fmt.Errorf("commit: %w", err)
				}
				r.done <- r.err
			}
			last += len(g.reqs)
		}
		c.batches.Add(int64(last))
		clear(groups) // let the batches be collected
	}
}

// movePin keeps the pin of the last group that has one, if the sync
// covering the groups succeeded, in place of the one kept so far, and
// discards the others.
func (c *committer) movePin(groups []ackGroup, synced bool) {
	for i := range groups {
		p := groups[i].pin
		if p == nil {
			continue
		}
		if synced {
			p, c.pin = c.pin, p
		}
		if p != nil {
			p.Discard()
		}
	}
}

// apply applies the changes of committed groups to df and N.
func (c *committer) apply(groups []ackGroup) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, g := range groups {
		for _, ch := range g.changes {
			// Additions first, so that no df dips below zero on the way.
			for _, t := range ch.plus {
				c.df[t]++
			}
			for _, t := range ch.minus {
				switch df := c.df[t]; df {
				case 0: // every -1 is for a term of stored counts
					c.log.Warn("df below zero: the df records were wrong", "term", t)
				case 1:
					delete(c.df, t)
				default:
					c.df[t] = df - 1
				}
			}
			c.n += ch.n
		}
	}
	c.applied += int64(len(groups))
	c.changed.Broadcast()
}

// waitApplied waits until the acknowledger has applied the changes of every
// group the committer sent it. Only the committer goroutine calls it.
func (c *committer) waitApplied() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for c.applied < c.sent {
		c.changed.Wait()
	}
}

// commitSome commits a prefix of reqs, as long as fits in one transaction,
// and returns its length and the error it gets. A batch is never split: if
// the first one alone does not fit, it fails with ErrBatchTooBig. If a
// transaction fails for another reason, the batches are retried one by one,
// so that a bad one fails alone.
func (c *committer) commitSome(reqs []*request, g *ackGroup) (int, error) {
	fit := len(reqs)
	for {
		applied, err := c.commitTxn(reqs[:fit], g)
		if err == nil {
			return fit, nil
		}
		if errors.Is(err, badger.ErrTxnTooBig) {
			switch {
			case applied == 0 || fit == 1:
				r := reqs[0]
				return 1, fmt.Errorf("commit: %w: %d puts and %d deletes",
					ErrBatchTooBig, len(r.puts), len(r.deletes))
			case applied < fit:
				fit = applied // the batches before the one that overflowed
			default:
				fit = (fit + 1) / 2 // the stats record overflowed it
			}
			continue
		}
		if fit > 1 {
			fit = 1
			continue
		}
		return 1, fmt.Errorf("commit: %w", err)
	}
}

// commitTxn applies reqs in one transaction with the new N and commits. It
// adds the transaction's changes to g, for the acknowledger to apply. It
// returns how many requests it applied before an error: len(reqs) if the
// error came after them.
func (c *committer) commitTxn(reqs []*request, g *ackGroup) (int, error) {
	txn := c.bdb.NewTransaction(true)
	defer txn.Discard()
	terms := 0
	for _, r := range reqs {
		for _, p := range r.puts {
			terms += len(p.terms)
		}
	}
	ch := dfChanges{plus: make([]string, 0, terms)}
	for i, r := range reqs {
		if err := c.applyTxn(txn, r, &ch); err != nil {
			return i, err
		}
	}
	// Also clears the flag that says the df records are current, and
	// makes every stored neighbor list stale (see keys.go): write it in
	// every transaction, even one that leaves N as it was.
	if err := txn.Set(statsKey(), encodeStats(statsRecord{n: c.committedN + ch.n})); err != nil {
		return len(reqs), err
	}
	if err := txn.Commit(); err != nil {
		return len(reqs), err
	}
	c.txns.Add(1)
	c.committedN += ch.n
	c.dfCurrent = false
	g.changes = append(g.changes, ch)
	g.written = true
	return len(reqs), nil
}

// dfChanges are the changes of a transaction to df and N, kept as lists so
// that applying a request costs no hashing: plus holds a term once for each
// article that gained it, minus once for each that lost it.
type dfChanges struct {
	plus, minus []string
	n           int
}

// applyTxn writes r into txn and adds its changes to ch. Reading the old counts
// inside txn sees the writes of the requests applied before it in the same
// transaction.
func (c *committer) applyTxn(txn *badger.Txn, r *request, ch *dfChanges) error {
	for _, p := range r.puts {
		old, found, err := c.oldCounts(txn, p.id)
		if err != nil {
			return err
		}
		if !found {
			ch.n++
		}
		ch.diff(old, p.terms)
		if found {
			// The list of an article that changed is stale (see keys.go).
			if err := txn.Delete(neighborKey(p.id)); err != nil {
				return err
			}
		}
		if err := txn.Set(articleKey(p.id), p.article); err != nil {
			return err
		}
		if err := txn.Set(countsKey(p.id), p.counts); err != nil {
			return err
		}
	}
	for _, id := range r.deletes {
		old, found, err := c.oldCounts(txn, id)
		if err != nil {
			return err
		}
		if !found {
			continue
		}
		ch.n--
		for _, tc := range old {
			ch.minus = append(ch.minus, tc.Term)
		}
		// Tombstones, not deletes, which the value-log GC can undo
		// (tombstone.go).
		if err := txn.Set(articleKey(id), tombstone); err != nil {
			return err
		}
		if err := txn.Set(countsKey(id), tombstone); err != nil {
			return err
		}
		if err := txn.Delete(neighborKey(id)); err != nil {
			return err
		}
		if err := txn.Delete(readsKey(id)); err != nil {
			return err
		}
	}
	for _, rd := range r.reads {
		if err := c.applyRead(txn, rd); err != nil {
			return err
		}
	}
	return nil
}

// applyRead adds a read to the article's 'r' record, if the article is
// stored, and records it for its reader. Reading the record inside txn
// sees the reads applied before it in the same transaction, so that many
// reads of one article in a group each count.
func (c *committer) applyRead(txn *badger.Txn, rd recommend.Read) error {
	switch stored, err := stored(txn, countsKey(rd.ID)); {
	case err != nil:
		return fmt.Errorf("read of %q: %w", rd.ID, err)
	case !stored:
		return nil // the article was deleted since: its reads went with it
	}
	var count uint64
	var last time.Time
	item, err := txn.Get(readsKey(rd.ID))
	switch {
	case errors.Is(err, badger.ErrKeyNotFound):
	case err != nil:
		return fmt.Errorf("read of %q: %w", rd.ID, err)
	default:
		err = item.Value(func(v []byte) error {
			var derr error
			count, last, derr = decodeReads(v)
			return derr
		})
		if err != nil {
			return fmt.Errorf("read of %q: %w", rd.ID, err)
		}
	}
	count++
	if rd.At.After(last) {
		last = rd.At
	}
	if err := txn.Set(readsKey(rd.ID), encodeReads(count, last)); err != nil {
		return err
	}
	if rd.Reader == "" {
		return nil
	}
	return txn.Set(historyKey(rd), []byte{})
}

// oldCounts returns the counts stored for id, valid until its next call,
// and whether there are any: none under a tombstone.
func (c *committer) oldCounts(txn *badger.Txn, id string) (vectorize.Counts, bool, error) {
	item, err := txn.Get(countsKey(id))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("read counts of %q: %w", id, err)
	}
	found := true
	err = item.Value(func(v []byte) error {
		if isTombstone(v) {
			found = false
			return nil
		}
		var derr error
		c.scratch, derr = decodeCounts(v, c.scratch)
		return derr
	})
	if err != nil {
		return nil, false, fmt.Errorf("read counts of %q: %w", id, err)
	}
	if !found {
		return nil, false, nil
	}
	return c.scratch, true, nil
}

// stored reports whether txn holds a record under key that is not a
// tombstone, without reading a value from the value log.
func stored(txn *badger.Txn, key []byte) (bool, error) {
	item, err := txn.Get(key)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	t, err := tombstoned(item)
	return !t, err
}

// diff adds the terms of now that are not in old to plus, and those of old
// that are not in now to minus. Both are sorted by term.
func (ch *dfChanges) diff(old, now vectorize.Counts) {
	i, j := 0, 0
	for i < len(old) || j < len(now) {
		switch {
		case j == len(now) || (i < len(old) && old[i].Term < now[j].Term):
			ch.minus = append(ch.minus, old[i].Term)
			i++
		case i == len(old) || now[j].Term < old[i].Term:
			ch.plus = append(ch.plus, now[j].Term)
			j++
		default:
			i++
			j++
		}
	}
}
