package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/relaycrm/relay/internal/banks"
	"github.com/relaycrm/relay/internal/churn"
	"github.com/relaycrm/relay/internal/db"
	"github.com/relaycrm/relay/internal/dbtest"
	"github.com/relaycrm/relay/internal/demotest"
	"github.com/relaycrm/relay/internal/i18n"
	"github.com/relaycrm/relay/internal/model"
	"github.com/relaycrm/relay/internal/settings"
	"github.com/relaycrm/relay/internal/webtest"
	"github.com/relaycrm/relay/seeds"
)

// TestModelsAndBacktestPages fits a churn model on a 2,000-client demo bank
// (four months, the latest held out) and backtests two months (once per
// build of the code, in the template it clones), then reads the pages: the risk team sees the model with its out-of-time figures and
// each bank's scorer, the model's card, and the backtest's figures as the
// report sums them; an admin switches a bank back to the fixed weights,
// which is audited.
func TestModelsAndBacktestPages(t *testing.T) {
	if testing.Short() {
		t.Skip("fits a model")
	}
	t.Parallel()
	ctx := context.Background()
	pool := demotest.ScoredThen(t, 2000, "churn-fit-and-backtest", dbtest.After{
		Version: "churn-fit-and-backtest-" + dbtest.ExecutableVersion(t), Do: fitAndBacktestChurn})
	var fit churn.FitOutcome
	var bt int64
	var card []byte
	if err := pool.QueryRow(ctx, `SELECT model_id, card, backtest_id FROM web_test_churn_fit`).Scan(&fit.ModelID, &card, &bt); err != nil {
		t.Fatalf("the fit of the template: %v", err)
	}
	if err := json.Unmarshal(card, &fit.Card); err != nil {
		t.Fatal(err)
	}
	rep, err := churn.BacktestReport(ctx, pool, 1, bt)
	if err != nil {
		t.Fatal(err)
	}
	srv := webtest.Start(t, pool, webtest.Options{Now: func() time.Time { return dbtest.DemoNow }})

	risk := srv.NewClient(t)
	risk.Login(riskLogin, seeds.DemoPassword)
	r := risk.Get("/models")
	if r.Status != 200 {
		t.Fatalf("models page: %d", r.Status)
	}
	lift := fmt.Sprintf("%.2f", fit.Card.Test.Lift10)
	for _, want := range []string{fmt.Sprintf(`href="/models/%d"`, fit.ModelID), lift, `data-testid="bank-scorer" data-bank="BN"`} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("the models page lacks %q", want)
		}
	}
	if strings.Contains(r.Body, `data-testid="use-model"`) {
		t.Error("the risk team is offered to switch a bank's scorer")
	}
	r = risk.Get(fmt.Sprintf("/models/%d", fit.ModelID))
	for _, want := range []string{fmt.Sprintf("%.3f", fit.Card.Test.AUC), fmt.Sprintf("%.3f", fit.Card.Baseline.AUC),
		`data-testid="model-calibration"`, `data-testid="model-input"`, "Months without a transaction, last 12"} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("the model's card lacks %q", want)
		}
	}
	r = risk.Get("/backtest")
	if r.Status != 200 {
		t.Fatalf("backtest page: %d", r.Status)
	}
	for _, s := range rep.Summary {
		line := fmt.Sprintf(`data-scorer="%s" data-horizon="%d months"`, map[string]string{"fixed": "fixed weights", "model": "learned model"}[s.Scorer], s.Horizon)
		i := strings.Index(r.Body, line)
		if i < 0 {
			t.Errorf("the backtest page lacks the line %s", line)
			continue
		}
		if want := fmt.Sprintf("%.2f", s.Lift10); !strings.Contains(r.Body[i:i+2000], want) {
			t.Errorf("the line %s lacks the lift %s", line, want)
		}
	}
	if !rep.HasModel || len(rep.Summary) != 6 {
		t.Errorf("the backtest compares %d lines, with a model: %v", len(rep.Summary), rep.HasModel)
	}
	// in Bulgarian and Russian the card says what the model predicts and whom
	// it covers in the language, from the horizon it keeps: not the English
	// words stored on it
	if !strings.HasSuffix(fit.Card.Scope, banks.EveryBank) || fit.Card.Horizon == 0 {
		t.Fatalf("the fit covers %q with horizon %d: want every bank and a horizon", fit.Card.Scope, fit.Card.Horizon)
	}
	group := strings.TrimSuffix(fit.Card.Scope, banks.EveryBank)
	for _, l := range []i18n.Locale{i18n.Bulgarian, i18n.Russian} {
		rc := srv.NewClient(t)
		rc.Lang = string(l)
		rc.Login(riskLogin, seeds.DemoPassword)
		for _, path := range []string{"/models", fmt.Sprintf("/models/%d", fit.ModelID), "/backtest"} {
			body := rc.Get(path).Body
			if strings.Contains(body, html.EscapeString(banks.EveryBank)) || strings.Contains(body, html.EscapeString(fit.Card.Target)) {
				t.Errorf("%s %s keeps the English scope %q or target %q", l, path, fit.Card.Scope, fit.Card.Target)
			}
			if scope := html.EscapeString(l.T("models.scope.group", "Group", group)); !strings.Contains(body, scope) {
				t.Errorf("%s %s lacks the scope %q", l, path, scope)
			}
		}
		card := rc.Get(fmt.Sprintf("/models/%d", fit.ModelID)).Body
		if target := html.EscapeString(l.Plural("models.target_churn", int64(fit.Card.Horizon))); !strings.Contains(card, target) {
			t.Errorf("%s: the card lacks the target %q", l, target)
		}
		// how the smoothing was chosen, from the code the card keeps
		if fit.Card.SmoothWhy == "" || strings.Contains(card, html.EscapeString(fit.Card.SmoothChosenBy)) ||
			(fit.Card.SmoothWhy != model.SmoothTooFew && !strings.Contains(card, html.EscapeString(l.T("models.smooth."+fit.Card.SmoothWhy)))) {
			t.Errorf("%s: the card does not say how its smoothing was chosen (%q, %q) in the language", l, fit.Card.SmoothWhy, fit.Card.SmoothChosenBy)
		}
		if !strings.Contains(card, l.T("models.source.fitted")) {
			t.Errorf("%s: the card does not say %q", l, l.T("models.source.fitted"))
		}
	}

	admin := srv.NewClient(t)
	admin.Login(adminLogin, seeds.DemoPassword)
	admin.Get("/models")
	var bank int64
	if err := pool.QueryRow(ctx, `SELECT id FROM bank WHERE code = 'BN'`).Scan(&bank); err != nil {
		t.Fatal(err)
	}
	r = admin.Post("/admin/models/use", url.Values{"bank": {fmt.Sprint(bank)}, "model": {"fixed"}})
	if r.Status != 303 {
		t.Fatalf("switch to the fixed weights: %d %s", r.Status, problem(r.Body))
	}
	var model *int64
	var audited int
	if err := pool.QueryRow(ctx, `SELECT model_id, (SELECT count(*) FROM audit_log WHERE action = 'model.use' AND object = 'bank:' || bank_id)
		FROM bank_model WHERE bank_id = $1 AND purpose = 'churn'`, int16(bank)).Scan(&model, &audited); err != nil {
		t.Fatal(err)
	}
	if model != nil || audited == 0 {
		t.Errorf("after the switch BN's model is %v and the switch was audited %d times", model, audited)
	}
	if !strings.Contains(admin.Get("/models").Body, "switched the bank back to the fixed weights") {
		t.Error("the models page does not say why BN is scored with the fixed weights")
	}
}

