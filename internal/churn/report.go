package churn

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/relaycrm/relay/internal/db"
)

// Figures are a backtest's counts over some months, banks or levels, and the
// rates they give.
type Figures struct {
	Clients, Leavers, Warned, WarnedLeft, TopLeavers float64
	// AUC is the leaver-weighted mean of the months' AUCs.
	AUC      float64
	aucW     float64
	Months   int
	InSample int // months a learned model was fitted on
	Censored int // months whose horizon the data cuts short
}

// Recall is the share of leavers that were warned.
func (f Figures) Recall() float64 { return ratio(f.WarnedLeft, f.Leavers) }

// Precision is the share of warned clients that left.
func (f Figures) Precision() float64 { return ratio(f.WarnedLeft, f.Warned) }

// Lift10 is the share of leavers in the top 10% of scores over 10%.
func (f Figures) Lift10() float64 { return ratio(f.TopLeavers, f.Leavers) / 0.1 }

// Rate is the share of clients that left.
func (f Figures) Rate() float64 { return ratio(f.Leavers, f.Clients) }

func ratio(a, b float64) float64 {
	if b <= 0 {
		return math.NaN()
	}
	return a / b
}

func (f *Figures) add(r resultRow) {
	f.Clients += r.clients
	f.Leavers += r.leavers
	f.Warned += r.warned
	f.WarnedLeft += r.warnedLeft
	f.TopLeavers += r.topLeavers
	if r.auc != nil && r.leavers > 0 {
		f.AUC = (f.AUC*f.aucW + *r.auc*r.leavers) / (f.aucW + r.leavers)
		f.aucW += r.leavers
	}
	f.Months++
	if r.inSample {
		f.InSample++
	}
	if r.censored {
		f.Censored++
	}
}

// SummaryLine is one scorer's figures over all months at one horizon.
type SummaryLine struct {
	Scorer  string
	Horizon int
	Figures
	Recall, Precision, Lift10 float64
}

// MonthLine is one scorer's figures in one month at one horizon.
type MonthLine struct {
	Month   time.Time
	Scorer  string
	Horizon int
	Figures
}

// BreakdownLine is one scorer's figures over all months for one bank or
// segment level, at one horizon.
type BreakdownLine struct {
	BankID  *int16
	Bank    string
	Level   *int16
	Scorer  string
	Horizon int
	Figures
}

// LeadLine is how many months of warning a scorer gave the leavers.
type LeadLine struct {
	Scorer  string
	Leavers float64
	// ByMonths[n] is the leavers warned exactly n months in a row before
	// leaving (0: not warned the month before).
	ByMonths map[int]float64
}

// AtLeast is the share of leavers warned at least n months in a row before
// leaving.
func (l LeadLine) AtLeast(n int) float64 {
	var s float64
	for k, v := range l.ByMonths {
		if k >= n {
			s += v
		}
	}
	return ratio(s, l.Leavers)
}

// Report is a stored backtest, summed for reading.
type Report struct {
	ID          int64
	From, To    time.Time
	Status      string
	Error       string
	StartedAt   time.Time
	FinishedAt  *time.Time
	Setup       BacktestSetup
	Summary     []SummaryLine
	Months      []MonthLine
	Banks       []BreakdownLine
	Levels      []BreakdownLine
	Lead        []LeadLine
	HasModel    bool
	BankNames   map[int16]string
	MonthsCount int
}

// ErrNoBacktest is returned when a group has no backtest yet.
var ErrNoBacktest = errors.New("no backtest has been run yet")

type resultRow struct {
	scorer                                           string
	month                                            time.Time
	bankID, level                                    *int16
	horizon                                          int16
	inSample, censored                               bool
	clients, leavers, warned, warnedLeft, topLeavers float64
	auc                                              *float64
}

// LatestBacktest is the group's latest succeeded backtest, read whole.
func LatestBacktest(ctx context.Context, q db.Querier, groupID int16) (Report, error) {
	var id int64
	err := q.QueryRow(ctx, `SELECT id FROM backtest_run WHERE group_id = $1 AND status = 'succeeded'
		ORDER BY finished_at DESC, id DESC LIMIT 1`, groupID).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return Report{}, ErrNoBacktest
	}
	if err != nil {
		return Report{}, fmt.Errorf("latest backtest: %w", err)
	}
	return BacktestReport(ctx, q, groupID, id)
}

