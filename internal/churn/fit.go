// Package churn owns the learned churn models: fitting one on the bank's own
// history replayed month by month, its model card, which model scores each
// bank, carrying a model to another bank or installation (export and import),
// and the backtest that compares the warnings with who really left.
//
// The inputs come from the nightly run's own statements (nightly.Replay), so a
// model learns from exactly what the run scores; the fitting is the
// internal/model package's, in Go.
package churn

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/relaycrm/relay/internal/audit"
	"github.com/relaycrm/relay/internal/banks"
	"github.com/relaycrm/relay/internal/db"
	"github.com/relaycrm/relay/internal/model"
	"github.com/relaycrm/relay/internal/nightly"
	"github.com/relaycrm/relay/internal/settings"
	"github.com/relaycrm/relay/internal/warnings"
)

//go:embed churn.sql
var sqlFS embed.FS

// SQL is the package's named queries, for the check at start.
var SQL = []db.File{db.MustLoadFile(sqlFS, "internal/churn", "churn.sql")}

var queries = SQL[0].Queries

// FixedName is what the model cards call the published weights.
const FixedName = "the published fixed weights"

// minBankTestLeavers is the fewest leavers a bank's test months need before a
// group model is judged there on its own.
const minBankTestLeavers = 10

// FitRequest says what to fit.
type FitRequest struct {
	// Bank is the code of the bank to fit on; empty fits on the whole group.
	Bank string
	// From and To are the first and last months to replay; zero: the latest
	// model.months months whose outcome is known.
	From, To time.Time
	// UserID is who asked (0: the command line), for the audit log.
	UserID int64
	// Progress, when set, hears a line per replayed month.
	Progress func(string)
}

// BankVerdict is how a fitted model did on one bank's test months beside the
// fixed weights, and whether it now scores that bank.
type BankVerdict struct {
	BankID int16         `json:"bank_id"`
	Code   string        `json:"code"`
	Name   string        `json:"name"`
	Model  model.Metrics `json:"model"`
	Fixed  model.Metrics `json:"fixed"`
	Beats  bool          `json:"beats"`
	Used   bool          `json:"used"`
	Why    string        `json:"why"` // in English; WhyIn writes it in a reader's language
	// WhyKey and WhyArgs are the why as data (verdict.go); empty on a card
	// fitted before they were kept.
	WhyKey  string   `json:"why_key,omitempty"`
	WhyArgs *WhyArgs `json:"why_args,omitempty"`
}

// CardExtra is what Relay adds to a model's card: the horizon, whether some
// months' outcomes were cut short by the end of the data, and the verdict per
// bank.
type CardExtra struct {
	Horizon  int           `json:"horizon_months"`
	Censored bool          `json:"censored"`
	Banks    []BankVerdict `json:"banks"`
}

// StoredCard is the card column of fitted_model.
type StoredCard struct {
	model.Card
	CardExtra
}

// FitOutcome is what a fit did.
type FitOutcome struct {
	ModelID    int64
	Months     []time.Time
	TestMonths []time.Time
	Result     *model.Result
	Card       StoredCard
}

// ErrNoHistory is returned when the data holds no month a fit can learn from.
var ErrNoHistory = errors.New("no month of history with a known outcome")

type bank = banks.Bank

