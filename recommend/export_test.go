package recommend

import "context"

// Internals the external tests (package recommend_test) check against.

// LiveSimilar answers q for article id by searching, never from a stored
// list.
func LiveSimilar(e *Engine, id string, q Query) Result {
	e.mu.RLock()
	defer e.mu.RUnlock()
	d := e.ix.byID[id]
	return e.search(e.ix, e.ix.vecs[d], q, d)
}

// StoredAndLive answers q for article id from its stored list, if that
// answers it, and by searching, both under one hold of the read lock. ok
// reports whether the article exists.
func StoredAndLive(ctx context.Context, e *Engine, id string, q Query) (stored Result, fromList bool, live Result, ok bool) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	d, ok := e.ix.byID[id]
	if !ok {
		return Result{}, false, Result{}, false
	}
	stored, fromList = e.stored(ctx, e.ix, id, q)
	return stored, fromList, e.search(e.ix, e.ix.vecs[d], q, d), true
}

// ErrFilteredStore is Batch's refusal to store filtered lists.
var ErrFilteredStore = errFilteredStore
