package main

import (
	"bufio"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem"

	"github.com/readalike/readalike/recommend/articleio"
)

// writeShards writes col, KV<sort key, payload>, into shards files with
// fn, each file sorted by key; every shard's file is written, empty or
// not.
func writeShards(s beam.Scope, fn any, shards int, col beam.PCollection) {
	keyed := beam.ParDo(s, &shardFn{Shards: shards}, col)
	markers := beam.ParDo(s, &markersFn{Shards: shards}, beam.Impulse(s))
	beam.ParDo0(s, fn, beam.GroupByKey(s, beam.Flatten(s, keyed, markers)))
}

// shardFn keys a (key, payload) pair by its shard, packed in one value.
type shardFn struct {
	Shards int
}

func (f *shardFn) ProcessElement(key string, payload []byte) (int, []byte) {
	e := enc{b: make([]byte, 0, len(key)+len(payload)+8)}
	e.str(key)
	e.bytes(payload)
	return blockOf(key, f.Shards), e.b
}

// markersFn gives every shard an empty element, so that it is written.
type markersFn struct {
	Shards int
}

func (f *markersFn) ProcessElement(_ []byte, emit func(int, []byte)) {
	for i := range f.Shards {
		emit(i, nil)
	}
}

// pairs decodes a shard's (key, payload) pairs, sorted by key.
func pairs(values func(*[]byte) bool) ([][2][]byte, error) {
	var out [][2][]byte
	var v []byte
	for values(&v) {
		if len(v) == 0 {
			continue // a marker
		}
		d := dec{b: v}
		k, p := d.bytes(), d.bytes()
		if d.err != nil {
			return nil, d.err
		}
		out = append(out, [2][]byte{k, p})
	}
	slices.SortFunc(out, func(a, b [2][]byte) int { return cmp.Compare(string(a[0]), string(b[0])) })
	return out, nil
}

// writeListsFn writes a shard of lists, sorted by id, as batch does.
type writeListsFn struct {
	Path   string
	Format string
	Shards int
}

func (f *writeListsFn) ProcessElement(ctx context.Context, shard int, values func(*[]byte) bool) error {
	ps, err := pairs(values)
	if err != nil {
		return err
	}
	return writeFile(ctx, shardName(f.Path, shard, f.Shards), func(w io.Writer) error {
		lw, err := articleio.NewListWriter(w, f.Format)
		if err != nil {
			return err
		}
		for _, p := range ps {
			ns, err := decodeList(p[1])
			if err != nil {
				return err
			}
			if err := lw.Write(string(p[0]), ns); err != nil {
				return err
			}
		}
		return lw.Flush()
	})
}

// writeLinesFn writes a shard of lines, sorted by key.
type writeLinesFn struct {
	Path   string
	Shards int
}

func (f *writeLinesFn) ProcessElement(ctx context.Context, shard int, values func(*[]byte) bool) error {
	ps, err := pairs(values)
	if err != nil {
		return err
	}
	return writeFile(ctx, shardName(f.Path, shard, f.Shards), func(w io.Writer) error {
		for _, p := range ps {
			if _, err := w.Write(append(p[1], '\n')); err != nil {
				return err
			}
		}
		return nil
	})
}

// dfLineFn returns the snapshot's line of a term's df, keyed by term.
func dfLineFn(term string, df int) (string, []byte, error) {
	var b strings.Builder
	if err := articleio.WriteSnapshotDF(&b, term, uint32(df)); err != nil {
		return "", nil, err
	}
	return term, []byte(strings.TrimSuffix(b.String(), "\n")), nil
}

// manifestFn writes the snapshot's manifest, once N and the number of
// terms are known.
type manifestFn struct {
	Dir      string
	Shards   int
	Query    articleio.SnapshotQuery
	Settings string
}

func (f *manifestFn) ProcessElement(ctx context.Context, n, terms int) error {
	names := func(base string) []string {
		out := make([]string, f.Shards)
		for i := range out {
			out[i] = shardName(base, i, f.Shards)
		}
		return out
	}
	m := articleio.SnapshotManifest{
		Format: articleio.SnapshotFormat, Settings: f.Settings, N: n, Terms: terms, Query: f.Query,
		FittedAt: time.Now().UTC(),
		Articles: names("articles.jsonl"), DF: names("df.jsonl"), Lists: names("lists.jsonl"),
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return writeFile(ctx, join(f.Dir, "snapshot.json"), func(w io.Writer) error {
		_, err := w.Write(append(b, '\n'))
		return err
	})
}

// writeFile writes a file through Beam's filesystems (local, gs://, s3://).
func writeFile(ctx context.Context, name string, fn func(io.Writer) error) error {
	fs, err := filesystem.New(ctx, name)
	if err != nil {
		return err
	}
	defer fs.Close()
	wc, err := fs.OpenWrite(ctx, name)
	if err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	bw := bufio.NewWriterSize(wc, 1<<20)
	err = fn(bw)
	if err == nil {
		err = bw.Flush()
	}
	if cerr := wc.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}

// shardName is path itself for one shard, else path with
// -SSSSS-of-NNNNN before its extension.
func shardName(p string, shard, shards int) string {
	if shards == 1 {
		return p
	}
	ext := path.Ext(p)
	return fmt.Sprintf("%s-%05d-of-%05d%s", strings.TrimSuffix(p, ext), shard, shards, ext)
}

// join joins a folder and a file name, a URL's with a slash.
func join(dir, name string) string {
	if strings.Contains(dir, "://") {
		return strings.TrimSuffix(dir, "/") + "/" + name
	}
	return filepath.Join(dir, name)
}
