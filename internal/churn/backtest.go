package churn

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/relaycrm/relay/internal/model"
	"github.com/relaycrm/relay/internal/nightly"
	"github.com/relaycrm/relay/internal/settings"
	"github.com/relaycrm/relay/internal/warnings"
)

// Horizons are the months after a replayed month in which a backtest counts
// who left.
var Horizons = []int{3, 6, 12}

// BacktestRequest says what to replay.
type BacktestRequest struct {
	From, To time.Time // months to replay; zero: the 12 months before the last month of facts
	Bank     string    // a bank's code; empty: every bank of the group
	UserID   int64
	Progress func(string)
}

// BacktestSetup is what a backtest compared, stored with its run.
type BacktestSetup struct {
	Scope      string            `json:"scope"`
	Models     map[string]*int64 `json:"models"` // bank code -> learned model replayed (nil: none)
	ModelNames map[string]string `json:"model_names"`
	Share      float64           `json:"sample_share"`
	LevelWatch int               `json:"level_watch"`
	Months     int               `json:"months"`
	// WalkForward says how the learned model was had: fitted for the
	// backtest on the months before it, or why not (the stored models were
	// replayed instead)
	WalkForward string `json:"walk_forward"`
	OutcomeEnd  string `json:"outcome_end"`
}

// cell is one line of backtest_result being counted.
type cell struct {
	scorer  string
	month   time.Time
	bankID  *int16
	level   *int16
	horizon int

	p, w []float64
	y    []bool
	warn float64 // weight warned
	wl   float64 // weight warned and left
}

// Backtest replays the warnings as of every month from From to To with the
// fixed weights and, for every bank that has one (in use, else the group's
// latest), the learned model, and stores how each did against who really
// left in the 3, 6 and 12 months after: per month, bank and segment level,
// the clients, leavers, warned clients, warned leavers, leavers in the top
// 10% of scores and the AUC; and how many months of warning each leaver had.
// It returns the run's id.
func Backtest(ctx context.Context, pool *pgxpool.Pool, st *settings.Store, req BacktestRequest) (int64, error) {
	vals, err := st.Load(ctx)
	if err != nil {
		return 0, err
	}
	sc, banks, err := resolveScope(ctx, pool, req.Bank)
	if err != nil {
		return 0, err
	}
	sp, err := readSpan(ctx, pool)
	if err != nil {
		return 0, err
	}
	from, to := firstOfMonth(req.From), firstOfMonth(req.To)
	if req.From.IsZero() || req.To.IsZero() {
		if !req.From.IsZero() || !req.To.IsZero() {
			return 0, errors.New("--from and --to go together")
		}
		// the latest 12 months whose 6 months after are known, when there
		// are any; else up to the month before the outcomes end
		to = sp.outcomeEnd.AddDate(0, -6, 0)
		if to.Before(sp.first.AddDate(0, 2, 0)) {
			to = sp.outcomeEnd.AddDate(0, -1, 0)
		}
		if to.After(sp.last) {
			to = sp.last
		}
		from = to.AddDate(0, -11, 0)
		if e := sp.first.AddDate(0, 2, 0); from.Before(e) {
			from = e
		}
	}
	switch {
	case to.Before(from):
		return 0, fmt.Errorf("--from %s is after --to %s", from.Format("2006-01"), to.Format("2006-01"))
	case from.Before(sp.first):
		return 0, fmt.Errorf("--from %s: the facts begin in %s", from.Format("2006-01"), sp.first.Format("2006-01"))
	case to.After(sp.last):
		return 0, fmt.Errorf("--to %s: the facts end in %s", to.Format("2006-01"), sp.last.Format("2006-01"))
	case !to.Before(sp.outcomeEnd):
		return 0, fmt.Errorf("--to %s: no outcome is known after it", to.Format("2006-01"))
	}
	months := monthsBetween(from, to)
	share, err := sampleShare(ctx, pool, sc, months, 12, vals.Int("model.sample_rows"))
	if err != nil {
		return 0, err
	}
	watch := vals.Int("warning.level_watch")
	setup := BacktestSetup{Scope: sc.label, Models: map[string]*int64{}, ModelNames: map[string]string{}, Share: share,
		LevelWatch: watch, Months: len(months), OutcomeEnd: sp.outcomeEnd.Format("2006-01")}

	learned, err := walkForward(ctx, pool, st, vals, sc, banks, sp, from, &setup, req.Progress)
	if err != nil {
		return 0, err
	}
	if learned == nil {
		if learned, err = learnedFor(ctx, pool, sc, banks, &setup); err != nil {
			return 0, err
		}
	}
	var runID int64
	setupJS, _ := json.Marshal(setup)
	if err := pool.QueryRow(ctx, `INSERT INTO backtest_run (group_id, from_month, to_month, requested_by, setup)
		VALUES ($1, $2, $3, $4, $5) RETURNING id`, sc.groupID, from, to, userOrNil(req.UserID), setupJS).Scan(&runID); err != nil {
		return 0, fmt.Errorf("backtest: %w", err)
	}
	err = runBacktest(ctx, pool, st, sc, months, share, watch, sp.outcomeEnd, learned, runID, req.Progress)
	status, msg := "succeeded", ""
	if err != nil {
		status, msg = "failed", err.Error()
	}
	if _, e := pool.Exec(context.WithoutCancel(ctx),
		`UPDATE backtest_run SET status = $2, finished_at = clock_timestamp(), error = $3 WHERE id = $1`,
		runID, status, msg); e != nil {
		err = errors.Join(err, e)
	}
	return runID, err
}

