package storage

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/readalike/readalike/recommend"
	"github.com/readalike/readalike/vectorize"
)

// Value encodings. Every value starts with a version byte, so a later format
// can change one kind of record and still read the old one. Numbers are
// varints (encoding/binary), strings are a uvarint length and the bytes.
// A time is the zero time as the single byte 0, or uvarint(nanoseconds+1)
// then varint(Unix seconds): it comes back in UTC, without its location or
// monotonic reading. Sorted terms are front-coded: uvarint length of the
// prefix shared with the previous term, uvarint suffix length, the suffix,
// then the term's number. A float64 (dedup, min score, score) is its eight
// IEEE 754 bytes, little-endian, so it comes back bit for bit; the settings
// fingerprint is eight bytes little-endian too.
//
//	article v1     1 | title | url | category | lang | published | created |
//	               updated | last read | uvarint read count | varint words | body
//	article v2     2 | title | url | category | lang | published | created |
//	               updated | varint words | summary | uvarint flags | body
//	               where flags bit 0 is LangDetected (other bits: 0,
//	               ignored when read)
//	               (reads live in 'r' records)
//	reads v1       1 | uvarint count | last read
//	counts v1      1 | uvarint n | n front-coded (term, uvarint count)
//	counts v2      2 | uvarint n | n (front-coded (term, uvarint count), word)
//	               where word is uvarint 0 for none, else uvarint (the
//	               length of the prefix it shares with the term + 1) then
//	               the rest as a string
//	generation v1  1 | uvarint number | uvarint N | fitted at | settings |
//	               uvarint n | n front-coded (term, uvarint df)
//	stats v1       1 | uvarint N | flags (bit 0: the df records are current)
//	df v1          1 | uvarint df
//	neighbors v1  1 | uvarint stamp | uvarint generation | settings (8 bytes) |
//	               uvarint k | dedup | min score | uvarint n | n (id, score)
//	format         one byte: formatVersion
//	tombstone      0, under an 'a' or 'c' key: the article was deleted
//	               (tombstone.go); no record has version 0
//
// Decoders never panic: corrupt or truncated input is an error wrapping
// ErrCorrupt, and an unknown version byte one wrapping ErrFormat.
const (
	articleV1 byte = 1
	articleV2 byte = 2
	readsV1   byte = 1
	countsV2  byte = 2
	countsV1  byte = 1
	genV1     byte = 1
	statsV1   byte = 1
	dfV1      byte = 1
	neighV1   byte = 1

	tombstoneV byte = 0
)

// flagLangDetected is the bit of an article v2's flags saying that its
// language was detected (recommend.Article.LangDetected).
const flagLangDetected = 1 << 0

// encodeArticle encodes a without its ID, which the key holds. The body goes
// last so that a reader that does not want it stops before it.
func encodeArticle(a *recommend.Article) []byte {
	n := 64 + len(a.Title) + len(a.URL) + len(a.Category) + len(a.Lang) + len(a.Summary) + len(a.Body)
	b := make([]byte, 0, n)
	b = append(b, articleV2)
	b = appendString(b, a.Title)
	b = appendString(b, a.URL)
	b = appendString(b, a.Category)
	b = appendString(b, a.Lang)
	b = appendTime(b, a.Published)
	b = appendTime(b, a.Created)
	b = appendTime(b, a.Updated)
	b = binary.AppendVarint(b, int64(a.Words))
	b = appendString(b, a.Summary)
	var flags uint64
	if a.LangDetected {
		flags |= flagLangDetected
	}
	b = binary.AppendUvarint(b, flags)
	return appendString(b, a.Body)
}

// decodeArticle decodes v, stored under id, into a. With body false it skips
// the body, leaving a.Body empty. A v1 record carries the reads it had when
// it was written; a v2 one none, they come from the 'r' record.
func decodeArticle(id string, v []byte, body bool, a *recommend.Article) error {
	r := reader{b: v, what: "article"}
	ver := r.versions(articleV1, articleV2)
	if ver == 0 {
		return r.err
	}
	*a = recommend.Article{ID: id}
	a.Title = r.string()
	a.URL = r.string()
	a.Category = r.string()
	a.Lang = r.string()
	a.Published = r.time()
	a.Created = r.time()
	a.Updated = r.time()
	if ver == articleV1 {
		a.LastRead = r.time()
		a.ReadCount = r.uvarint()
	}
	words := r.varint()
	if words < math.MinInt || words > math.MaxInt {
		r.fail("words %d out of range", words)
	}
	a.Words = int(words)
	if ver == articleV2 {
		a.Summary = r.string()
		a.LangDetected = r.uvarint()&flagLangDetected != 0
	}
	if body {
		a.Body = r.string()
	} else {
		r.skipString()
	}
	return r.end()
}

