package imports

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"unicode/utf8"
)

// MaxErrors is how many errors an import keeps and reports; the total count
// is kept beyond it.
const MaxErrors = 1000

// RowError is one thing wrong with a feed: where (file, line, column) and
// what, in words for the operations person who prepares the feed.
type RowError struct {
	File         string `json:"file"`
	Line         int    `json:"line"`             // 1 is the header row; 0 for a problem with the feed as a whole
	Column       string `json:"column,omitempty"` // the column's name, when one column is at fault
	ColumnNumber int    `json:"column_number,omitempty"`
	Value        string `json:"value,omitempty"`
	Message      string `json:"message"` // in English
	// Key and Args are Message as data, for MessageIn (messages.go): a
	// message id under imports.row and its named values. A record written
	// before migration 00026 has no key.
	Key  string         `json:"key,omitempty"`
	Args map[string]any `json:"args,omitempty"`
}

// Error reads like: clients.csv line 12, column 9 (since): "2024-13-01" is not a date.
func (e RowError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, " line %d", e.Line)
	}
	switch {
	case e.ColumnNumber > 0 && e.Column != "":
		fmt.Fprintf(&b, ", column %d (%s)", e.ColumnNumber, e.Column)
	case e.ColumnNumber > 0:
		fmt.Fprintf(&b, ", column %d", e.ColumnNumber)
	case e.Column != "":
		fmt.Fprintf(&b, ", column %s", e.Column)
	}
	b.WriteString(": ")
	if e.Value != "" || e.ColumnNumber > 0 {
		fmt.Fprintf(&b, "%q ", e.Value)
	}
	b.WriteString(e.Message)
	return b.String()
}

// errorList keeps the first MaxErrors errors and counts them all.
type errorList struct {
	first []RowError
	total int
}

