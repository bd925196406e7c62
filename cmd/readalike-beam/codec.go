package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"time"

	"github.com/readalike/readalike/recommend"
	"github.com/readalike/readalike/vectorize"
)

// The pipeline's elements cross shuffles as []byte values in the compact
// forms below, so that what a shuffle moves is what the counters count.

// doc is an article as read and analysed, before its vector exists.
type doc struct {
	order   [16]byte // where it was read: file order then line, big-endian; the later one of an id wins
	article []byte   // the snapshot's JSONL line of it
	cat     string
	pub     int64 // published, unix nanoseconds, 0 when unknown
	counts  vectorize.Counts
}

// scored is an article as blocks hold it.
type scored struct {
	id    string
	block int
	cat   string
	pub   int64
	vec   vectorize.Vector
}

func (s *scored) blockArticle() recommend.BlockArticle {
	a := recommend.BlockArticle{ID: s.id, Vector: s.vec, Category: s.cat}
	if s.pub != 0 {
		a.Published = time.Unix(0, s.pub).UTC()
	}
	return a
}

var errCorrupt = errors.New("corrupt element")

type enc struct{ b []byte }

func (e *enc) uvarint(x uint64) { e.b = binary.AppendUvarint(e.b, x) }
func (e *enc) varint(x int64)   { e.b = binary.AppendVarint(e.b, x) }
func (e *enc) bytes(p []byte)   { e.uvarint(uint64(len(p))); e.b = append(e.b, p...) }
func (e *enc) str(s string)     { e.uvarint(uint64(len(s))); e.b = append(e.b, s...) }

type dec struct {
	b   []byte
	err error
}

func (d *dec) uvarint() uint64 {
	x, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return x
}

func (d *dec) varint() int64 {
	x, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return x
}

func (d *dec) bytes() []byte {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.fail()
		return nil
	}
	p := d.b[:n:n]
	d.b = d.b[n:]
	return p
}

func (d *dec) str() string { return string(d.bytes()) }

func (d *dec) fixed(n int) []byte {
	if len(d.b) < n {
		d.fail()
		return make([]byte, n)
	}
	p := d.b[:n]
	d.b = d.b[n:]
	return p
}

func (d *dec) fail() {
	if d.err == nil {
		d.err = errCorrupt
	}
	d.b = nil
}

func encodeDoc(x *doc) []byte {
	e := enc{b: make([]byte, 0, 64+len(x.article)+16*len(x.counts))}
	e.b = append(e.b, x.order[:]...)
	e.bytes(x.article)
	e.str(x.cat)
	e.varint(x.pub)
	e.uvarint(uint64(len(x.counts)))
	for _, tc := range x.counts {
		e.str(tc.Term)
		e.uvarint(uint64(tc.Count))
	}
	return e.b
}

func decodeDoc(b []byte) (doc, error) {
	d := dec{b: b}
	var x doc
	copy(x.order[:], d.fixed(16))
	x.article = d.bytes()
	x.cat = d.str()
	x.pub = d.varint()
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		return x, errCorrupt
	}
	x.counts = make(vectorize.Counts, n)
	for i := range x.counts {
		x.counts[i] = vectorize.TermCount{Term: d.str(), Count: uint32(d.uvarint())}
	}
	return x, d.err
}

// laterDoc orders docs by where they were read.
func laterDoc(a, b []byte) bool { return bytes.Compare(a[:16], b[:16]) > 0 }

func encodeScored(x *scored) []byte {
	e := enc{b: make([]byte, 0, 32+len(x.id)+6*len(x.vec))}
	e.str(x.id)
	e.uvarint(uint64(x.block))
	e.str(x.cat)
	e.varint(x.pub)
	e.uvarint(uint64(len(x.vec)))
	prev := uint32(0)
	for _, en := range x.vec {
		e.uvarint(uint64(en.ID - prev)) // ids ascend
		prev = en.ID
		e.b = binary.LittleEndian.AppendUint32(e.b, math.Float32bits(en.Weight))
	}
	return e.b
}

func decodeScored(b []byte) (scored, error) {
	d := dec{b: b}
	var x scored
	x.id = d.str()
	x.block = int(d.uvarint())
	x.cat = d.str()
	x.pub = d.varint()
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		return x, errCorrupt
	}
	x.vec = make(vectorize.Vector, n)
	prev := uint32(0)
	for i := range x.vec {
		prev += uint32(d.uvarint())
		x.vec[i] = vectorize.Entry{ID: prev, Weight: math.Float32frombits(binary.LittleEndian.Uint32(d.fixed(4)))}
	}
	return x, d.err
}

// encodeList encodes neighbors by id and score, scores to the bit.
func encodeList(ns []recommend.Neighbor) []byte {
	e := enc{b: make([]byte, 0, 1+len(ns)*24)}
	e.uvarint(uint64(len(ns)))
	for _, n := range ns {
		e.str(n.ID)
		e.b = binary.LittleEndian.AppendUint64(e.b, math.Float64bits(n.Score))
	}
	return e.b
}

func decodeList(b []byte) ([]recommend.Neighbor, error) {
	d := dec{b: b}
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		return nil, errCorrupt
	}
	ns := make([]recommend.Neighbor, n)
	for i := range ns {
		ns[i].ID = d.str()
		ns[i].Score = math.Float64frombits(binary.LittleEndian.Uint64(d.fixed(8)))
	}
	return ns, d.err
}