// encodeReads encodes an article's read count and last read.
func encodeReads(count uint64, last time.Time) []byte {
	b := binary.AppendUvarint([]byte{readsV1}, count)
	return appendTime(b, last)
}

// decodeReads decodes what encodeReads encoded.
func decodeReads(v []byte) (count uint64, last time.Time, err error) {
	r := reader{b: v, what: "reads"}
	if r.versions(readsV1) == 0 {
		return 0, time.Time{}, r.err
	}
	count = r.uvarint()
	last = r.time()
	return count, last, r.end()
}

// encodeCounts encodes c, which must be sorted by term with each term once.
func encodeCounts(c vectorize.Counts) []byte {
	b := make([]byte, 0, 1+binary.MaxVarintLen64+len(c)*10)
	b = append(b, countsV2)
	b = binary.AppendUvarint(b, uint64(len(c)))
	var prev string
	for _, tc := range c {
		b = appendFrontCoded(b, prev, tc.Term, uint64(tc.Count))
		prev = tc.Term
		if tc.Word == "" {
			b = append(b, 0)
			continue
		}
		shared := 0
		for shared < len(tc.Term) && shared < len(tc.Word) && tc.Term[shared] == tc.Word[shared] {
			shared++
		}
		b = binary.AppendUvarint(b, uint64(shared)+1)
		b = appendString(b, tc.Word[shared:])
	}
	return b
}

// decodeCounts decodes v into dst[:0] and returns it. The result is sorted
// by term, each term once and not empty.
func decodeCounts(v []byte, dst vectorize.Counts) (vectorize.Counts, error) {
	r := reader{b: v, what: "counts"}
	ver := r.versions(countsV1, countsV2)
	if ver == 0 {
		return dst[:0], r.err
	}
	n := r.count(3) // shared, suffix length and count take a byte each at least
	dst = slices.Grow(dst[:0], n)
	var f frontDecoder
	for range n {
		term, count := f.next(&r)
		if count > math.MaxUint32 {
			r.fail("term %q: count %d over 32 bits", term, count)
		}
		var word string
		if ver == countsV2 {
			if shared := r.uvarint(); shared > 0 {
				if shared-1 > uint64(len(term)) {
					r.fail("term %q: word shares %d bytes with it", term, shared-1)
				} else {
					word = term[:shared-1] + r.string()
				}
			}
		}
		if r.err != nil {
			return dst[:0], r.err
		}
		dst = append(dst, vectorize.TermCount{Term: term, Count: uint32(count), Word: word})
	}
	if err := r.end(); err != nil {
		return dst[:0], err
	}
	return dst, nil
}

// encodeGeneration encodes g. It refuses what it could not read back the
// same: a negative N, an empty term.
func encodeGeneration(g *recommend.Generation) ([]byte, error) {
	if g.N < 0 {
		return nil, fmt.Errorf("generation n is %d, want >= 0", g.N)
	}
	terms := make([]string, 0, len(g.DF))
	size := 0
	for t := range g.DF {
		if t == "" {
			return nil, fmt.Errorf("generation df has an empty term")
		}
		terms = append(terms, t)
		size += len(t)
	}
	slices.Sort(terms)
	b := make([]byte, 0, 64+len(g.Settings)+size/2+len(terms)*4)
	b = append(b, genV1)
	b = binary.AppendUvarint(b, g.Number)
	b = binary.AppendUvarint(b, uint64(g.N))
	b = appendTime(b, g.FittedAt)
	b = appendString(b, g.Settings)
	b = binary.AppendUvarint(b, uint64(len(terms)))
	var prev string
	for _, t := range terms {
		b = appendFrontCoded(b, prev, t, uint64(g.DF[t]))
		prev = t
	}
	return b, nil
}

