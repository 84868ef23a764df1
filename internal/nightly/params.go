package nightly

import (
	"time"

	"github.com/relaycrm/relay/internal/settings"
)

// Params are the run's as-of month and every setting it uses, read once at its
// start so that the whole run sees one consistent set.
type Params struct {
	RunID int64
	// AsOf is the first day of the last month of facts the run reads.
	AsOf time.Time

	ProfitWindow  int // segment.profit_window_months
	MinClients    int // segment.min_clients
	BestMinTenure int // profile.best_min_tenure_months
	IdealAdoption float64

	ControlShare float64
	CooldownDays int
	MaxOpen      int

	RecentMonths, BaseMonths          int
	TurnoverDrop, BalanceDrop, TxDrop float64
	ClosedDays                        int
	IncomeFallMonths                  int
	LifetimeMargin                    int
	LifetimeMinLeavers                int
	NoContactDays                     int
	LevelHigh, LevelWatch             int
	Weights                           Weights

	OnboardingMonths int
	StageTrend       float64
	LTVMaxYears      int

	// ContactsTo is the day contacts are counted to: the run's day for a
	// nightly run (a call made today clears the no-contact signal today), the
	// end of the as-of month for a replay.
	ContactsTo time.Time
	// RunAt is when the run runs: cool-downs are counted back from it. Zero:
	// the time the parameters are written.
	RunAt time.Time
	// SampleShare is the share of staying clients a replay reads (1: every
	// active client, as a nightly run does); SampleSalt varies the sample by
	// month.
	SampleShare float64
	SampleSalt  int64
	// KeepMonths: a sampling replay keeps every client that leaves within
	// this many months after the as-of month.
	KeepMonths       int
	MinBestClients   int      // profile.min_best_clients
	MinBestHolders   int      // profile.min_best_holders
	InterestWeight   float64  // trigger.interest_weight
	ExcludedFamilies []string // trigger.excluded_families
	WinMonths        int      // trigger.win_window_months
	TakeupMinCases   int      // trigger.takeup_min_cases
}

// Weights are the published weights of the churn score.
type Weights struct {
	Intercept, Turnover, Balance, Tx, Closed, Income, Lifetime, Contact float64
}

// paramsFrom reads the run's settings.
func paramsFrom(v settings.Values) Params {
	return Params{
		ProfitWindow:       v.Int("segment.profit_window_months"),
		MinClients:         v.Int("segment.min_clients"),
		BestMinTenure:      v.Int("profile.best_min_tenure_months"),
		IdealAdoption:      v.Ratio("profile.ideal_adoption"),
		ControlShare:       v.Ratio("trigger.control_share"),
		CooldownDays:       v.Int("trigger.cooldown_days"),
		MaxOpen:            v.Int("trigger.max_open_per_client"),
		RecentMonths:       v.Int("warning.recent_months"),
		BaseMonths:         v.Int("warning.base_months"),
		TurnoverDrop:       v.Ratio("warning.turnover_drop"),
		BalanceDrop:        v.Ratio("warning.balance_drop"),
		TxDrop:             v.Ratio("warning.tx_drop"),
		ClosedDays:         v.Int("warning.closed_product_days"),
		IncomeFallMonths:   v.Int("warning.income_fall_months"),
		LifetimeMargin:     v.Int("warning.lifetime_margin_months"),
		LifetimeMinLeavers: v.Int("warning.lifetime_min_leavers"),
		NoContactDays:      v.Int("warning.no_contact_days"),
		LevelHigh:          v.Int("warning.level_high"),
		LevelWatch:         v.Int("warning.level_watch"),
		Weights: Weights{
			Intercept: v.Ratio("warning.weight_intercept"),
			Turnover:  v.Ratio("warning.weight_turnover"),
			Balance:   v.Ratio("warning.weight_balance"),
			Tx:        v.Ratio("warning.weight_tx"),
			Closed:    v.Ratio("warning.weight_closed"),
			Income:    v.Ratio("warning.weight_income"),
			Lifetime:  v.Ratio("warning.weight_lifetime"),
			Contact:   v.Ratio("warning.weight_contact"),
		},
		OnboardingMonths: v.Int("stage.onboarding_months"),
		StageTrend:       v.Ratio("stage.trend_change"),
		LTVMaxYears:      v.Int("ltv.max_years"),
		SampleShare:      1,
		KeepMonths:       12,
		MinBestClients:   v.Int("profile.min_best_clients"),
		MinBestHolders:   v.Int("profile.min_best_holders"),
		InterestWeight:   v.Ratio("trigger.interest_weight"),
		ExcludedFamilies: v.List("trigger.excluded_families"),
		WinMonths:        v.Int("trigger.win_window_months"),
		TakeupMinCases:   v.Int("trigger.takeup_min_cases"),
	}
}