func (l *errorList) add(e RowError) {
	l.total++
	if len(l.first) < MaxErrors {
		if len(e.Value) > 80 {
			e.Value = truncate(e.Value, 80)
		}
		l.first = append(l.first, e)
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// fileReader reads the rows of one feed file: it skips a UTF-8 byte order
// mark, accepts CRLF or LF line ends and quoted fields, checks the header and
// that each row has as many values as the header and is UTF-8, and reports
// each problem with its line and column.
type fileReader struct {
	name string
	kind Kind
	cr   *csv.Reader
	h    header
	errs *errorList
	row  []string
	line int
	rows int64 // data rows read, good or bad
	ok   bool  // the header was readable
	c    cols  // every column a reader may ask for, found once

	limits  Limits
	decimal byte // the decimal separator of amounts: '.' or ','

	// read and bad count the rows read and those found wrong, for the
	// import's progress; nil when nobody follows it.
	read, bad *atomic.Int64
	badLine   int // the last line counted in bad
}

// column is a column of the file: its name and its index in the row, -1 when
// the file does not have it (an optional column left out).
type column struct {
	name string
	i    int
}

// cols holds the columns of every kind by name, so that reading a value is
// an index into the row rather than a lookup by name.
type cols struct {
	code       column
	name       column
	family     column
	incomeKind column
	keyProduct column
	active     column
	bank       column
	region     column
	login      column
	branch     column
	ref        column
	taxId      column
	legalName  column
	industry   column
	sizeBand   column
	since      column
	leftOn     column
	manager    column
	client     column
	product    column
	openedOn   column
	closedOn   column
	month      column
	txCount    column
	turnover   column
	avgBalance column
	income     column
	// reference files
	currency    column
	minorDigits column
	naceSection column
	// contacts.csv
	source      column
	happenedAt  column
	contactKind column
	startedBy   column
	outcome     column
	topic       column
	notes       column
	user        column
	csat        column
	nps         column
}

func (r *fileReader) column(name string) column {
	if i, ok := r.h.pos[name]; ok {
		return column{name, i}
	}
	return column{name, -1}
}

func (r *fileReader) findColumns() {
	r.c.code = r.column("code")
	r.c.name = r.column("name")
	r.c.family = r.column("family")
	r.c.incomeKind = r.column("income_kind")
	r.c.keyProduct = r.column("key_product")
	r.c.active = r.column("active")
	r.c.bank = r.column("bank")
	r.c.region = r.column("region")
	r.c.login = r.column("login")
	r.c.branch = r.column("branch")
	r.c.ref = r.column("ref")
	r.c.taxId = r.column("tax_id")
	r.c.legalName = r.column("legal_name")
	r.c.industry = r.column("industry")
	r.c.sizeBand = r.column("size_band")
	r.c.since = r.column("since")
	r.c.leftOn = r.column("left_on")
	r.c.manager = r.column("manager")
	r.c.client = r.column("client")
	r.c.product = r.column("product")
	r.c.openedOn = r.column("opened_on")
	r.c.closedOn = r.column("closed_on")
	r.c.month = r.column("month")
	r.c.txCount = r.column("tx_count")
	r.c.turnover = r.column("turnover")
	r.c.avgBalance = r.column("avg_balance")
	r.c.income = r.column("income")
	r.c.currency = r.column("currency")
	r.c.minorDigits = r.column("minor_digits")
	r.c.naceSection = r.column("nace_section")
	r.c.source = r.column("source")
	r.c.happenedAt = r.column("happened_at")
	r.c.contactKind = r.column("kind")
	r.c.startedBy = r.column("started_by")
	r.c.outcome = r.column("outcome")
	r.c.topic = r.column("topic")
	r.c.notes = r.column("notes")
	r.c.user = r.column("user")
	r.c.csat = r.column("csat")
	r.c.nps = r.column("nps")
}

// Format says how a feed's CSV files are written. The zero value reads
// each file as its header shows: values separated by semicolons when the
// header has semicolons and no comma (as Excel saves CSV in Bulgarian,
// Romanian or Russian), and then amounts with a decimal comma.
type Format struct {
	// Delimiter separates values: ',' or ';'; 0 reads it from the header.
	Delimiter rune
	// DecimalComma says amounts use a decimal comma (true) or point
	// (false); nil: a comma when values are separated by semicolons.
	DecimalComma *bool
}

// headerLine peeks at the first line of a file (up to 8 KB), reading no more
// than it takes: a file may still be arriving.
func headerLine(br *bufio.Reader) []byte {
	_, err := br.Peek(1)
	for {
		head, _ := br.Peek(br.Buffered())
		if i := bytes.IndexByte(head, '\n'); i >= 0 {
			return head[:i]
		}
		if err != nil || len(head) >= 8<<10 {
			return head
		}
		_, err = br.Peek(len(head) + 1)
	}
}

func newFileReader(name string, k Kind, body io.Reader, errs *errorList, limits Limits, format Format) *fileReader {
	limits = limits.withDefaults()
	br := bufio.NewReaderSize(newRecordGuard(body, limits.RecordBytes), 1<<20)
	if bom, err := br.Peek(3); err == nil && bytes.Equal(bom, []byte{0xEF, 0xBB, 0xBF}) {
		_, _ = br.Discard(3)
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	cr.Comma = format.Delimiter
	if cr.Comma == 0 {
		cr.Comma = ','
		head := headerLine(br)
		if bytes.IndexByte(head, ';') >= 0 && bytes.IndexByte(head, ',') < 0 {
			cr.Comma = ';'
		}
	}
	decimal := byte('.')
	if (format.DecimalComma == nil && cr.Comma == ';') || (format.DecimalComma != nil && *format.DecimalComma) {
		decimal = ','
	}
	r := &fileReader{name: name, kind: k, cr: cr, errs: errs, limits: limits, decimal: decimal}
	r.readHeader()
	return r
}

func (r *fileReader) fileError(line int, p problem) {
	r.errs.add(RowError{File: r.name, Line: line}.of(p))
}

func (r *fileReader) readHeader() {
	row, err := r.cr.Read()
	if errors.Is(err, io.EOF) {
		r.fileError(1, says("emptyfile", "Columns", columnList(r.kind)))
		return
	}
	if err != nil {
		r.csvError(err)
		return
	}
	if len(row) > r.limits.Columns {
		r.fileError(1, says("widehead", "Count", len(row), "File", r.kind.FileName(), "Max", len(columns[r.kind]), "Columns", columnList(r.kind)))
		return
	}
	for i, v := range row {
		if !utf8.ValidString(v) {
			r.errs.add(RowError{File: r.name, Line: 1, ColumnNumber: i + 1, Value: strings.ToValidUTF8(v, "?")}.of(says("notutf8")))
			return
		}
	}
	h, probs := readHeader(r.kind, row)
	for _, p := range probs {
		e := RowError{File: r.name, Line: 1, Value: strings.TrimSpace(p.value)}.of(p.msg)
		if p.index >= 0 {
			e.ColumnNumber = p.index + 1
		}
		r.errs.add(e)
	}
	if len(probs) == 0 {
		r.h, r.ok = h, true
		r.findColumns()
	}
}

// csvError reports a CSV syntax error (a stray quote, say) where it is.
func (r *fileReader) csvError(err error) {
	if r.tooLong(err) {
		return
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		e := RowError{File: r.name, Line: pe.Line, ColumnNumber: pe.Column, Message: pe.Err.Error()}
		switch {
		case errors.Is(pe.Err, csv.ErrBareQuote):
			e = e.of(says("barequote"))
		case errors.Is(pe.Err, csv.ErrQuote):
			e = e.of(says("quote"))
		}
		r.errs.add(e)
		return
	}
	r.errs.add(RowError{File: r.name}.of(says("unreadable", "Error", err.Error())))
}

// next reads the next well-formed row; false at the end of the file (or of
// what can be read of it).
func (r *fileReader) next() bool {
	if !r.ok {
		return false
	}
	for {
		row, err := r.cr.Read()
		if errors.Is(err, io.EOF) {
			return false
		}
		if err != nil {
			var pe *csv.ParseError
			if !errors.As(err, &pe) {
				r.csvError(err)
				return false
			}
			r.rows++
			if r.read != nil {
				r.read.Add(1)
				r.bad.Add(1)
			}
			r.csvError(err)
			continue
		}
		r.line, _ = r.cr.FieldPos(0)
		if len(row) == 1 && row[0] == "" && r.h.width > 1 {
			continue // a blank line, as spreadsheets leave at the end
		}
		r.rows++
		if r.read != nil {
			r.read.Add(1)
		}
		if len(row) != r.h.width {
			r.badRow()
			r.errs.add(RowError{File: r.name, Line: r.line}.of(says("width", "Values", len(row), "Columns", r.h.width)))
			continue
		}
		bad := false
		for i, v := range row {
			if len(v) > r.limits.FieldBytes {
				r.errs.add(RowError{File: r.name, Line: r.line, ColumnNumber: i + 1, Column: r.nameOf(i),
					Value: truncate(strings.ToValidUTF8(v[:80], "?"), 80)}.of(says("longfield", "Bytes", r.limits.FieldBytes)))
				bad = true
				continue
			}
			if !utf8.ValidString(v) {
				r.errs.add(RowError{File: r.name, Line: r.line, ColumnNumber: i + 1, Column: r.nameOf(i),
					Value: strings.ToValidUTF8(v, "?")}.of(says("notutf8")))
				bad = true
			}
		}
		if bad {
			r.badRow()
			continue
		}
		r.row = row
		return true
	}
}

func (r *fileReader) nameOf(i int) string {
	for n, p := range r.h.pos {
		if p == i {
			return n
		}
	}
	return ""
}

// get returns the value of a column, trimmed; "" when the column is absent.
func (r *fileReader) get(col column) string {
	if col.i < 0 {
		return ""
	}
	v := r.row[col.i]
	if len(v) > 0 && (v[0] == ' ' || v[len(v)-1] == ' ' || v[0] == '\t' || v[len(v)-1] == '\t') {
		v = strings.TrimSpace(v)
	}
	return v
}

// badRow counts the current row as wrong, once, for the progress.
func (r *fileReader) badRow() {
	if r.bad != nil && r.badLine != r.line {
		r.bad.Add(1)
		r.badLine = r.line
	}
}

// fail reports what is wrong with a column's value on the current row.
func (r *fileReader) fail(col column, value string, p problem) {
	r.badRow()
	e := RowError{File: r.name, Line: r.line, Column: col.name, Value: value}.of(p)
	if col.i >= 0 {
		e.ColumnNumber = col.i + 1
	}
	r.errs.add(e)
}

// required returns a column's value, reporting it when empty.
func (r *fileReader) required(col column) (string, bool) {
	v := r.get(col)
	if v == "" {
		r.fail(col, "", says("required", "Column", col.name))
		return "", false
	}
	return v, true
}