// decodeGeneration decodes v. The DF map is never nil.
func decodeGeneration(v []byte) (recommend.Generation, error) {
	r := reader{b: v, what: "generation"}
	if err := r.version(genV1); err != nil {
		return recommend.Generation{}, err
	}
	var g recommend.Generation
	g.Number = r.uvarint()
	n := r.uvarint()
	if n > math.MaxInt {
		r.fail("n %d out of range", n)
	}
	g.N = int(n)
	g.FittedAt = r.time()
	g.Settings = r.string()
	nterms := r.count(3)
	g.DF = make(map[string]uint32, nterms)
	var f frontDecoder
	for range nterms {
		term, df := f.next(&r)
		if df > math.MaxUint32 {
			r.fail("term %q: df %d over 32 bits", term, df)
		}
		if r.err != nil {
			return recommend.Generation{}, r.err
		}
		g.DF[term] = uint32(df)
	}
	if err := r.end(); err != nil {
		return recommend.Generation{}, err
	}
	return g, nil
}

// encodeDF encodes a df record.
func encodeDF(df uint32) []byte {
	return binary.AppendUvarint([]byte{dfV1}, uint64(df))
}

func decodeDF(v []byte) (uint32, error) {
	r := reader{b: v, what: "df"}
	if err := r.version(dfV1); err != nil {
		return 0, err
	}
	df := r.uvarint()
	if r.err == nil && (df == 0 || df > math.MaxUint32) {
		r.fail("df %d out of range", df)
	}
	return uint32(df), r.end()
}

// encodeNeighbors encodes l, without its ID, which the key holds, stamped
// with the version of the 's' record (see keys.go).
func encodeNeighbors(l *recommend.NeighborList, stamp uint64) []byte {
	size := 48
	for _, n := range l.Neighbors {
		size += 10 + len(n.ID)
	}
	b := make([]byte, 0, size)
	b = append(b, neighV1)
	b = binary.AppendUvarint(b, stamp)
	b = binary.AppendUvarint(b, l.Generation)
	b = binary.LittleEndian.AppendUint64(b, l.Settings)
	b = binary.AppendUvarint(b, uint64(l.K))
	b = appendFloat(b, l.Dedup)
	b = appendFloat(b, l.MinScore)
	b = binary.AppendUvarint(b, uint64(len(l.Neighbors)))
	for _, n := range l.Neighbors {
		b = appendString(b, n.ID)
		b = appendFloat(b, n.Score)
	}
	return b
}

// decodeNeighbors decodes v, stored under id, and returns it with its
// stamp. Neighbors is never nil.
func decodeNeighbors(id string, v []byte) (recommend.NeighborList, uint64, error) {
	r := reader{b: v, what: "neighbors"}
	if err := r.version(neighV1); err != nil {
		return recommend.NeighborList{}, 0, err
	}
	l := recommend.NeighborList{ID: id}
	stamp := r.uvarint()
	l.Generation = r.uvarint()
	l.Settings = r.uint64()
	k := r.uvarint()
	if k > math.MaxInt32 {
		r.fail("k %d out of range", k)
	}
	l.K = int(k)
	l.Dedup = r.float()
	l.MinScore = r.float()
	n := r.count(9) // an id length and a score at least
	l.Neighbors = make([]recommend.Neighbor, n)
	for i := range l.Neighbors {
		l.Neighbors[i] = recommend.Neighbor{ID: r.string(), Score: r.float()}
	}
	if err := r.end(); err != nil {
		return recommend.NeighborList{}, 0, err
	}
	return l, stamp, nil
}

// statsRecord is the 's' record: N, and whether the df records are current
// (see keys.go).
type statsRecord struct {
	n         int
	dfCurrent bool
}

func encodeStats(s statsRecord) []byte {
	b := binary.AppendUvarint([]byte{statsV1}, uint64(s.n))
	if s.dfCurrent {
		return append(b, 1)
	}
	return append(b, 0)
}

