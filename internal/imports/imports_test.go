package imports

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/relaycrm/relay/internal/access"
	"github.com/relaycrm/relay/internal/contacts"
	"github.com/relaycrm/relay/internal/dbtest"
	"github.com/relaycrm/relay/seeds"
)

// exampleFeed is the feed documented in docs/import.md: the tests keep the
// documentation honest.
const exampleFeed = "../../docs/feed-example"

// loadReference writes the demo group's reference data (group, banks,
// regions, industries): what a bank sets up before its first feed.
func loadReference(t testing.TB, pool *pgxpool.Pool) {
	t.Helper()
	ctx := context.Background()
	batch := &pgx.Batch{}
	batch.Queue(`INSERT INTO banking_group (code, name) VALUES ($1, $2)`, seeds.GroupCode, seeds.GroupName)
	for _, b := range seeds.Banks {
		batch.Queue(`INSERT INTO bank (group_id, code, name, currency) SELECT id, $1, $2, $3 FROM banking_group`, b.Code, b.Name, b.Currency)
		for _, r := range b.Regions {
			batch.Queue(`INSERT INTO region (group_id, code, name) SELECT id, $1, $2 FROM banking_group`, r.Code, r.Name)
		}
	}
	for _, ind := range seeds.Industries {
		batch.Queue(`INSERT INTO industry (group_id, code, name, nace_section) SELECT id, $1, $2, $3 FROM banking_group`, ind.Code, ind.Name, ind.Code)
	}
	if err := pool.SendBatch(ctx, batch).Close(); err != nil {
		t.Fatalf("reference data: %v", err)
	}
}

// readFeed reads a feed directory into memory: file name → content.
func readFeed(t testing.TB, dir string) map[string][]byte {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	feed := map[string][]byte{}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".csv") {
			b, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			feed[e.Name()] = b
		}
	}
	return feed
}

func files(feed map[string][]byte) []File {
	var out []File
	for _, k := range Kinds { // any order works; this one is stable
		if b, ok := feed[k.FileName()]; ok {
			out = append(out, File{Name: k.FileName(), Body: bytes.NewReader(b)})
		}
	}
	for name, b := range feed {
		if _, ok := kindOfFile(name); !ok {
			out = append(out, File{Name: name, Body: bytes.NewReader(b)})
		}
	}
	return out
}

func importFeed(t testing.TB, pool *pgxpool.Pool, feed map[string][]byte) Result {
	t.Helper()
	res, err := Import(context.Background(), pool, files(feed), Options{Source: SourceCLI, Origin: "test"})
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	return res
}

func mustApply(t testing.TB, pool *pgxpool.Pool, feed map[string][]byte) Result {
	t.Helper()
	res := importFeed(t, pool, feed)
	if res.Status != Applied {
		for _, e := range res.Errors {
			t.Log(e)
		}
		t.Fatalf("import: status %s with %d errors", res.Status, res.ErrorCount)
	}
	return res
}

// exportFeed exports the database into memory.
func exportFeed(t testing.TB, pool *pgxpool.Pool) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	_, err := Export(context.Background(), pool, func(name string) (io.WriteCloser, error) {
		b := &memFile{name: name, into: out}
		return b, nil
	}, ExportOptions{})
	if err != nil {
		t.Fatalf("export: %v", err)
	}
	return out
}

type memFile struct {
	bytes.Buffer
	name string
	into map[string][]byte
}

func (m *memFile) Close() error { m.into[m.name] = m.Bytes(); return nil }

func sameFeed(t *testing.T, want, got map[string][]byte) {
	t.Helper()
	for _, k := range Kinds {
		name := k.FileName()
		if !bytes.Equal(want[name], got[name]) {
			wl, gl := strings.Split(string(want[name]), "\n"), strings.Split(string(got[name]), "\n")
			for i := 0; i < max(len(wl), len(gl)); i++ {
				var w, g string
				if i < len(wl) {
					w = wl[i]
				}
				if i < len(gl) {
					g = gl[i]
				}
				if w != g {
					t.Errorf("%s differs first at line %d:\nwant %q\ngot  %q", name, i+1, w, g)
					break
				}
			}
		}
	}
}

// domainTables are the tables a feed writes or reads; the import record and
// the audit log are left out, as every import, even a rejected one, adds to them.
var domainTables = []string{"banking_group", "bank", "region", "industry", "product", "branch", "app_user",
	"client", "holding", "monthly_fact"}

// checksums fingerprints every row of every domain table, updated_at included.
func checksums(t testing.TB, pool *pgxpool.Pool) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, tbl := range domainTables {
		var sum string
		err := pool.QueryRow(context.Background(),
			fmt.Sprintf(`SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') FROM %s t`, tbl)).Scan(&sum)
		if err != nil {
			t.Fatalf("checksum %s: %v", tbl, err)
		}
		out[tbl] = sum
	}
	return out
}

func sameChecksums(t *testing.T, before, after map[string]string) {
	t.Helper()
	for _, tbl := range domainTables {
		if before[tbl] != after[tbl] {
			t.Errorf("table %s changed", tbl)
		}
	}
}