// walkForward fits a model for the backtest alone on the months before it:
// the latest model.months whose horizon ends before from, so that neither
// the fit nor its labels see a month the backtest replays and every replayed
// month is out of time. With too little history before from it returns nil
// and the backtest replays the stored models instead.
func walkForward(ctx context.Context, pool *pgxpool.Pool, st *settings.Store, vals settings.Values, sc scope, banks []bank,
	sp span, from time.Time, setup *BacktestSetup, progress func(string)) (map[int16]learned, error) {
	horizon := vals.Int("warning.horizon_months")
	before := span{first: sp.first, last: from.AddDate(0, -1, 0), outcomeEnd: from.AddDate(0, -1, 0)}
	test := vals.Int("model.test_months")
	months, censored, err := fitMonths(before, horizon, vals.Int("model.months"), test, time.Time{}, time.Time{})
	if errors.Is(err, ErrNoHistory) || censored {
		setup.WalkForward = "too little history before the replayed months to fit a model on them alone"
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if progress != nil {
		progress(fmt.Sprintf("fitting a model on %s, before the replayed months", monthRange(months)))
	}
	res, _, _, _, err := fitOn(ctx, pool, st, vals, sc, months, min(test, len(months)-1), before.outcomeEnd, nil)
	if errors.Is(err, model.ErrTooLittleHistory) {
		setup.WalkForward = "too few leavers before the replayed months to fit a model on them alone"
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	b, err := res.Model.Bind(warnings.InputCodes())
	if err != nil {
		return nil, err
	}
	setup.WalkForward = fmt.Sprintf("fitted for this backtest on %s, before the replayed months: every month is out of time",
		monthRange(months))
	out := map[int16]learned{}
	for _, bk := range banks {
		out[bk.ID] = learned{bound: b, fittedOn: map[string]bool{}}
		setup.Models[bk.Code] = nil
		setup.ModelNames[bk.Code] = "a model " + setup.WalkForward
	}
	return out, nil
}

// learned is the learned model a backtest replays for a bank.
type learned struct {
	id       int64 // 0: fitted for the backtest alone
	bound    *model.Bound
	fittedOn map[string]bool // months it was fitted on: in-sample there
}

// learnedFor picks the learned model replayed for each bank: the one in use,
// else the group's latest.
func learnedFor(ctx context.Context, pool *pgxpool.Pool, sc scope, banks []bank, setup *BacktestSetup) (map[int16]learned, error) {
	uses, err := BankUses(ctx, pool, sc.groupID)
	if err != nil {
		return nil, err
	}
	recent, err := Models(ctx, pool, sc.groupID, 1)
	if err != nil {
		return nil, err
	}
	codes := warnings.InputCodes()
	out := map[int16]learned{}
	for _, b := range banks {
		var id *int64
		for _, u := range uses {
			if u.BankID == b.ID && u.ModelID != nil {
				id = u.ModelID
			}
		}
		if id == nil && len(recent) > 0 {
			id = &recent[0].ID
		}
		setup.Models[b.Code] = id
		if id == nil {
			continue
		}
		m, err := Shapes(ctx, pool, sc.groupID, *id)
		if err != nil {
			return nil, err
		}
		rec, err := Model(ctx, pool, sc.groupID, *id)
		if err != nil {
			return nil, err
		}
		bm, err := m.Bind(codes)
		if err != nil {
			return nil, fmt.Errorf("model %d: %w", *id, err)
		}
		l := learned{id: *id, bound: bm, fittedOn: map[string]bool{}}
		if rec.Source == "fitted" {
			for _, mo := range rec.Card.FittedOn {
				l.fittedOn[mo] = true
			}
		}
		out[b.ID] = l
		setup.ModelNames[b.Code] = fmt.Sprintf("model %d (%s, %s)", *id, rec.Source, rec.FittedAt.Format(time.DateOnly))
	}
	return out, nil
}

// leadTrack is a leaver's months warned in a row, per scorer, up to the month
// before it left.
type leadTrack struct {
	bankID int16
	weight float64
	left   time.Time
	run    map[string]int // scorer -> warned months in a row ending at the latest replayed month
	last   time.Time      // the latest replayed month seen
}

func runBacktest(ctx context.Context, pool *pgxpool.Pool, st *settings.Store, sc scope, months []time.Time,
	share float64, watch int, outcomeEnd time.Time, models map[int16]learned, runID int64, progress func(string)) error {
	r, err := nightly.OpenReplay(ctx, pool, st, "")
	if err != nil {
		return err
	}
	defer r.Close()
	fixedM, err := nightly.FixedModel(r.Params().Weights)
	if err != nil {
		return err
	}
	fixed, err := fixedM.Bind(warnings.InputCodes())
	if err != nil {
		return err
	}
	known := outcomeEnd.AddDate(0, 1, 0)
	leads := map[int64]*leadTrack{}
	var results [][]any
	for _, m := range months {
		started := time.Now()
		if err := r.Month(ctx, m, share, 12); err != nil {
			return err
		}
		cells := map[string]*cell{}
		get := func(scorer string, bankID, level *int16, h int) *cell {
			key := fmt.Sprint(scorer, "/", deref(bankID), "/", deref(level), "/", h)
			c := cells[key]
			if c == nil {
				c = &cell{scorer: scorer, month: m, bankID: bankID, level: level, horizon: h}
				cells[key] = c
			}
			return c
		}
		next := m.AddDate(0, 1, 0)
		err := r.Rows(ctx, func(row nightly.ReplayRow) error {
			if !sc.covers(row.BankID) {
				return nil
			}
			scores := map[string]float64{"fixed": model.Probability(fixed.Contributions(row.X, nil))}
			if l, ok := models[row.BankID]; ok {
				scores["model"] = model.Probability(l.bound.Contributions(row.X, nil))
			}
			bankID, level := row.BankID, row.Level
			for scorer, p := range scores {
				warned := math.Round(100*p) >= float64(watch)
				for _, h := range Horizons {
					until := next.AddDate(0, h, 0)
					y := row.LeftOn != nil && !row.LeftOn.Before(next) && row.LeftOn.Before(until) && row.LeftOn.Before(known)
					for _, c := range []*cell{get(scorer, nil, nil, h), get(scorer, &bankID, nil, h), get(scorer, &bankID, &level, h)} {
						c.p, c.w, c.y = append(c.p, p), append(c.w, row.Weight), append(c.y, y)
						if warned {
							c.warn += row.Weight
							if y {
								c.wl += row.Weight
							}
						}
					}
				}
			}
			// leavers within 12 months: follow their warnings month by month
			if row.LeftOn != nil && !row.LeftOn.Before(next) && row.LeftOn.Before(next.AddDate(0, 12, 0)) {
				t := leads[row.ClientID]
				if t == nil {
					t = &leadTrack{bankID: row.BankID, weight: row.Weight, left: *row.LeftOn, run: map[string]int{}}
					leads[row.ClientID] = t
				}
				for scorer, p := range scores {
					if math.Round(100*p) >= float64(watch) {
						if t.last.IsZero() || t.last.AddDate(0, 1, 0).Equal(m) {
							t.run[scorer]++
						} else {
							t.run[scorer] = 1
						}
					} else {
						t.run[scorer] = 0
					}
				}
				t.last = m
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, c := range cells {
			if len(c.y) == 0 {
				continue
			}
			ev := model.Evaluate(c.p, c.y, c.w)
			var leavers, clients float64
			for i, y := range c.y {
				clients += c.w[i]
				if y {
					leavers += c.w[i]
				}
			}
			top := 0.0
			if !math.IsNaN(ev.Captured10) {
				top = ev.Captured10 * leavers
			}
			// a learned model's cell of one bank names the model; a cell is
			// in-sample when a model it sums was fitted on this month
			in := false
			var modelID *int64
			if c.scorer == "model" {
				for bankID, l := range models {
					if c.bankID == nil || *c.bankID == bankID {
						in = in || l.fittedOn[m.Format("2006-01")]
					}
				}
				if l, ok := models[deref16(c.bankID)]; ok && c.bankID != nil && l.id != 0 {
					id := l.id
					modelID = &id
				}
			}
			censored := m.AddDate(0, 1+c.horizon, 0).After(known)
			results = append(results, []any{runID, c.scorer, c.month, c.bankID, c.level, int16(c.horizon), modelID, in,
				censored, clients, leavers, c.warn, c.wl, top, finiteOrNil(ev.AUC)})
		}
		if progress != nil {
			progress(fmt.Sprintf("%s replayed in %s", m.Format("2006-01"), time.Since(started).Round(time.Millisecond)))
		}
	}
	// A leaver counts when the month before it left was replayed.
	type leadKey struct {
		scorer string
		bank   int16
		months int
	}
	leadCount := map[leadKey]float64{}
	for _, t := range leads {
		left := firstOfMonth(t.left)
		if !t.last.AddDate(0, 1, 0).Equal(left) {
			continue
		}
		for scorer, n := range t.run {
			leadCount[leadKey{scorer, t.bankID, n}] += t.weight
			leadCount[leadKey{scorer, -1, n}] += t.weight
		}
	}
	var leadRows [][]any
	for k, v := range leadCount {
		var bankID *int16
		if k.bank >= 0 {
			b := k.bank
			bankID = &b
		}
		leadRows = append(leadRows, []any{runID, k.scorer, bankID, int16(k.months), v})
	}
	// stable order, for tests and readers
	slices.SortFunc(results, func(a, b []any) int { return compareRow(a, b) })
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"backtest_result"},
			[]string{"run_id", "scorer", "month", "bank_id", "seg_level", "horizon", "model_id", "in_sample", "censored",
				"clients", "leavers", "warned", "warned_left", "top_leavers", "auc"}, pgx.CopyFromRows(results)); err != nil {
			return fmt.Errorf("backtest results: %w", err)
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"backtest_lead"},
			[]string{"run_id", "scorer", "bank_id", "months_before", "leavers"}, pgx.CopyFromRows(leadRows)); err != nil {
			return fmt.Errorf("backtest leads: %w", err)
		}
		return nil
	})
}

func deref16(p *int16) int16 {
	if p == nil {
		return -1
	}
	return *p
}

func deref(p *int16) int {
	if p == nil {
		return -1
	}
	return int(*p)
}

func compareRow(a, b []any) int {
	if c := a[2].(time.Time).Compare(b[2].(time.Time)); c != 0 {
		return c
	}
	if a[1].(string) != b[1].(string) {
		if a[1].(string) < b[1].(string) {
			return -1
		}
		return 1
	}
	if c := deref(a[3].(*int16)) - deref(b[3].(*int16)); c != 0 {
		return c
	}
	if c := deref(a[4].(*int16)) - deref(b[4].(*int16)); c != 0 {
		return c
	}
	return int(a[5].(int16) - b[5].(int16))
}
