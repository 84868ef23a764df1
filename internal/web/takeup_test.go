package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/relaycrm/relay/internal/db"
	"github.com/relaycrm/relay/internal/dbtest"
	"github.com/relaycrm/relay/internal/demotest"
	"github.com/relaycrm/relay/internal/i18n"
	"github.com/relaycrm/relay/internal/settings"
	"github.com/relaycrm/relay/internal/takeup"
	"github.com/relaycrm/relay/internal/webtest"
	"github.com/relaycrm/relay/seeds"
)

// TestTakeupPage fits a take-up model on a 2,000-client demo bank (once per
// build of the code, in the template it clones) and reads its page as a
// branch head: the model's out-of-time figures beside the
// ideal-set rule's and popularity's, overall, by bank and by product, as the
// card holds them. A manager may not see it.
func TestTakeupPage(t *testing.T) {
	if testing.Short() {
		t.Skip("fits a model")
	}
	t.Parallel()
	ctx := context.Background()
	pool := demotest.ScoredThen(t, 2000, "takeup-fit", dbtest.After{
		Version: "takeup-fit-" + dbtest.ExecutableVersion(t), Do: fitTakeup})
	var fit takeup.FitOutcome
	var card []byte
	fit.Bundle = &takeup.Bundle{}
	if err := pool.QueryRow(ctx, `SELECT model_id, card FROM web_test_takeup_fit`).Scan(&fit.ModelID, &card); err != nil {
		t.Fatalf("the fit of the template: %v", err)
	}
	if err := json.Unmarshal(card, &fit.Bundle.Card); err != nil {
		t.Fatal(err)
	}
	srv := webtest.Start(t, pool, webtest.Options{Now: func() time.Time { return dbtest.DemoNow }})
	head := srv.NewClient(t)
	head.Login(headLogin, seeds.DemoPassword)
	r := head.Get("/takeup")
	if r.Status != 200 {
		t.Fatalf("take-up page: %d", r.Status)
	}
	c := fit.Bundle.Card
	want := []string{fmt.Sprintf(`href="/takeup?model=%d"`, fit.ModelID), `data-testid="takeup-card"`,
		fmt.Sprintf("%.2f", c.Overall.Model.Lift10), fmt.Sprintf("%.2f", c.Overall.Rule.Lift10),
		fmt.Sprintf("%.2f", c.Overall.Popularity.Lift10), c.Products[1].Name}
	for _, b := range c.Banks {
		want = append(want, html.EscapeString(b.Why))
	}
	for _, w := range want {
		if !strings.Contains(r.Body, w) {
			t.Errorf("the take-up page lacks %q", w)
		}
	}
	// in Bulgarian and Russian: each bank's and product's verdict in the
	// language, from the key and figures the card keeps
	for _, l := range []i18n.Locale{i18n.Bulgarian, i18n.Russian} {
		hc := srv.NewClient(t)
		hc.Lang = string(l)
		hc.Login(headLogin, seeds.DemoPassword)
		r := hc.Get("/takeup")
		if target := html.EscapeString(l.Plural("takeup.target", int64(c.Horizon))); c.Horizon == 0 || !strings.Contains(r.Body, target) ||
			strings.Contains(r.Body, html.EscapeString(c.Target)) {
			t.Errorf("%s: the card does not say its target %q in the language (stored %q)", l, target, c.Target)
		}
		for _, b := range c.Banks {
			if b.WhyKey == "" || !strings.Contains(r.Body, html.EscapeString(b.WhyIn(l))) || strings.Contains(r.Body, html.EscapeString(b.Why)) {
				t.Errorf("%s: bank %s's verdict is not %q (key %q)", l, b.Code, b.WhyIn(l), b.WhyKey)
			}
		}
		for _, p := range c.Products {
			if p.WhyKey == "" {
				t.Errorf("product %s's why has no key", p.Code)
			}
			// the page says why only for a product that keeps its popularity
			if !p.Learned && !strings.Contains(r.Body, html.EscapeString(p.WhyIn(l))) {
				t.Errorf("%s: product %s's why is not %q (key %q)", l, p.Code, p.WhyIn(l), p.WhyKey)
			}
			// and a learned one's strongest inputs, from their codes
			if p.Learned && (len(p.StrongestInputs) == 0 || !strings.Contains(r.Body, html.EscapeString(p.StrongestIn(l))) ||
				strings.Contains(r.Body, html.EscapeString(strings.Join(p.Strongest, ", ")))) {
				t.Errorf("%s: product %s's strongest inputs are not %q (codes %v)", l, p.Code, p.StrongestIn(l), p.StrongestInputs)
			}
		}
	}
	mgr := srv.NewClient(t)
	mgr.Login(managerLogin, seeds.DemoPassword)
	if r := mgr.Get("/takeup"); r.Status != 403 {
		t.Errorf("a manager gets the take-up page: %d", r.Status)
	}
}

// fitTakeup fits a take-up model on the scored bank (four months, the latest
// held out) and keeps what the fit returned (its model and its card, as Fit
// gave them) in the table web_test_takeup_fit, for the test to check the page
// against. It runs once per build of the code, in the template
// TestTakeupPage clones (demotest.ScoredThen).
func fitTakeup(ctx context.Context, pool *pgxpool.Pool) error {
	g, err := db.Gorm(pool)
	if err != nil {
		return err
	}
	for k, v := range map[string]string{"takeup.months": "4", "takeup.test_months": "1", "takeup.min_takers": "10"} {
		if _, err := pool.Exec(ctx, `UPDATE setting SET value = $2 WHERE key = $1`, k, v); err != nil {
			return err
		}
	}
	fit, err := takeup.Fit(ctx, pool, settings.NewStore(pool, g), takeup.FitRequest{})
	if err != nil {
		return fmt.Errorf("fit: %w", err)
	}
	card, err := json.Marshal(fit.Bundle.Card)
	if err != nil {
		return err
	}
	_, err = pool.Exec(ctx, `CREATE TABLE web_test_takeup_fit AS SELECT $1::bigint AS model_id, $2::jsonb AS card`, fit.ModelID, card)
	return err
}