// An empty, migrated database takes the example feed, reference files and
// contacts included: a bank's first day.
func TestExampleFeedLandsExactly(t *testing.T) {
	t.Parallel()
	pool := dbtest.New(t)
	feed := readFeed(t, exampleFeed)
	res := mustApply(t, pool, feed)

	wantRows := map[Kind]int64{Group: 1, Banks: 2, Regions: 4, Industries: 4, Products: 4, Branches: 3, Managers: 3,
		Clients: 4, Holdings: 9, Facts: 8, Contacts: 4}
	for _, f := range res.Files {
		if f.Rows != wantRows[f.Kind] || f.Inserted != f.Rows || f.Updated != 0 {
			t.Errorf("%s: rows %d inserted %d updated %d, want %d inserted", f.Name, f.Rows, f.Inserted, f.Updated, wantRows[f.Kind])
		}
	}
	// The export writes what the feed said, in the same canonical form.
	sameFeed(t, feed, exportFeed(t, pool))

	ctx := context.Background()
	var name, manager string
	var since, left *time.Time
	if err := pool.QueryRow(ctx, `SELECT c.legal_name, coalesce(u.login, ''), c.since, c.left_on FROM client c
		LEFT JOIN app_user u ON u.id = c.manager_id WHERE c.ref = 'C-1003'`).Scan(&name, &manager, &since, &left); err != nil {
		t.Fatal(err)
	}
	if name != `Cedar "Green" Farm AD` || manager != "" || since.Format("2006-01-02") != "2019-06-01" || left != nil {
		t.Errorf("client C-1003: %q %q %v %v", name, manager, since, left)
	}
	var income, balance int64
	var ids []int16
	var amounts []int64
	if err := pool.QueryRow(ctx, `SELECT f.income, f.avg_balance, f.product_ids, f.product_income FROM monthly_fact f
		JOIN client c ON c.id = f.client_id WHERE c.ref = 'C-1002' AND f.month = '2025-03-01'`).Scan(&income, &balance, &ids, &amounts); err != nil {
		t.Fatal(err)
	}
	if income != 2500+18040 || balance != -35020 || len(ids) != 2 || amounts[0] != 2500 || amounts[1] != 18040 {
		t.Errorf("facts of C-1002 2025-03: income %d balance %d products %v %v", income, balance, ids, amounts)
	}
	var role, branch string
	if err := pool.QueryRow(ctx, `SELECT u.role, b.code FROM app_user u JOIN branch b ON b.id = u.branch_id WHERE u.login = 'mgr.vesela'`).Scan(&role, &branch); err != nil {
		t.Fatal(err)
	}
	if role != "manager" || branch != "BN-VAR-1" {
		t.Errorf("manager mgr.vesela: %s in %s", role, branch)
	}

	// The contact centre's complaint: the client started it, no Relay user
	// took it, and it says where it came from.
	var proactive bool
	var source, topic, outcome, at string
	var user *int64
	var csat *int16
	if err := pool.QueryRow(ctx, `SELECT k.proactive, k.source, k.topic, k.outcome, k.user_id, k.csat,
		to_char(k.happened_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI')
		FROM contact k JOIN client c ON c.id = k.client_id WHERE c.ref = 'C-1001' AND k.ref = 'CC-5501'`).
		Scan(&proactive, &source, &topic, &outcome, &user, &csat, &at); err != nil {
		t.Fatal(err)
	}
	if proactive || source != "contact-centre" || topic != "fees" || outcome != "complaint" || user != nil ||
		csat == nil || *csat != 2 || at != "2025-04-02 13:05" {
		t.Errorf("complaint contact: proactive %v source %q topic %q outcome %q user %v csat %v at %s",
			proactive, source, topic, outcome, user, csat, at)
	}
	var by string
	if err := pool.QueryRow(ctx, `SELECT u.login FROM contact k JOIN app_user u ON u.id = k.user_id WHERE k.ref = 'CRM-88121'`).Scan(&by); err != nil || by != "mgr.ana" {
		t.Errorf("contact CRM-88121 by %q (%v), want mgr.ana", by, err)
	}
	var group string
	var digits int
	if err := pool.QueryRow(ctx, `SELECT g.name, b.minor_digits FROM banking_group g JOIN bank b ON b.group_id = g.id
		WHERE g.code = 'DEMO' AND b.code = 'DB' AND b.currency = 'RON'`).Scan(&group, &digits); err != nil ||
		group != "Danube SME Banking Group" || digits != 2 {
		t.Errorf("group %q, bank DB with %d minor digits (%v)", group, digits, err)
	}

	var leftovers int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM pg_constraint WHERE conname LIKE 'monthly_fact_%_bounds'`).Scan(&leftovers); err != nil || leftovers != 0 {
		t.Errorf("%d CHECK constraints of the staged months are left on monthly_fact (%v)", leftovers, err)
	}

	recs, total, err := List(ctx, pool, ListFilter{})
	if err != nil || total != 1 || recs[0].Status != Applied || recs[0].Rows != 46 || len(recs[0].Files) != len(Kinds) {
		t.Fatalf("imports list: %+v total %d err %v", recs, total, err)
	}
	var audited int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = 'import.applied' AND object = $1`,
		fmt.Sprintf("import:%d", res.ID)).Scan(&audited); err != nil || audited != 1 {
		t.Errorf("audit log: %d entries, err %v", audited, err)
	}
}

// excel turns a CSV file into what Excel saves as "CSV UTF-8": a byte order
// mark, CRLF line ends and (here) every field quoted.
func excel(b []byte) []byte {
	var out bytes.Buffer
	out.WriteString("\uFEFF")
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	for _, line := range lines {
		fields := splitCSVLine(line)
		for i, f := range fields {
			if i > 0 {
				out.WriteByte(',')
			}
			out.WriteString(`"` + strings.ReplaceAll(f, `"`, `""`) + `"`)
		}
		out.WriteString("\r\n")
	}
	return out.Bytes()
}

