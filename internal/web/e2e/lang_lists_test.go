package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/relaycrm/relay/internal/dbtest"
	"github.com/relaycrm/relay/internal/demotest"
	"github.com/relaycrm/relay/internal/webtest"
)

// TestListsInBulgarianAndRussian opens the client list, the churn list and
// the worklist's triggers as users who chose Bulgarian or Russian on their
// account page (screenshots when wanted), and checks that the longer words
// break no layout: no page is wider than the window, and no filter's label or
// control spills out of the filter bar. Each user signs in once and opens
// their pages in turn in that session, as a person would: the language is the
// account's, so a fresh session per page would only repeat the sign-in.
func TestListsInBulgarianAndRussian(t *testing.T) {
	t.Parallel()
	pool := demotest.Scored(t, 2000)
	srv := webtest.Start(t, pool, webtest.Options{Now: func() time.Time { return dbtest.DemoNow }})
	for _, u := range []struct{ lang, login string }{{"bg", "risk"}, {"ru", "mgr.bn-sof-1.01"}} {
		if _, err := pool.Exec(t.Context(), `UPDATE app_user SET locale = $1 WHERE login = $2`, u.lang, u.login); err != nil {
			t.Fatal(err)
		}
	}
	sessions := map[string]context.Context{}
	for _, tc := range []struct {
		lang, login, path, ready, heading string
	}{
		{"bg", "risk", "/clients", "client-table", "Клиенти"},
		{"bg", "risk", "/churn", "churn-table", "Отлив на клиенти"},
		{"ru", "mgr.bn-sof-1.01", "/clients", "client-table", "Клиенты"},
		{"ru", "mgr.bn-sof-1.01", "/churn", "churn-table", "Отток клиентов"},
		{"ru", "mgr.bn-sof-1.01", "/worklist", "trigger", ""},
	} {
		ctx, ok := sessions[tc.login]
		if !ok {
			ctx = browser(t)
			if err := chromedp.Do(ctx, signIn(srv.URL, tc.login)); err != nil {
				t.Fatalf("sign in as %s: %v", tc.login, err)
			}
			sessions[tc.login] = ctx
		}
		t.Run(tc.lang+tc.path, func(t *testing.T) {
			if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+tc.path),
				chromedp.WaitVisible(`[data-testid=`+tc.ready+`]`)); err != nil {
				t.Fatal(err)
			}
			lang, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement.lang`))
			if err != nil || lang != tc.lang {
				t.Fatalf("html lang %q (%v), want %s", lang, err, tc.lang)
			}
			if tc.heading != "" {
				h1, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('h1').textContent.trim()`))
				if err != nil || h1 != tc.heading {
					t.Errorf("heading %q (%v), want %q", h1, err, tc.heading)
				}
			}
			wide, err := chromedp.Run(ctx, chromedp.Evaluate[bool](
				`document.documentElement.scrollWidth > document.documentElement.clientWidth + 1`))
			if err != nil || wide {
				t.Errorf("the page is wider than the window (%v)", err)
			}
			spill, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`(() => {
				const out = [];
				for (const form of document.querySelectorAll('form.filters')) {
					const box = form.getBoundingClientRect();
					for (const el of form.querySelectorAll('label, select, input, button')) {
						const r = el.getBoundingClientRect();
						if (r.width > 0 && (r.right > box.right + 1 || r.left < box.left - 1)) out.push(el.textContent.trim() || el.name);
					}
				}
				return out;
			})()`))
			if err != nil || len(spill) > 0 {
				t.Errorf("filters spill out of their bar: %v (%v)", spill, err)
			}
			screenshot(t, ctx, "lists-"+tc.lang+"-"+tc.path[1:])
		})
	}
}
