package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/relaycrm/relay/internal/dbtest"
	"github.com/relaycrm/relay/internal/webtest"
	"github.com/relaycrm/relay/seeds"
)

// signIn fills the sign-in form as a person would.
func signIn(url, login string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.Navigate(url+"/login"),
		chromedp.WaitVisible(`[data-testid=login-form]`),
		chromedp.SendKeys(`#login`, login),
		chromedp.SendKeys(`#password`, seeds.DemoPassword),
		chromedp.Click(`[data-testid=login-submit]`),
		chromedp.WaitNotPresent(`[data-testid=login-form]`),
	)
}

// TestEachRoleSeesListAndCard signs in as each client-reading role, opens the
// client list and the first client's card (screenshots when wanted).
func TestEachRoleSeesListAndCard(t *testing.T) {
	t.Parallel()
	pool := dbtest.NewDemo(t, 2000)
	srv := webtest.Start(t, pool, webtest.Options{Now: func() time.Time { return dbtest.DemoNow }})
	for _, role := range []struct{ name, login string }{
		{"manager", "mgr.bn-sof-1.01"}, {"branch_head", "head.bn-sof-1"}, {"risk", "risk"},
	} {
		t.Run(role.name, func(t *testing.T) {
			ctx := browser(t)
			if err := chromedp.Do(ctx, signIn(srv.URL, role.login), chromedp.Navigate(srv.URL+"/clients"),
				chromedp.WaitVisible(`[data-testid=client-table]`)); err != nil {
				t.Fatal(err)
			}
			screenshot(t, ctx, "list-"+role.name)
			firstName, err := chromedp.Run(ctx, chromedp.Text(`[data-testid=client-row] td a`))
			if err != nil {
				t.Fatal(err)
			}
			if err := chromedp.Do(ctx, chromedp.Click(`[data-testid=client-row] td a`), chromedp.WaitVisible(`[data-testid=client-name]`)); err != nil {
				t.Fatal(err)
			}
			cardName, err := chromedp.Run(ctx, chromedp.Text(`[data-testid=client-name]`))
			if err != nil {
				t.Fatal(err)
			}
			if strings.TrimSpace(firstName) != strings.TrimSpace(cardName) {
				t.Errorf("clicked %q, card shows %q", firstName, cardName)
			}
			screenshot(t, ctx, "card-"+role.name)
		})
	}
}
