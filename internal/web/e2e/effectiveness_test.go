package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/relaycrm/relay/internal/dbtest"
	"github.com/relaycrm/relay/internal/demotest"
	"github.com/relaycrm/relay/internal/webtest"
)

// TestRiskAndBranchHeadReadTheEffectiveness opens the effectiveness page as
// the risk team and as a branch head on the demo bank with its year of
// trigger history: the totals, the chart of uplift by product and the table.
func TestRiskAndBranchHeadReadTheEffectiveness(t *testing.T) {
	t.Parallel()
	pool := demotest.Scored(t, 2000)
	srv := webtest.Start(t, pool, webtest.Options{Now: func() time.Time { return dbtest.DemoNow }})
	for _, login := range []string{"risk", "head.bn-sof-1"} {
		ctx := browser(t)
		if err := chromedp.Do(ctx, signIn(srv.URL, login), chromedp.Navigate(srv.URL+"/effectiveness"),
			chromedp.WaitVisible(`[data-testid=effect-table]`)); err != nil {
			t.Fatalf("%s: %v", login, err)
		}
		screenshot(t, ctx, "effectiveness-"+strings.SplitN(login, ".", 2)[0])
		total, err := chromedp.Run(ctx, chromedp.Text(`[data-testid=total-uplift]`))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(total, "pts") && total != "not enough cases yet" {
			t.Errorf("%s: the total uplift says %q", login, total)
		}
	}
}
