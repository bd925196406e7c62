package recommend

import (
	"context"

	"github.com/readalike/readalike/vectorize"
)

// Internals the external tests (package recommend_test) check against.

// LiveSimilar answers q for article id by searching, never from a list.
func LiveSimilar(e *Engine, id string, q Query) Result {
	v, docs := e.resolve(append([]string{id}, q.Exclude...))
	return e.search(v, v.docs.vecs[docs[0]], q, docs[0], docs[1:], categoryOf(v, docs[0]))
}

// ListAndLive answers q for article id from its neighbor list, if the list
// answers it, and by searching, both on one view. ok reports whether the
// article exists.
func ListAndLive(ctx context.Context, e *Engine, id string, q Query) (list Result, fromList bool, live Result, ok bool) {
	v, docs := e.resolve(append([]string{id}, q.Exclude...))
	d := docs[0]
	if d < 0 || !v.alive(d) {
		return Result{}, false, Result{}, false
	}
	top, fromList := e.fromList(v, d, q)
	if fromList {
		list = e.result(v, top, q, func(ranked) vectorize.Vector { return v.docs.vecs[d] })
	}
	return list, fromList, e.search(v, v.docs.vecs[d], q, d, docs[1:], categoryOf(v, d)), true
}

// HoldWriter takes the lock the writer of the index holds while it applies
// a write, and returns the function that releases it.
func HoldWriter(e *Engine) (release func()) {
	e.applyMu.Lock()
	return e.applyMu.Unlock
}
