package storage

import (
	"encoding/binary"
	"errors"
	"maps"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/readalike/readalike/recommend"
	"github.com/readalike/readalike/vectorize"
)

func fullArticle() recommend.Article {
	return recommend.Article{
		ID:        "art-1",
		Title:     "Über Straßen",
		Body:      "A body.\nWith two lines, and ünïcödé.",
		URL:       "https://example.com/a?x=1",
		Category:  "travel",
		Lang:      "de",
		Published: time.Date(1969, 7, 20, 20, 17, 40, 123, time.UTC),
		Created:   time.Date(2024, 2, 29, 12, 0, 0, 999999999, time.UTC),
		Updated:   time.Date(2262, 4, 12, 0, 0, 0, 0, time.UTC), // past UnixNano's range
		Words:     -1,
		Summary:   "A body. With two lines.",
	}
}

// Reads live in their own records; the extreme values survive.
func TestReadsRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		n    uint64
		last time.Time
	}{
		{0, time.Time{}},
		{math.MaxUint64, time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC)}, // one ns after the zero time
		{7, time.Date(2026, 3, 1, 10, 0, 0, 5, time.UTC)},
	} {
		n, last, err := decodeReads(encodeReads(tc.n, tc.last))
		if err != nil || n != tc.n || !last.Equal(tc.last) {
			t.Errorf("reads %d %v: got %d %v, %v", tc.n, tc.last, n, last, err)
		}
	}
	if _, _, err := decodeReads([]byte{readsV1}); !errors.Is(err, ErrCorrupt) {
		t.Errorf("truncated reads: %v, want ErrCorrupt", err)
	}
}

// An article written before summaries (v1) still decodes, with the reads it
// carried then.
// TestReadsStayInTheLSMTree checks that a reads record, at its largest,
// is under the value threshold: it never reaches the value log, so a
// Badger delete of it is safe (tombstone.go).
func TestReadsStayInTheLSMTree(t *testing.T) {
	v := encodeReads(math.MaxUint64, time.Unix(math.MaxInt64, 999999999))
	if int64(len(v)) >= badgerOptions("", Options{}).ValueThreshold {
		t.Errorf("a reads record takes up to %d bytes, not under the value threshold", len(v))
	}
}

// TestTombstoneIsNoRecord checks that no record decodes from a tombstone.
func TestTombstoneIsNoRecord(t *testing.T) {
	var a recommend.Article
	if err := decodeArticle("a", tombstone, true, &a); !errors.Is(err, ErrFormat) {
		t.Errorf("article: got %v, want ErrFormat", err)
	}
	if _, err := decodeCounts(tombstone, nil); !errors.Is(err, ErrFormat) {
		t.Errorf("counts: got %v, want ErrFormat", err)
	}
	if !isTombstone(tombstone) || isTombstone(encodeCounts(nil)) || isTombstone(nil) {
		t.Errorf("isTombstone wrong")
	}
}

func TestArticleV1(t *testing.T) {
	v := []byte{articleV1}
	for _, s := range []string{"T", "", "", "en"} {
		v = appendString(v, s)
	}
	for range 3 {
		v = appendTime(v, time.Time{})
	}
	v = appendTime(v, time.Date(2024, 1, 19, 14, 54, 0, 0, time.UTC))
	v = binary.AppendUvarint(v, 1)
	v = binary.AppendVarint(v, 244)
	v = appendString(v, "the body")
	var a recommend.Article
	if err := decodeArticle("old", v, true, &a); err != nil {
		t.Fatal(err)
	}
	if a.Title != "T" || a.ReadCount != 1 || a.Words != 244 || a.Body != "the body" || a.Summary != "" || a.LastRead.IsZero() {
		t.Errorf("v1 article: %+v", a)
	}
}

func TestArticleRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		a    recommend.Article
	}{
		{"id only", recommend.Article{ID: "x"}},
		{"full", fullArticle()},
		{"local times come back in utc", recommend.Article{
			ID:        "y",
			Published: time.Date(2020, 1, 2, 3, 4, 5, 6, time.FixedZone("cet", 3600)),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := encodeArticle(&tt.a)
			want := tt.a
			want.Published = utc(want.Published)
			var got recommend.Article
			if err := decodeArticle(tt.a.ID, v, true, &got); err != nil {
				t.Fatalf("decode: %v", err)
			}
			if got != want {
				t.Errorf("got %+v, want %+v", got, want)
			}
			if err := decodeArticle(tt.a.ID, v, false, &got); err != nil {
				t.Fatalf("decode without body: %v", err)
			}
			want.Body = ""
			if got != want {
				t.Errorf("without body: got %+v, want %+v", got, want)
			}
		})
	}
}

// utc is what a time looks like after a round trip.
func utc(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC()
}

func TestZeroTimeStaysZero(t *testing.T) {
	a := recommend.Article{ID: "z"}
	var got recommend.Article
	if err := decodeArticle("z", encodeArticle(&a), true, &got); err != nil {
		t.Fatal(err)
	}
	for _, tm := range []time.Time{got.Published, got.Created, got.Updated, got.LastRead} {
		if !tm.IsZero() || tm != (time.Time{}) {
			t.Errorf("got %v, want the zero time", tm)
		}
	}
}

func TestCountsRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		c    vectorize.Counts
	}{
		{"empty", vectorize.Counts{}},
		{"one", vectorize.Counts{{Term: "a", Count: 1}}},
		{"shared prefixes", vectorize.Counts{
			{Term: "run", Count: 3}, {Term: "runner", Count: 1}, {Term: "running", Count: math.MaxUint32},
			{Term: "s", Count: 2}, {Term: "ß", Count: 1}, {Term: "ßa", Count: 7},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeCounts(encodeCounts(tt.c), nil)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if !slices.Equal(got, tt.c) {
				t.Errorf("got %v, want %v", got, tt.c)
			}
		})
	}
}

func TestCountsAreCompact(t *testing.T) {
	c := vectorize.Counts{{Term: "international", Count: 1}, {Term: "internationally", Count: 1}}
	// version, n, then (shared, len, suffix, count, no word) per term
	want := 1 + 1 + (1 + 1 + len("international") + 1 + 1) + (1 + 1 + len("ly") + 1 + 1)
	if got := len(encodeCounts(c)); got != want {
		t.Errorf("got %d bytes, want %d", got, want)
	}
}

func TestGenerationRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		g    recommend.Generation
	}{
		{"empty", recommend.Generation{DF: map[string]uint32{}}},
		{"full", recommend.Generation{
			Number:   7,
			N:        123456,
			DF:       map[string]uint32{"apple": 3, "applesauce": 1, "b": math.MaxUint32, "zoo": 0},
			Settings: "title_weight=2 sublinear=false lang=en",
			FittedAt: time.Date(2025, 5, 6, 7, 8, 9, 10, time.UTC),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := encodeGeneration(&tt.g)
			if err != nil {
				t.Fatalf("encode: %v", err)
			}
			got, err := decodeGeneration(v)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if !equalGeneration(got, tt.g) {
				t.Errorf("got %+v, want %+v", got, tt.g)
			}
		})
	}
}

func equalGeneration(a, b recommend.Generation) bool {
	return a.Number == b.Number && a.N == b.N && a.Settings == b.Settings &&
		a.FittedAt.Equal(b.FittedAt) && maps.Equal(a.DF, b.DF)
}

func TestEncodeGenerationRefuses(t *testing.T) {
	for _, g := range []recommend.Generation{
		{N: -1},
		{DF: map[string]uint32{"": 1}},
	} {
		if _, err := encodeGeneration(&g); err == nil {
			t.Errorf("encode %+v: got no error, want one", g)
		}
	}
}

