package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/relaycrm/relay/internal/dbtest"
	"github.com/relaycrm/relay/internal/demotest"
	"github.com/relaycrm/relay/internal/webtest"
)

// TestManagerWinsATrigger walks the manager's morning: the worklist, an
// offer moved to won in place, then the client's card showing it won.
func TestManagerWinsATrigger(t *testing.T) {
	t.Parallel()
	pool := demotest.Scored(t, 2000)
	srv := webtest.Start(t, pool, webtest.Options{Now: func() time.Time { return dbtest.DemoNow }})
	ctx := browser(t)
	if err := chromedp.Do(ctx, signIn(srv.URL, "mgr.bn-sof-1.01"), chromedp.WaitVisible(`[data-testid=worklist-actions]`)); err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, "worklist-manager")
	attr, err := chromedp.Run(ctx, chromedp.AttributeValue(`[data-testid=trigger]`, "data-trigger-id"))
	if err != nil || !attr.Exists {
		t.Fatalf("no trigger on the worklist: %v", err)
	}
	id := attr.Value
	row := `#trigger-` + id
	// The move list offers every status the trigger may move to, won among them.
	if err := chromedp.Do(ctx,
		chromedp.SetValue(row+` [data-testid=trigger-to]`, "won"),
		chromedp.Click(row+` [data-testid=trigger-submit]`),
		chromedp.WaitVisible(row+` [data-testid=trigger-saved]`),
	); err != nil {
		t.Fatal(err)
	}
	status, err := chromedp.Run(ctx, chromedp.Text(row+` [data-testid=trigger-status]`))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(status, "Won") {
		t.Errorf("after moving to won the row says %q", status)
	}
	screenshot(t, ctx, "worklist-manager-won")
	var dbStatus string
	if err := pool.QueryRow(context.Background(), `SELECT status FROM cross_sell_trigger WHERE id = $1::bigint`, id).Scan(&dbStatus); err != nil {
		t.Fatal(err)
	}
	if dbStatus != "won" {
		t.Errorf("the trigger is %q in the database", dbStatus)
	}
	// The client's card shows the trigger won and explains its numbers.
	if err := chromedp.Do(ctx,
		chromedp.Click(row+` td a`),
		chromedp.WaitVisible(`[data-testid=nightly]`),
	); err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, "card-manager-scored")
	for _, sel := range []string{`[data-testid=card-segment]`, `[data-testid=ideal-set]`, `[data-testid=warning]`, `[data-testid=card-triggers]`} {
		if _, err := chromedp.Run(ctx, chromedp.Text(sel)); err != nil {
			t.Errorf("the card lacks %s: %v", sel, err)
		}
	}
}

// TestManagerReadsTheSegments opens the segments list and one profile.
func TestManagerReadsTheSegments(t *testing.T) {
	t.Parallel()
	pool := demotest.Scored(t, 2000)
	srv := webtest.Start(t, pool, webtest.Options{Now: func() time.Time { return dbtest.DemoNow }})
	ctx := browser(t)
	if err := chromedp.Do(ctx, signIn(srv.URL, "mgr.bn-sof-1.01"), chromedp.Navigate(srv.URL+"/segments"),
		chromedp.WaitVisible(`[data-testid=segment-table]`)); err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, "segments")
	if err := chromedp.Do(ctx, chromedp.Click(`[data-testid=segment-row] td a`), chromedp.WaitVisible(`[data-testid=segment-products]`)); err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, "segment-profile")
}
