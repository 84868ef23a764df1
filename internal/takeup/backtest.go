package takeup

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/relaycrm/relay/internal/settings"
)

// Backtest ranks, as of each of months, every active client's candidates
// (products it does not hold) with a stored take-up model, the ideal-set
// rule and popularity, and compares them with what the clients took within
// trigger.win_window_months after: the check of a model carried from
// elsewhere on this bank's own history. Each month's window must have passed.
func Backtest(ctx context.Context, pool *pgxpool.Pool, st *settings.Store, modelID int64, months []time.Time) (Comparison, error) {
	vals, err := st.Load(ctx)
	if err != nil {
		return Comparison{}, err
	}
	sc, _, err := resolveScope(ctx, pool, "")
	if err != nil {
		return Comparison{}, err
	}
	var body []byte
	err = pool.QueryRow(ctx, queries.Get("model-body"), modelID, sc.groupID).Scan(&body)
	if errors.Is(err, pgx.ErrNoRows) {
		err = ErrNotFound
	}
	if err != nil {
		return Comparison{}, fmt.Errorf("take-up model %d: %w", modelID, err)
	}
	b, err := Unmarshal(bytes.NewReader(body))
	if err != nil {
		return Comparison{}, err
	}
	f, err := prepare(ctx, pool, vals, sc)
	if err != nil {
		return Comparison{}, err
	}
	var first, last time.Time
	if err := pool.QueryRow(ctx, queries.Get("span")).Scan(&first, &last); err != nil {
		return Comparison{}, fmt.Errorf("history: %w", err)
	}
	for _, m := range months {
		if m.AddDate(0, f.horizon, 0).After(last) {
			return Comparison{}, fmt.Errorf("%s: its %d-month take-up window runs past the last month of facts, %s",
				m.Format("2006-01"), f.horizon, last.Format("2006-01"))
		}
	}
	f.months = months
	if err := f.collect(ctx, pool, nil); err != nil {
		return Comparison{}, err
	}
	s, err := b.Bind(f.layout)
	if err != nil {
		return Comparison{}, err
	}
	l := f.layout
	x := make([]float64, len(l.Codes))
	for _, r := range f.recs {
		for i, p := range l.Products {
			if !p.Active || !s.Knows(i) || has(r.client.Held, p.ID) {
				continue
			}
			copy(x, r.x)
			l.setProduct(&r.client, p.ID, f.cells[r.month], f.ideal, x)
			f.pModel = append(f.pModel, s.Probability(i, x, nil))
			f.pRule = append(f.pRule, ruleScore(x, l))
			f.pPop = append(f.pPop, s.pop[i])
			f.testY = append(f.testY, has(r.client.OpenedAfter, p.ID))
		}
	}
	return compare(f.pModel, f.pRule, f.pPop, f.testY, nil), nil
}
