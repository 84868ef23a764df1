package churn_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/relaycrm/relay/internal/churn"
	"github.com/relaycrm/relay/internal/churn/churntest"
	"github.com/relaycrm/relay/internal/model"
	"github.com/relaycrm/relay/internal/nightly/nightlytest"
)

// steadyMonths are months of the same modest activity, with a little noise.
func steadyMonths(r *rand.Rand, since, until time.Time) []churntest.Fact {
	var out []churntest.Fact
	for m := nightlytest.Month(2025, 1); !m.After(nightlytest.AsOf); m = m.AddDate(0, 1, 0) {
		if m.Before(nightlytest.Month(since.Year(), since.Month())) || (!until.IsZero() && !until.After(m)) {
			continue
		}
		tx := 90 + r.IntN(20)
		out = append(out, churntest.Fact{Month: m, Tx: tx, Turnover: int64(tx) * 1000, Balance: 50000 + int64(r.IntN(5000)),
			Income: map[string]int64{"CA": 2000, "PAY": 1500}})
	}
	return out
}

// TestFitFindsAPlantedInput builds a bank whose leavers differ from its
// stayers in one thing only: in the months before they leave they complain.
// The fit must find it: complaints raise the odds of leaving, and no input
// matters as much.
func TestFitFindsAPlantedInput(t *testing.T) {
	if testing.Short() {
		t.Skip("fits a model")
	}
	t.Parallel()
	ctx := context.Background()
	r := rand.New(rand.NewPCG(3, 3))
	var clients []churntest.Client
	for i := range 700 {
		c := churntest.Client{Ref: fmt.Sprintf("P%04d", i), Since: nightlytest.Day(2023, time.Month(1+i%12), 3),
			Products: []string{"CA", "PAY"}}
		// every client has the same chance of leaving each month, through
		// the data and after it, so that nothing but the complaints (not
		// tenure, not the calendar) tells who goes
		for m := nightlytest.Day(2025, 6, 10); m.Before(nightlytest.Day(2027, 5, 1)); m = m.AddDate(0, 1, 0) {
			if r.Float64() < 0.015 {
				c.LeftOn = m
				break
			}
		}
		c.Facts = steadyMonths(r, c.Since, c.LeftOn)
		for m := nightlytest.Month(2024, 11); !m.After(nightlytest.AsOf); m = m.AddDate(0, 3, 0) {
			c.Contacts = append(c.Contacts, churntest.Contact{At: m.AddDate(0, 0, 5+r.IntN(20)), Proactive: true})
		}
		// the client calls every four months, leavers and stayers alike; a
		// leaver's calls in the six months before it goes are complaints
		phase := r.IntN(4)
		for m := nightlytest.Month(2024, 11).AddDate(0, phase, 0); !m.After(nightlytest.AsOf); m = m.AddDate(0, 4, 0) {
			at := m.AddDate(0, 0, 1+r.IntN(25))
			complaint := !c.LeftOn.IsZero() && at.Before(c.LeftOn) && !at.Before(c.LeftOn.AddDate(0, -6, 0))
			c.Contacts = append(c.Contacts, churntest.Contact{At: at, Complaint: complaint})
		}
		clients = append(clients, c)
	}
	// the bank and its fit are built once per build of the code (fitted)
	b, fit := fitted(t, "churn-planted-input", func(b *nightlytest.Bank) { churntest.Load(t, b, clients) })
	m, err := churn.Shapes(ctx, b.Pool, 1, fit.ID)
	if err != nil {
		t.Fatal(err)
	}
	a, ok := m.(*model.Additive)
	if !ok {
		t.Fatalf("the fit gave a %T", m)
	}
	codes, shapes := a.Inputs(), a.Shapes()
	best, second := -1, -1
	for k := range shapes {
		switch {
		case best < 0 || shapes[k].Importance > shapes[best].Importance:
			best, second = k, best
		case second < 0 || shapes[k].Importance > shapes[second].Importance:
			second = k
		}
	}
	if codes[best] != "complaints_12m" {
		t.Fatalf("the most important input is %s (%.3f), want complaints_12m", codes[best], shapes[best].Importance)
	}
	k := best
	if none, two := shapes[k].Contribution(0), shapes[k].Contribution(2); !(two > none+1) {
		t.Errorf("two complaints move the log-odds by %.2f against none's %.2f: want them to raise it by over 1", two, none)
	}
	if shapes[best].Importance < 2*shapes[second].Importance {
		t.Errorf("complaints (%.3f) do not dominate: %s has %.3f", shapes[best].Importance, codes[second], shapes[second].Importance)
	}
	if !(fit.Card.Test.AUC > fit.Card.Baseline.AUC) {
		t.Errorf("out of time the model's AUC %.3f does not beat the fixed weights' %.3f", fit.Card.Test.AUC, fit.Card.Baseline.AUC)
	}
	if len(fit.Card.Banks) != 1 || !fit.Card.Banks[0].Used {
		t.Errorf("a model that beats the fixed weights should score the bank: %+v", fit.Card.Banks)
	}
}