// BacktestReport reads backtest id of the group and sums it by scorer and
// horizon, by month, by bank and by segment level.
func BacktestReport(ctx context.Context, q db.Querier, groupID int16, id int64) (Report, error) {
	rep := Report{ID: id, BankNames: map[int16]string{}}
	var setup []byte
	err := q.QueryRow(ctx, `SELECT from_month, to_month, status, error, started_at, finished_at, setup
		FROM backtest_run WHERE id = $1 AND group_id = $2`, id, groupID).Scan(&rep.From, &rep.To, &rep.Status,
		&rep.Error, &rep.StartedAt, &rep.FinishedAt, &setup)
	if errors.Is(err, pgx.ErrNoRows) {
		return rep, ErrNoBacktest
	}
	if err != nil {
		return rep, fmt.Errorf("backtest %d: %w", id, err)
	}
	if err := json.Unmarshal(setup, &rep.Setup); err != nil {
		return rep, fmt.Errorf("backtest %d: setup: %w", id, err)
	}
	banks, err := groupBanks(ctx, q, groupID)
	if err != nil {
		return rep, err
	}
	for _, b := range banks {
		rep.BankNames[b.ID] = b.Code
	}
	rows, err := q.Query(ctx, `SELECT scorer, month, bank_id, seg_level, horizon, in_sample, censored, clients, leavers,
		warned, warned_left, top_leavers, auc FROM backtest_result WHERE run_id = $1 ORDER BY month, scorer, horizon`, id)
	if err != nil {
		return rep, fmt.Errorf("backtest %d: %w", id, err)
	}
	results, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (resultRow, error) {
		var x resultRow
		return x, r.Scan(&x.scorer, &x.month, &x.bankID, &x.level, &x.horizon, &x.inSample, &x.censored, &x.clients,
			&x.leavers, &x.warned, &x.warnedLeft, &x.topLeavers, &x.auc)
	})
	if err != nil {
		return rep, fmt.Errorf("backtest %d: %w", id, err)
	}
	type sk struct {
		scorer  string
		horizon int
	}
	summary := map[sk]*Figures{}
	type bk struct {
		sk
		bank int16
	}
	byBank := map[bk]*Figures{}
	type lk struct {
		sk
		level int16
	}
	byLevel := map[lk]*Figures{}
	months := map[time.Time]bool{}
	for _, r := range results {
		k := sk{r.scorer, int(r.horizon)}
		if r.scorer == "model" {
			rep.HasModel = true
		}
		switch {
		case r.bankID == nil && r.level == nil:
			if summary[k] == nil {
				summary[k] = &Figures{}
			}
			summary[k].add(r)
			f := Figures{}
			f.add(r)
			rep.Months = append(rep.Months, MonthLine{Month: r.month, Scorer: r.scorer, Horizon: int(r.horizon), Figures: f})
			months[r.month] = true
		case r.level == nil:
			key := bk{k, *r.bankID}
			if byBank[key] == nil {
				byBank[key] = &Figures{}
			}
			byBank[key].add(r)
		default:
			key := lk{k, *r.level}
			if byLevel[key] == nil {
				byLevel[key] = &Figures{}
			}
			byLevel[key].add(r)
		}
	}
	rep.MonthsCount = len(months)
	for _, s := range []string{"fixed", "model"} {
		for _, h := range Horizons {
			k := sk{s, h}
			if f := summary[k]; f != nil {
				rep.Summary = append(rep.Summary, SummaryLine{Scorer: s, Horizon: h, Figures: *f,
					Recall: f.Recall(), Precision: f.Precision(), Lift10: f.Lift10()})
			}
			for _, b := range banks {
				if f := byBank[bk{k, b.ID}]; f != nil {
					id := b.ID
					rep.Banks = append(rep.Banks, BreakdownLine{BankID: &id, Bank: b.Code, Scorer: s, Horizon: h, Figures: *f})
				}
			}
			for lv := int16(1); lv <= 4; lv++ {
				// a level sums over banks
				var f *Figures
				for key, v := range byLevel {
					if key.sk == k && key.level == lv {
						if f == nil {
							f = &Figures{}
						}
						f.Clients += v.Clients
						f.Leavers += v.Leavers
						f.Warned += v.Warned
						f.WarnedLeft += v.WarnedLeft
						f.TopLeavers += v.TopLeavers
					}
				}
				if f != nil {
					l := lv
					f.AUC = math.NaN()
					rep.Levels = append(rep.Levels, BreakdownLine{Level: &l, Scorer: s, Horizon: h, Figures: *f})
				}
			}
		}
	}
	lead, err := q.Query(ctx, `SELECT scorer, months_before, leavers FROM backtest_lead
		WHERE run_id = $1 AND bank_id IS NULL ORDER BY scorer, months_before`, id)
	if err != nil {
		return rep, fmt.Errorf("backtest %d: %w", id, err)
	}
	defer lead.Close()
	byScorer := map[string]*LeadLine{}
	var order []string
	for lead.Next() {
		var s string
		var n int16
		var v float64
		if err := lead.Scan(&s, &n, &v); err != nil {
			return rep, fmt.Errorf("backtest %d: %w", id, err)
		}
		l := byScorer[s]
		if l == nil {
			l = &LeadLine{Scorer: s, ByMonths: map[int]float64{}}
			byScorer[s] = l
			order = append(order, s)
		}
		l.ByMonths[int(n)] += v
		l.Leavers += v
	}
	if err := lead.Err(); err != nil {
		return rep, fmt.Errorf("backtest %d: %w", id, err)
	}
	for _, s := range order {
		rep.Lead = append(rep.Lead, *byScorer[s])
	}
	return rep, nil
}
