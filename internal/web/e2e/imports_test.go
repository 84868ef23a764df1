package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/relaycrm/relay/internal/dbtest"
	"github.com/relaycrm/relay/internal/imports"
	"github.com/relaycrm/relay/internal/webtest"
)

// gate blocks a file until it is opened: a feed still arriving, so that the
// import is caught mid-way.
type gate struct {
	open chan struct{}
	r    io.Reader
}

func (g *gate) Read(p []byte) (int, error) {
	<-g.open
	return g.r.Read(p)
}

// TestImportsPageFollowsARunningImport opens the imports page while a feed of
// 20,000 new clients is half read, checks that it shows the step and each
// file's rows, and that it follows the import to its end.
func TestImportsPageFollowsARunningImport(t *testing.T) {
	t.Parallel()
	defer func(d time.Duration) { imports.ProgressEvery = d }(imports.ProgressEvery)
	imports.ProgressEvery = 200 * time.Millisecond
	pool := dbtest.NewDemo(t, 2000)
	srv := webtest.Start(t, pool, webtest.Options{Now: func() time.Time { return dbtest.DemoNow }})

	dir := filepath.Join("..", "..", "..", "docs", "feed-example")
	var files []imports.File
	for _, name := range []string{"group.csv", "banks.csv", "regions.csv", "industries.csv"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, imports.File{Name: name, Body: bytes.NewReader(b)})
	}
	var first, rest bytes.Buffer
	first.WriteString("bank,ref,tax_id,legal_name,branch,region,industry,size_band,since,left_on,manager\n")
	for i := range 20000 {
		w := &first
		if i >= 10000 {
			w = &rest
		}
		fmt.Fprintf(w, "BN,E2E-%05d,BGE2E%06d,Arrival %d EOOD,BN-SOF-1,BG-SOF,G,small,2024-01-%02d,,\n", i, i, i, 1+i%28)
	}
	g := &gate{open: make(chan struct{}), r: &rest}
	files = append(files, imports.File{Name: "clients.csv", Body: io.MultiReader(&first, g)})
	done := make(chan imports.Result, 1)
	go func() {
		res, err := imports.Import(context.Background(), pool, files, imports.Options{Origin: "/inbox/2026-11-30", Source: imports.SourceInbox})
		if err != nil {
			t.Error(err)
		}
		done <- res
	}()
	defer func() {
		select {
		case <-g.open:
		default:
			close(g.open)
		}
	}()

	ctx := browser(t)
	if err := chromedp.Do(ctx, signIn(srv.URL, "admin"), chromedp.Navigate(srv.URL+"/admin/imports"),
		chromedp.WaitVisible(`[data-testid=import-progress]`)); err != nil {
		t.Fatal(err)
	}
	// The list follows the import until clients.csv shows its first half.
	var progress string
	for deadline := time.Now().Add(30 * time.Second); !strings.Contains(progress, "10,000"); {
		if time.Now().After(deadline) {
			t.Fatalf("the page never showed 10,000 rows read: %q", progress)
		}
		time.Sleep(300 * time.Millisecond)
		var err error
		if progress, err = textOf(ctx, `[data-testid=import-progress]`); err != nil {
			t.Fatal(err)
		}
	}
	step, err := textOf(ctx, `[data-testid=import-step]`)
	if err != nil || step != "reading clients.csv" {
		t.Errorf("step %q (%v)", step, err)
	}
	screenshot(t, ctx, "admin-import-running")

	close(g.open)
	res := <-done
	if res.Status != imports.Applied {
		t.Fatalf("import: %s %v", res.Status, res.Errors)
	}
	// The page, following the import, shows it applied without a reload.
	if err := chromedp.Do(ctx, chromedp.WaitNotPresent(`[data-testid=import-progress]`)); err != nil {
		t.Fatal(err)
	}
	row, err := textOf(ctx, `[data-testid=import-row]`)
	if err != nil || !strings.Contains(row, "applied") || !strings.Contains(row, "20,011") {
		t.Errorf("the finished import's row: %q (%v)", row, err)
	}
	screenshot(t, ctx, "admin-import-applied")

	// The reference data the feed set up, on the page that edits it.
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/admin/reference?bank=BN"), chromedp.WaitVisible(`[data-testid=bank-form]`)); err != nil {
		t.Fatal(err)
	}
	code, err := chromedp.Run(ctx, chromedp.Value(`#bank-code`))
	if err != nil || code != "BN" {
		t.Errorf("the bank form is not filled with BN: %q (%v)", code, err)
	}
	screenshot(t, ctx, "admin-reference")
}