func TestDFAndStatsRoundTrip(t *testing.T) {
	for _, df := range []uint32{1, 127, 128, math.MaxUint32} {
		got, err := decodeDF(encodeDF(df))
		if err != nil || got != df {
			t.Errorf("df: got %d, %v, want %d, nil", got, err, df)
		}
	}
	if _, err := decodeDF(encodeDF(0)); !errors.Is(err, ErrCorrupt) {
		t.Errorf("df 0: got %v, want ErrCorrupt", err)
	}
	for _, st := range []statsRecord{{}, {n: 5, dfCurrent: true}, {n: math.MaxInt}} {
		got, err := decodeStats(encodeStats(st))
		if err != nil || got != st {
			t.Errorf("stats: got %+v, %v, want %+v, nil", got, err, st)
		}
	}
}

// TestTruncatedValues checks that every strict prefix of a valid value, and
// the value with a byte appended, is refused as corrupt.
func TestTruncatedValues(t *testing.T) {
	a := fullArticle()
	g := recommend.Generation{Number: 2, N: 3, DF: map[string]uint32{"a": 1, "ab": 2}, Settings: "s", FittedAt: time.Now()}
	gv, err := encodeGeneration(&g)
	if err != nil {
		t.Fatal(err)
	}
	decoders := []struct {
		name   string
		v      []byte
		decode func([]byte) error
	}{
		{"article", encodeArticle(&a), func(v []byte) error { return decodeArticle("x", v, true, new(recommend.Article)) }},
		{"counts", encodeCounts(vectorize.Counts{{Term: "a", Count: 1}, {Term: "ab", Count: 300}}),
			func(v []byte) error { _, err := decodeCounts(v, nil); return err }},
		{"generation", gv, func(v []byte) error { _, err := decodeGeneration(v); return err }},
		{"df", encodeDF(300), func(v []byte) error { _, err := decodeDF(v); return err }},
		{"stats", encodeStats(statsRecord{n: 300, dfCurrent: true}), func(v []byte) error { _, err := decodeStats(v); return err }},
		{"neighbors", encodeNeighbors(&recommend.NeighborList{K: 300, Dedup: 0.9, Neighbors: []recommend.Neighbor{{ID: "b", Score: 0.5}, {ID: "cc", Score: 0.25}}}, 1<<20),
			func(v []byte) error { _, _, err := decodeNeighbors("a", v); return err }},
	}
	for _, d := range decoders {
		t.Run(d.name, func(t *testing.T) {
			for i := range len(d.v) {
				if err := d.decode(d.v[:i]); !errors.Is(err, ErrCorrupt) {
					t.Errorf("first %d of %d bytes: got %v, want ErrCorrupt", i, len(d.v), err)
				}
			}
			if err := d.decode(append(slices.Clip(d.v), 0)); !errors.Is(err, ErrCorrupt) {
				t.Errorf("a byte too many: got %v, want ErrCorrupt", err)
			}
			future := slices.Clone(d.v)
			future[0] = 99
			if err := d.decode(future); !errors.Is(err, ErrFormat) {
				t.Errorf("version 99: got %v, want ErrFormat", err)
			}
		})
	}
}

func TestDecodeCountsRefusesBadOrder(t *testing.T) {
	// Built by hand: the encoder would never write these.
	tests := []struct {
		name string
		v    []byte
	}{
		{"empty term", []byte{countsV1, 1, 0, 0, 1}},
		{"repeated term", []byte{countsV1, 2, 0, 1, 'a', 1, 1, 0, 1}},
		{"descending", []byte{countsV1, 2, 0, 1, 'b', 1, 0, 1, 'a', 1}},
		{"shared past previous", []byte{countsV1, 2, 0, 1, 'a', 1, 5, 1, 'b', 1}},
		{"count over 32 bits", append([]byte{countsV1, 1, 0, 1, 'a'}, 0xff, 0xff, 0xff, 0xff, 0x10)},
		{"huge n", []byte{countsV1, 0xff, 0xff, 0xff, 0xff, 0x0f}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := decodeCounts(tt.v, nil); !errors.Is(err, ErrCorrupt) {
				t.Errorf("got %v, want ErrCorrupt", err)
			}
		})
	}
}

