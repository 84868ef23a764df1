package imports

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"strconv"
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

// binRow appends one row in COPY's binary format to a COPY's buffer: the
// count of its fields, then each field as its length and its bytes in
// PostgreSQL's binary form (big-endian). The count is written when the row
// ends, so that a row with optional columns cannot miscount them.
type binRow struct {
	c     *copyStream
	at    int // where the count goes
	count uint16
}

// row starts a row in binary format; end ends it.
func (c *copyStream) row() binRow {
	r := binRow{c: c, at: len(c.buf)}
	c.buf = append(c.buf, 0, 0)
	return r
}

// end writes the row's count of fields and ends it.
func (r *binRow) end() {
	binary.BigEndian.PutUint16(r.c.buf[r.at:], r.count)
	r.c.endRow()
}

// field starts a field of size bytes.
func (r *binRow) field(size int) {
	r.count++
	r.c.buf = binary.BigEndian.AppendUint32(r.c.buf, uint32(size))
}

func (r *binRow) null() {
	r.count++
	r.c.buf = binary.BigEndian.AppendUint32(r.c.buf, 0xffffffff)
}

func (r *binRow) int2(v int16) {
	r.field(2)
	r.c.buf = binary.BigEndian.AppendUint16(r.c.buf, uint16(v))
}

func (r *binRow) int4(v int32) {
	r.field(4)
	r.c.buf = binary.BigEndian.AppendUint32(r.c.buf, uint32(v))
}

func (r *binRow) int8(v int64) {
	r.field(8)
	r.c.buf = binary.BigEndian.AppendUint64(r.c.buf, uint64(v))
}

func (r *binRow) bool(v bool) {
	r.field(1)
	if v {
		r.c.buf = append(r.c.buf, 1)
	} else {
		r.c.buf = append(r.c.buf, 0)
	}
}

func (r *binRow) text(s string) {
	r.field(len(s))
	r.c.buf = append(r.c.buf, s...)
}

// pgEpoch is 2000-01-01, where PostgreSQL counts binary dates from.
var pgEpoch = daysFromCivil(2000, 1, 1)

// date writes d, or null for noDate.
func (r *binRow) date(d date) {
	if d == noDate {
		r.null()
		return
	}
	r.int4(int32(d - pgEpoch))
}

// timestamp writes a timestamptz given in microseconds since PostgreSQL's
// epoch.
func (r *binRow) timestamp(micros int64) { r.int8(micros) }

const (
	oidInt2 = 21
	oidInt8 = 20
)

// arrayHeader writes the header of a one-dimensional array without nulls of
// n elements, each elemSize bytes, of type oid.
func (r *binRow) arrayHeader(n, elemSize int, oid uint32) {
	if n == 0 {
		r.field(12)
		b := r.c.buf
		b = binary.BigEndian.AppendUint32(b, 0) // no dimensions
		b = binary.BigEndian.AppendUint32(b, 0) // no nulls
		r.c.buf = binary.BigEndian.AppendUint32(b, oid)
		return
	}
	r.field(20 + n*(4+elemSize))
	b := r.c.buf
	b = binary.BigEndian.AppendUint32(b, 1) // one dimension
	b = binary.BigEndian.AppendUint32(b, 0) // no nulls
	b = binary.BigEndian.AppendUint32(b, oid)
	b = binary.BigEndian.AppendUint32(b, uint32(n)) // its length
	r.c.buf = binary.BigEndian.AppendUint32(b, 1)   // from 1
}

func (r *binRow) int2s(vs []int16) {
	r.arrayHeader(len(vs), 2, oidInt2)
	b := r.c.buf
	for _, v := range vs {
		b = binary.BigEndian.AppendUint32(b, 2)
		b = binary.BigEndian.AppendUint16(b, uint16(v))
	}
	r.c.buf = b
}

func (r *binRow) int8s(vs []int64) {
	r.arrayHeader(len(vs), 8, oidInt8)
	b := r.c.buf
	for _, v := range vs {
		b = binary.BigEndian.AppendUint32(b, 8)
		b = binary.BigEndian.AppendUint64(b, uint64(v))
	}
	r.c.buf = b
}

// textRow appends one row in COPY's text format to b: fields parted by tabs,
// the row ended by a newline.
type textRow struct {
	b      []byte
	fields int
}

func (r *textRow) sep() {
	if r.fields > 0 {
		r.b = append(r.b, '\t')
	}
	r.fields++
}

func (r *textRow) int(v int64) {
	r.sep()
	r.b = strconv.AppendInt(r.b, v, 10)
}

func (r *textRow) bool(v bool) {
	r.sep()
	r.b = strconv.AppendBool(r.b, v)
}

// text writes s escaped for COPY's text format. Values never hold control
// characters (the checks refuse them), so only the backslash needs escaping.
func (r *textRow) text(s string) {
	r.sep()
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' {
			r.b = append(r.b, '\\')
		}
		r.b = append(r.b, s[i])
	}
}

// textOrNull writes s, or null when it is empty.
func (r *textRow) textOrNull(s string) {
	if s == "" {
		r.sep()
		r.b = append(r.b, '\\', 'N')
		return
	}
	r.text(s)
}

// end ends the row and returns the buffer.
func (r *textRow) end() []byte { return append(r.b, '\n') }