// splitCSVLine splits one line of simple CSV (quoted fields allowed).
func splitCSVLine(line string) []string {
	var fields []string
	var cur strings.Builder
	inQuotes := false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case inQuotes && c == '"' && i+1 < len(line) && line[i+1] == '"':
			cur.WriteByte('"')
			i++
		case c == '"':
			inQuotes = !inQuotes
		case c == ',' && !inQuotes:
			fields = append(fields, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(c)
		}
	}
	return append(fields, cur.String())
}

func TestExcelFileReadsLikePlainOne(t *testing.T) {
	t.Parallel()
	plain := readFeed(t, exampleFeed)
	saved := map[string][]byte{}
	for name, b := range plain {
		saved[name] = excel(b)
	}
	if bytes.Equal(saved["clients.csv"], plain["clients.csv"]) || !bytes.HasPrefix(saved["clients.csv"], []byte("\xef\xbb\xbf\"bank\",")) {
		t.Fatal("the Excel version of the feed is not what Excel writes")
	}
	pool := dbtest.New(t)
	mustApply(t, pool, saved)
	sameFeed(t, plain, exportFeed(t, pool))
}

// edit returns a copy of feed with file changed by fn.
func edit(feed map[string][]byte, file string, fn func(string) string) map[string][]byte {
	out := map[string][]byte{}
	for k, v := range feed {
		out[k] = v
	}
	out[file] = []byte(fn(string(feed[file])))
	return out
}

func replace(old, new string) func(string) string {
	return func(s string) string {
		if !strings.Contains(s, old) {
			panic("test fixture: " + old + " not found")
		}
		return strings.Replace(s, old, new, 1)
	}
}

