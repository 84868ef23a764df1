package exports

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// The sheet writer writes what a spreadsheet reads back as written: text
// with markup characters, spaces at its ends, characters XML cannot hold and
// more than a cell may hold; numbers, money with its currency's decimals,
// flags and months as typed values with their formats; an empty cell as
// none; the header row frozen and the long columns wider.
func TestXLSXRowsReadBackAsWritten(t *testing.T) {
	var out bytes.Buffer
	x, err := newXLSXRows(&out, "Churn list")
	if err != nil {
		t.Fatal(err)
	}
	header := []string{"client_name", "score", "clv", "fired", "since", "note", "value", "turnover_figures"}
	if err := x.Header(header); err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("é", maxCellText+10)
	rows := [][]any{
		{"Smith & Sons <Ltd> \"Trade\"", int64(87), money{123456, 2}, true, month(time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)), " padded ", 0.1234, "=SUM(A1)"},
		{"Bell\x01 Ltd", int64(-3), money{-5, 3}, false, month(time.Date(1999, 1, 1, 0, 0, 0, 0, time.UTC)), nil, -1.5, long},
		{"Zero digits", int64(0), money{42, 0}, nil, nil, "line one\nline two", nil, ""},
	}
	for _, r := range rows {
		if err := x.Row(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := x.Finish(); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(bytes.NewReader(out.Bytes()))
	if err != nil {
		t.Fatalf("the XLSX does not open: %v", err)
	}
	defer f.Close()
	got, err := f.GetRows("Churn list")
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		header,
		{"Smith & Sons <Ltd> \"Trade\"", "87", "1234.56", "TRUE", "2026-10", " padded ", "0.1234", "'=SUM(A1)"},
		{"Bell\uFFFD Ltd", "-3", "-0.005", "FALSE", "1999-01", "", "-1.5", strings.Repeat("é", maxCellText)},
		{"Zero digits", "0", "42", "", "", "line one\nline two"},
	}
	if len(got) != len(want) {
		t.Fatalf("%d rows, want %d", len(got), len(want))
	}
	for i := range want {
		if strings.Join(got[i], "|") != strings.Join(want[i], "|") {
			t.Errorf("row %d:\n got %q\nwant %q", i+1, got[i], want[i])
		}
	}
	// typed cells: numbers are untyped cells (a number is the default)
	// holding the number itself
	for cell, typ := range map[string]excelize.CellType{"B2": excelize.CellTypeUnset, "C2": excelize.CellTypeUnset,
		"D2": excelize.CellTypeBool, "A2": excelize.CellTypeInlineString} {
		if ct, err := f.GetCellType("Churn list", cell); err != nil || ct != typ {
			t.Errorf("%s is of type %v (%v), want %v", cell, ct, err, typ)
		}
	}
	for cell, want := range map[string]string{"B2": "87", "C2": "1234.56", "E2": "46296", "C3": "-0.005"} {
		if v, err := f.GetCellValue("Churn list", cell, excelize.Options{RawCellValue: true}); err != nil || v != want {
			t.Errorf("%s holds %q (%v), want %s", cell, v, err, want)
		}
	}
	panes, err := f.GetPanes("Churn list")
	if err != nil || !panes.Freeze || panes.YSplit != 1 || panes.TopLeftCell != "A2" {
		t.Errorf("panes %+v (%v): the header row is not frozen", panes, err)
	}
	for col, w := range map[string]float64{"A": 36, "B": 14, "H": 60} {
		if got, err := f.GetColWidth("Churn list", col); err != nil || got != w {
			t.Errorf("column %s is %v wide (%v), want %v", col, got, err, w)
		}
	}
	if p, err := f.GetDocProps(); err != nil || p.Title != "Churn list" || p.Creator != "Relay" {
		t.Errorf("document properties %+v (%v)", p, err)
	}
}

func TestColumnName(t *testing.T) {
	for n, want := range map[int]string{1: "A", 26: "Z", 27: "AA", 52: "AZ", 53: "BA", 137: "EG", 702: "ZZ", 703: "AAA"} {
		if got := columnName(n); got != want {
			t.Errorf("column %d is %q, want %q", n, got, want)
		}
	}
}
