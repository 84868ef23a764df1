package e2e

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/relaycrm/relay/internal/dbtest"
	"github.com/relaycrm/relay/internal/demotest"
	"github.com/relaycrm/relay/internal/webtest"
)

// TestBranchHeadReassignsAClient walks the branch head's review: the
// pipeline of the branch, a manager's book, a reassignment refused for want
// of a target, then one client given to a colleague.
func TestBranchHeadReassignsAClient(t *testing.T) {
	t.Parallel()
	pool := demotest.Scored(t, 2000)
	ctx0 := context.Background()
	now := dbtest.DemoNow
	// A colleague for the branch's manager, holding every third client, and a
	// year of work on the branch's triggers.
	var mgr, colleague int64
	if err := pool.QueryRow(ctx0, `SELECT id FROM app_user WHERE login = 'mgr.bn-sof-1.01'`).Scan(&mgr); err != nil {
		t.Fatal(err)
	}
	if err := pool.QueryRow(ctx0, `
		WITH m AS (
		    INSERT INTO app_user (group_id, login, name, role, branch_id, password_hash)
		    SELECT group_id, 'mgr.bn-sof-1.02', 'Bistra Dimitrova', 'manager', branch_id, password_hash FROM app_user WHERE id = $1
		    RETURNING id),
		moved AS (UPDATE client c SET manager_id = m.id FROM m WHERE c.manager_id = $1 AND c.id % 3 = 0)
		SELECT id FROM m`, mgr).Scan(&colleague); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx0, `
		WITH b AS (
		    SELECT t.id, row_number() OVER (ORDER BY t.id) AS rn
		    FROM cross_sell_trigger t JOIN client c ON c.id = t.client_id
		    WHERE c.branch_id = (SELECT branch_id FROM app_user WHERE id = $1) AND NOT t.hidden
		      AND t.status IN ('new', 'contacted', 'offered'))
		UPDATE cross_sell_trigger t SET
		    status = (ARRAY['new', 'contacted', 'offered', 'won', 'lost', 'dismissed', 'new'])[b.rn % 7 + 1],
		    status_reason = CASE WHEN b.rn % 7 IN (4, 5) THEN 'Not relevant for this client' ELSE '' END,
		    closed_at = CASE WHEN b.rn % 7 BETWEEN 3 AND 5 THEN $2::timestamptz - interval '3 days' END,
		    won_confirmed_at = CASE WHEN b.rn % 7 = 3 AND b.rn % 3 <> 0 THEN $2::timestamptz - make_interval(months => (b.rn % 11)::integer) END,
		    raised_at = $2::timestamptz - interval '330 days',
		    status_changed_at = $2::timestamptz - make_interval(days => (b.rn % 25)::integer)
		FROM b WHERE b.id = t.id`, mgr, now); err != nil {
		t.Fatal(err)
	}
	srv := webtest.Start(t, pool, webtest.Options{Now: func() time.Time { return now }})
	ctx := browser(t)

	// The branch head lands on the pipeline.
	if err := chromedp.Do(ctx, signIn(srv.URL, "head.bn-sof-1"), chromedp.WaitVisible(`[data-testid=pipeline-managers]`)); err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, "pipeline-branch-head")
	currency, err := chromedp.Run(ctx, chromedp.Text(`[data-testid=currency]`))
	if err != nil || currency != "EUR" {
		t.Errorf("currency %q (%v)", currency, err)
	}
	rows, err := chromedp.Run(ctx, chromedp.Text(`[data-testid=pipeline-managers] tbody`))
	if err != nil || !strings.Contains(rows, "Maria Ivanova") || !strings.Contains(rows, "Bistra Dimitrova") {
		t.Errorf("the table lists %q (%v), want both managers", rows, err)
	}

	// Into Maria Ivanova's book.
	mgrID := strconv.FormatInt(mgr, 10)
	if err := chromedp.Do(ctx,
		chromedp.Click(`[data-testid=pipeline-manager][data-manager-id="`+mgrID+`"] [data-testid=manager-link]`),
		chromedp.WaitVisible(`[data-testid=manager-clients]`),
	); err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, "pipeline-manager-book")
	attr, err := chromedp.Run(ctx, chromedp.AttributeValue(`[data-testid=book-client]`, "data-client-id"))
	if err != nil || !attr.Exists {
		t.Fatalf("no client in the book: %v", err)
	}
	client := attr.Value
	row := `[data-testid=book-client][data-client-id="` + client + `"]`
	name, err := chromedp.Run(ctx, chromedp.Text(row+` a`))
	if err != nil {
		t.Fatal(err)
	}

	// Selected, but no manager chosen: refused, the selection kept.
	if err := chromedp.Do(ctx,
		chromedp.Click(row+` [data-testid=client-check]`),
		chromedp.Click(`[data-testid=reassign-submit]`),
		chromedp.WaitVisible(`[data-testid=reassign-errors]`),
	); err != nil {
		t.Fatal(err)
	}
	msg, err := chromedp.Run(ctx, chromedp.Text(`[data-testid=reassign-errors]`))
	if err != nil || !strings.Contains(msg, "Choose the manager") {
		t.Errorf("refusal says %q (%v)", msg, err)
	}
	screenshot(t, ctx, "pipeline-reassign-refused")

	// Now to Bistra Dimitrova.
	if err := chromedp.Do(ctx,
		chromedp.SetValue(`#to`, strconv.FormatInt(colleague, 10)),
		chromedp.Click(`[data-testid=reassign-submit]`),
		chromedp.WaitVisible(`[data-testid=flash]`),
	); err != nil {
		t.Fatal(err)
	}
	flash, err := chromedp.Run(ctx, chromedp.Text(`[data-testid=flash]`))
	if err != nil || !strings.Contains(flash, "Reassigned "+name+" from Maria Ivanova to Bistra Dimitrova") {
		t.Errorf("flash %q (%v)", flash, err)
	}
	screenshot(t, ctx, "pipeline-reassigned")
	var now2 int64
	if err := pool.QueryRow(ctx0, `SELECT manager_id FROM client WHERE id = $1::bigint`, client).Scan(&now2); err != nil {
		t.Fatal(err)
	}
	if now2 != colleague {
		t.Errorf("the client's manager is %d, want %d", now2, colleague)
	}
	var audited int
	if err := pool.QueryRow(ctx0, `SELECT count(*) FROM audit_log WHERE action = 'client.reassign' AND login = 'head.bn-sof-1'`).Scan(&audited); err != nil || audited != 1 {
		t.Errorf("%d client.reassign entries (%v)", audited, err)
	}
}