func TestBadFeedIsRejectedWithWhereAndWhatAndChangesNothing(t *testing.T) {
	t.Parallel()
	pool := dbtest.New(t)
	loadReference(t, pool)
	good := readFeed(t, exampleFeed)
	mustApply(t, pool, good)
	// A second feed that changes things, so that a rejected import would show
	// if anything of it were applied.
	changed := edit(good, "clients.csv", replace("Delta Soft SRL", "Delta Soft Group SRL"))

	cases := []struct {
		name  string
		feed  map[string][]byte
		want  RowError // the fields to match; Message is matched as a substring
		count int      // errors expected in all; 0: at least one
	}{
		{"bad date", edit(changed, "clients.csv", replace("2021-03-15", "2021-02-30")),
			RowError{File: "clients.csv", Line: 2, Column: "since", ColumnNumber: 9, Value: "2021-02-30", Message: "has no day 30"}, 1},
		{"unknown product", edit(changed, "holdings.csv", replace("BN,C-1003,LOAN-WC", "BN,C-1003,LOAN-XX")),
			RowError{File: "holdings.csv", Line: 8, Column: "product", ColumnNumber: 3, Value: "LOAN-XX", Message: "not a product of the catalogue"}, 1},
		{"unknown product in income", edit(changed, "monthly_facts.csv", replace("EBANK=40.00\nBN", "EBNK=40.00\nBN")),
			RowError{File: "monthly_facts.csv", Line: 5, Column: "income", ColumnNumber: 7, Message: `names "EBNK", which is not a product`}, 1},
		{"duplicate client", edit(changed, "clients.csv", func(s string) string {
			return s + "BN,C-1002,BG111111111,Other EOOD,BN-VAR-1,BG-VAR,H,micro,2022-11-02,,\n"
		}),
			RowError{File: "clients.csv", Line: 6, Column: "ref", ColumnNumber: 2, Value: "C-1002", Message: "appears twice in this file: client C-1002 of bank BN is also on line 3"}, 1},
		{"duplicate month of facts", edit(changed, "monthly_facts.csv", func(s string) string { return s + "DB,R-77,2025-04,1,1.00,1.00,\n" }),
			RowError{File: "monthly_facts.csv", Line: 10, Column: "month", ColumnNumber: 3, Value: "2025-04", Message: "already has a row for 2025-04"}, 1},
		{"duplicate holding", edit(changed, "holdings.csv", func(s string) string { return s + "DB,R-77,EBANK,2023-01-10,\n" }),
			RowError{File: "holdings.csv", Line: 11, Column: "opened_on", ColumnNumber: 4, Message: "repeats the holding on line 10"}, 0},
		{"wrong column count", edit(changed, "branches.csv", replace("Varna Port,BG-VAR", "Varna, Port,BG-VAR")),
			RowError{File: "branches.csv", Line: 3, Message: "has 5 values, but the header has 4 columns"}, 1},
		{"bad money", edit(changed, "monthly_facts.csv", replace("86400.00", "86 400.00")),
			RowError{File: "monthly_facts.csv", Line: 2, Column: "turnover", ColumnNumber: 5, Value: "86 400.00", Message: "is not an amount"}, 1},
		{"decimal comma", edit(changed, "monthly_facts.csv", replace("86400.00", `"86400,00"`)),
			RowError{File: "monthly_facts.csv", Line: 2, Column: "turnover", ColumnNumber: 5, Value: "86400,00", Message: "use a point as the decimal separator"}, 1},
		{"too many decimals", edit(changed, "monthly_facts.csv", replace("15230.55", "15230.555")),
			RowError{File: "monthly_facts.csv", Line: 2, Column: "avg_balance", ColumnNumber: 6, Value: "15230.555", Message: "more than 2 decimals"}, 1},
		{"missing header column", edit(changed, "holdings.csv", func(s string) string {
			return strings.ReplaceAll(strings.Replace(s, "bank,client,product", "bank,product", 1), ",C-", ",x")
		}), RowError{File: "holdings.csv", Line: 1, Message: `the header has no column "client"`}, 0},
		{"misspelled header", edit(changed, "clients.csv", replace("tax_id,", "taxid,")),
			RowError{File: "clients.csv", Line: 1, Column: "", ColumnNumber: 3, Value: "taxid", Message: `did you mean "tax_id"?`}, 0},
		{"zero-byte file", edit(changed, "managers.csv", func(string) string { return "" }),
			RowError{File: "managers.csv", Line: 1, Message: "the file is empty"}, 0},
		{"bytes that are not UTF-8", edit(changed, "clients.csv", replace("Harbor Logistics", "Harbor Logisti\xe7s")),
			RowError{File: "clients.csv", Line: 3, Column: "legal_name", ColumnNumber: 4, Message: "is not UTF-8 text"}, 1},
		{"unknown file", func() map[string][]byte {
			f := edit(changed, "clients.csv", func(s string) string { return s })
			f["client.csv"] = []byte("x")
			return f
		}(),
			RowError{File: "client.csv", Message: "is not a file of the feed"}, 1},
		{"facts after the client left", edit(changed, "monthly_facts.csv", func(s string) string { return s + "BN,C-1002,2025-05,1,1.00,1.00,\n" }),
			RowError{File: "monthly_facts.csv", Line: 10, Column: "month", ColumnNumber: 3, Value: "2025-05", Message: "after the month the client left (2025-04-30)"}, 1},
		{"manager of another branch", edit(changed, "clients.csv", replace("DB-BUC-1,RO-BUC,J,small,2023-01-10,,mgr.ion", "DB-BUC-1,RO-BUC,J,small,2023-01-10,,mgr.ana")),
			RowError{File: "clients.csv", Line: 5, Column: "manager", ColumnNumber: 11, Value: "mgr.ana", Message: "works in branch BN-SOF-1"}, 1},
		{"a second open holding", edit(changed, "holdings.csv", func(s string) string { return s + "DB,R-77,EBANK,2024-01-10,\n" }),
			RowError{File: "holdings.csv", Line: 11, Column: "closed_on", ColumnNumber: 5, Message: "leaves the product open, as line 10 already does"}, 1},
		{"implausible turnover", edit(changed, "monthly_facts.csv", replace("86400.00", "9223372036854775.00")),
			RowError{File: "monthly_facts.csv", Line: 2, Column: "turnover", ColumnNumber: 5, Value: "9223372036854775.00", Message: "beyond the largest turnover a feed may carry (plus or minus 10000000000, the setting import.max_turnover)"}, 1},
		{"implausible balance", edit(changed, "monthly_facts.csv", replace("-350.20", "-90000000000")),
			RowError{File: "monthly_facts.csv", Line: 3, Column: "avg_balance", ColumnNumber: 6, Value: "-90000000000", Message: "the setting import.max_balance"}, 1},
		{"implausible income", edit(changed, "monthly_facts.csv", replace("ACQ-POS=410.75", "ACQ-POS=4100000000.75")),
			RowError{File: "monthly_facts.csv", Line: 2, Column: "income", ColumnNumber: 7, Message: `item 3 (ACQ-POS): "4100000000.75" is beyond the largest income`}, 1},
		{"implausible transactions", edit(changed, "monthly_facts.csv", replace("BN,C-1001,2025-03,142,", "BN,C-1001,2025-03,2000000000,")),
			RowError{File: "monthly_facts.csv", Line: 2, Column: "tx_count", ColumnNumber: 4, Value: "2000000000", Message: "import.max_tx_count"}, 1},
		{"a line too long", edit(changed, "clients.csv", replace("Harbor Logistics EOOD", strings.Repeat("Harbor Logistics ", 5000))),
			RowError{File: "clients.csv", Line: 3, Message: "is longer than 65536 bytes"}, 1},
		{"a value too long", edit(changed, "contacts.csv", replace("Asked about a payroll package for 40 staff.", strings.Repeat("Payroll. ", 2000))),
			RowError{File: "contacts.csv", Line: 2, Column: "notes", ColumnNumber: 10, Message: "is longer than 16384 bytes"}, 1},
		{"tax id twice", edit(changed, "clients.csv", replace("BG209876543", "BG203456789")),
			RowError{File: "clients.csv", Line: 4, Column: "tax_id", ColumnNumber: 3, Value: "BG203456789", Message: "is also the tax id of the client on line 3"}, 2},
		{"tax id of another client in Relay", edit(changed, "clients.csv", func(s string) string {
			return strings.Replace(s, "BN,C-1003,BG209876543", "BN,C-1004,BG209876543", 1)
		}), RowError{File: "clients.csv", Line: 4, Column: "tax_id", ColumnNumber: 3, Value: "BG209876543", Message: "belongs to another client of bank BN in Relay"}, 0},
		{"bad currency", edit(changed, "banks.csv", replace("DB,Dunarea Bank,RON", "DB,Dunarea Bank,LEU1")),
			RowError{File: "banks.csv", Line: 3, Column: "currency", ColumnNumber: 3, Value: "LEU1", Message: "is not a currency"}, 1},
		{"currency of a bank with clients", edit(changed, "banks.csv", replace("BN,Bank North,EUR", "BN,Bank North,BGN")),
			RowError{File: "banks.csv", Line: 2, Column: "currency", ColumnNumber: 3, Value: "BGN", Message: "cannot change once it has clients"}, 1},
		{"not a NACE section", edit(changed, "industries.csv", replace("Transportation and storage,H", "Transportation and storage,Z")),
			RowError{File: "industries.csv", Line: 4, Column: "nace_section", ColumnNumber: 3, Value: "Z", Message: "is not a NACE Rev.2 section"}, 1},
		{"a second group", edit(changed, "group.csv", func(s string) string { return s + "OTHER,Other Group\n" }),
			RowError{File: "group.csv", Line: 3, Message: "is a second banking group"}, 1},
		{"region code twice", edit(changed, "regions.csv", func(s string) string { return s + "bg-sof,Sofia City\n" }),
			RowError{File: "regions.csv", Line: 6, Column: "code", ColumnNumber: 1, Value: "BG-SOF", Message: "appears twice in this file"}, 1},
		{"contact in the future", edit(changed, "contacts.csv", replace("2025-04-10T08:45:00Z", "2999-04-10T08:45:00Z")),
			RowError{File: "contacts.csv", Line: 5, Column: "happened_at", ColumnNumber: 5, Value: "2999-04-10T08:45:00Z", Message: "is in the future"}, 1},
		{"contact with both scores", edit(changed, "contacts.csv", replace("mgr.vesela,,8", "mgr.vesela,3,8")),
			RowError{File: "contacts.csv", Line: 4, Column: "nps", ColumnNumber: 13, Value: "8", Message: "not both"}, 1},
		{"contact by an unknown user", edit(changed, "contacts.csv", replace(",mgr.vesela,", ",mgr.nobody,")),
			RowError{File: "contacts.csv", Line: 4, Column: "user", ColumnNumber: 11, Value: "mgr.nobody", Message: "is not the login of a user"}, 1},
		{"contact twice", edit(changed, "contacts.csv", func(s string) string {
			return s + "BN,C-1001,old-crm,CRM-88121,2025-03-15T09:30:00Z,call,bank,reached,,,,,\n"
		}), RowError{File: "contacts.csv", Line: 6, Column: "ref", ColumnNumber: 4, Value: "CRM-88121", Message: "the same client, source and id as line 2"}, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := checksums(t, pool)
			res := importFeed(t, pool, tc.feed)
			if res.Status != Rejected {
				t.Fatalf("status %s, want rejected", res.Status)
			}
			if tc.count > 0 && res.ErrorCount != tc.count {
				t.Errorf("%d errors, want %d: %v", res.ErrorCount, tc.count, res.Errors)
			}
			found := false
			for _, e := range res.Errors {
				if e.File == tc.want.File && e.Line == tc.want.Line && e.Column == tc.want.Column &&
					e.ColumnNumber == tc.want.ColumnNumber && (tc.want.Value == "" || e.Value == tc.want.Value) &&
					strings.Contains(e.Message, tc.want.Message) {
					found = true
				}
			}
			if !found {
				t.Errorf("no error like %+v among:", tc.want)
				for _, e := range res.Errors {
					t.Logf("  %+v", e)
				}
			}
			sameChecksums(t, before, checksums(t, pool))
			rec, err := Get(context.Background(), pool, res.ID)
			if err != nil || rec.Status != Rejected || rec.ErrorCount != res.ErrorCount || len(rec.Errors) != len(res.Errors) {
				t.Errorf("record: %+v, %v", rec, err)
			}
		})
	}
}

