package imports

import (
	"archive/zip"
	"encoding/csv"
	"fmt"
	"io"
	"strings"
)

// Template is a file of the feed to start from: its header, every column,
// and one example row.
func Template(k Kind) []byte {
	var b strings.Builder
	w := csv.NewWriter(&b)
	head, example := make([]string, len(columns[k])), make([]string, len(columns[k]))
	for i, c := range columns[k] {
		head[i], example[i] = c.name, c.example
	}
	_ = w.Write(head) // a strings.Builder does not fail
	_ = w.Write(example)
	w.Flush()
	return []byte(b.String())
}

// KindOfFile returns the kind of a feed file by its name (clients.csv), and
// whether the name is one of a feed.
func KindOfFile(name string) (Kind, bool) { return kindOfFile(name) }

// WriteTemplates writes a zip holding the template of every file of a feed.
func WriteTemplates(out io.Writer) error {
	zw := zip.NewWriter(out)
	for _, k := range Kinds {
		w, err := zw.Create(k.FileName())
		if err != nil {
			return fmt.Errorf("templates: %w", err)
		}
		if _, err := w.Write(Template(k)); err != nil {
			return fmt.Errorf("templates: %w", err)
		}
	}
	return zw.Close()
}

// ColumnDoc describes a column of a feed file for the imports page.
type ColumnDoc struct {
	Name     string
	Required bool
	Example  string
}

// Columns lists the columns of a file of kind k, in the export's order.
func Columns(k Kind) []ColumnDoc {
	out := make([]ColumnDoc, len(columns[k]))
	for i, c := range columns[k] {
		out[i] = ColumnDoc{Name: c.name, Required: c.required, Example: c.example}
	}
	return out
}
