package exports

import (
	"archive/zip"
	"bufio"
	"compress/flate"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	units "github.com/relaycrm/relay/internal/money"
)

// rowWriter writes a table one row at a time in one file format.
type rowWriter interface {
	Header(names []string) error
	Row(cells []any) error // text, int64, float64, bool, money, month or nil
	Finish() error         // completes the file; not called when the export fails
	Close() error          // releases what the writer holds, finished or not
}

// csvRows writes CSV for people, who open it in a spreadsheet: a UTF-8 byte
// order mark first, so that Excel reads Cyrillic and accented names as they
// are; numbers as plain decimals, flags as TRUE and FALSE (what spreadsheets
// read as booleans), months as 2006-01, nothing as an empty field. Every text
// cell is neutralised (see neutralise) and quoted whenever it holds a comma, a
// semicolon, a quote, a tab or a line break, so that a spreadsheet splits it
// on neither separator.
type csvRows struct {
	buf    *bufio.Writer
	record []string
	bom    bool
}

// utf8BOM starts a CSV file for people.
const utf8BOM = "\ufeff"

func newCSVRows(out io.Writer) *csvRows {
	return &csvRows{buf: bufio.NewWriterSize(out, 64<<10), bom: true}
}

func (c *csvRows) Header(names []string) error {
	c.record = make([]string, len(names))
	if c.bom {
		if _, err := c.buf.WriteString(utf8BOM); err != nil {
			return err
		}
	}
	copy(c.record, names)
	return c.write(len(names))
}

func (c *csvRows) Row(cells []any) error {
	for i, v := range cells {
		switch v := v.(type) {
		case nil:
			c.record[i] = ""
		case string:
			c.record[i] = Neutralise(v)
		case int64:
			c.record[i] = strconv.FormatInt(v, 10)
		case float64:
			c.record[i] = strconv.FormatFloat(v, 'f', -1, 64)
		case bool:
			c.record[i] = "FALSE"
			if v {
				c.record[i] = "TRUE"
			}
		case money:
			c.record[i] = units.Decimal(v.minor, v.digits)
		case month:
			c.record[i] = time.Time(v).Format("2006-01")
		default:
			return fmt.Errorf("column %d: cannot write a %T", i+1, v)
		}
	}
	return c.write(len(cells))
}

// write writes the first n fields of the record as one line.
func (c *csvRows) write(n int) error {
	for i, f := range c.record[:n] {
		if i > 0 {
			c.buf.WriteByte(',')
		}
		if !strings.ContainsAny(f, ",;\"\t\r\n") && strings.TrimSpace(f) == f {
			c.buf.WriteString(f)
			continue
		}
		c.buf.WriteByte('"')
		c.buf.WriteString(strings.ReplaceAll(f, `"`, `""`))
		c.buf.WriteByte('"')
	}
	_, err := c.buf.WriteString("\r\n")
	return err
}

func (c *csvRows) Finish() error { return c.buf.Flush() }

func (c *csvRows) Close() error { return nil }

// xlsxRows writes one sheet with excelize's stream writer: numbers as numbers
// (money with the currency's decimals), flags as booleans, months as dates
// shown 2006-01. The sheet is held in a 16 MB buffer that spills to a
// temporary file; at the end it is zipped straight into out (excelize's own
// Write would first build the whole file in memory).
type xlsxRows struct {
	out    io.Writer
	file   *excelize.File
	sheet  *excelize.StreamWriter
	row    int
	cells  []any
	money  map[int]int // minor digits -> style
	month  int
	header int
}

const churnSheet = "Churn list"

func newXLSXRows(out io.Writer) (*xlsxRows, error) {
	f := excelize.NewFile()
	x := &xlsxRows{out: out, file: f, money: map[int]int{}}
	if err := f.SetSheetName("Sheet1", churnSheet); err != nil {
		return x, err
	}
	if err := f.SetDocProps(&excelize.DocProperties{Title: "Churn list", Creator: "Relay"}); err != nil {
		return x, err
	}
	var err error
	if x.month, err = f.NewStyle(&excelize.Style{CustomNumFmt: ptr("yyyy-mm")}); err != nil {
		return x, err
	}
	if x.header, err = f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true},
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"E8EEF4"}}}); err != nil {
		return x, err
	}
	x.sheet, err = f.NewStreamWriter(churnSheet)
	return x, err
}

