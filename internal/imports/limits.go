package imports

import (
	"bytes"
	"errors"
	"fmt"
	"io"
)

// Limits bound what a feed's files may hold, so that a file made to exhaust
// the server's memory or time (a line of half a gigabyte, a zip that expands
// a thousandfold) is refused early, with a message like any other error,
// whether it comes as an upload, from the inbox or from the command line.
type Limits struct {
	// RecordBytes bounds one row of a CSV file, quoted line breaks
	// included: the reader holds a row in memory, never more.
	RecordBytes int
	// FieldBytes bounds one value (4,000 characters of notes in any script
	// fit).
	FieldBytes int
	// Columns bounds a header.
	Columns int
	// EntryBytes bounds a file of a zip, decompressed.
	EntryBytes int64
	// Ratio bounds how much a file of a zip may expand: CSV compresses
	// about 5 to 20 times; a zip bomb, hundreds or thousands of times.
	Ratio int64
}

// DefaultLimits are the limits of every import.
var DefaultLimits = Limits{RecordBytes: 64 << 10, FieldBytes: 16 << 10, Columns: 64, EntryBytes: 16 << 30, Ratio: 100}

// withDefaults fills the limits left zero.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	if l.RecordBytes > 0 {
		d.RecordBytes = l.RecordBytes
	}
	if l.FieldBytes > 0 {
		d.FieldBytes = l.FieldBytes
	}
	if l.Columns > 0 {
		d.Columns = l.Columns
	}
	if l.EntryBytes > 0 {
		d.EntryBytes = l.EntryBytes
	}
	if l.Ratio > 0 {
		d.Ratio = l.Ratio
	}
	return d
}

// recordTooLong is the error a recordGuard stops a file with.
type recordTooLong struct {
	line  int // the line the record starts on
	limit int
}

func (e *recordTooLong) Error() string {
	return fmt.Sprintf("line %d is longer than %d bytes", e.line, e.limit)
}

// recordGuard passes a CSV file through and stops it, before the CSV reader
// buffers it, at the first record longer than limit. A record ends at a line
// break outside quotes: quotes come in pairs within a record, so a line with
// an odd number of them opens (or closes) a quoted value that spans lines.
// It costs two vectorised scans per line (for the line break and for quotes).
type recordGuard struct {
	r       io.Reader
	limit   int
	n       int  // bytes of the current record so far
	quoted  bool // the current record has an open quoted value
	line    int  // lines passed so far
	start   int  // the line the current record starts on
	stopped error
}

func newRecordGuard(r io.Reader, limit int) *recordGuard {
	return &recordGuard{r: r, limit: limit, start: 1}
}

func (g *recordGuard) Read(p []byte) (int, error) {
	if g.stopped != nil {
		return 0, g.stopped
	}
	n, err := g.r.Read(p)
	rest := p[:n]
	for len(rest) > 0 {
		i := bytes.IndexByte(rest, '\n')
		seg := rest
		if i >= 0 {
			seg = rest[:i+1]
		}
		g.n += len(seg)
		if bytes.Count(seg, []byte{'"'})%2 == 1 {
			g.quoted = !g.quoted
		}
		if g.n > g.limit {
			g.stopped = &recordTooLong{line: g.start, limit: g.limit}
			return 0, g.stopped
		}
		if i < 0 {
			break
		}
		g.line++
		if !g.quoted {
			g.n, g.start = 0, g.line+1
		}
		rest = rest[i+1:]
	}
	return n, err
}

// tooLong reports err when it is a recordGuard's.
func (r *fileReader) tooLong(err error) bool {
	var tl *recordTooLong
	if !errors.As(err, &tl) {
		return false
	}
	r.errs.add(RowError{File: r.name, Line: tl.line}.of(says("longrecord", "Bytes", tl.limit)))
	return true
}
