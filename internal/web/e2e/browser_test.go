// Package e2e drives headless Chromium through Relay's main journeys against
// a real server on a real database. With RELAY_E2E_SCREENSHOTS=1 (`make
// screenshots`) it also keeps a screenshot of each step in screenshots/.
package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromium finds the browser; make test installs Debian's chromium.
func chromium(t *testing.T) string {
	t.Helper()
	for _, p := range []string{os.Getenv("RELAY_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"} {
		if p == "" {
			continue
		}
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	if os.Getenv("RELAY_SKIP_E2E") == "1" {
		t.Skip("RELAY_SKIP_E2E=1 and no Chromium found")
	}
	t.Fatal("Chromium is not installed; `make test` installs it (apt-get install -y chromium)")
	return ""
}

// windowWidth and windowHeight are the desktop window every test's tab has:
// the layout checks measure pages against it.
const windowWidth, windowHeight = 1400, 1000

// shared is the one Chromium of the test binary. Starting a browser with a
// fresh profile cost about 3.5 CPU seconds (measured alone, in a cgroup), and
// the journeys used to start one per test and subtest; each test now gets a
// browser context of its own in this browser instead (an incognito-like
// profile: its own cookies, storage and cache, disposed with it), which
// TestEachTestHasAWindowOfItsOwn checks.
var shared struct {
	once   sync.Once
	ctx    context.Context
	cancel context.CancelFunc
	err    error
}

// TestMain closes the shared browser once every test has run.
func TestMain(m *testing.M) {
	code := m.Run()
	if shared.cancel != nil {
		shared.cancel()
	}
	os.Exit(code)
}

// startChromium starts the shared browser.
func startChromium(path string) {
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		// Two tests' windows are open at once; neither may be throttled
		// as a window in the background.
		chromedp.Flag("disable-background-timer-throttling", true),
		chromedp.Flag("disable-backgrounding-occluded-windows", true),
		chromedp.Flag("disable-renderer-backgrounding", true),
		chromedp.WindowSize(windowWidth, windowHeight),
	}
	dir, err := os.MkdirTemp("", "relay-e2e-chromium-")
	if err != nil {
		shared.err = err
		return
	}
	opts = append(opts, chromedp.UserDataDir(dir))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelBrowser := chromedp.NewContext(actx)
	shared.ctx = ctx
	shared.cancel = func() {
		cancelBrowser()
		cancelAlloc()
		_ = os.RemoveAll(dir)
	}
	shared.err = chromedp.Do(ctx)
}

// browser gives the test a tab in a browser context of its own in the shared
// Chromium (started by the first test that asks), closed when the test ends.
func browser(t *testing.T) context.Context {
	t.Helper()
	path := chromium(t)
	shared.once.Do(func() { startChromium(path) })
	if shared.err != nil {
		t.Fatalf("start chromium: %v", shared.err)
	}
	ctx, cancel := chromedp.NewContext(shared.ctx, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	ctx, cancel2 := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(cancel2)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("open a tab: %v", err)
	}
	return ctx
}

// screenshotsWanted says whether the journeys keep their screenshots. The
// pictures are for people to look at (no test reads them) and a full-page PNG
// costs Chromium about 2 CPU seconds, 35 of them a run, so `make test` takes
// none and `make screenshots` sets RELAY_E2E_SCREENSHOTS=1 to take them all.
var screenshotsWanted = os.Getenv("RELAY_E2E_SCREENSHOTS") == "1"

// screenshot saves the full page as screenshots/name.png when screenshots
// are wanted.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	if !screenshotsWanted {
		return
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	dir := "screenshots"
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// textOf reads the text of the first element sel selects (as chromedp.Text
// does: its innerText, "" when it is hidden) in one step in the page, once
// there is one. chromedp.Text finds the node and reads it in two calls, and
// an htmx swap between them (the imports page's refresh every 2 s, a filtered
// list still settling) fails the read with "No node with given id found";
// the full-page screenshots taken before such reads used to give the page
// time to settle.
func textOf(ctx context.Context, sel string) (string, error) {
	q, err := json.Marshal(sel)
	if err != nil {
		return "", err
	}
	got, err := chromedp.Run(ctx, chromedp.Poll[[]string](`(() => {
		const e = document.querySelector(`+string(q)+`);
		if (!e) return null;
		return [e.offsetWidth || e.offsetHeight || e.getClientRects().length ? e.innerText : ''];
	})()`))
	if err != nil {
		return "", fmt.Errorf("text of %s: %w", sel, err)
	}
	return got[0], nil
}
