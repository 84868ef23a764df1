package e2e

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/csv"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"

	"github.com/relaycrm/relay/internal/dbtest"
	"github.com/relaycrm/relay/internal/demotest"
	"github.com/relaycrm/relay/internal/exports"
	"github.com/relaycrm/relay/internal/webtest"
)

// fetchExport downloads an export link of the page with the page's own
// session, as clicking it would, and returns the status, the
// Content-Disposition and the body.
func fetchExport(ctx context.Context, testid string) (status int, disposition string, body []byte, err error) {
	type answer struct {
		Status      int    `json:"status"`
		Disposition string `json:"disposition"`
		Body        string `json:"body"` // base64
	}
	a, err := chromedp.Run(ctx, chromedp.Evaluate[answer](`(async () => {
		const r = await fetch(document.querySelector('[data-testid=`+testid+`]').href);
		const b = new Uint8Array(await r.arrayBuffer());
		let s = '';
		for (let i = 0; i < b.length; i += 8192) s += String.fromCharCode(...b.subarray(i, i + 8192));
		return {status: r.status, disposition: r.headers.get('Content-Disposition') || '', body: btoa(s)};
	})()`, chromedp.EvalAwaitPromise))
	if err != nil {
		return 0, "", nil, err
	}
	body, err = base64.StdEncoding.DecodeString(a.Body)
	return a.Status, a.Disposition, body, err
}

// TestRiskFiltersAndExportsTheChurnList walks the risk team's journey: the
// churn list they land on, narrowed to high warnings in place, both exports
// downloaded through the page's links with the filter on, and a warned
// client's card.
func TestRiskFiltersAndExportsTheChurnList(t *testing.T) {
	t.Parallel()
	pool := demotest.Scored(t, 2000)
	srv := webtest.Start(t, pool, webtest.Options{Now: func() time.Time { return dbtest.DemoNow }})
	ctx := browser(t)
	if err := chromedp.Do(ctx, signIn(srv.URL, "risk"), chromedp.WaitVisible(`[data-testid=churn-table]`)); err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, "churn-risk")

	// Only the high warnings, swapped in place with the URL to match.
	if err := chromedp.Do(ctx,
		chromedp.SetValue(`#level`, "high"),
		chromedp.Click(`[data-testid=churn-filters] button[type=submit]`),
	); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`location.search.includes('level=high') &&
		document.querySelectorAll('[data-testid=churn-level]').length > 0 &&
		[...document.querySelectorAll('[data-testid=churn-level]')].every(e => e.textContent.trim() === 'High')`,
		chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Fatalf("the list did not narrow to high warnings: %v", err)
	}
	screenshot(t, ctx, "churn-risk-high")
	totalText, err := textOf(ctx, `[data-testid=total]`)
	if err != nil {
		t.Fatal(err)
	}
	total, err := strconv.Atoi(strings.ReplaceAll(strings.Fields(totalText)[0], ",", ""))
	if err != nil || total == 0 {
		t.Fatalf("total %q", totalText)
	}

	// The export links carry the filter; both files hold the same rows.
	href, err := chromedp.Run(ctx, chromedp.AttributeValue(`[data-testid=export-csv]`, "href"))
	if err != nil {
		t.Fatal(err)
	}
	if u, err := url.Parse(href.Value); err != nil || u.Query().Get("level") != "high" {
		t.Fatalf("the CSV link %q does not carry the filter", href.Value)
	}
	status, disposition, body, err := fetchExport(ctx, "export-csv")
	if err != nil || status != 200 || !strings.HasPrefix(disposition, "attachment;") {
		t.Fatalf("CSV download: %d %q %v", status, disposition, err)
	}
	rows, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows)-1 != total {
		t.Errorf("the CSV holds %d warnings, the page counts %d", len(rows)-1, total)
	}
	for _, r := range rows[1:] {
		if r[13] != "high" {
			t.Errorf("the CSV holds a %s warning", r[13])
		}
	}
	status, disposition, body, err = fetchExport(ctx, "export-xlsx")
	if err != nil || status != 200 || !strings.HasSuffix(disposition, `.xlsx"`) {
		t.Fatalf("XLSX download: %d %q %v", status, disposition, err)
	}
	f, err := excelize.OpenReader(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("the XLSX does not open: %v", err)
	}
	defer f.Close()
	sheet, err := f.GetRows("Churn list")
	if err != nil {
		t.Fatal(err)
	}
	if len(sheet) != len(rows) || strings.Join(sheet[0], ",") != strings.Join(exports.ChurnHeader, ",") {
		t.Errorf("the XLSX has %d rows, the CSV %d", len(sheet), len(rows))
	}
	var audits int
	if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM audit_log
		WHERE action = 'export.churn' AND login = 'risk' AND details->'filters'->>'level' = 'high'`).Scan(&audits); err != nil || audits != 2 {
		t.Errorf("%d exports in the audit log, want 2 (%v)", audits, err)
	}

	// The riskiest client's card shows its warning.
	name, err := chromedp.Run(ctx, chromedp.Text(`[data-testid=churn-client]`))
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Click(`[data-testid=churn-client]`), chromedp.WaitVisible(`[data-testid=warning-level]`)); err != nil {
		t.Fatal(err)
	}
	if card, err := chromedp.Run(ctx, chromedp.Text(`[data-testid=client-name]`)); err != nil || strings.TrimSpace(card) != strings.TrimSpace(name) {
		t.Errorf("clicked %q, the card shows %q (%v)", name, card, err)
	}
}

// TestBranchHeadSeesTheirChurnList opens a branch head's own churn list (a
// screenshot when wanted): their branch's clients, no bank or branch filter,
// no export.
func TestBranchHeadSeesTheirChurnList(t *testing.T) {
	t.Parallel()
	pool := demotest.Scored(t, 2000)
	srv := webtest.Start(t, pool, webtest.Options{Now: func() time.Time { return dbtest.DemoNow }})
	ctx := browser(t)
	if err := chromedp.Do(ctx, signIn(srv.URL, "head.bn-sof-1"), chromedp.Navigate(srv.URL+"/churn"),
		chromedp.WaitVisible(`[data-testid=churn-filters]`)); err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, "churn-branch_head")
	n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid=churn-export], #bank, #branch').length`))
	if err != nil || n != 0 {
		t.Errorf("a branch head sees %d export links or bank and branch filters (%v)", n, err)
	}
}
