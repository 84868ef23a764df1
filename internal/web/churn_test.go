package web_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/relaycrm/relay/internal/dbtest"
	"github.com/relaycrm/relay/internal/demotest"
	"github.com/relaycrm/relay/internal/exports"
	"github.com/relaycrm/relay/internal/money"
	"github.com/relaycrm/relay/internal/reasons"
	"github.com/relaycrm/relay/internal/webtest"
	"github.com/relaycrm/relay/seeds"
)

// churnServer serves a 2,000-client demo bank after one nightly run.
func churnServer(t *testing.T) *webtest.Server {
	t.Helper()
	return webtest.Start(t, demotest.Scored(t, 2000), webtest.Options{Now: func() time.Time { return dbtest.DemoNow }})
}

// churnPeople are the logins of the manager with the most warned clients and
// of their branch head.
func churnPeople(t *testing.T, srv *webtest.Server) (manager, head string) {
	t.Helper()
	if err := srv.Pool.QueryRow(context.Background(), `
		SELECT m.login, h.login FROM app_user m JOIN app_user h ON h.branch_id = m.branch_id AND h.role = 'branch_head'
		WHERE m.id = (SELECT manager_id FROM client_warning GROUP BY manager_id ORDER BY count(*) DESC, manager_id LIMIT 1)
		ORDER BY h.id LIMIT 1`).Scan(&manager, &head); err != nil {
		t.Fatal(err)
	}
	return manager, head
}

var (
	churnRowRe   = regexp.MustCompile(`data-testid="churn-row" data-client-id="(\d+)"`)
	churnTotalRe = regexp.MustCompile(`data-testid="total">\s*([\d,]+) warned clients`)
)

func churnIDs(body string) []int64 {
	var ids []int64
	for _, m := range churnRowRe.FindAllStringSubmatch(body, -1) {
		id, _ := strconv.ParseInt(m[1], 10, 64)
		ids = append(ids, id)
	}
	return ids
}

func churnTotal(t *testing.T, body string) int {
	t.Helper()
	m := churnTotalRe.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no total on the page: %.300s", problem(body))
	}
	n, _ := strconv.Atoi(strings.ReplaceAll(m[1], ",", ""))
	return n
}

