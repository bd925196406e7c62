package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/readalike/readalike/recommend"
)

// fullStore is a store on a nearly full disk: it refuses every write with
// an error wrapping recommend.ErrNoSpace, as storage does.
type fullStore struct {
	*recommend.MemoryStore
}

func (fullStore) Commit(context.Context, recommend.Write) error {
	return fmt.Errorf("commit: %w: 1.0 MiB free", recommend.ErrNoSpace)
}

func (fullStore) SaveGeneration(context.Context, recommend.Generation) error {
	return fmt.Errorf("save generation: %w", recommend.ErrNoSpace)
}

// TestNoSpaceIs507 writes to a server whose store refuses writes for want
// of disk space: 507 with its code, and reads keep working.
func TestNoSpaceIs507(t *testing.T) {
	ctx := context.Background()
	mem := recommend.NewMemoryStore()
	arts := fixture(t)
	loader, err := recommend.Open(ctx, mem, recommend.Options{RefitShare: -1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rs, err := loader.Upsert(ctx, arts...); err != nil || rs.Err() != nil {
		t.Fatalf("load fixture: %v %v", err, rs.Err())
	}
	loader.Close()
	e, err := recommend.Open(ctx, fullStore{mem}, recommend.Options{}, nil)
	if err != nil {
		t.Fatalf("open on a store that refuses writes: %v", err)
	}
	defer e.Close()
	env := newLoadingEnv(t, Options{})
	env.srv.SetEngine(e)

	r := env.postJSON("/v1/articles", `{"id": "new", "title": "t", "body": "a body"}`)
	eb := r.expectError(t, http.StatusInsufficientStorage, "insufficient_storage", "")
	t.Log(eb.Error.Message)
	env.do(http.MethodDelete, "/v1/articles/"+arts[0].ID, "", "").expectError(t, http.StatusInsufficientStorage, "insufficient_storage", "")
	env.get("/v1/articles/"+arts[0].ID+"/similar").expectStatus(t, http.StatusOK)
}