// Fit replays the bank's (or the group's) history, fits an additive model on
// who left within warning.horizon_months of each month, tests it on the
// latest model.test_months against the fixed weights, stores it with its card,
// and switches it in for every bank where it beats them there. A fit refused
// for too little history stores nothing: the fixed weights stay.
func Fit(ctx context.Context, pool *pgxpool.Pool, st *settings.Store, req FitRequest) (FitOutcome, error) {
	vals, err := st.Load(ctx)
	if err != nil {
		return FitOutcome{}, err
	}
	horizon := vals.Int("warning.horizon_months")
	scope, banks, err := resolveScope(ctx, pool, req.Bank)
	if err != nil {
		return FitOutcome{}, err
	}
	span, err := readSpan(ctx, pool)
	if err != nil {
		return FitOutcome{}, err
	}
	months, censored, err := fitMonths(span, horizon, vals.Int("model.months"), vals.Int("model.test_months"), req.From, req.To)
	if err != nil {
		return FitOutcome{}, err
	}
	testMonths := min(vals.Int("model.test_months"), len(months)-1)
	res, ds, rowBank, fixed, err := fitOn(ctx, pool, st, vals, scope, months, testMonths, span.outcomeEnd, req.Progress)
	if err != nil {
		return FitOutcome{}, err
	}
	card := StoredCard{Card: *res.Model.Card(), CardExtra: CardExtra{Horizon: horizon, Censored: censored}}
	card.Purpose = "churn"
	card.Target = fmt.Sprintf("the client leaves within %d months", horizon)
	card.Scope = scope.label
	card.BaselineName = FixedName
	card.Banks = verdicts(res, &ds, rowBank, banks, fixed)

	out := FitOutcome{Months: months, TestMonths: months[len(months)-testMonths:], Result: res, Card: card}
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		id, err := insertModel(ctx, tx, scope, "fitted", "", res.Model, card, req.UserID)
		if err != nil {
			return err
		}
		out.ModelID = id
		for i, v := range card.Banks {
			if !v.Beats {
				continue
			}
			why := fmt.Sprintf("fitted model %d beats the fixed weights on %s's test months (%s): AUC %.3f against %.3f, top-10%% lift %.2f against %.2f",
				id, v.Code, monthRange(out.TestMonths), v.Model.AUC, v.Fixed.AUC, v.Model.Lift10, v.Fixed.Lift10)
			if err := useModel(ctx, tx, v.BankID, &id, req.UserID, why); err != nil {
				return err
			}
			card.Banks[i].Used = true
		}
		// the card records which banks took it
		js, err := json.Marshal(card)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, "UPDATE fitted_model SET card = $2 WHERE id = $1", id, js)
		return err
	})
	if err != nil {
		return FitOutcome{}, fmt.Errorf("store the model: %w", err)
	}
	out.Card = card
	return out, nil
}

// fitOn replays months for the scope's clients and fits a model on them,
// the latest testMonths held out as the test beside the fixed weights, then
// refitted on every month. It stores nothing.
func fitOn(ctx context.Context, pool *pgxpool.Pool, st *settings.Store, vals settings.Values, sc scope, months []time.Time,
	testMonths int, outcomeEnd time.Time, progress func(string)) (*model.Result, model.Dataset, []int16, model.Scorer, error) {
	horizon := vals.Int("warning.horizon_months")
	share, err := sampleShare(ctx, pool, sc, months, horizon, vals.Int("model.sample_rows"))
	if err != nil {
		return nil, model.Dataset{}, nil, nil, err
	}
	r, err := nightly.OpenReplay(ctx, pool, st, "")
	if err != nil {
		return nil, model.Dataset{}, nil, nil, err
	}
	defer r.Close()
	ds, rowBank, err := collect(ctx, r, months, horizon, outcomeEnd, share, horizon, sc, progress)
	if err != nil {
		return nil, model.Dataset{}, nil, nil, err
	}
	fixed, err := nightly.FixedModel(r.Params().Weights)
	if err != nil {
		return nil, model.Dataset{}, nil, nil, err
	}
	label := func(period int) string { return monthOf(period).Format("2006-01") }
	res, err := model.Fit(ds, testMonths, model.Options{
		MinPositives: vals.Int("model.min_leavers"),
		Baseline:     fixed,
		Refit:        true,
		PeriodLabel:  label,
		Thresholds:   []float64{float64(vals.Int("warning.level_watch")) / 100, float64(vals.Int("warning.level_high")) / 100},
	})
	if err != nil {
		return nil, model.Dataset{}, nil, nil, fmt.Errorf("fit refused, the fixed weights stay: %w", err)
	}
	return res, ds, rowBank, fixed, nil
}

