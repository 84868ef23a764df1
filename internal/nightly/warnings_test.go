package nightly

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/relaycrm/relay/internal/nightly/nightlytest"
	"github.com/relaycrm/relay/internal/segments"
	"github.com/relaycrm/relay/internal/warnings"
)

// steady is the base of the warning tests: the same turnover, balance,
// transactions and income every month, a contact last month.
func steady(time.Time) nightlytest.Fact {
	return nightlytest.Fact{Turnover: 100000, Balance: 100000, Tx: 1000, Income: map[string]int64{"CA": 1000}}
}

// recent changes the recent window (the last 3 months, 2026-08 to 2026-10).
func recent(change func(*nightlytest.Fact)) func(time.Time) nightlytest.Fact {
	return func(m time.Time) nightlytest.Fact {
		f := steady(m)
		if !m.Before(nightlytest.Month(2026, 8)) {
			change(&f)
		}
		return f
	}
}

// incomes sets the income of the last months, latest last.
func incomes(last ...int64) func(time.Time) nightlytest.Fact {
	return func(m time.Time) nightlytest.Fact {
		f := steady(m)
		for i, v := range last {
			if m.Equal(monthsBack(len(last) - 1 - i)) {
				f.Income = map[string]int64{"CA": v}
			}
		}
		return f
	}
}

var lastMonth = []time.Time{time.Date(2026, 10, 20, 12, 0, 0, 0, time.UTC)}

// TestSignalThresholds puts a client just above and one just below each
// signal's threshold (the defaults of MISSION.md).
func TestSignalThresholds(t *testing.T) {
	t.Parallel()
	b := newBank(t)
	b.Set("warning.level_watch", "1") // every client gets a warning row, to read its signals
	b.Set("warning.level_high", "100")
	b.Set("warning.lifetime_min_leavers", "3")
	// Three leavers of Bank North / R1 / IND1, each after 24 months: the typical lifetime is 24.
	for _, ref := range []string{"L1", "L2", "L3"} {
		b.Add(nightlytest.Client{Ref: ref, Since: nightlytest.Day(2023, 1, 10), LeftOn: nightlytest.Day(2025, 1, 10)})
	}
	pay := func(closed time.Time) []nightlytest.Holding {
		return []nightlytest.Holding{{Product: "CA", Opened: since18}, {Product: "PAY", Opened: since18, Closed: closed}}
	}
	tests := []struct {
		name   string
		signal warnings.SignalName
		client nightlytest.Client
		fires  bool
	}{
		{"turnover fell 30.1%", warnings.Turnover, nightlytest.Client{Facts: recent(func(f *nightlytest.Fact) { f.Turnover = 69900 })}, true},
		{"turnover fell 29.9%", warnings.Turnover, nightlytest.Client{Facts: recent(func(f *nightlytest.Fact) { f.Turnover = 70100 })}, false},
		{"balance fell 40.1%", warnings.Balance, nightlytest.Client{Facts: recent(func(f *nightlytest.Fact) { f.Balance = 59900 })}, true},
		{"balance fell 39.9%", warnings.Balance, nightlytest.Client{Facts: recent(func(f *nightlytest.Fact) { f.Balance = 60100 })}, false},
		{"transactions fell 40.1%", warnings.Transactions, nightlytest.Client{Facts: recent(func(f *nightlytest.Fact) { f.Tx = 599 })}, true},
		{"transactions fell 39.9%", warnings.Transactions, nightlytest.Client{Facts: recent(func(f *nightlytest.Fact) { f.Tx = 601 })}, false},
		{"product closed 90 days ago", warnings.ProductClosed, nightlytest.Client{Holdings: pay(nightlytest.Day(2026, 8, 3))}, true},
		{"product closed 91 days ago", warnings.ProductClosed, nightlytest.Client{Holdings: pay(nightlytest.Day(2026, 8, 2))}, false},
		{"income fell 3 months in a row", warnings.IncomeFalling, nightlytest.Client{Facts: incomes(1000, 900, 800, 700)}, true},
		{"income fell 2 months in a row", warnings.IncomeFalling, nightlytest.Client{Facts: incomes(1000, 1000, 900, 800)}, false},
		{"tenure 3 months past the typical lifetime", warnings.Lifetime, nightlytest.Client{Since: nightlytest.Day(2024, 8, 1)}, true},
		{"tenure 4 months past the typical lifetime", warnings.Lifetime, nightlytest.Client{Since: nightlytest.Day(2024, 7, 1)}, false},
		{"no contact for 91 days", warnings.NoContact, nightlytest.Client{Contacts: []time.Time{time.Date(2026, 8, 2, 12, 0, 0, 0, time.UTC)}}, true},
		{"no contact for 90 days", warnings.NoContact, nightlytest.Client{Contacts: []time.Time{time.Date(2026, 8, 3, 12, 0, 0, 0, time.UTC)}}, false},
	}
	ids := make([]int64, len(tests))
	for i, tt := range tests {
		c := tt.client
		c.Ref = "S" + string(rune('A'+i))
		if c.Since.IsZero() {
			c.Since = since18
		}
		if c.Facts == nil {
			c.Facts = steady
		}
		if c.Contacts == nil {
			c.Contacts = lastMonth
		}
		ids[i] = b.Add(c)
	}
	runNightly(t, b)
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := warnings.ForClient(context.Background(), b.Pool, b.Risk, ids[i])
			if err != nil {
				t.Fatal(err)
			}
			s := w.Signal(tt.signal)
			if s.Fired != tt.fires {
				t.Errorf("%s fired = %v, want %v (value %v, figures %q)", tt.signal, s.Fired, tt.fires, deref(s.Value), s.Figures)
			}
			if tt.fires && s.Strength <= 0 {
				t.Errorf("%s fired with strength %v", tt.signal, s.Strength)
			}
		})
	}
}