func FuzzArticleCodec(f *testing.F) {
	a := fullArticle()
	f.Add(encodeArticle(&a), "t", "b", int64(0), uint32(0), int64(0))
	f.Add([]byte{articleV1}, "", "", int64(-62135596800), uint32(1), int64(math.MinInt64))
	f.Fuzz(func(t *testing.T, data []byte, title, body string, sec int64, nsec uint32, words int64) {
		// Arbitrary bytes: an error or an article that survives a round trip.
		var got recommend.Article
		if err := decodeArticle("id", data, true, &got); err == nil {
			var again recommend.Article
			if err := decodeArticle("id", encodeArticle(&got), true, &again); err != nil || again != got {
				t.Fatalf("re-encoded: got %+v, %v, want %+v", again, err, got)
			}
		}
		// A made-up article survives a round trip.
		want := recommend.Article{
			ID: "id", Title: title, Body: body, Words: int(words),
			Published: utc(time.Unix(sec, int64(nsec%1e9))),
		}
		if err := decodeArticle("id", encodeArticle(&want), true, &got); err != nil || got != want {
			t.Fatalf("round trip: got %+v, %v, want %+v", got, err, want)
		}
	})
}

func FuzzCountsCodec(f *testing.F) {
	f.Add(encodeCounts(vectorize.Counts{{Term: "a", Count: 1}, {Term: "ab", Count: 2}}), "run runner running", uint32(3))
	f.Add([]byte{countsV1, 0}, "", uint32(0))
	f.Fuzz(func(t *testing.T, data []byte, text string, count uint32) {
		if got, err := decodeCounts(data, nil); err == nil {
			if !sortedUnique(got) {
				t.Fatalf("decoded unsorted counts %v", got)
			}
			again, err := decodeCounts(encodeCounts(got), nil)
			if err != nil || !slices.Equal(again, got) {
				t.Fatalf("re-encoded: got %v, %v, want %v", again, err, got)
			}
		}
		m := map[string]uint32{}
		for i, w := range strings.Fields(text) {
			m[w] = count + uint32(i) | 1
		}
		want := vectorize.CountsFromMap(m)
		got, err := decodeCounts(encodeCounts(want), nil)
		if err != nil || !slices.Equal(got, want) {
			t.Fatalf("round trip: got %v, %v, want %v", got, err, want)
		}
	})
}

func sortedUnique(c vectorize.Counts) bool {
	for i := 1; i < len(c); i++ {
		if c[i].Term <= c[i-1].Term {
			return false
		}
	}
	return true
}

func FuzzGenerationCodec(f *testing.F) {
	g := recommend.Generation{Number: 1, N: 2, DF: map[string]uint32{"x": 1, "xy": 2}, Settings: "s"}
	v, err := encodeGeneration(&g)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(v, "a b c", uint64(1), int64(0))
	f.Fuzz(func(t *testing.T, data []byte, text string, number uint64, sec int64) {
		if got, err := decodeGeneration(data); err == nil {
			v, err := encodeGeneration(&got)
			if err != nil {
				t.Fatalf("re-encode %+v: %v", got, err)
			}
			again, err := decodeGeneration(v)
			if err != nil || !equalGeneration(again, got) {
				t.Fatalf("re-encoded: got %+v, %v, want %+v", again, err, got)
			}
		}
		want := recommend.Generation{Number: number, N: int(number >> 1), Settings: text,
			FittedAt: utc(time.Unix(sec, 0)), DF: map[string]uint32{}}
		for i, w := range strings.Fields(text) {
			want.DF[w] = uint32(i)
		}
		v, err := encodeGeneration(&want)
		if err != nil {
			t.Fatalf("encode: %v", err)
		}
		got, err := decodeGeneration(v)
		if err != nil || !equalGeneration(got, want) {
			t.Fatalf("round trip: got %+v, %v, want %+v", got, err, want)
		}
	})
}
