package imports

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// copyStream feeds rows in COPY text format to a COPY running on the import's
// connection, so that PostgreSQL stores one part of a file while Go reads and
// checks the next. Once the feed is known to be bad, rows are dropped: it
// will not be applied, and the rest of the file is read only for its errors.
type copyStream struct {
	ctx     context.Context
	conn    *pgconn.PgConn
	sql     string
	sink    func(io.Reader) (int64, error) // instead of conn, in tests
	pw      *io.PipeWriter
	done    chan copyResult
	buf     []byte
	rows    int64
	stopped bool
	flushed bool // some of this COPY's data has gone to the server
	binary  bool // rows are in COPY's binary format
	err     error
}

type copyResult struct {
	rows int64
	err  error
}

const copyChunk = 256 << 10

func startCopy(ctx context.Context, conn *pgconn.PgConn, sql string) *copyStream {
	c := &copyStream{ctx: ctx, conn: conn, sql: sql, buf: make([]byte, 0, copyChunk+4096),
		binary: strings.Contains(sql, "FORMAT binary")}
	c.begin()
	return c
}

// binaryHeader starts a COPY in binary format: the signature, no flags, no
// header extension.
var binaryHeader = []byte("PGCOPY\n\xff\r\n\x00\x00\x00\x00\x00\x00\x00\x00\x00")

func (c *copyStream) begin() {
	c.flushed = false
	if c.binary {
		c.buf = append(c.buf[:0], binaryHeader...)
	}
	pr, pw := io.Pipe()
	c.pw = pw
	c.done = make(chan copyResult, 1)
	go func(sql string) {
		var n int64
		var err error
		if c.sink != nil {
			n, err = c.sink(pr)
		} else {
			var tag pgconn.CommandTag
			tag, err = c.conn.CopyFrom(c.ctx, pr, sql)
			n = tag.RowsAffected()
		}
		pr.CloseWithError(fmt.Errorf("copy ended: %w", err))
		c.done <- copyResult{n, err}
	}(c.sql)
}

// endRow ends the row being built in c.buf (the caller appends to it).
func (c *copyStream) endRow() {
	if !c.binary {
		c.buf = append(c.buf, '\n')
	}
	if len(c.buf) >= copyChunk {
		c.flush()
	}
}

func (c *copyStream) flush() {
	if c.err != nil || len(c.buf) == 0 {
		c.buf = c.buf[:0]
		return
	}
	if _, err := c.pw.Write(c.buf); err != nil {
		c.err = err
	}
	c.flushed = true
	c.buf = c.buf[:0]
}

// stop drops rows from now on; the COPY ends with what it has. (The readers
// build no row once the feed is known to be bad.)
func (c *copyStream) stop() {
	if c.stopped {
		return
	}
	c.stopped = true
	if c.binary && !c.flushed {
		c.buf = append(c.buf[:0], binaryHeader...)
	} else {
		c.buf = c.buf[:0]
	}
}

// finish ends the COPY and returns how many rows it stored.
func (c *copyStream) finish() (int64, error) {
	if c.binary {
		c.buf = append(c.buf, 0xff, 0xff) // the trailer: a tuple of -1 fields
	}
	c.flush()
	c.pw.Close()
	res := <-c.done
	c.rows += res.rows
	if res.err != nil {
		return c.rows, fmt.Errorf("copy: %w", res.err)
	}
	if c.err != nil {
		return c.rows, fmt.Errorf("copy: %w", c.err)
	}
	return c.rows, nil
}

// pause ends the running COPY, runs fn on the connection (to create a
// partition, say) and starts the COPY again.
func (c *copyStream) pause(fn func() error) error {
	if _, err := c.finish(); err != nil {
		return err
	}
	if err := fn(); err != nil {
		return err
	}
	c.begin()
	return nil
}

// The binary COPY format: each row is a count of fields, then each field as
// its length and its bytes in PostgreSQL's binary form (big-endian).

func tuple(b []byte, fields int) []byte { return binary.BigEndian.AppendUint16(b, uint16(fields)) }

func binNull(b []byte) []byte { return binary.BigEndian.AppendUint32(b, 0xffffffff) }

func binInt2(b []byte, v int16) []byte {
	b = binary.BigEndian.AppendUint32(b, 2)
	return binary.BigEndian.AppendUint16(b, uint16(v))
}

func binInt4(b []byte, v int32) []byte {
	b = binary.BigEndian.AppendUint32(b, 4)
	return binary.BigEndian.AppendUint32(b, uint32(v))
}

func binInt8(b []byte, v int64) []byte {
	b = binary.BigEndian.AppendUint32(b, 8)
	return binary.BigEndian.AppendUint64(b, uint64(v))
}

func binBool(b []byte, v bool) []byte {
	b = binary.BigEndian.AppendUint32(b, 1)
	if v {
		return append(b, 1)
	}
	return append(b, 0)
}

func binText(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
	return append(b, s...)
}

// pgEpoch is 2000-01-01, where PostgreSQL counts binary dates from.
var pgEpoch = daysFromCivil(2000, 1, 1)

func binDate(b []byte, d date) []byte {
	if d == noDate {
		return binNull(b)
	}
	return binInt4(b, int32(d-pgEpoch))
}

const (
	oidInt2 = 21
	oidInt8 = 20
)

// binArrayHeader writes the header of a one-dimensional array without nulls
// of n elements, each elemSize bytes, of type oid.
func binArrayHeader(b []byte, n, elemSize int, oid uint32) []byte {
	if n == 0 {
		b = binary.BigEndian.AppendUint32(b, 12)
		b = binary.BigEndian.AppendUint32(b, 0) // no dimensions
		b = binary.BigEndian.AppendUint32(b, 0) // no nulls
		return binary.BigEndian.AppendUint32(b, oid)
	}
	b = binary.BigEndian.AppendUint32(b, uint32(20+n*(4+elemSize)))
	b = binary.BigEndian.AppendUint32(b, 1) // one dimension
	b = binary.BigEndian.AppendUint32(b, 0) // no nulls
	b = binary.BigEndian.AppendUint32(b, oid)
	b = binary.BigEndian.AppendUint32(b, uint32(n)) // its length
	return binary.BigEndian.AppendUint32(b, 1)      // from 1
}

func binInt2Array(b []byte, vs []int16) []byte {
	b = binArrayHeader(b, len(vs), 2, oidInt2)
	for _, v := range vs {
		b = binary.BigEndian.AppendUint32(b, 2)
		b = binary.BigEndian.AppendUint16(b, uint16(v))
	}
	return b
}

func binInt8Array(b []byte, vs []int64) []byte {
	b = binArrayHeader(b, len(vs), 8, oidInt8)
	for _, v := range vs {
		b = binary.BigEndian.AppendUint32(b, 8)
		b = binary.BigEndian.AppendUint64(b, uint64(v))
	}
	return b
}

// appendText writes a text value escaped for COPY text format. Values never
// hold control characters (the checks refuse them), so only the backslash
// needs escaping.
func appendText(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' {
			b = append(b, '\\')
		}
		b = append(b, s[i])
	}
	return b
}
