package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/relaycrm/relay/internal/dbtest"
	"github.com/relaycrm/relay/internal/webtest"
)

// TestAdminJourney signs in as the admin and goes through the administration
// pages: users (a refused form, a user's page), products, a setting edited in
// place (refused, then saved) and the audit log (screenshots when wanted).
func TestAdminJourney(t *testing.T) {
	t.Parallel()
	pool := dbtest.NewDemo(t, 2000)
	srv := webtest.Start(t, pool, webtest.Options{Now: func() time.Time { return dbtest.DemoNow }})
	ctx := browser(t)
	if err := chromedp.Do(ctx, signIn(srv.URL, "admin"), chromedp.WaitVisible(`[data-testid=user-table]`)); err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, "admin-users")

	// a new user with no name and a short password comes back with both marked
	if err := chromedp.Do(ctx,
		chromedp.Click(`[data-testid=new-user]`), chromedp.WaitVisible(`[data-testid=user-form]`),
		chromedp.SendKeys(`#login`, "mgr.e2e"),
		chromedp.SetValue(`#role`, "manager"),
		chromedp.SendKeys(`#password`, "short"), chromedp.SendKeys(`#confirm`, "short"),
		chromedp.Click(`[data-testid=user-submit]`),
		chromedp.WaitVisible(`[data-testid=error-name]`),
	); err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, "admin-user-new-errors")

	if err := chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/admin/users?q=mgr.bn-sof-1.01"), chromedp.WaitVisible(`[data-testid=user-row] a`),
		chromedp.Click(`[data-testid=user-row] a`), chromedp.WaitVisible(`[data-testid=user-name]`),
		chromedp.SetValue(`#branch`, "BN-PLO-1"),
		chromedp.Click(`[data-testid=user-save]`), chromedp.WaitVisible(`[data-testid=error-branch]`),
	); err != nil {
		t.Fatal(err)
	}
	msg, err := chromedp.Run(ctx, chromedp.Text(`[data-testid=error-branch]`))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(msg, "still manages") {
		t.Errorf("branch move: %q", msg)
	}
	screenshot(t, ctx, "admin-user-page")

	if err := chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/admin/products"), chromedp.WaitVisible(`[data-testid=product-table]`),
	); err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, "admin-products")
	if err := chromedp.Do(ctx,
		chromedp.Click(`[data-testid=product-row] a`), chromedp.WaitVisible(`[data-testid=product-form]`),
	); err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, "admin-product")

	// a setting refused and then saved in place, without leaving the page
	row := `[data-key="segment.min_clients"]`
	if err := chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/admin/settings"), chromedp.WaitVisible(row),
		chromedp.SetValue(row+` input[name=value]`, "zero"),
		chromedp.Click(row+` [data-testid=setting-save]`),
		chromedp.WaitVisible(row+` [data-testid=setting-error]`),
	); err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, "admin-settings-error")
	elementShot(t, ctx, "#area-segments", "admin-settings-segments")
	if err := chromedp.Do(ctx,
		chromedp.SetValue(row+` input[name=value]`, "25"),
		chromedp.Click(row+` [data-testid=setting-save]`),
		chromedp.WaitVisible(row+` [data-testid=setting-saved]`),
	); err != nil {
		t.Fatal(err)
	}
	saved, err := chromedp.Run(ctx, chromedp.Text(row+` [data-testid=setting-saved]`))
	if err != nil {
		t.Fatal(err)
	}
	if saved != "Saved: 30 → 25." {
		t.Errorf("status line %q", saved)
	}
	screenshot(t, ctx, "admin-settings")
	elementShot(t, ctx, "#area-segments", "admin-settings-segments-saved")

	if err := chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/admin/audit"), chromedp.WaitVisible(`[data-testid=audit-table]`),
	); err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, "admin-audit")

	// printed, the pages drop navigation, filters and forms
	if err := chromedp.Do(ctx, printMedia("print")); err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, "admin-audit-print")
	if err := chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/admin/users?q=mgr.bn-sof-1.01"), chromedp.WaitReady(`[data-testid=user-row] a`),
		chromedp.Click(`[data-testid=user-row] a`), chromedp.WaitReady(`[data-testid=user-name]`),
	); err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, "admin-user-print")
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/admin/settings"), chromedp.WaitReady(row)); err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, "admin-settings-print")
	if err := chromedp.Do(ctx, printMedia("")); err != nil {
		t.Fatal(err)
	}
}

// printMedia makes the page's CSS see print (or the screen again, with "").
func printMedia(media string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: media})
		return err
	})
}

// elementShot saves the element sel alone as screenshots/name.png, for a
// close look at part of a long page. Without screenshots it still waits for
// sel to be visible, as taking its picture does.
func elementShot(t *testing.T, ctx context.Context, sel, name string) {
	t.Helper()
	if !screenshotsWanted {
		if err := chromedp.Do(ctx, chromedp.WaitVisible(sel)); err != nil {
			t.Fatalf("%s for screenshot %s: %v", sel, name, err)
		}
		return
	}
	png, err := chromedp.Run(ctx, chromedp.Screenshot(sel))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join("screenshots", name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}