func TestReimportChangesNothing(t *testing.T) {
	t.Parallel()
	pool := dbtest.New(t)
	loadReference(t, pool)
	feed := readFeed(t, exampleFeed)
	mustApply(t, pool, feed)
	before := checksums(t, pool)
	time.Sleep(10 * time.Millisecond) // so that a touched updated_at would differ
	res := mustApply(t, pool, feed)
	for _, f := range res.Files {
		if f.Inserted != 0 || f.Updated != 0 || f.Unchanged != f.Rows {
			t.Errorf("%s: inserted %d, updated %d, unchanged %d of %d", f.Name, f.Inserted, f.Updated, f.Unchanged, f.Rows)
		}
	}
	sameChecksums(t, before, checksums(t, pool))
}

func TestLaterFeedUpdatesByTheBanksIDs(t *testing.T) {
	t.Parallel()
	pool := dbtest.New(t)
	loadReference(t, pool)
	mustApply(t, pool, readFeed(t, exampleFeed))
	ctx := context.Background()
	var updatedBefore time.Time
	if err := pool.QueryRow(ctx, `SELECT updated_at FROM client WHERE ref = 'C-1001'`).Scan(&updatedBefore); err != nil {
		t.Fatal(err)
	}
	// The next night's feed: R-77 leaves, C-1001 closes its acquiring and opens
	// it again, March is corrected for C-1003, May arrives; C-1002 and C-1003
	// are not in clients.csv at all (they stay as they are), and a manager
	// moves branch together with her client.
	next := map[string][]byte{
		"managers.csv": []byte("login,name,branch\nmgr.ana,Ana Petrova-Ivanova,BN-VAR-1\n"),
		"clients.csv": []byte("bank,ref,tax_id,legal_name,branch,region,industry,size_band,since,left_on,manager\n" +
			"BN,C-1001,BG201234567,\"Orion Trade, OOD\",BN-VAR-1,BG-SOF,G,small,2021-03-15,,mgr.ana\n" +
			"DB,R-77,RO12345678,Delta Soft SRL,DB-BUC-1,RO-BUC,J,small,2023-01-10,2025-05-31,mgr.ion\n" +
			"DB,R-78,RO87654321,Delta Hardware SRL,DB-BUC-1,,J,micro,2025-05-02,,\n"),
		"holdings.csv": []byte("bank,client,product,opened_on,closed_on\n" +
			"BN,C-1001,ACQ-POS,2021-09-01,2025-05-10\n" +
			"BN,C-1001,ACQ-POS,2025-05-20,\n" +
			"DB,R-78,CA-MAIN,2025-05-02,\n"),
		"monthly_facts.csv": []byte("bank,client,month,tx_count,turnover,avg_balance,income\n" +
			"BN,C-1003,2025-03,18,5400.00,2100.00,CA-MAIN=20.00;LOAN-WC=900.00\n" +
			"BN,C-1001,2025-05,150,91000.00,16000.00,CA-MAIN=35.00\n" +
			"BN,C-1001,2025-04,150,90210.10,16010.00,CA-MAIN=35.00;EBANK=12.00;ACQ-POS=433.10\n"),
	}
	res := mustApply(t, pool, next)
	want := map[Kind][3]int64{ // inserted, updated, unchanged
		Managers: {0, 1, 0}, Clients: {1, 2, 0}, Holdings: {2, 1, 0}, Facts: {1, 1, 1},
	}
	for _, f := range res.Files {
		if got := [3]int64{f.Inserted, f.Updated, f.Unchanged}; got != want[f.Kind] {
			t.Errorf("%s: inserted, updated, unchanged = %v, want %v", f.Name, got, want[f.Kind])
		}
	}
	var clients, open int
	var left *time.Time
	var region string
	if err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM client), (SELECT left_on FROM client WHERE ref = 'R-77'),
		(SELECT r.code FROM client c JOIN region r ON r.id = c.region_id WHERE c.ref = 'R-78'),
		(SELECT count(*) FROM holding h JOIN client c ON c.id = h.client_id JOIN product p ON p.id = h.product_id
		 WHERE c.ref = 'C-1001' AND p.code = 'ACQ-POS' AND h.closed_on IS NULL)`).Scan(&clients, &left, &region, &open); err != nil {
		t.Fatal(err)
	}
	if clients != 5 || left == nil || left.Format("2006-01-02") != "2025-05-31" || region != "RO-BUC" || open != 1 {
		t.Errorf("clients %d, R-77 left %v, R-78 region %s, open ACQ-POS of C-1001 %d", clients, left, region, open)
	}
	var updatedAfter time.Time
	var income int64
	if err := pool.QueryRow(ctx, `SELECT c.updated_at, f.income FROM client c JOIN monthly_fact f ON f.client_id = c.id
		WHERE c.ref = 'C-1003' AND f.month = '2025-03-01'`).Scan(&updatedAfter, &income); err != nil {
		t.Fatal(err)
	}
	if income != 92000 {
		t.Errorf("March of C-1003: income %d, want 92000", income)
	}
	var c1001 time.Time
	if err := pool.QueryRow(ctx, `SELECT updated_at FROM client WHERE ref = 'C-1001'`).Scan(&c1001); err != nil || !c1001.After(updatedBefore) {
		t.Errorf("C-1001 moved branch but its updated_at stayed %v (%v)", c1001, err)
	}

	// A manager who moves without the clients the feed leaves behind is refused.
	before := checksums(t, pool)
	res = importFeed(t, pool, map[string][]byte{"managers.csv": []byte("login,name,branch\nmgr.vesela,Vesela Koleva,BN-SOF-1\n")})
	if res.Status != Rejected || res.ErrorCount != 1 || !strings.Contains(res.Errors[0].Message, "1 of their clients stay in the old one") {
		t.Errorf("moving a manager without her clients: %s %v", res.Status, res.Errors)
	}
	// Nor may the feed open a product Relay holds open already.
	res = importFeed(t, pool, map[string][]byte{"holdings.csv": []byte("bank,client,product,opened_on,closed_on\nBN,C-1003,LOAN-WC,2024-01-01,\n")})
	if res.Status != Rejected || res.ErrorCount != 1 || !strings.Contains(res.Errors[0].Message, "Relay holds it open for the client since 2020-05-20") {
		t.Errorf("a second open holding: %s %v", res.Status, res.Errors)
	}
	sameChecksums(t, before, checksums(t, pool))
}

// On a first load clients go straight into the empty client table; a tax id
// twice is still found, with both lines.
func TestTaxIDTwiceOnTheFirstLoad(t *testing.T) {
	t.Parallel()
	pool := dbtest.New(t)
	feed := edit(readFeed(t, exampleFeed), "clients.csv", replace("BG209876543", "BG203456789"))
	before := checksums(t, pool)
	res := importFeed(t, pool, feed)
	if res.Status != Rejected || res.ErrorCount != 1 {
		t.Fatalf("status %s, errors %v", res.Status, res.Errors)
	}
	want := RowError{File: "clients.csv", Line: 4, Column: "tax_id", ColumnNumber: 3, Value: "BG203456789",
		Message: "is also the tax id of the client on line 3; a tax id belongs to one client of a bank",
		Key:     "taxtwice", Args: map[string]any{"Line": "3"}}
	if !reflect.DeepEqual(res.Errors[0], want) {
		t.Errorf("error %+v, want %+v", res.Errors[0], want)
	}
	sameChecksums(t, before, checksums(t, pool))
}

// A contact a manager records in Relay is never touched by a feed: not by a
// feed that brings the client's history, nor by the export of this Relay
// imported back.
func TestContactMadeInRelaySurvivesReimport(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := dbtest.New(t)
	feed := readFeed(t, exampleFeed)
	mustApply(t, pool, feed)
	var client, manager int64
	if err := pool.QueryRow(ctx, `SELECT c.id, c.manager_id FROM client c WHERE c.ref = 'C-1001'`).Scan(&client, &manager); err != nil {
		t.Fatal(err)
	}
	v := access.Viewer{UserID: manager, Login: "mgr.ana", Name: "Ana Petrova", Role: access.Manager}
	made, err := contacts.NewStore(pool).Create(ctx, v, client, contacts.Contact{Kind: "meeting", Outcome: "interested",
		HappenedAt: time.Date(2025, 4, 20, 10, 0, 0, 0, time.UTC), Notes: "Met at the branch.", Proactive: true}, 5, "")
	if err != nil {
		t.Fatal(err)
	}
	relayContact := func() string {
		var row string
		if err := pool.QueryRow(ctx, `SELECT concat_ws('|', source, ref, kind, outcome, notes, user_id, happened_at) FROM contact WHERE id = $1`,
			made.ID).Scan(&row); err != nil {
			t.Fatal(err)
		}
		return row
	}
	before := relayContact()
	// The feed again, with a changed contact of its own; then this Relay's
	// own export, which carries the contact made here, imported back.
	again := edit(feed, "contacts.csv", replace("Asked about a payroll package", "Asked again about a payroll package"))
	res := mustApply(t, pool, again)
	for _, f := range res.Files {
		if f.Kind == Contacts && (f.Inserted != 0 || f.Updated != 1) {
			t.Errorf("contacts.csv again: inserted %d, updated %d, want 0 and 1", f.Inserted, f.Updated)
		}
	}
	exported := exportFeed(t, pool)
	if !strings.Contains(string(exported["contacts.csv"]), fmt.Sprintf("BN,C-1001,relay,%d,2025-04-20T10:00:00Z,meeting,bank,interested,,Met at the branch.,mgr.ana,,", made.ID)) {
		t.Errorf("the export does not carry the contact made in Relay:\n%s", exported["contacts.csv"])
	}
	// Someone edits the exported line of the Relay contact: still untouched.
	exported = edit(exported, "contacts.csv", replace("Met at the branch.", "Overwritten by a feed."))
	res = mustApply(t, pool, exported)
	for _, f := range res.Files {
		if f.Inserted != 0 || f.Updated != 0 {
			t.Errorf("%s imported back: inserted %d, updated %d", f.Name, f.Inserted, f.Updated)
		}
	}
	if after := relayContact(); after != before {
		t.Errorf("the contact made in Relay changed:\nbefore %s\nafter  %s", before, after)
	}
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM contact`).Scan(&n); err != nil || n != 5 {
		t.Errorf("%d contacts, want 5 (%v)", n, err)
	}
}

func TestDemoBankRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	source := dbtest.New(t)
	if _, err := seeds.Load(ctx, source, seeds.Options{Clients: 500, Seed: 7, End: seeds.DefaultEnd(time.Now()), Months: 13}); err != nil {
		t.Fatalf("demo: %v", err)
	}
	exported := exportFeed(t, source)
	// Into an empty, migrated database: the reference files set it up.
	target := dbtest.New(t)
	res := mustApply(t, target, exported)
	for _, f := range res.Files {
		if f.Kind == Clients && f.Rows != 500 {
			t.Errorf("clients.csv: %d rows", f.Rows)
		}
		if f.Kind == Contacts && f.Rows < 500 {
			t.Errorf("contacts.csv: only %d rows", f.Rows)
		}
	}
	sameFeed(t, exported, exportFeed(t, target))
	// And once more: nothing changes.
	before := checksums(t, target)
	res = mustApply(t, target, exported)
	for _, f := range res.Files {
		if f.Unchanged != f.Rows {
			t.Errorf("second import of %s: %d of %d unchanged", f.Name, f.Unchanged, f.Rows)
		}
	}
	sameChecksums(t, before, checksums(t, target))
}

func TestInboxImportsEachReadyFeedOnce(t *testing.T) {
	t.Parallel()
	pool := dbtest.New(t)
	loadReference(t, pool)
	ctx := context.Background()
	inbox := t.TempDir()
	write := func(dir string, feed map[string][]byte, ready bool) {
		if err := os.MkdirAll(filepath.Join(inbox, dir), 0o755); err != nil {
			t.Fatal(err)
		}
		for name, b := range feed {
			if err := os.WriteFile(filepath.Join(inbox, dir, name), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if ready {
			if err := os.WriteFile(filepath.Join(inbox, dir, "READY"), nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	good := readFeed(t, exampleFeed)
	write("2025-05-01", good, true)
	write("2025-05-02", edit(good, "clients.csv", replace("2021-03-15", "15/03/2021")), true)
	write("2025-05-03", good, false) // still arriving
	results, err := FromInbox(ctx, pool, inbox, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 2 || results[0].Status != Applied || results[1].Status != Rejected {
		t.Fatalf("results: %+v", results)
	}
	for _, p := range []string{"processed/2025-05-01/clients.csv", "rejected/2025-05-02/ERRORS.txt", "2025-05-03/clients.csv"} {
		if _, err := os.Stat(filepath.Join(inbox, p)); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
	errorsTxt, _ := os.ReadFile(filepath.Join(inbox, "rejected/2025-05-02/ERRORS.txt"))
	if !strings.Contains(string(errorsTxt), `clients.csv line 2, column 9 (since): "15/03/2021" is not a date`) {
		t.Errorf("ERRORS.txt: %s", errorsTxt)
	}
	again, err := FromInbox(ctx, pool, inbox, Options{})
	if err != nil || len(again) != 0 {
		t.Errorf("second run imported %d feeds (%v)", len(again), err)
	}
	recs, total, err := List(ctx, pool, ListFilter{})
	if err != nil || total != 2 || recs[0].Source != SourceInbox || recs[0].Status != Rejected || recs[1].Status != Applied {
		t.Errorf("imports list: %+v, %d, %v", recs, total, err)
	}
}

// semicolons turns a feed into what Excel saves as CSV in Bulgarian,
// Romanian or Russian: values separated by semicolons (quoted where they hold
// one, as the income column does) and amounts with a decimal comma.
func semicolons(t *testing.T, feed map[string][]byte) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for name, b := range feed {
		rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		for i, row := range rows {
			for j, v := range row {
				if name == Facts.FileName() && i > 0 && (rows[0][j] == "turnover" || rows[0][j] == "avg_balance" || rows[0][j] == "income") {
					row[j] = strings.ReplaceAll(v, ".", ",")
				}
			}
		}
		var buf bytes.Buffer
		w := csv.NewWriter(&buf)
		w.Comma = ';'
		w.UseCRLF = true
		if err := w.WriteAll(rows); err != nil {
			t.Fatal(err)
		}
		out[name] = append([]byte("\uFEFF"), buf.Bytes()...)
	}
	return out
}

func TestSemicolonsAndDecimalCommaReadLikePlainFiles(t *testing.T) {
	t.Parallel()
	plain := readFeed(t, exampleFeed)
	saved := semicolons(t, plain)
	if !bytes.Contains(saved[Facts.FileName()], []byte(`;"CA-MAIN=35,00;EBANK=12,00;ACQ-POS=410,75"`)) {
		t.Fatalf("the fixture is not what Excel writes:\n%s", saved[Facts.FileName()])
	}
	t.Run("told by the header", func(t *testing.T) {
		pool := dbtest.New(t)
		mustApply(t, pool, saved)
		sameFeed(t, plain, exportFeed(t, pool))
	})
	t.Run("told by the importer", func(t *testing.T) {
		// A semicolon file whose amounts have a decimal point, as the
		// command's --delimiter ';' --decimal-comma=false say.
		pool := dbtest.New(t)
		point := false
		res, err := Import(context.Background(), pool, files(semicolonsWithPoint(t, plain)), Options{Origin: "test", Format: Format{Delimiter: ';', DecimalComma: &point}})
		if err != nil || res.Status != Applied {
			t.Fatalf("import: %v %s %v", err, res.Status, res.Errors)
		}
		sameFeed(t, plain, exportFeed(t, pool))
	})
	t.Run("a point where a comma is due", func(t *testing.T) {
		pool := dbtest.New(t)
		bad := edit(saved, Facts.FileName(), replace("86400,00", "86400.00"))
		res := importFeed(t, pool, bad)
		if res.Status != Rejected || res.ErrorCount != 1 || res.Errors[0].Line != 2 || res.Errors[0].Column != "turnover" ||
			!strings.Contains(res.Errors[0].Message, "this file's decimal separator is a comma") {
			t.Errorf("status %s, errors %v", res.Status, res.Errors)
		}
	})
}

// semicolonsWithPoint is a semicolon feed that keeps decimal points.
func semicolonsWithPoint(t *testing.T, plain map[string][]byte) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for name, b := range plain {
		rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		w := csv.NewWriter(&buf)
		w.Comma = ';'
		if err := w.WriteAll(rows); err != nil {
			t.Fatal(err)
		}
		out[name] = buf.Bytes()
	}
	return out
}

// The templates the imports page offers are a feed of their own: their
// example rows refer to one another and import into an empty database.
func TestTemplatesImportIntoAnEmptyDatabase(t *testing.T) {
	t.Parallel()
	feed := map[string][]byte{}
	for _, k := range Kinds {
		b := Template(k)
		if lines := strings.Count(string(b), "\n"); lines != 2 {
			t.Errorf("%s: %d lines, want a header and an example", k.FileName(), lines)
		}
		feed[k.FileName()] = b
	}
	pool := dbtest.New(t)
	res := mustApply(t, pool, feed)
	for _, f := range res.Files {
		if f.Rows != 1 || f.Inserted != 1 {
			t.Errorf("%s: %d rows, %d inserted", f.Name, f.Rows, f.Inserted)
		}
	}
	var z bytes.Buffer
	if err := WriteTemplates(&z); err != nil {
		t.Fatal(err)
	}
	res, err := ImportZip(context.Background(), pool, bytes.NewReader(z.Bytes()), int64(z.Len()), Options{Origin: "templates.zip"})
	if err != nil || res.Status != Applied || res.Rows() != int64(len(Kinds)) {
		t.Errorf("the templates' zip: %v %s %d rows %v", err, res.Status, res.Rows(), res.Errors)
	}
}