// cutoff is the first day after the as-of month: nothing dated on or after it
// is read.
func (p Params) cutoff() time.Time { return p.AsOf.AddDate(0, 1, 0) }

func (p Params) profitFrom() time.Time { return p.AsOf.AddDate(0, -(p.ProfitWindow - 1), 0) }

func (p Params) recentFrom() time.Time { return p.AsOf.AddDate(0, -(p.RecentMonths - 1), 0) }

func (p Params) baseFrom() time.Time { return p.recentFrom().AddDate(0, -p.BaseMonths, 0) }

// seriesLen is how many of the last months' income and transactions each
// client carries: enough for the income run and the activity recency.
func (p Params) seriesLen() int { return max(p.IncomeFallMonths, 5) + 1 }

func (p Params) seriesFrom() time.Time { return p.AsOf.AddDate(0, -(p.seriesLen() - 1), 0) }

// inputFrom starts the 12-month window of the churn model's inputs.
func (p Params) inputFrom() time.Time { return p.AsOf.AddDate(0, -11, 0) }

// contactsTo is ContactsTo, or the end of the as-of month when it is earlier
// or unset.
func (p Params) contactsTo() time.Time {
	if p.ContactsTo.After(p.cutoff()) {
		return p.ContactsTo
	}
	return p.cutoff()
}

// runAt is RunAt, or now when it is unset.
func (p Params) runAt() time.Time {
	if p.RunAt.IsZero() {
		return time.Now()
	}
	return p.RunAt
}

// scanFrom is the first month of facts the run reads.
func (p Params) scanFrom() time.Time {
	from := p.profitFrom()
	for _, t := range []time.Time{p.baseFrom(), p.seriesFrom(), p.inputFrom()} {
		if t.Before(from) {
			from = t
		}
	}
	return from
}

// churnFrom starts the 12 months over which churn is counted.
func (p Params) churnFrom() time.Time { return p.cutoff().AddDate(0, -12, 0) }

// paramArgs are the arguments of the param statement, in its order.
func (p Params) paramArgs() []any {
	w := p.Weights
	return []any{
		p.RunID, p.AsOf, p.cutoff(), p.profitFrom(), p.recentFrom(), p.baseFrom(), p.scanFrom(), p.churnFrom(),
		p.RecentMonths, p.BaseMonths, p.seriesLen(),
		p.MinClients, p.BestMinTenure, p.IdealAdoption, p.ControlShare, p.CooldownDays, p.MaxOpen,
		p.TurnoverDrop, p.BalanceDrop, p.TxDrop, p.ClosedDays, p.IncomeFallMonths, p.LifetimeMargin,
		p.LifetimeMinLeavers, p.NoContactDays, p.LevelHigh, p.LevelWatch, p.OnboardingMonths, p.LTVMaxYears,
		p.StageTrend, w.Intercept, w.Turnover, w.Balance, w.Tx, w.Closed, w.Income, w.Lifetime, w.Contact,
		p.MinBestClients, p.MinBestHolders, p.InterestWeight, p.ExcludedFamilies, p.WinMonths, p.TakeupMinCases,
		p.inputFrom(), p.contactsTo(), p.SampleShare, p.SampleSalt, p.KeepMonths, p.runAt(),
	}
}

// productIncomeArgs are the arguments of the product-income statement.
func (p Params) productIncomeArgs() []any { return []any{p.profitFrom(), p.AsOf} }

// factArgs are the arguments of the fact statement.
func (p Params) factArgs() []any {
	return []any{p.scanFrom(), p.profitFrom(), p.recentFrom(), p.baseFrom(), p.AsOf, p.inputFrom()}
}