func deref(f *float64) any {
	if f == nil {
		return nil
	}
	return *f
}

// TestScoreAndLevel checks the score against the logistic of the weighted
// strengths, worked out here, and the level it gives.
func TestScoreAndLevel(t *testing.T) {
	t.Parallel()
	b := newBank(t)
	// The only signals: the falls below, and a contact 12 days before the end
	// of the as-of month (strength 12 / 180).
	tests := []struct {
		name              string
		turnover, balance int64 // recent monthly, against 100000 before
		wantLevel         warnings.Level
	}{
		{"turnover fell half: no warning", 50000, 100000, ""},
		{"turnover fell to nothing: watch", 0, 100000, warnings.Watch},
		{"turnover and balance fell to nothing: high", 0, 0, warnings.High},
	}
	ids := make([]int64, len(tests))
	for i, tt := range tests {
		tt := tt
		ids[i] = b.Add(nightlytest.Client{Ref: "W" + string(rune('A'+i)), Since: since18, Contacts: lastMonth,
			Facts: recent(func(f *nightlytest.Fact) { f.Turnover, f.Balance = tt.turnover, tt.balance })})
	}
	runNightly(t, b)
	ctx := context.Background()
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sTurnover := 1 - float64(tt.turnover)/100000
			sBalance := 1 - float64(tt.balance)/100000
			sContact := 12.0 / 180
			weighted := 4*sTurnover + 2.5*sBalance + 1.5*sContact
			want := int(math.Round(100 / (1 + math.Exp(-(-4 + weighted)))))
			var score int
			if err := b.Pool.QueryRow(ctx, `SELECT churn_score FROM client_score WHERE client_id = $1`, ids[i]).Scan(&score); err != nil {
				t.Fatal(err)
			}
			if score != want {
				t.Errorf("score %d, want %d", score, want)
			}
			w, err := warnings.ForClient(ctx, b.Pool, b.Risk, ids[i])
			if tt.wantLevel == "" {
				if err == nil {
					t.Errorf("a warning at score %d", w.Score)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if w.Level != tt.wantLevel || w.Score != want || w.ManagerName != "User m1" {
				t.Errorf("warning %s score %d manager %q, want %s %d User m1", w.Level, w.Score, w.ManagerName, tt.wantLevel, want)
			}
			if got, wantShare := w.Signal(warnings.Turnover).Share, 4*sTurnover/weighted; math.Abs(got-wantShare) > 1e-9 {
				t.Errorf("turnover share %v, want %v", got, wantShare)
			}
			if f := w.Signal(warnings.Turnover).Figures; f != "turnover 3 months 0 EUR vs 6 months before 1,000 EUR a month: -100%" {
				t.Errorf("figures %q", f)
			}
		})
	}
}