// scope is the bank a fit or backtest covers, or the whole group.
type scope struct {
	groupID int16
	bankID  *int16 // nil: every bank of the group
	label   string
}

func (s scope) covers(bankID int16) bool { return s.bankID == nil || *s.bankID == bankID }

// resolveScope finds the bank of code, or the only group when code is empty.
func resolveScope(ctx context.Context, q db.Querier, code string) (scope, []bank, error) {
	s, bs, err := banks.Resolve(ctx, q, code)
	if err != nil {
		return scope{}, nil, err
	}
	return scope{groupID: s.GroupID, bankID: s.BankID, label: s.Label}, bs, nil
}

func groupBanks(ctx context.Context, q db.Querier, groupID int16) ([]bank, error) {
	return banks.OfGroup(ctx, q, groupID)
}

// span is the history in the database: first and last month of facts, and
// the last month whose leavings are known (the last month of facts, or a
// later month when leavings are recorded after it).
type span struct {
	first, last, outcomeEnd time.Time
}

func readSpan(ctx context.Context, q db.Querier) (span, error) {
	var first, last, lastLeft *time.Time
	if err := q.QueryRow(ctx, queries.Get("history-span")).Scan(&first, &last, &lastLeft); err != nil {
		return span{}, fmt.Errorf("history: %w", err)
	}
	if first == nil || last == nil {
		return span{}, fmt.Errorf("%w: there are no monthly facts", ErrNoHistory)
	}
	s := span{first: *first, last: *last, outcomeEnd: *last}
	if lastLeft != nil && lastLeft.After(s.outcomeEnd) {
		s.outcomeEnd = *lastLeft
	}
	return s, nil
}

// fitMonths picks the months to replay: from and to when given, else the
// latest want months whose whole horizon lies within the known outcomes and
// that have at least 3 months of facts behind them. When fewer than the test
// months and two more have a whole horizon, months whose horizon the data cuts
// short are taken too (censored: some leavers are not seen yet).
func fitMonths(s span, horizon, want, test int, from, to time.Time) ([]time.Time, bool, error) {
	earliest := s.first.AddDate(0, 2, 0)
	fullEnd := s.outcomeEnd.AddDate(0, -horizon, 0)
	if !from.IsZero() || !to.IsZero() {
		if from.IsZero() || to.IsZero() {
			return nil, false, errors.New("--from and --to go together")
		}
		from, to = firstOfMonth(from), firstOfMonth(to)
		if to.Before(from) {
			return nil, false, fmt.Errorf("--from %s is after --to %s", from.Format("2006-01"), to.Format("2006-01"))
		}
		if from.Before(s.first) {
			return nil, false, fmt.Errorf("--from %s: the facts begin in %s", from.Format("2006-01"), s.first.Format("2006-01"))
		}
		if !to.Before(s.outcomeEnd) {
			return nil, false, fmt.Errorf("--to %s: no outcome is known after it (the data ends in %s)",
				to.Format("2006-01"), s.outcomeEnd.Format("2006-01"))
		}
		return monthsBetween(from, to), to.After(fullEnd), nil
	}
	pick := func(end time.Time) []time.Time {
		if end.Before(earliest) {
			return nil
		}
		start := end.AddDate(0, -(want - 1), 0)
		if start.Before(earliest) {
			start = earliest
		}
		return monthsBetween(start, end)
	}
	if months := pick(fullEnd); len(months) >= test+2 {
		return months, false, nil
	}
	months := pick(s.outcomeEnd.AddDate(0, -1, 0))
	if len(months) < 2 {
		return nil, false, fmt.Errorf("%w: the facts run %s to %s, and a fit needs at least two months with 3 months of facts before them and an outcome after",
			ErrNoHistory, s.first.Format("2006-01"), s.last.Format("2006-01"))
	}
	return months, true, nil
}

