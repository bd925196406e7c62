package storage

import (
	"encoding/binary"

	"github.com/readalike/readalike/recommend"
)

// The key layout. Every key starts with one byte naming the record kind, so
// each kind is one contiguous range that a prefix scan reads in key order.
// Ids and terms follow their prefix byte as raw UTF-8 bytes: byte order is Go's
// string order, so the 'a' and 'c' ranges both list ids in the same order and
// Scan walks them side by side. A number inside a key, where a kind ever needs
// one, is written big-endian so that byte order is numeric order. Every value
// starts with a version byte (see codec.go).
//
//	key            value                                    written by
//	'a' id         article, without its id; a tombstone     Commit
//	               once deleted
//	'c' id         term counts of the article, front-coded; Commit
//	               a tombstone once deleted
//	'g'            the fitted model's Generation            SaveGeneration
//	'h' reader 0   nothing: a read by reader of article id  Commit (reads)
//	  at id        at time at (8 bytes, big-endian unix
//	               nanoseconds, so a reader's reads sort by time)
//	'n' id         the article's neighbor list, stamped    PutNeighbors; Commit
//	               with the version of 's' (see below)      deletes it
//	'r' id         the article's read count and last read   Commit (reads);
//	                                                        deleted with 'a'
//	's'            N, the number of stored articles, and    Commit, checkpoint
//	               whether the 't' records are current
//	't' term       df: the number of stored articles        checkpoint
//	               containing term; absent when 0
//	'v'            the store's format version               Open
//
// The 'a' and 'c' records of an id, and N, change together in one
// transaction. The 't' records do not: writing each changed term's df in
// every commit would cost some 70 writes per article. Instead the committer
// keeps df in memory and writes the 't' records of the terms that changed in
// a checkpoint, when commits pause and on Close; the first commit after a
// checkpoint clears the flag in 's' in the same transaction as its data,
// and a checkpoint sets it again last, after syncing its 't' records. So
// when the flag is set, df(term) = the number of 'c' values listing term;
// when it is not (the process died since the last checkpoint), Open
// recounts df from the 'c' records, which are always exact.
//
// An 'n' record is stamped with the Badger version (commit timestamp) of
// the 's' record when it was stored, and is current only while 's' still
// has that version. Every transaction that puts or deletes an article
// rewrites 's', so it makes every list stored before it stale: a new
// article may belong in any list. A checkpoint rewrites 's' too, so
// PutNeighbors checkpoints first, and until the next commit none follows.
// (A program that predates the 'n' records also rewrites 's' on every
// commit, so it cannot leave a stale list looking current.) A transaction
// that deletes or replaces an article deletes its 'n' record as well.
//
// A deleted article's 'a' and 'c' keys hold a tombstone, the one byte 0,
// rather than nothing: a Badger delete of a value in the value log can be
// undone by Badger's value-log GC (tombstone.go says how, and why 'r' and
// 'n' records are deleted plainly). Every reader takes a tombstone for no
// record. Open deletes the tombstones that no longer hide anything
// (settleDeletes); stores of format 1 had no tombstones (format.go).
const (
	prefixArticle  byte = 'a'
	prefixCounts   byte = 'c'
	prefixGen      byte = 'g'
	prefixNeighbor byte = 'n'
	prefixReads    byte = 'r'
	prefixHistory  byte = 'h'
	prefixStats    byte = 's'
	prefixTerm     byte = 't'
	prefixFormat   byte = 'v'
)

// maxKeyLen bounds ids and terms. Badger refuses keys over 65000 bytes; a far
// lower bound keeps keys, and the index built from them, small.
const maxKeyLen = 1024

func articleKey(id string) []byte { return prefixed(prefixArticle, id) }

func countsKey(id string) []byte { return prefixed(prefixCounts, id) }

func termKey(term string) []byte { return prefixed(prefixTerm, term) }

func neighborKey(id string) []byte { return prefixed(prefixNeighbor, id) }

func readsKey(id string) []byte { return prefixed(prefixReads, id) }

// historyPrefix is the start of every 'h' key of reader.
func historyPrefix(reader string) []byte {
	return append(prefixed(prefixHistory, reader), 0)
}

func historyKey(r recommend.Read) []byte {
	k := historyPrefix(r.Reader)
	k = binary.BigEndian.AppendUint64(k, uint64(r.At.UnixNano()))
	return append(k, r.ID...)
}

func genKey() []byte { return []byte{prefixGen} }

func statsKey() []byte { return []byte{prefixStats} }

func formatKey() []byte { return []byte{prefixFormat} }

// prefixed returns a new slice: Badger keeps keys given to Txn.Set until the
// transaction commits, so a key buffer is never reused.
func prefixed(p byte, s string) []byte {
	k := make([]byte, 1+len(s))
	k[0] = p
	copy(k[1:], s)
	return k
}