func decodeStats(v []byte) (statsRecord, error) {
	r := reader{b: v, what: "stats"}
	if err := r.version(statsV1); err != nil {
		return statsRecord{}, err
	}
	n := r.uvarint()
	if n > math.MaxInt {
		r.fail("n %d out of range", n)
	}
	flags := r.bytes(1)
	if r.err == nil && flags[0] > 1 {
		r.fail("unknown flags %#x", flags[0])
	}
	if err := r.end(); err != nil {
		return statsRecord{}, err
	}
	return statsRecord{n: int(n), dfCurrent: flags[0] == 1}, nil
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendFloat(b []byte, f float64) []byte {
	return binary.LittleEndian.AppendUint64(b, math.Float64bits(f))
}

func appendTime(b []byte, t time.Time) []byte {
	if t.IsZero() {
		return append(b, 0)
	}
	b = binary.AppendUvarint(b, uint64(t.Nanosecond())+1)
	return binary.AppendVarint(b, t.Unix())
}

// appendFrontCoded appends term, which must sort after prev, and its number.
func appendFrontCoded(b []byte, prev, term string, n uint64) []byte {
	shared := 0
	for shared < len(prev) && shared < len(term) && prev[shared] == term[shared] {
		shared++
	}
	b = binary.AppendUvarint(b, uint64(shared))
	b = appendString(b, term[shared:])
	return binary.AppendUvarint(b, n)
}

// frontDecoder reads front-coded terms, checking that each sorts strictly
// after the one before (so none is empty and none repeats).
type frontDecoder struct {
	term []byte
}

func (f *frontDecoder) next(r *reader) (string, uint64) {
	shared := r.uvarint()
	suffix := r.bytes(r.uvarint())
	if r.err != nil {
		return "", 0
	}
	if shared > uint64(len(f.term)) {
		r.fail("shared prefix %d longer than previous term %q", shared, f.term)
		return "", 0
	}
	// The new term and the previous one agree on their first shared bytes, so
	// the suffixes decide the order.
	if bytes.Compare(suffix, f.term[shared:]) <= 0 {
		r.fail("term %q%q does not sort after %q", f.term[:shared], suffix, f.term)
		return "", 0
	}
	f.term = append(f.term[:shared], suffix...)
	term := string(f.term)
	return term, r.uvarint()
}

// reader decodes a value, remembering the first error; once it failed, every
// method returns zero values.
type reader struct {
	b    []byte
	what string // the record kind, for errors
	err  error
}

func (r *reader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("decode %s: %w: %s", r.what, ErrCorrupt, fmt.Sprintf(format, args...))
	}
}

// version consumes the version byte and checks it is want.
func (r *reader) version(want byte) error {
	if len(r.b) == 0 {
		r.fail("empty value")
		return r.err
	}
	if v := r.b[0]; v != want {
		return fmt.Errorf("decode %s: %w: version %d, want %d", r.what, ErrFormat, v, want)
	}
	r.b = r.b[1:]
	return nil
}

// versions reads the version byte, which must be one of want, and returns
// it; else it sets r.err (ErrFormat for an unknown version, ErrCorrupt for
// an empty value) and returns 0.
func (r *reader) versions(want ...byte) byte {
	if len(r.b) == 0 {
		r.fail("empty value")
		return 0
	}
	v := r.b[0]
	if !slices.Contains(want, v) {
		r.err = fmt.Errorf("decode %s: %w: version %d, want one of %v", r.what, ErrFormat, v, want)
		return 0
	}
	r.b = r.b[1:]
	return v
}

// end reports the first error, or an error if bytes are left over.
func (r *reader) end() error {
	if r.err == nil && len(r.b) != 0 {
		r.fail("%d bytes left over", len(r.b))
	}
	return r.err
}

func (r *reader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail("bad uvarint")
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) varint() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.fail("bad varint")
		return 0
	}
	r.b = r.b[n:]
	return v
}

// bytes returns the next n bytes, aliasing the value.
func (r *reader) bytes(n uint64) []byte {
	if r.err != nil {
		return nil
	}
	if n > uint64(len(r.b)) {
		r.fail("length %d past the end (%d bytes left)", n, len(r.b))
		return nil
	}
	p := r.b[:n:n]
	r.b = r.b[n:]
	return p
}

func (r *reader) uint64() uint64 {
	p := r.bytes(8)
	if p == nil {
		return 0
	}
	return binary.LittleEndian.Uint64(p)
}

func (r *reader) float() float64 { return math.Float64frombits(r.uint64()) }

func (r *reader) string() string { return string(r.bytes(r.uvarint())) }

func (r *reader) skipString() { r.bytes(r.uvarint()) }

func (r *reader) time() time.Time {
	ns := r.uvarint()
	if ns == 0 || r.err != nil {
		return time.Time{}
	}
	if ns > 1e9 {
		r.fail("nanoseconds %d out of range", ns-1)
		return time.Time{}
	}
	return time.Unix(r.varint(), int64(ns-1)).UTC()
}

// count reads an element count, refusing one that could not fit in what is
// left when each element takes at least minSize bytes, so that corrupt input
// never makes a decoder allocate much.
func (r *reader) count(minSize int) int {
	n := r.uvarint()
	if n > uint64(len(r.b)/minSize) {
		r.fail("count %d too large for %d bytes", n, len(r.b))
		return 0
	}
	return int(n)
}
