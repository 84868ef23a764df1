package exports

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

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

const churnSheet = "Churn list"

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
