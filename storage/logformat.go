package storage

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"os"
)

// Badger's log files, the value logs (.vlog) and the memtable write-ahead
// logs (.mem), share one format: a 20-byte header (key id, IV), then
// entries, each
//
//	meta byte, user meta byte, uvarint key length, uvarint value length,
//	uvarint expiry, key (with the 8-byte version suffix), value,
//	CRC-32C (Castagnoli, big-endian) of everything before it
//
// written through mmap into a file preallocated with zeros, so the entries
// end at the first one that is all zeros or whose checksum fails. Badger
// reads them itself; storage reads them only where Badger offers no way:
// to find a value that the value-log GC copied (salvage.go), and in tests,
// to see what a power loss could take. This mirrors Badger v4.9.6
// (memtable.go, structs.go, value.go); the tests read files Badger wrote,
// so a change of format fails them.

// logEntry is one intact entry of a log file. Key and value alias the
// scanner's buffer: valid until the callback returns.
type logEntry struct {
	meta    byte
	key     []byte // without the version suffix
	version uint64
	value   []byte
	offset  int64 // where the entry starts in the file
	size    int64 // its length on disk, checksum included
}

// Badger's meta bits that tell a transaction's entries apart (value.go).
const (
	logBitTxn    byte = 1 << 6 // part of a transaction
	logBitFinTxn byte = 1 << 7 // marks a transaction's end
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// errLogEnd ends a scan at an entry that is not intact.
var errLogEnd = errors.New("end of intact entries")

// scanLog reads the log file at path from offset from (the header's end
// when below it), calls fn for each intact entry, and returns the offset
// where the intact entries end: the first entry that is zero, cut short or
// fails its checksum, or the end of the file. It reads the file
// sequentially and stops there, so the zeros Badger preallocates after the
// entries are not read. An error from fn ends the scan and is returned.
func scanLog(path string, from int64, fn func(e *logEntry) error) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	from = max(from, vlogHeaderSize)
	if _, err := f.Seek(from, io.SeekStart); err != nil {
		return 0, err
	}
	r := bufio.NewReaderSize(f, 1<<16)
	var buf []byte
	off := from
	for {
		var e logEntry
		e.offset = off
		buf, err = readLogEntry(r, buf, &e)
		if errors.Is(err, errLogEnd) {
			return off, nil
		}
		if err != nil {
			return off, fmt.Errorf("read %s at %d: %w", path, off, err)
		}
		if fn != nil {
			if err := fn(&e); err != nil {
				return off, err
			}
		}
		off += e.size
	}
}

// readLogEntry reads one entry into e, reusing buf, and returns errLogEnd
// for one that is not intact. Other errors are the reader's.
func readLogEntry(r *bufio.Reader, buf []byte, e *logEntry) ([]byte, error) {
	var head [2 + 3*binary.MaxVarintLen64]byte
	for i := range 2 {
		b, err := r.ReadByte()
		if err != nil {
			return buf, endOrErr(err)
		}
		head[i] = b
	}
	n := 2
	var lens [3]uint64 // key length, value length, expiry
	for i := range lens {
		v, w, err := readUvarint(r, head[n:])
		if err != nil {
			return buf, endOrErr(err)
		}
		lens[i] = v
		n += w
	}
	klen, vlen := lens[0], lens[1]
	// Badger's own bounds: keys below 64 KiB, and a value log under 4 GiB.
	if klen <= 8 || klen > 1<<16 || vlen > math.MaxUint32 {
		return buf, errLogEnd
	}
	body := int(klen + vlen)
	if cap(buf) < body+4 {
		buf = make([]byte, body+4)
	}
	buf = buf[:body+4]
	if _, err := io.ReadFull(r, buf); err != nil {
		return buf, endOrErr(err)
	}
	crc := crc32.Update(crc32.Checksum(head[:n], castagnoli), castagnoli, buf[:body])
	if crc != binary.BigEndian.Uint32(buf[body:]) {
		return buf, errLogEnd
	}
	key := buf[:klen]
	e.meta = head[0]
	e.key = key[:len(key)-8]
	e.version = math.MaxUint64 - binary.BigEndian.Uint64(key[len(key)-8:])
	e.value = buf[klen:body]
	e.size = int64(n + body + 4)
	return buf, nil
}

// readUvarint reads a uvarint, copying its bytes into dst for the checksum.
func readUvarint(r *bufio.Reader, dst []byte) (uint64, int, error) {
	var x uint64
	var s uint
	for i := range binary.MaxVarintLen64 {
		b, err := r.ReadByte()
		if err != nil {
			return 0, 0, err
		}
		dst[i] = b
		if b < 0x80 {
			if i == binary.MaxVarintLen64-1 && b > 1 {
				return 0, 0, errLogEnd // overflows
			}
			return x | uint64(b)<<s, i + 1, nil
		}
		x |= uint64(b&0x7f) << s
		s += 7
	}
	return 0, 0, errLogEnd
}

// endOrErr turns the end of the file into errLogEnd.
func endOrErr(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return errLogEnd
	}
	return err
}