func ptr[T any](v T) *T { return &v }

func (x *xlsxRows) Header(names []string) error {
	// Widths and the frozen header row must come before the first row.
	if err := x.sheet.SetColWidth(1, len(names), 14); err != nil {
		return err
	}
	for i, n := range names {
		width := 0.0
		switch {
		case n == "client_name" || n == "segment":
			width = 36
		case len(n) > 8 && n[len(n)-8:] == "_figures":
			width = 60
		}
		if width > 0 {
			if err := x.sheet.SetColWidth(i+1, i+1, width); err != nil {
				return err
			}
		}
	}
	if err := x.sheet.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	x.cells = make([]any, len(names))
	for i, n := range names {
		x.cells[i] = excelize.Cell{StyleID: x.header, Value: n}
	}
	return x.next()
}

func (x *xlsxRows) Row(cells []any) error {
	for i, v := range cells {
		switch v := v.(type) {
		case string:
			x.cells[i] = Neutralise(v)
		case nil, int64, float64, bool:
			x.cells[i] = v
		case money:
			style, err := x.moneyStyle(v.digits)
			if err != nil {
				return err
			}
			x.cells[i] = excelize.Cell{StyleID: style, Value: float64(v.minor) / pow10(v.digits)}
		case month:
			x.cells[i] = excelize.Cell{StyleID: x.month, Value: time.Time(v)}
		default:
			return fmt.Errorf("column %d: cannot write a %T", i+1, v)
		}
	}
	return x.next()
}

func (x *xlsxRows) next() error {
	x.row++
	cell, err := excelize.CoordinatesToCellName(1, x.row)
	if err != nil {
		return err
	}
	return x.sheet.SetRow(cell, x.cells)
}

// moneyStyle is the number format of a currency with digits decimals: 0.00
// for two.
func (x *xlsxRows) moneyStyle(digits int) (int, error) {
	if s, ok := x.money[digits]; ok {
		return s, nil
	}
	format := "0"
	if digits > 0 {
		format += "."
		for range digits {
			format += "0"
		}
	}
	s, err := x.file.NewStyle(&excelize.Style{CustomNumFmt: &format})
	if err != nil {
		return 0, err
	}
	x.money[digits] = s
	return s, nil
}

func pow10(n int) float64 {
	p := 1.0
	for range n {
		p *= 10
	}
	return p
}

func (x *xlsxRows) Finish() error {
	if err := x.sheet.Flush(); err != nil {
		return err
	}
	// excelize's Write builds the whole zip in a memory buffer before copying
	// it out; a zip writer of our own over out streams it instead (the
	// buffer excelize passes in stays empty). Fast compression: a churn list
	// is read once, and most of an XLSX's size is repeated markup.
	x.file.SetZipWriter(func(io.Writer) excelize.ZipWriter {
		zw := zip.NewWriter(x.out)
		zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) {
			return flate.NewWriter(w, flate.BestSpeed)
		})
		return zw
	})
	return x.file.Write(io.Discard)
}

// Close removes the stream writer's temporary file.
func (x *xlsxRows) Close() error { return x.file.Close() }

// Neutralise makes a text cell safe to open in a spreadsheet. A cell that
// begins with =, +, - or @ (or a tab or carriage return, which spreadsheets
// skip before reading a formula) is read as a formula, so it gets a leading
// apostrophe, which spreadsheets show as text. The same goes for what follows
// each semicolon: Excel in Bulgarian, Romanian or Russian splits CSV on
// semicolons, quotes or not, so "ACME;=HYPERLINK(...)" would become two cells,
// the second a formula; quotes and spaces before the formula do not stop it.
// Numbers never pass through here: they are written as numbers.
func Neutralise(s string) string {
	var out []byte // nil until an apostrophe is needed
	done := 0      // s[:done] is in out
	for start := 0; start <= len(s); {
		end := strings.IndexByte(s[start:], ';')
		if end < 0 {
			end = len(s)
		} else {
			end += start
		}
		j := start
		for j < end && (s[j] == ' ' || s[j] == '"') {
			j++
		}
		if j < end && strings.IndexByte("=+-@\t\r", s[j]) >= 0 {
			out = append(append(out, s[done:j]...), '\'')
			done = j
		}
		start = end + 1
	}
	if out == nil {
		return s
	}
	return string(append(out, s[done:]...))
}