// sampleShare is the share of the other clients each replayed month reads,
// beside every client that leaves within keep months of it, so that the
// months hold about rows client-months in all, and at least as many of the
// others as of the leavers (a big bank's leavers alone can fill the rows).
func sampleShare(ctx context.Context, q db.Querier, sc scope, months []time.Time, keep, rows int) (float64, error) {
	var active, leavers int64
	last := months[len(months)-1]
	if err := q.QueryRow(ctx, queries.Get("active-at"), last, sc.bankID).Scan(&active); err != nil {
		return 0, fmt.Errorf("active clients: %w", err)
	}
	if err := q.QueryRow(ctx, queries.Get("leavers-between"), months[0].AddDate(0, 1, 0), last.AddDate(0, 1+keep, 0),
		sc.bankID).Scan(&leavers); err != nil {
		return 0, fmt.Errorf("leavers: %w", err)
	}
	total := float64(active) * float64(len(months))
	if total <= float64(rows) {
		return 1, nil
	}
	// each leaver is read in the months before it leaves, at most keep; the
	// others fill the rest of the rows, and are at least as many as they
	kept := float64(leavers) * float64(min(keep, len(months)))
	others := math.Max(float64(rows)-kept, kept)
	return math.Min(1, math.Max(others/math.Max(total-kept, 1), 0.001)), nil
}

// collect replays every month and gathers the rows of the scope's clients,
// each labelled with whether it left within the horizon (cut at the end of
// the known outcomes).
func collect(ctx context.Context, r *nightly.Replay, months []time.Time, horizon int, outcomeEnd time.Time,
	share float64, keep int, sc scope, progress func(string)) (model.Dataset, []int16, error) {
	ds := model.Dataset{Inputs: warnings.InputCodes(), Cols: make([][]float64, len(warnings.Inputs))}
	var rowBank []int16
	known := outcomeEnd.AddDate(0, 1, 0)
	for _, m := range months {
		started := time.Now()
		if err := r.Month(ctx, m, share, keep); err != nil {
			return ds, nil, err
		}
		from := m.AddDate(0, 1, 0)
		until := from.AddDate(0, horizon, 0)
		if until.After(known) {
			until = known
		}
		n, left := 0, 0
		err := r.Rows(ctx, func(row nightly.ReplayRow) error {
			if !sc.covers(row.BankID) {
				return nil
			}
			for k, v := range row.X {
				ds.Cols[k] = append(ds.Cols[k], v)
			}
			y := row.LeftOn != nil && !row.LeftOn.Before(from) && row.LeftOn.Before(until)
			ds.Y = append(ds.Y, y)
			ds.W = append(ds.W, row.Weight)
			ds.Period = append(ds.Period, periodOf(m))
			ds.Entity = append(ds.Entity, row.ClientID)
			rowBank = append(rowBank, row.BankID)
			n++
			if y {
				left++
			}
			return nil
		})
		if err != nil {
			return ds, nil, err
		}
		if progress != nil {
			progress(fmt.Sprintf("%s: %d clients read (%d leave within %d months), %s", m.Format("2006-01"), n, left,
				horizon, time.Since(started).Round(time.Millisecond)))
		}
	}
	return ds, rowBank, nil
}

