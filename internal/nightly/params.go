package nightly

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// The run's parameters are one row, nightly_w_param, that SQL builds from the
// setting table (nightly_param, migration 00020): every setting the run reads
// is a setting row that names its column and type, and the run's statements
// read it as p.<column>. Go passes only the run id and the as-of month (a
// replay its sample too) and reads back the few values it uses itself.

// Params are what Go uses of the run's parameter row, read back once it is
// built.
type Params struct {
	// AsOf is the first day of the last month of facts the run reads.
	AsOf time.Time
	// The first months of the windows the fact statements read: passed to
	// them as parameters, so that PostgreSQL reads only those months'
	// partitions.
	ProfitFrom, RecentFrom, BaseFrom, ScanFrom, InputFrom time.Time
	// MaxOpen is trigger.max_open_per_client: the take-up offers score a few
	// more than a client has room for.
	MaxOpen int
	// SampleShare is the share of staying clients a replay reads (1: every
	// active client, as a nightly run does).
	SampleShare float64
	// Weights are the fixed weights of the churn score, which Go applies.
	Weights Weights
}

// Weights are the published weights of the churn score.
type Weights struct {
	Intercept, Turnover, Balance, Tx, Closed, Income, Lifetime, Contact float64
}

// ErrSettings is a run (or a replay) refused because a setting it reads has
// no usable value; the error (a *SettingsError) names every such setting. Nothing is
// written before this check.
var ErrSettings = errors.New("the nightly run's settings are not usable")

// readParams reads back the parameter row last built on q's search path.
// A row built for no month (a replay's first) has no windows.
func readParams(ctx context.Context, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}) (Params, error) {
	var p Params
	var asOf, profitFrom, recentFrom, baseFrom, scanFrom, inputFrom *time.Time
	w := &p.Weights
	err := q.QueryRow(ctx, queries.Get("runs.params")).Scan(&asOf, &profitFrom, &recentFrom, &baseFrom, &scanFrom,
		&inputFrom, &p.MaxOpen, &p.SampleShare,
		&w.Intercept, &w.Turnover, &w.Balance, &w.Tx, &w.Closed, &w.Income, &w.Lifetime, &w.Contact)
	if err != nil {
		return Params{}, fmt.Errorf("runs.params: %w", err)
	}
	for _, t := range []struct {
		to   *time.Time
		from *time.Time
	}{{&p.AsOf, asOf}, {&p.ProfitFrom, profitFrom}, {&p.RecentFrom, recentFrom}, {&p.BaseFrom, baseFrom},
		{&p.ScanFrom, scanFrom}, {&p.InputFrom, inputFrom}} {
		if t.from != nil {
			*t.to = *t.from
		}
	}
	return p, nil
}

// productIncomeArgs are the arguments of the product-income statement.
func (p Params) productIncomeArgs() []any { return []any{p.ProfitFrom, p.AsOf} }

// factArgs are the arguments of the fact statement.
func (p Params) factArgs() []any {
	return []any{p.ScanFrom, p.ProfitFrom, p.RecentFrom, p.BaseFrom, p.AsOf, p.InputFrom}
}