// TestStages checks each lifecycle stage on a client made for it.
func TestStages(t *testing.T) {
	t.Parallel()
	b := newBank(t)
	income := func(before, after int64) func(time.Time) nightlytest.Fact {
		return func(m time.Time) nightlytest.Fact {
			f := steady(m)
			if !m.Before(nightlytest.Month(2026, 8)) {
				f.Income = map[string]int64{"CA": after}
			} else {
				f.Income = map[string]int64{"CA": before}
			}
			return f
		}
	}
	tests := []struct {
		name  string
		c     nightlytest.Client
		stage segments.Stage
	}{
		{"joined two months ago", nightlytest.Client{Since: nightlytest.Day(2026, 8, 20), Facts: steady}, segments.Onboarding},
		{"income up 30%", nightlytest.Client{Since: since18, Facts: income(1000, 1300)}, segments.RampUp},
		{"income flat", nightlytest.Client{Since: since18, Facts: income(1000, 1000)}, segments.Plateau},
		{"income down 20%", nightlytest.Client{Since: since18, Facts: income(1000, 800)}, segments.Decline},
	}
	ids := make([]int64, len(tests))
	for i, tt := range tests {
		c := tt.c
		c.Ref = "T" + string(rune('A'+i))
		c.Contacts = lastMonth
		ids[i] = b.Add(c)
	}
	runNightly(t, b)
	for i, tt := range tests {
		st, err := segments.ClientStanding(context.Background(), b.Pool, b.Manager1, ids[i])
		if err != nil {
			t.Fatal(err)
		}
		if st.Stage != tt.stage {
			t.Errorf("%s: stage %s, want %s", tt.name, st.Stage, tt.stage)
		}
	}
}

// TestLTV works a segment's churn, LTV and a client's CLV by hand: ten
// clients of 3+ years were active at 2025-11-01, two left since; the eight
// left earn 1000 a month each. Churn 2/10 = 20%, expected years 1/0.2 = 5,
// LTV 1000 x 12 x 5 = 60000; CLV at 10% = 12000 x (1/1.1 + ... + 1/1.1^5) =
// 12000 x 3.7907867694... = 45489.
func TestLTV(t *testing.T) {
	t.Parallel()
	b := newBank(t)
	b.Set("segment.min_clients", "5")
	for i := 0; i < 10; i++ {
		c := nightlytest.Client{Ref: "V" + string(rune('A'+i)), Since: since5y, Contacts: lastMonth,
			Facts: nightlytest.Steady(map[string]int64{"CA": 1000})}
		if i < 2 {
			c.LeftOn = nightlytest.Day(2026, time.Month(3+3*i), 15)
		}
		b.Add(c)
	}
	runNightly(t, b)
	var churn float64
	var years float64
	var ltv, clv int64
	var stageLTV int64
	err := b.Pool.QueryRow(context.Background(), `
		SELECT p.churn_rate, p.expected_years, p.ltv, (SELECT min(clv) FROM client_score), (SELECT ltv FROM segment_stage WHERE stage = 'plateau')
		FROM segment_profile p`).Scan(&churn, &years, &ltv, &clv, &stageLTV)
	if err != nil {
		t.Fatal(err)
	}
	if churn != 0.2 || years != 5 || ltv != 60000 || clv != 45489 || stageLTV != 60000 {
		t.Errorf("churn %v, years %v, LTV %d, CLV %d, plateau LTV %d; want 0.2, 5, 60000, 45489, 60000", churn, years, ltv, clv, stageLTV)
	}
}
