package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/relaycrm/relay/internal/dbtest"
	"github.com/relaycrm/relay/internal/demotest"
	"github.com/relaycrm/relay/internal/webtest"
)

// TestReasonsAndSignalsLookRightInEachLanguage opens, as the risk team, the
// churn list and the card of the riskiest warned client with an open
// trigger in Bulgarian and Russian (the browser's Accept-Language), with
// screenshots when wanted, and checks that the longer words do not push the
// page wider than the window.
func TestReasonsAndSignalsLookRightInEachLanguage(t *testing.T) {
	t.Parallel()
	pool := demotest.Scored(t, 2000)
	srv := webtest.Start(t, pool, webtest.Options{Now: func() time.Time { return dbtest.DemoNow }})
	var client, manager string
	if err := pool.QueryRow(context.Background(), `
		SELECT w.client_id::text, w.manager_id::text FROM client_warning w
		WHERE EXISTS (SELECT 1 FROM cross_sell_trigger t WHERE t.client_id = w.client_id AND NOT t.hidden
		                AND t.status = 'new' AND t.reason_key IS NOT NULL)
		  AND w.manager_id IS NOT NULL
		ORDER BY w.probability DESC, w.client_id LIMIT 1`).Scan(&client, &manager); err != nil {
		t.Fatal(err)
	}
	ctx := browser(t)
	if err := chromedp.Do(ctx, signIn(srv.URL, "risk")); err != nil {
		t.Fatal(err)
	}
	for _, lang := range []string{"bg", "ru"} {
		if err := chromedp.Do(ctx, acceptLanguage(lang)); err != nil {
			t.Fatal(err)
		}
		for _, page := range []struct{ name, path, ready string }{
			// the list of the client's manager: one short page
			{"churn", "/churn?manager=" + manager, `[data-testid=churn-row]`},
			{"card", "/clients/" + client, `[data-testid=client-name]`},
		} {
			if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+page.path), chromedp.WaitVisible(page.ready)); err != nil {
				t.Fatal(err)
			}
			screenshot(t, ctx, "lang-"+lang+"-"+page.name)
			got, err := chromedp.Run(ctx, chromedp.Evaluate[[]any](`[document.documentElement.lang,
				document.documentElement.scrollWidth, document.documentElement.clientWidth]`))
			if err != nil {
				t.Fatal(err)
			}
			if got[0] != lang {
				t.Errorf("%s: the page is in %v, not %s", page.name, got[0], lang)
			}
			if sw, cw := got[1].(float64), got[2].(float64); sw > cw {
				t.Errorf("%s in %s is %v px wide in a %v px window: a long word pushes it out", page.name, lang, sw, cw)
			}
		}
	}
}

// acceptLanguage makes the browser send Accept-Language: lang.
func acceptLanguage(lang string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		if _, err := cdp.Call(ctx, t, network.Enable, network.EnableParams{}); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, t, network.SetExtraHTTPHeaders,
			network.SetExtraHTTPHeadersParams{Headers: network.Headers{"Accept-Language": lang}})
		return err
	})
}