// TestFitRefusesTooLittleHistory: with too few months, or too few leavers, the
// fit stores nothing and the bank keeps the fixed weights.
func TestFitRefusesTooLittleHistory(t *testing.T) {
	ctx := context.Background()
	t.Run("two months of facts", func(t *testing.T) {
		t.Parallel()
		b := newBank(t)
		r := rand.New(rand.NewPCG(1, 1))
		var clients []churntest.Client
		for i := range 50 {
			c := churntest.Client{Ref: fmt.Sprintf("T%03d", i), Since: nightlytest.Day(2026, 9, 1), Products: []string{"CA"}}
			c.Facts = steadyMonths(r, c.Since, time.Time{})
			clients = append(clients, c)
		}
		churntest.Load(t, b.Bank, clients)
		_, err := churn.Fit(ctx, b.Pool, b.st, churn.FitRequest{})
		if !errors.Is(err, churn.ErrNoHistory) {
			t.Fatalf("fit on two months: %v, want ErrNoHistory", err)
		}
		assertFixed(t, b)
	})
	t.Run("five leavers", func(t *testing.T) {
		t.Parallel()
		b := newBank(t)
		r := rand.New(rand.NewPCG(2, 2))
		var clients []churntest.Client
		for i := range 200 {
			c := churntest.Client{Ref: fmt.Sprintf("F%03d", i), Since: nightlytest.Day(2024, 3, 1), Products: []string{"CA"}}
			if i < 5 {
				c.LeftOn = nightlytest.Day(2026, 6, 15)
			}
			c.Facts = steadyMonths(r, c.Since, c.LeftOn)
			clients = append(clients, c)
		}
		churntest.Load(t, b.Bank, clients)
		_, err := churn.Fit(ctx, b.Pool, b.st, churn.FitRequest{})
		if !errors.Is(err, model.ErrTooLittleHistory) {
			t.Fatalf("fit with five leavers: %v, want too little history", err)
		}
		assertFixed(t, b)
	})
}

// assertFixed checks that no model was stored and the bank keeps the fixed
// weights.
func assertFixed(t *testing.T, b bank) {
	t.Helper()
	var models, uses int
	if err := b.Pool.QueryRow(context.Background(), `SELECT (SELECT count(*) FROM fitted_model), (SELECT count(*) FROM bank_model)`).
		Scan(&models, &uses); err != nil {
		t.Fatal(err)
	}
	if models != 0 || uses != 0 {
		t.Errorf("a refused fit left %d models and %d bank choices", models, uses)
	}
}

