package e2e

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestEachTestHasAWindowOfItsOwn checks what sharing one Chromium must keep:
// a test's tab has the desktop window the layout checks measure against, and
// sees no cookie another test's tab set on the same server.
func TestEachTestHasAWindowOfItsOwn(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte("<!doctype html><title>t</title>"))
	}))
	defer srv.Close()
	first, second := browser(t), browser(t)
	if err := chromedp.Do(first, chromedp.Navigate(srv.URL), chromedp.Evaluate[chromedp.Void](`document.cookie = "session=first"`)); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(second, chromedp.Navigate(srv.URL)); err != nil {
		t.Fatal(err)
	}
	mine, err := chromedp.Run(first, chromedp.Evaluate[string](`document.cookie`))
	if err != nil || mine != "session=first" {
		t.Fatalf("the first tab's cookies: %q (%v), want session=first", mine, err)
	}
	theirs, err := chromedp.Run(second, chromedp.Evaluate[string](`document.cookie`))
	if err != nil || theirs != "" {
		t.Errorf("the second tab sees the cookies %q of the first (%v)", theirs, err)
	}
	width, err := chromedp.Run(second, chromedp.Evaluate[int](`window.innerWidth`))
	if err != nil || width != windowWidth {
		t.Errorf("the tab is %d px wide (%v), want %d", width, err, windowWidth)
	}
}
