package main

import (
	"context"
	"fmt"
	"maps"
	"path/filepath"
	"time"

	"github.com/readalike/readalike/recommend"
	"github.com/readalike/readalike/recommend/articleio"
)

// runImportSnapshot loads a snapshot (articleio's layout, written by
// cmd/readalike-beam) into an empty collection: its articles, as ingest
// writes them, and then its model as the collection's generation, so that
// the engine that opens the collection weighs every vector as the cluster
// did and answers every list as the snapshot has it.
func runImportSnapshot(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet("import-snapshot", "--data DIR SNAPSHOT")
	var sf storeFlags
	sf.register(fs)
	check := fs.Int("check", 100, "then answer this many of the snapshot's lists with similar and compare them (0: none)")
	if _, err := parse(e, fs, args); err != nil {
		return err
	}
	if err := needData(&sf); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("name one SNAPSHOT folder")
	}
	dir := fs.Arg(0)
	m, err := articleio.ReadSnapshotManifest(dir)
	if err != nil {
		return err
	}
	df, err := articleio.ReadSnapshotDF(dir, m)
	if err != nil {
		return err
	}
	start := time.Now()
	log, _ := newLogger(e.stderr, "text", "warn")
	col, err := openCollection(ctx, sf.data, recommend.Options{RefitShare: -1, KeepNeighbors: -1}, log, e.stderr)
	if err != nil {
		return err
	}
	defer func() {
		if col != nil {
			col.Close()
		}
	}()
	gen, err := col.DB.Generation(ctx)
	switch {
	case err != nil:
		return err
	case col.Engine.Stats().Articles > 0:
		return fmt.Errorf("%s holds articles: import a snapshot into a new collection", sf.data)
	case gen.Settings != m.Settings:
		return fmt.Errorf("the snapshot was fitted with settings %q, this engine has %q", m.Settings, gen.Settings)
	}
	paths := make([]string, len(m.Articles))
	for i, name := range m.Articles {
		paths[i] = filepath.Join(dir, name)
	}
	n, err := articleio.LoadFiles(ctx, col.Engine, paths, nil, articleio.LoadOptions{Strict: true, Report: reporter(e.stderr)})
	if err != nil {
		return err
	}
	// The stored term counts must be the ones the cluster counted: the same
	// articles through the same analyzer.
	ts, err := col.DB.TermStats(ctx)
	if err != nil {
		return err
	}
	if ts.N != m.N || !maps.Equal(ts.DF, df) {
		return fmt.Errorf("the collection's term statistics (%d articles, %d terms) differ from the snapshot's model (%d, %d): not the same analysis",
			ts.N, len(ts.DF), m.N, len(df))
	}
	g := recommend.Generation{Number: gen.Number + 1, N: m.N, DF: df, Settings: m.Settings, FittedAt: m.FittedAt}
	if err := col.DB.SaveGeneration(ctx, g); err != nil {
		return err
	}
	err = col.Close()
	col = nil
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "import-snapshot: %d articles, generation %d with the snapshot's model (%d articles, %d terms), %.2f s\n",
		n.Written, g.Number, m.N, len(df), time.Since(start).Seconds())
	if *check > 0 {
		return checkSnapshot(ctx, e, sf.data, dir, m, *check)
	}
	return nil
}

// checkSnapshot answers the first n lists of the snapshot with Similar on
// the collection in dataDir and reports the first that differs.
func checkSnapshot(ctx context.Context, e *env, dataDir, dir string, m articleio.SnapshotManifest, n int) error {
	col, err := openCollection(ctx, dataDir, recommend.Options{RefitShare: -1, KeepNeighbors: -1}, nil, e.stderr)
	if err != nil {
		return err
	}
	defer col.Close()
	q := m.Query.Query()
	checked := 0
	errDone := fmt.Errorf("done")
	for _, name := range m.Lists {
		err := articleio.ReadLists(filepath.Join(dir, name), func(id string, want []recommend.Neighbor) error {
			res, err := col.Engine.Similar(ctx, id, q)
			if err != nil {
				return err
			}
			if !sameLists(res.Neighbors, want) {
				return fmt.Errorf("similar %s answers %v, the snapshot's list is %v", id, res.Neighbors, want)
			}
			if checked++; checked == n {
				return errDone
			}
			return nil
		})
		if err == errDone {
			break
		}
		if err != nil {
			return fmt.Errorf("check: %w", err)
		}
	}
	fmt.Fprintf(e.stderr, "import-snapshot: similar answers %d of the snapshot's lists exactly as the snapshot has them\n", checked)
	return nil
}

// sameLists reports whether two lists have the same ids and scores.
func sameLists(got, want []recommend.Neighbor) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if got[i].ID != want[i].ID || got[i].Score != want[i].Score {
			return false
		}
	}
	return true
}
