package benchmarks

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/readalike/readalike/recommend"
	"github.com/readalike/readalike/storage"
)

// BenchmarkRestart measures a server's restart on the shared collection
// (a copy of it): the first start, with no saved neighbor lists, until its
// lists are rebuilt and kept; the clean shutdown that saves them; and the
// next start, which loads them, until they are kept.
//
//	go test ./benchmarks -run XXX -bench Restart -benchtime 1x -timeout 1h
func BenchmarkRestart(b *testing.B) {
	c := synthetic(b)
	dir := b.TempDir()
	if err := os.CopyFS(dir, os.DirFS(c.dir)); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	// A write after the lists the collection was built with were saved:
	// the first start finds them stale.
	col, err := storage.OpenCollection(ctx, dir, storage.Options{}, recommend.Options{RefitShare: -1, KeepNeighbors: -1}, nil)
	if err != nil {
		b.Fatal(err)
	}
	if rs, err := col.Engine.Upsert(ctx, c.articles[0]); err != nil || rs.Err() != nil {
		b.Fatal(err, rs.Err())
	}
	col.Close()
	start := func() (*storage.Collection, time.Duration, time.Duration) {
		t := time.Now()
		col, err := storage.OpenCollection(ctx, dir, storage.Options{}, recommend.Options{RefitShare: -1}, nil)
		if err != nil {
			b.Fatal(err)
		}
		opened := time.Since(t)
		waitKept(b, col.Engine)
		return col, opened, time.Since(t)
	}
	for b.Loop() {
		col, open1, kept1 := start()
		if st := col.Engine.Stats(); st.ListRebuilds != 1 {
			b.Errorf("the first start made %d rebuilds of its lists, want 1", st.ListRebuilds)
		}
		t := time.Now()
		if err := col.Close(); err != nil {
			b.Fatal(err)
		}
		closed := time.Since(t)
		col, open2, kept2 := start()
		if st := col.Engine.Stats(); st.ListRebuilds != 0 {
			b.Errorf("the second start rebuilt its lists (%d rebuilds) instead of loading them", st.ListRebuilds)
		}
		col.Close()
		b.ReportMetric(open1.Seconds(), "first-open-s")
		b.ReportMetric(kept1.Seconds(), "first-lists-kept-s")
		b.ReportMetric(closed.Seconds(), "close-saving-lists-s")
		b.ReportMetric(open2.Seconds(), "second-open-s")
		b.ReportMetric(kept2.Seconds(), "second-lists-kept-s")
	}
}