// verdicts judges the tested model against the fixed weights on each bank's
// test rows. A bank with too few leavers in them takes the verdict of the
// whole test when the model was fitted on the group.
func verdicts(res *model.Result, ds *model.Dataset, rowBank []int16, banks []bank, fixed model.Scorer) []BankVerdict {
	tested, _ := model.Bind(res.Tested, ds.Inputs)
	base, _ := model.Bind(fixed, ds.Inputs)
	firstTest := res.TestPeriods[0]
	x := make([]float64, len(ds.Inputs))
	var out []BankVerdict
	for _, b := range banks {
		var pm, pf []float64
		var y []bool
		var w []float64
		for i := range ds.Y {
			if ds.Period[i] < firstTest || rowBank[i] != b.ID {
				continue
			}
			for k := range x {
				x[k] = ds.Cols[k][i]
			}
			pm = append(pm, model.Probability(tested.Contributions(x, nil)))
			pf = append(pf, model.Probability(base.Contributions(x, nil)))
			y = append(y, ds.Y[i])
			w = append(w, ds.W[i])
		}
		v := BankVerdict{BankID: b.ID, Code: b.Code, Name: b.Name}
		if len(y) == 0 {
			v.setWhy(whyNoClients, WhyArgs{})
			out = append(out, v)
			continue
		}
		v.Model, v.Fixed = model.Evaluate(pm, y, w), model.Evaluate(pf, y, w)
		switch {
		case v.Model.Positives >= minBankTestLeavers:
			v.Beats = v.Model.AUC > v.Fixed.AUC && v.Model.Lift10 >= v.Fixed.Lift10
			if v.Beats {
				v.setWhy(whyBeats, WhyArgs{})
			} else {
				v.setWhy(whyNotBeats, WhyArgs{})
			}
		case len(banks) > 1:
			v.Beats = res.Beats()
			v.setWhy(whyFewGroup, WhyArgs{Leavers: v.Model.Positives})
		default:
			v.setWhy(whyFew, WhyArgs{Leavers: v.Model.Positives})
		}
		out = append(out, v)
	}
	return out
}

func insertModel(ctx context.Context, tx pgx.Tx, sc scope, source, origin string, m model.Scorer, card StoredCard, userID int64) (int64, error) {
	body, err := model.Marshal(m)
	if err != nil {
		return 0, err
	}
	cardJS, err := json.Marshal(card)
	if err != nil {
		return 0, err
	}
	var test, base model.Metrics
	if card.Test != nil {
		test = *card.Test
	}
	if card.Baseline != nil {
		base = *card.Baseline
	}
	var id int64
	err = tx.QueryRow(ctx, queries.Get("insert-model"), sc.groupID, sc.bankID, source, origin, card.FittedAt,
		userOrNil(userID), cardJS, body, finiteOrNil(test.AUC), finiteOrNil(test.Lift10),
		finiteOrNil(base.AUC), finiteOrNil(base.Lift10), anyBeats(card)).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("insert model: %w", err)
	}
	what := "fitted"
	if source == "imported" {
		what = "imported"
	}
	err = audit.Record(ctx, tx, audit.Entry{UserID: userID, Action: "model." + what, Object: fmt.Sprintf("model:%d", id),
		Details: map[string]any{"scope": sc.label, "origin": origin}})
	return id, err
}

// useModel says which model scores a bank from the next run (nil: the fixed
// weights), audited.
func useModel(ctx context.Context, tx pgx.Tx, bankID int16, modelID *int64, userID int64, why string) error {
	if _, err := tx.Exec(ctx, queries.Get("use-model"), bankID, modelID, userOrNil(userID), why); err != nil {
		return fmt.Errorf("use model: %w", err)
	}
	detail := map[string]any{"bank_id": bankID, "reason": why}
	if modelID != nil {
		detail["model_id"] = *modelID
	}
	return audit.Record(ctx, tx, audit.Entry{UserID: userID, Action: "model.use", Object: fmt.Sprintf("bank:%d", bankID),
		Details: detail})
}

func anyBeats(c StoredCard) bool {
	for _, b := range c.Banks {
		if b.Beats {
			return true
		}
	}
	return false
}

func userOrNil(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}

func finiteOrNil(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

func firstOfMonth(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
}

func monthsBetween(from, to time.Time) []time.Time {
	var out []time.Time
	for m := firstOfMonth(from); !m.After(to); m = m.AddDate(0, 1, 0) {
		out = append(out, m)
	}
	return out
}

func periodOf(m time.Time) int { return m.Year()*12 + int(m.Month()) - 1 }

func monthOf(period int) time.Time {
	return time.Date(period/12, time.Month(period%12+1), 1, 0, 0, 0, 0, time.UTC)
}

func monthRange(months []time.Time) string {
	if len(months) == 0 {
		return ""
	}
	a, b := months[0].Format("2006-01"), months[len(months)-1].Format("2006-01")
	if a == b {
		return a
	}
	return a + " to " + b
}