// churnCount counts the warned clients that match where (over client c and
// client_warning w).
func churnCount(t *testing.T, srv *webtest.Server, where string, args ...any) int {
	t.Helper()
	var n int
	if err := srv.Pool.QueryRow(context.Background(),
		`SELECT count(*) FROM client_warning w JOIN client c ON c.id = w.client_id WHERE `+where, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// exportHref reads an export link off the page.
func exportHref(t *testing.T, body, testid string) string {
	t.Helper()
	m := regexp.MustCompile(`href="([^"]+)"[^>]*data-testid="` + testid + `"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no %s link on the page", testid)
	}
	return html.UnescapeString(m[1])
}

// TestChurnListForEveryRole checks who may open the churn list and its
// exports, and that each role's list holds exactly the warned clients it
// may see: the group for the risk team, the branch for a branch head, their
// own for a manager; admins and exports for other roles answer 403.
func TestChurnListForEveryRole(t *testing.T) {
	t.Parallel()
	srv := churnServer(t)
	manager, head := churnPeople(t, srv)
	for _, tc := range []struct {
		login           string
		list, exportsTo int
		where           string
	}{
		{riskLogin, http.StatusOK, http.StatusOK, `true`},
		{head, http.StatusOK, http.StatusForbidden, `c.branch_id = (SELECT branch_id FROM app_user WHERE login = $1)`},
		{manager, http.StatusOK, http.StatusForbidden, `c.manager_id = (SELECT id FROM app_user WHERE login = $1)`},
		{adminLogin, http.StatusForbidden, http.StatusForbidden, ``},
	} {
		t.Run(tc.login, func(t *testing.T) {
			c := srv.NewClient(t)
			c.Login(tc.login, seeds.DemoPassword)
			r := c.Get("/churn")
			if r.Status != tc.list {
				t.Fatalf("/churn answered %d, want %d", r.Status, tc.list)
			}
			for _, path := range []string{"/churn/export.csv", "/churn/export.xlsx?level=high"} {
				if got := c.Get(path); got.Status != tc.exportsTo {
					t.Errorf("%s answered %d, want %d", path, got.Status, tc.exportsTo)
				}
			}
			if tc.where == "" {
				return
			}
			var args []any
			if strings.Contains(tc.where, "$1") {
				args = append(args, tc.login)
			}
			want := churnCount(t, srv, tc.where, args...)
			if got := churnTotal(t, r.Body); got != want || want == 0 {
				t.Errorf("the list counts %d warned clients, the role sees %d", got, want)
			}
			ids := churnIDs(r.Body)
			n := len(args) + 1
			if got := churnCount(t, srv, tc.where+` AND c.id = ANY($`+strconv.Itoa(n)+`)`, append(args, ids)...); got != len(ids) {
				t.Errorf("%d of %d rows are outside the role's scope", len(ids)-got, len(ids))
			}
			if exp := strings.Contains(r.Body, `data-testid="churn-export"`); exp != (tc.exportsTo == http.StatusOK) {
				t.Errorf("export links shown: %v", exp)
			}
		})
	}
	t.Run("signed out", func(t *testing.T) {
		c := srv.NewClient(t)
		for _, path := range []string{"/churn", "/churn/export.csv", "/churn/export.xlsx"} {
			if r := c.Get(path); r.Status != http.StatusSeeOther || r.Location != "/login" {
				t.Errorf("%s answered %d to %q", path, r.Status, r.Location)
			}
		}
	})
	// The risk team's export is recorded; the refused ones are not.
	if n := countAudit(t, srv, "export.churn", riskLogin); n != 2 {
		t.Errorf("%d risk exports in the audit log, want 2", n)
	}
	if n := churnAudits(t, srv, `login <> 'risk'`); n != 0 {
		t.Errorf("%d refused exports in the audit log", n)
	}
}

func churnAudits(t *testing.T, srv *webtest.Server, where string) int {
	t.Helper()
	var n int
	if err := srv.Pool.QueryRow(context.Background(), `SELECT count(*) FROM audit_log WHERE action = 'export.churn' AND `+where).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestChurnListFiltersSortsAndPages(t *testing.T) {
	t.Parallel()
	srv := churnServer(t)
	c := srv.NewClient(t)
	c.Login(riskLogin, seeds.DemoPassword)
	ctx := context.Background()
	// A warned client of the most warned manager gives the bank, region,
	// branch, industry and manager to filter by.
	var bank, region, branch, industry, manager int64
	if err := srv.Pool.QueryRow(ctx, `SELECT c.bank_id, c.region_id, c.branch_id, c.industry_id, c.manager_id
		FROM client_warning w JOIN client c ON c.id = w.client_id
		WHERE w.manager_id = (SELECT manager_id FROM client_warning GROUP BY manager_id ORDER BY count(*) DESC, manager_id LIMIT 1)
		ORDER BY w.score DESC LIMIT 1`).Scan(&bank, &region, &branch, &industry, &manager); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, query, where string
		args               []any
	}{
		{"bank", "bank=" + itoa(bank), "c.bank_id = $1", []any{bank}},
		{"region", "region=" + itoa(region), "c.region_id = $1", []any{region}},
		{"branch", "branch=" + itoa(branch), "c.branch_id = $1", []any{branch}},
		{"industry", "industry=" + itoa(industry), "c.industry_id = $1", []any{industry}},
		{"manager", "branch=" + itoa(branch) + "&manager=" + itoa(manager), "w.manager_id = $1", []any{manager}},
		{"high", "level=high", "w.level = 'high'", nil},
		{"watch", "level=watch", "w.level = 'watch'", nil},
		{"turnover fell", "signal=turnover", "w.turnover_fired", nil},
		{"no contact in a bank", "signal=no_contact&bank=" + itoa(bank), "w.contact_fired AND c.bank_id = $1", []any{bank}},
		{"a product closed, high", "signal=product_closed&level=high", "w.closed_fired AND w.level = 'high'", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := c.Get("/churn?" + tc.query)
			if r.Status != http.StatusOK {
				t.Fatalf("status %d: %s", r.Status, problem(r.Body))
			}
			want := churnCount(t, srv, tc.where, tc.args...)
			if want == 0 {
				t.Fatal("the case selects no warned client; pick another")
			}
			if got := churnTotal(t, r.Body); got != want {
				t.Errorf("total %d, want %d", got, want)
			}
			ids := churnIDs(r.Body)
			if n := churnCount(t, srv, tc.where+` AND c.id = ANY($`+strconv.Itoa(len(tc.args)+1)+`)`, append(tc.args, ids)...); n != len(ids) || n == 0 {
				t.Errorf("%d of %d rows do not match the filter", len(ids)-n, len(ids))
			}
			// The export links carry the filters.
			for _, id := range []string{"export-csv", "export-xlsx"} {
				href, err := url.Parse(exportHref(t, r.Body, id))
				if err != nil {
					t.Fatal(err)
				}
				wantQ, _ := url.ParseQuery(tc.query)
				for k := range wantQ {
					if href.Query().Get(k) != wantQ.Get(k) {
						t.Errorf("%s link %s lacks %s=%s", id, href, k, wantQ.Get(k))
					}
				}
			}
		})
	}

	t.Run("sorted", func(t *testing.T) {
		for _, tc := range []struct{ sort, key string }{
			{"", "-w.probability"}, {"score", "w.probability"}, {"-clv", "-coalesce(s.clv, -1)"}, {"clv", "coalesce(s.clv, 1e18)"},
			{"name", "c.legal_name"}, {"-name", "-c.legal_name"}, {"since", "w.warned_since"},
		} {
			r := c.Get("/churn?sort=" + tc.sort)
			ids := churnIDs(r.Body)
			if r.Status != http.StatusOK || len(ids) < 2 {
				t.Fatalf("sort %q: status %d, %d rows", tc.sort, r.Status, len(ids))
			}
			// The page is in the order the database gives for the key.
			desc := strings.HasPrefix(tc.key, "-")
			key := strings.TrimPrefix(tc.key, "-")
			dir := "ASC"
			if desc {
				dir = "DESC"
			}
			rows, err := srv.Pool.Query(ctx, `SELECT w.client_id FROM client_warning w JOIN client c ON c.id = w.client_id
				LEFT JOIN client_score s ON s.client_id = w.client_id
				WHERE w.client_id = ANY($1) ORDER BY `+key+` `+dir+`, w.probability DESC, w.client_id`, ids)
			if err != nil {
				t.Fatal(err)
			}
			var want []int64
			for rows.Next() {
				var id int64
				_ = rows.Scan(&id)
				want = append(want, id)
			}
			rows.Close()
			if itoas(want) != itoas(ids) {
				t.Errorf("sort %q: page %v, want %v", tc.sort, ids, want)
			}
		}
	})

	t.Run("paged", func(t *testing.T) {
		first, second := c.Get("/churn"), c.Get("/churn?page=2")
		a, b := churnIDs(first.Body), churnIDs(second.Body)
		total := churnTotal(t, first.Body)
		if len(a) != min(25, total) || len(a)+len(b) != min(50, total) || len(b) == 0 {
			t.Fatalf("pages of %d and %d rows of %d", len(a), len(b), total)
		}
		seen := map[int64]bool{}
		for _, id := range append(a, b...) {
			if seen[id] {
				t.Errorf("client %d is on both pages", id)
			}
			seen[id] = true
		}
		if !strings.Contains(first.Body, `data-testid="next"`) {
			t.Error("the first page has no link to the next")
		}
		if r := c.Get("/churn?page=99"); r.Status != http.StatusOK || len(churnIDs(r.Body)) != 0 || churnTotal(t, r.Body) != total {
			t.Errorf("past the last page: %d, %d rows", r.Status, len(churnIDs(r.Body)))
		}
	})

	t.Run("htmx gets the results alone", func(t *testing.T) {
		r := c.GetHTMX("/churn?level=high")
		if r.Status != http.StatusOK || !strings.HasPrefix(strings.TrimSpace(r.Body), `<div id="churn-results">`) || strings.Contains(r.Body, "<html") {
			t.Errorf("htmx answer %d: %.120s", r.Status, r.Body)
		}
		if churnTotal(t, r.Body) != churnCount(t, srv, "w.level = 'high'") {
			t.Error("htmx total")
		}
	})

	t.Run("bad parameters", func(t *testing.T) {
		for _, tc := range []struct{ query, param string }{
			{"bank=north", "bank"}, {"region=-3", "region"}, {"branch=1.5", "branch"}, {"industry=x", "industry"},
			{"manager=0", "manager"}, {"level=severe", "level"}, {"signal=moon", "signal"}, {"sort=size", "sort"},
			{"page=0", "page"}, {"page=two", "page"},
		} {
			for _, path := range []string{"/churn", "/churn/export.csv", "/churn/export.xlsx"} {
				r := c.Get(path + "?" + tc.query)
				if r.Status != http.StatusBadRequest || !strings.Contains(r.Body, tc.param) {
					t.Errorf("%s?%s: %d, want 400 naming %s", path, tc.query, r.Status, tc.param)
				}
				if r.Header.Get("Content-Disposition") != "" {
					t.Errorf("%s?%s: the error page is a download", path, tc.query)
				}
			}
			if r := c.GetHTMX("/churn?" + tc.query); r.Status != http.StatusBadRequest || !strings.Contains(r.Body, `data-testid="filter-errors"`) {
				t.Errorf("htmx %s: %d", tc.query, r.Status)
			}
		}
		if n := churnAudits(t, srv, "true"); n != 0 {
			t.Errorf("%d refused exports are in the audit log", n)
		}
	})
}

func itoas(ids []int64) string {
	var b strings.Builder
	for _, id := range ids {
		b.WriteString(strconv.FormatInt(id, 10) + " ")
	}
	return b.String()
}

// TestChurnListShowsTheWarning checks a row against its warning: the link to
// the card, the fired signals with their figures and shares, the value at
// risk in the bank's currency, and the month the data is as of.
func TestChurnListShowsTheWarning(t *testing.T) {
	t.Parallel()
	srv := churnServer(t)
	c := srv.NewClient(t)
	c.Login(riskLogin, seeds.DemoPassword)
	var id, clv int64
	var name, currency string
	var stored []byte
	var digits int
	var share float64
	if err := srv.Pool.QueryRow(context.Background(), `
		SELECT w.client_id, c.legal_name, s.clv, b.currency, b.minor_digits, w.turnover_figures, w.turnover_share
		FROM client_warning w JOIN client c ON c.id = w.client_id JOIN bank b ON b.id = c.bank_id
		JOIN client_score s ON s.client_id = w.client_id
		WHERE w.turnover_fired AND s.clv IS NOT NULL ORDER BY w.probability DESC, w.client_id LIMIT 1`).
		Scan(&id, &name, &clv, &currency, &digits, &stored, &share); err != nil {
		t.Fatal(err)
	}
	figures, err := reasons.Signal("en", stored, reasons.Currency{Code: currency, MinorDigits: digits})
	if err != nil {
		t.Fatal(err)
	}
	r := c.Get("/churn?signal=turnover")
	if r.Status != http.StatusOK {
		t.Fatalf("status %d", r.Status)
	}
	i := strings.Index(r.Body, `data-client-id="`+itoa(id)+`"`)
	if i < 0 {
		t.Fatalf("client %d is not on the first page", id)
	}
	// the row runs to the next one (its cell of inputs holds a table of its own)
	row := r.Body[i:]
	if j := strings.Index(row[1:], `data-testid="churn-row"`); j >= 0 {
		row = row[:j+1]
	}
	for _, want := range []string{
		`href="/clients/` + itoa(id) + `"`, html.EscapeString(name), html.EscapeString(figures),
		strconv.Itoa(int(share*100+0.5)) + "%", money.Whole(clv, currency, digits), "Turnover fell",
		`data-testid="churn-reasons"`, "Turnover fall (signal strength)",
	} {
		if !strings.Contains(row, want) {
			t.Errorf("the row lacks %q:\n%s", want, row)
		}
	}
	if !strings.Contains(r.Body, `data-testid="as-of">Warnings as of Oct 2026<`) {
		t.Error("the page does not say the month its data is as of")
	}
}

// TestChurnExportsOverHTTP downloads both exports through the page's links
// and compares them with the list, the formula-looking name escaped, and
// reads their audit entries.
func TestChurnExportsOverHTTP(t *testing.T) {
	t.Parallel()
	srv := churnServer(t)
	ctx := context.Background()
	var formulaID int64
	if err := srv.Pool.QueryRow(ctx, `UPDATE client SET legal_name = '=2+5' WHERE id = (
		SELECT client_id FROM client_warning WHERE level = 'high' ORDER BY client_id LIMIT 1) RETURNING id`).Scan(&formulaID); err != nil {
		t.Fatal(err)
	}
	c := srv.NewClient(t)
	c.Login(riskLogin, seeds.DemoPassword)
	page := c.Get("/churn?level=high&sort=-clv")
	ids, total := churnIDs(page.Body), churnTotal(t, page.Body)

	csvRes := c.Get(exportHref(t, page.Body, "export-csv"))
	if csvRes.Status != http.StatusOK || !strings.HasPrefix(csvRes.Header.Get("Content-Type"), "text/csv") ||
		!regexp.MustCompile(`^attachment; filename="relay-churn-[0-9-]+\.csv"$`).MatchString(csvRes.Header.Get("Content-Disposition")) {
		t.Fatalf("CSV: %d %v", csvRes.Status, csvRes.Header)
	}
	if !strings.HasPrefix(csvRes.Body, "\ufeff") {
		t.Error("the CSV for people does not start with a UTF-8 byte order mark")
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(csvRes.Body, "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows)-1 != total || strings.Join(rows[0], ",") != strings.Join(exports.ChurnHeader, ",") {
		t.Fatalf("CSV: %d rows for %d warned clients; header %v", len(rows)-1, total, rows[0])
	}
	for i, id := range ids {
		if rows[i+1][0] != itoa(id) {
			t.Fatalf("CSV row %d is client %s, the page's is %d", i+1, rows[i+1][0], id)
		}
	}
	for _, r := range rows[1:] {
		if r[13] != "high" {
			t.Errorf("a %s warning in the export of high ones", r[13])
		}
		if r[0] == itoa(formulaID) && r[2] != "'=2+5" {
			t.Errorf("the formula name is written %q", r[2])
		}
	}

	xlsxRes := c.Get(exportHref(t, page.Body, "export-xlsx"))
	if xlsxRes.Status != http.StatusOK || xlsxRes.Header.Get("Content-Type") != exports.XLSX.ContentType() {
		t.Fatalf("XLSX: %d %v", xlsxRes.Status, xlsxRes.Header)
	}
	f, err := excelize.OpenReader(bytes.NewReader([]byte(xlsxRes.Body)))
	if err != nil {
		t.Fatalf("the XLSX does not open: %v", err)
	}
	defer f.Close()
	sheet, err := f.GetRows("Churn list")
	if err != nil {
		t.Fatal(err)
	}
	if len(sheet) != len(rows) {
		t.Fatalf("XLSX has %d rows, CSV %d", len(sheet), len(rows))
	}
	for i := range rows {
		for j := range rows[i] {
			got := ""
			if j < len(sheet[i]) {
				got = sheet[i][j]
			}
			if got != rows[i][j] {
				t.Fatalf("row %d, %s: XLSX %q, CSV %q", i, exports.ChurnHeader[j], got, rows[i][j])
			}
		}
	}

	// Both exports are on record: who, from where, the filters, the rows.
	dbRows, err := srv.Pool.Query(ctx, `SELECT login, host(ip), details FROM audit_log WHERE action = 'export.churn' ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer dbRows.Close()
	var formats []string
	for dbRows.Next() {
		var login, ip string
		var raw []byte
		if err := dbRows.Scan(&login, &ip, &raw); err != nil {
			t.Fatal(err)
		}
		var d struct {
			Format, Role string
			Rows         int
			Complete     bool
			Filters      map[string]any
		}
		if err := json.Unmarshal(raw, &d); err != nil {
			t.Fatal(err)
		}
		if login != riskLogin || ip != "127.0.0.1" || d.Rows != total || !d.Complete || d.Role != "risk" ||
			d.Filters["level"] != "high" || d.Filters["sort"] != "-clv" {
			t.Errorf("audit entry %s %s %s", login, ip, raw)
		}
		formats = append(formats, d.Format)
	}
	if strings.Join(formats, ",") != "csv,xlsx" {
		t.Errorf("audit entries for %v", formats)
	}
}