// fitAndBacktestChurn fits a churn model on the scored bank (four months,
// the latest held out) and backtests two months, as an admin would from the
// pages, and keeps what the fit returned (its model and card, as Fit gave
// them, and the backtest's id) in the table web_test_churn_fit, for the test
// to check the pages against. It runs once per build of the code, in the
// template TestModelsAndBacktestPages clones (demotest.ScoredThen).
func fitAndBacktestChurn(ctx context.Context, pool *pgxpool.Pool) error {
	g, err := db.Gorm(pool)
	if err != nil {
		return err
	}
	st := settings.NewStore(pool, g)
	for k, v := range map[string]string{"model.months": "4", "model.test_months": "1", "model.min_leavers": "10"} {
		if _, err := pool.Exec(ctx, `UPDATE setting SET value = $2 WHERE key = $1`, k, v); err != nil {
			return err
		}
	}
	fit, err := churn.Fit(ctx, pool, st, churn.FitRequest{})
	if err != nil {
		return fmt.Errorf("fit: %w", err)
	}
	bt, err := churn.Backtest(ctx, pool, st, churn.BacktestRequest{From: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC),
		To: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		return fmt.Errorf("backtest: %w", err)
	}
	card, err := json.Marshal(fit.Card)
	if err != nil {
		return err
	}
	_, err = pool.Exec(ctx, `CREATE TABLE web_test_churn_fit AS SELECT $1::bigint AS model_id, $2::jsonb AS card, $3::bigint AS backtest_id`,
		fit.ModelID, card, bt)
	return err
}
