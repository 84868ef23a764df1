package imports

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/csv"
	"io"
	"math"
	"math/big"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// fuzzRefs is a small, fixed world to check rows against without a database:
// bank BN (two minor digits), products CA-MAIN and EBANK, client C-1 of BN
// since 2020-01-01.
func fuzzImporter() *importer {
	r := &refData{
		groupID: 1,
		banks:   map[string]bankRef{"BN": {id: 1, digits: 2}}, bankCodes: map[int16]string{1: "BN"},
		regions: map[string]int16{"BG-SOF": 1}, industries: map[string]int16{"G": 1},
		products: map[string]*productRef{"CA-MAIN": {id: 1, seq: 0}, "EBANK": {id: 2, seq: 1}},
		branches: map[string]*branchRef{}, branchByID: map[int32]*branchRef{},
		managers: map[string]*managerRef{}, managerIDs: map[int32]*managerRef{},
		clients: newClientIndex(), factMonths: map[month]bool{},
		clientList: []clientRef{{ref: "C-1", id: 1, bank: 1, since: daysFromCivil(2020, 1, 1), left: noDate, inDB: true}},
	}
	r.clients.add(r.clientList, 0)
	return &importer{ref: r, today: daysFromCivil(2026, 6, 15), bulk: map[string]bool{}}
}

// captured runs the reader of kind over content and returns its errors and
// the rows it would have stored, in COPY's binary format.
func captured(kind Kind, content []byte) (errorList, []byte) {
	im := fuzzImporter()
	var out bytes.Buffer
	cs := &copyStream{ctx: context.Background(), binary: true, buf: make([]byte, 0, copyChunk+4096),
		sink: func(r io.Reader) (int64, error) { return io.Copy(&out, r) }}
	cs.begin()
	r := newFileReader(kind.FileName(), kind, bytes.NewReader(content), &im.errs, Limits{}, Format{Delimiter: ','})
	switch kind {
	case Facts:
		_ = im.readFacts(context.Background(), r, cs, func(month) error { return nil })
	case Holdings:
		im.readHoldings(context.Background(), r, cs)
	}
	_, _ = cs.finish()
	return im.errs, out.Bytes()
}

