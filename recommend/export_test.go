package recommend

import "context"

// Internals the external tests (package recommend_test) check against.

// LiveSimilar answers q for article id by searching, never from a stored
// list.
func LiveSimilar(e *Engine, id string, q Query) Result {
	v, docs := e.resolve(append([]string{id}, q.Exclude...))
	return e.search(v, v.docs.vecs[docs[0]], q, docs[0], docs[1:])
}

// StoredAndLive answers q for article id from its stored list, if that
// answers it, and by searching, both under one hold of the read lock. ok
// reports whether the article exists.
func StoredAndLive(ctx context.Context, e *Engine, id string, q Query) (stored Result, fromList bool, live Result, ok bool) {
	v, docs := e.resolve(append([]string{id}, q.Exclude...))
	d := docs[0]
	if d < 0 || !v.alive(d) {
		return Result{}, false, Result{}, false
	}
	stored, fromList = e.stored(ctx, v, id, q)
	return stored, fromList, e.search(v, v.docs.vecs[d], q, d, docs[1:]), true
}

// ErrFilteredStore is Batch's refusal to store filtered lists.
var ErrFilteredStore = errFilteredStore

// HoldWriter takes the lock the writer of the index holds while it applies
// a write, and returns the function that releases it.
func HoldWriter(e *Engine) (release func()) {
	e.applyMu.Lock()
	return e.applyMu.Unlock
}