// TestBacktestCountsAsByHand replays three months of a bank of 20 clients
// whose warnings depend on one signal alone (no contact), with six warned
// clients, and compares the stored figures with those counted by hand.
func TestBacktestCountsAsByHand(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := newBank(t)
	for key, v := range map[string]string{
		"warning.weight_intercept": "-5", "warning.weight_turnover": "0", "warning.weight_balance": "0",
		"warning.weight_tx": "0", "warning.weight_closed": "0", "warning.weight_income": "0",
		"warning.weight_lifetime": "0", "warning.weight_contact": "10",
	} {
		b.Set(key, v)
	}
	r := rand.New(rand.NewPCG(5, 5))
	june, september := nightlytest.Day(2026, 6, 15), nightlytest.Day(2026, 9, 10)
	var clients []churntest.Client
	// W1-W6 are never contacted: warned every month. W1-W3 leave in June,
	// W4 in September. N1-N14 are called every month: never warned. N1
	// leaves in June.
	for i := 1; i <= 20; i++ {
		c := churntest.Client{Since: nightlytest.Day(2024, 1, 1), Products: []string{"CA"}}
		if i <= 6 {
			c.Ref = fmt.Sprintf("W%d", i)
			switch {
			case i <= 3:
				c.LeftOn = june
			case i == 4:
				c.LeftOn = september
			}
		} else {
			c.Ref = fmt.Sprintf("N%d", i-6)
			if i == 7 {
				c.LeftOn = june
			}
			for m := nightlytest.Month(2026, 1); m.Before(nightlytest.AsOf); m = m.AddDate(0, 1, 0) {
				c.Contacts = append(c.Contacts, churntest.Contact{At: m.AddDate(0, 0, 19), Proactive: true})
			}
		}
		c.Facts = steadyMonths(r, c.Since, c.LeftOn)
		clients = append(clients, c)
	}
	churntest.Load(t, b.Bank, clients)

	id, err := churn.Backtest(ctx, b.Pool, b.st, churn.BacktestRequest{From: nightlytest.Month(2026, 3), To: nightlytest.Month(2026, 5)})
	if err != nil {
		t.Fatalf("backtest: %v", err)
	}
	// April: 20 clients; within 6 months W1-W4 and N1 leave; W1-W6 warned.
	// The six warned tie at the top, so the top 10% (2 clients) holds 2 x
	// 4/6 leavers: lift (4/3 / 2) / (5 / 20) = 8/3. Within 3 months: W1-W3
	// and N1; top 2 x 3/6 = 1: lift (1/2) / (4/20) = 2.5.
	for _, tc := range []struct {
		horizon                                    int
		clients, leavers, warned, warnedLeft, lift float64
	}{
		{6, 20, 5, 6, 4, 8.0 / 3},
		{3, 20, 4, 6, 3, 2.5},
	} {
		var clients, leavers, warned, warnedLeft, top float64
		err := b.Pool.QueryRow(ctx, `SELECT clients, leavers, warned, warned_left, top_leavers FROM backtest_result
			WHERE run_id = $1 AND scorer = 'fixed' AND bank_id IS NULL AND seg_level IS NULL AND month = $2 AND horizon = $3`,
			id, nightlytest.Month(2026, 4), tc.horizon).Scan(&clients, &leavers, &warned, &warnedLeft, &top)
		if err != nil {
			t.Fatalf("horizon %d: %v", tc.horizon, err)
		}
		lift := (top / 2) / (leavers / clients)
		if clients != tc.clients || leavers != tc.leavers || warned != tc.warned || warnedLeft != tc.warnedLeft ||
			math.Abs(lift-tc.lift) > 1e-9 {
			t.Errorf("horizon %d: clients %v leavers %v warned %v warned and left %v lift %.4f; by hand %v %v %v %v %.4f",
				tc.horizon, clients, leavers, warned, warnedLeft, lift, tc.clients, tc.leavers, tc.warned, tc.warnedLeft, tc.lift)
		}
	}
	rep, err := churn.BacktestReport(ctx, b.Pool, 1, id)
	if err != nil {
		t.Fatal(err)
	}
	// June's leavers had March, April and May replayed: W1-W3 warned all
	// three months, N1 never.
	if len(rep.Lead) != 1 || rep.Lead[0].Scorer != "fixed" {
		t.Fatalf("lead: %+v", rep.Lead)
	}
	l := rep.Lead[0]
	if l.Leavers != 4 || l.ByMonths[3] != 3 || l.ByMonths[0] != 1 || math.Abs(l.AtLeast(1)-0.75) > 1e-9 {
		t.Errorf("lead: %+v, want 4 leavers, 3 warned three months running, 1 never", l)
	}
	if rep.HasModel {
		t.Error("no model exists, yet the backtest has a learned model's lines")
	}
}