// The oracle: the rules of docs/import.md written out again, plainly and
// independently of the reader, for monthly_facts.csv and holdings.csv.
var (
	oracleMoney = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?$`)
	oracleMonth = regexp.MustCompile(`^([0-9]{4})-([0-9]{2})$`)
	oracleCount = regexp.MustCompile(`^[0-9]{1,10}$`)
)

func oracleAmount(s string) (int64, bool) {
	if !oracleMoney.MatchString(s) {
		return 0, false
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return 0, false
	}
	r.Mul(r, big.NewRat(100, 1))
	if !r.IsInt() || !r.Num().IsInt64() {
		return 0, false
	}
	return r.Num().Int64(), true
}

func oracleDate(s string, since, today time.Time) (time.Time, bool) {
	d, err := time.Parse("2006-01-02", s)
	return d, err == nil && !d.Before(since) && !d.After(today)
}

// oracleRows returns the rows of content by column name, or false when the
// file as a whole is not acceptable.
func oracleRows(content []byte, kind Kind) ([]map[string]string, bool) {
	content = bytes.TrimPrefix(content, []byte("\xef\xbb\xbf"))
	cr := csv.NewReader(bytes.NewReader(content))
	cr.FieldsPerRecord = -1
	all, err := cr.ReadAll()
	if err != nil || len(all) == 0 {
		return nil, false
	}
	head := all[0]
	known := map[string]bool{}
	for _, c := range columns[kind] {
		known[c.name] = true
	}
	seen := map[string]bool{}
	for i := range head {
		head[i] = strings.ToLower(strings.TrimSpace(head[i]))
		if !known[head[i]] || seen[head[i]] || !utf8.ValidString(head[i]) {
			return nil, false
		}
		seen[head[i]] = true
	}
	for _, c := range columns[kind] {
		if !seen[c.name] && !c.optional {
			return nil, false
		}
	}
	var rows []map[string]string
	for _, rec := range all[1:] {
		if len(rec) == 1 && rec[0] == "" && len(head) > 1 {
			continue
		}
		if len(rec) != len(head) {
			return nil, false
		}
		row := map[string]string{}
		for i, v := range rec {
			if !utf8.ValidString(v) {
				return nil, false
			}
			row[head[i]] = strings.TrimSpace(v)
		}
		rows = append(rows, row)
	}
	return rows, true
}

func oracleClient(row map[string]string) bool {
	return strings.ToUpper(row["bank"]) == "BN" && row["client"] == "C-1"
}

// oracleFact checks a row of monthly_facts.csv and returns its amounts.
func oracleFact(row map[string]string, months map[string]bool) (turnover, balance, income int64, ok bool) {
	if !oracleClient(row) {
		return 0, 0, 0, false
	}
	m := oracleMonth.FindStringSubmatch(row["month"])
	if m == nil || m[1] < "2020" || m[2] < "01" || m[2] > "12" || row["month"] > "2026-06" || months[row["month"]] {
		return 0, 0, 0, false
	}
	months[row["month"]] = true
	if !oracleCount.MatchString(row["tx_count"]) {
		return 0, 0, 0, false
	}
	if n, ok := new(big.Int).SetString(row["tx_count"], 10); !ok || n.Cmp(big.NewInt(math.MaxInt32)) > 0 {
		return 0, 0, 0, false
	}
	var ok1, ok2 bool
	turnover, ok1 = oracleAmount(row["turnover"])
	balance, ok2 = oracleAmount(row["avg_balance"])
	if !ok1 || !ok2 || turnover < 0 {
		return 0, 0, 0, false
	}
	total := new(big.Int)
	products := map[string]bool{}
	for _, item := range strings.Split(row["income"], ";") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		code, amount, found := strings.Cut(item, "=")
		code = strings.ToUpper(strings.TrimSpace(code))
		if !found || (code != "CA-MAIN" && code != "EBANK") || products[code] {
			return 0, 0, 0, false
		}
		products[code] = true
		a, ok := oracleAmount(strings.TrimSpace(amount))
		if !ok {
			return 0, 0, 0, false
		}
		total.Add(total, big.NewInt(a))
	}
	if !total.IsInt64() {
		return 0, 0, 0, false
	}
	return turnover, balance, total.Int64(), true
}

// oracleHolding checks a row of holdings.csv on its own; a holding twice in
// the file, or a product left open twice, is found in SQL once the file is
// staged (TestBadFeedIsRejectedWithWhereAndWhatAndChangesNothing).
func oracleHolding(row map[string]string) bool {
	since, today := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 6, 15, 0, 0, 0, 0, time.UTC)
	product := strings.ToUpper(row["product"])
	if !oracleClient(row) || (product != "CA-MAIN" && product != "EBANK") {
		return false
	}
	opened, ok := oracleDate(row["opened_on"], since, today)
	if !ok {
		return false
	}
	if row["closed_on"] == "" {
		return true
	}
	closed, ok := oracleDate(row["closed_on"], since, today)
	return ok && !closed.Before(opened)
}

// FuzzReadFile feeds any bytes to the readers of monthly_facts.csv and
// holdings.csv. They must never panic, must place every error in the file,
// and must never accept a file the oracle refuses; what they accept must
// carry the amounts the oracle reads, in minor units.
func FuzzReadFile(f *testing.F) {
	f.Add(false, []byte("bank,client,month,tx_count,turnover,avg_balance,income\nBN,C-1,2025-03,142,86400.00,-15.5,CA-MAIN=35.00;EBANK=12\n"))
	f.Add(false, []byte("\xef\xbb\xbf\"bank\",\"client\",\"month\",\"tx_count\",\"turnover\",\"avg_balance\",\"income\"\r\n\"BN\",\"C-1\",\"2025-04\",\"0\",\"0\",\"0\",\"\"\r\n"))
	f.Add(false, []byte("bank,client,month,tx_count,turnover,avg_balance\nBN,C-1,2025-03,1,1.005,1\nBN,C-1,2025-03,1,1,1\n"))
	f.Add(false, []byte("bank,client,month,tx_count,turnover,avg_balance,income\nBN,C-1,2025-13,1,1,1,CA-MAIN=1;CA-MAIN=2\nBN,C-2,2019-12,-1,1e3,1,X=1\n"))
	f.Add(true, []byte("bank,client,product,opened_on,closed_on\nBN,C-1,CA-MAIN,2020-01-01,\nBN,C-1,EBANK,2021-02-28,2021-03-01\n"))
	f.Add(true, []byte("bank,client,product,opened_on\nBN,C-1,CA-MAIN,2020-02-30\nBN,C-1,CA-MAIN,2020-03-01\nBN,C-1,CA-MAIN,2020-03-01\n"))
	f.Add(true, []byte(""))
	f.Add(true, []byte("bank,client,product,opened_on,closed_on\nBN,C-1,\"CA-\nMAIN\",2020-01-01,\nBN,\"C-1,x\n"))
	f.Fuzz(func(t *testing.T, holdings bool, content []byte) {
		kind := Facts
		if holdings {
			kind = Holdings
		}
		errs, stored := captured(kind, content)
		for _, e := range errs.first {
			if e.File != kind.FileName() || e.Line < 0 || e.Message == "" {
				t.Fatalf("error out of place: %+v", e)
			}
		}
		if errs.total < len(errs.first) || (errs.total > 0) != (len(errs.first) > 0) {
			t.Fatalf("error count %d with %d listed", errs.total, len(errs.first))
		}
		if errs.total > 0 {
			return
		}
		rows, ok := oracleRows(content, kind)
		if !ok {
			t.Fatalf("the reader accepted a file the oracle refuses as a whole:\n%q", content)
		}
		months := map[string]bool{}
		tuples := decodeTuples(t, stored)
		if len(tuples) != len(rows) {
			t.Fatalf("%d rows stored from %d rows", len(tuples), len(rows))
		}
		for i, row := range rows {
			if kind == Holdings {
				if !oracleHolding(row) {
					t.Fatalf("the reader accepted a holding the oracle refuses: %v", row)
				}
				continue
			}
			turnover, balance, income, ok := oracleFact(row, months)
			if !ok {
				t.Fatalf("the reader accepted a row the oracle refuses: %v", row)
			}
			got := tuples[i]
			if got[3] != turnover || got[4] != balance || got[5] != income {
				t.Fatalf("row %v stored as turnover %d, balance %d, income %d; want %d, %d, %d",
					row, got[3], got[4], got[5], turnover, balance, income)
			}
		}
	})
}

// decodeTuples reads a binary COPY stream, returning each row's fixed-width
// fields as integers (arrays are skipped).
func decodeTuples(t *testing.T, b []byte) [][]int64 {
	if len(b) < len(binaryHeader)+2 || !bytes.Equal(b[:len(binaryHeader)], binaryHeader) {
		t.Fatalf("no COPY header")
	}
	b = b[len(binaryHeader):]
	var out [][]int64
	for {
		n := int16(binary.BigEndian.Uint16(b))
		b = b[2:]
		if n == -1 {
			if len(b) != 0 {
				t.Fatalf("bytes after the trailer")
			}
			return out
		}
		var row []int64
		for i := 0; i < int(n); i++ {
			l := int32(binary.BigEndian.Uint32(b))
			b = b[4:]
			if l < 0 {
				row = append(row, 0)
				continue
			}
			switch l {
			case 2:
				row = append(row, int64(int16(binary.BigEndian.Uint16(b))))
			case 4:
				row = append(row, int64(int32(binary.BigEndian.Uint32(b))))
			case 8:
				row = append(row, int64(binary.BigEndian.Uint64(b)))
			default:
				row = append(row, 0)
			}
			b = b[l:]
		}
		out = append(out, row)
	}
}

func TestParseMoney(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in     string
		digits int
		want   int64
		bad    string
	}{
		{"12.5", 2, 1250, ""}, {"12", 2, 1200, ""}, {"-0.05", 2, -5, ""}, {"0.10", 2, 10, ""}, {"12.500", 2, 1250, ""},
		{"7", 0, 7, ""}, {"1.2345", 4, 12345, ""}, {"92233720368547758.07", 2, math.MaxInt64, ""},
		{"12.345", 2, 0, "more than 2 decimals"}, {"12.5", 0, 0, "no minor unit"}, {"1,5", 2, 0, "decimal separator"},
		{"", 2, 0, "empty"}, {"-", 2, 0, "not an amount"}, {".5", 2, 0, "not an amount"}, {"5.", 2, 0, "digits must follow"},
		{"+5", 2, 0, "not an amount"}, {"1e3", 2, 0, "not an amount"}, {"€5", 2, 0, "not an amount"},
		{"92233720368547758.08", 2, 0, "too large"}, {"99999999999999999999", 2, 0, "too large"},
	}
	for _, c := range cases {
		got, p := parseMoney(c.in, c.digits, '.')
		msg := p.String()
		if (c.bad == "") != (msg == "") || (c.bad != "" && !strings.Contains(msg, c.bad)) || (c.bad == "" && got != c.want) {
			t.Errorf("parseMoney(%q, %d) = %d, %q; want %d, %q", c.in, c.digits, got, msg, c.want, c.bad)
		}
		if c.bad == "" {
			again, _ := parseMoney(string(appendMoney(nil, got, c.digits)), c.digits, '.')
			if again != got {
				t.Errorf("appendMoney(%d, %d) = %q reads back as %d", got, c.digits, appendMoney(nil, got, c.digits), again)
			}
		}
	}
}

func TestParseDate(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ in, bad string }{
		{"2024-02-29", ""}, {"1900-01-01", ""}, {"2023-02-29", "has no day 29"}, {"2024-13-01", "no month 13"},
		{"1899-12-31", "before 1900"}, {"24-01-01", "YYYY-MM-DD"}, {"2024/01/01", "YYYY-MM-DD"}, {"2024-1-01", "YYYY-MM-DD"},
	} {
		d, p := parseDate(c.in)
		msg := p.String()
		if (c.bad == "") != (msg == "") || !strings.Contains(msg, c.bad) {
			t.Errorf("parseDate(%q): %q, want %q", c.in, msg, c.bad)
		}
		if c.bad == "" && d.String() != c.in {
			t.Errorf("parseDate(%q) = %s", c.in, d)
		}
	}
	for d := daysFromCivil(1899, 12, 25); d < daysFromCivil(2101, 1, 10); d += 17 {
		y, m, day := d.civil()
		if daysFromCivil(y, m, day) != d || time.Date(y, time.Month(m), day, 0, 0, 0, 0, time.UTC).Unix()/86400 != int64(d) {
			t.Fatalf("day %d: %04d-%02d-%02d", d, y, m, day)
		}
	}
}
