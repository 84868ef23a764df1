package churn

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/relaycrm/relay/internal/db"
	"github.com/relaycrm/relay/internal/model"
	"github.com/relaycrm/relay/internal/nightly"
	"github.com/relaycrm/relay/internal/settings"
	"github.com/relaycrm/relay/internal/warnings"
)

// ErrNotFound is returned for a model that does not exist in the group.
var ErrNotFound = errors.New("no such model")

// Record is a stored model with its card.
type Record struct {
	ID        int64
	GroupID   int16
	BankID    *int16
	BankCode  string
	BankName  string
	Source    string // fitted or imported
	Origin    string
	FittedAt  time.Time
	CreatedAt time.Time
	Card      StoredCard
	TestAUC   *float64
	TestLift  *float64
	FixedAUC  *float64
	FixedLift *float64
	Beats     bool
	UsedBy    []string // codes of the banks it scores
}

func scanRecord(row pgx.Row) (Record, error) {
	var r Record
	var card []byte
	err := row.Scan(&r.ID, &r.GroupID, &r.BankID, &r.BankCode, &r.BankName, &r.Source, &r.Origin, &r.FittedAt,
		&r.CreatedAt, &card, &r.TestAUC, &r.TestLift, &r.FixedAUC, &r.FixedLift, &r.Beats, &r.UsedBy)
	if err != nil {
		return r, err
	}
	if err := json.Unmarshal(card, &r.Card); err != nil {
		return r, fmt.Errorf("model %d: card: %w", r.ID, err)
	}
	return r, nil
}

// Models lists the group's models, newest first.
func Models(ctx context.Context, q db.Querier, groupID int16, limit int) ([]Record, error) {
	rows, err := q.Query(ctx, queries.Get("list-models"), groupID, limit)
	if err != nil {
		return nil, fmt.Errorf("models: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Record, error) { return scanRecord(r) })
	if err != nil {
		return nil, fmt.Errorf("models: %w", err)
	}
	return out, nil
}

// Model reads one model of the group.
func Model(ctx context.Context, q db.Querier, groupID int16, id int64) (Record, error) {
	r, err := scanRecord(q.QueryRow(ctx, queries.Get("get-model"), id, groupID))
	if errors.Is(err, pgx.ErrNoRows) {
		return r, ErrNotFound
	}
	if err != nil {
		return r, fmt.Errorf("model %d: %w", id, err)
	}
	return r, nil
}

// Shapes reads a model's inputs and, for an additive model, each input's
// shape, for its card.
func Shapes(ctx context.Context, q db.Querier, groupID int16, id int64) (model.Scorer, error) {
	var body []byte
	err := q.QueryRow(ctx, queries.Get("model-body"), id, groupID).Scan(&body)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("model %d: %w", id, err)
	}
	return model.Unmarshal(bytes.NewReader(body))
}

// BankUse is which scorer a bank has.
type BankUse struct {
	BankID   int16
	Code     string
	Name     string
	ModelID  *int64 // from the next run; nil: the fixed weights
	Reason   string
	ChosenAt *time.Time
	// LastModelID is the model the last run scored it with (nil: the fixed
	// weights); LastAsOf that run's month (nil: no run yet).
	LastByModel bool
	LastModelID *int64
	LastAsOf    *time.Time
}

// BankUses lists every bank of the group with its scorer.
func BankUses(ctx context.Context, q db.Querier, groupID int16) ([]BankUse, error) {
	rows, err := q.Query(ctx, queries.Get("bank-uses"), groupID)
	if err != nil {
		return nil, fmt.Errorf("bank models: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (BankUse, error) {
		var u BankUse
		return u, r.Scan(&u.BankID, &u.Code, &u.Name, &u.ModelID, &u.Reason, &u.ChosenAt, &u.LastByModel,
			&u.LastModelID, &u.LastAsOf)
	})
	if err != nil {
		return nil, fmt.Errorf("bank models: %w", err)
	}
	return out, nil
}

// Use makes a model of the group (nil: the fixed weights) score a bank from
// the next run, on an admin's word, audited.
func Use(ctx context.Context, pool *pgxpool.Pool, groupID int16, bankID int16, modelID *int64, userID int64) error {
	banks, err := groupBanks(ctx, pool, groupID)
	if err != nil {
		return err
	}
	var b *bank
	for i := range banks {
		if banks[i].ID == bankID {
			b = &banks[i]
		}
	}
	if b == nil {
		return fmt.Errorf("bank %d: %w", bankID, ErrNotFound)
	}
	why := "an admin switched the bank back to the fixed weights"
	if modelID != nil {
		if _, err := Model(ctx, pool, groupID, *modelID); err != nil {
			return err
		}
		why = fmt.Sprintf("an admin chose model %d", *modelID)
	}
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error { return useModel(ctx, tx, b.ID, modelID, userID, why) })
}

// File is a model as carried between banks and installations: its card and
// the model itself.
type File struct {
	Format string          `json:"format"` // FileFormat
	Card   StoredCard      `json:"card"`
	Model  json.RawMessage `json:"model"`
}

// FileFormat names the version of File.
const FileFormat = "relay-churn-model/1"

// maxFileBytes bounds a model file read on import.
const maxFileBytes = 8 << 20

// Export writes a model of the group as a File.
func Export(ctx context.Context, q db.Querier, groupID int16, id int64, w io.Writer) error {
	rec, err := Model(ctx, q, groupID, id)
	if err != nil {
		return err
	}
	var body []byte
	if err := q.QueryRow(ctx, queries.Get("model-body"), id, groupID).Scan(&body); err != nil {
		return fmt.Errorf("model %d: %w", id, err)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(File{Format: FileFormat, Card: rec.Card, Model: body})
}

// ImportRequest says where an imported model goes.
type ImportRequest struct {
	// Bank is the code of the bank it is for; empty: every bank of the group.
	Bank   string
	UserID int64
	// Progress, when set, hears a line per month the model is checked on.
	Progress func(string)
}

// ImportOutcome is what an import did.
type ImportOutcome struct {
	ModelID int64
	Banks   []BankVerdict
}

// Import reads a model file (at most 8 MiB, checked whole), stores the model
// and makes it score the bank it was imported for (or every bank of the
// group) from the next run, unless that bank's own history is long enough to
// show it losing to the fixed weights on its latest months.
func Import(ctx context.Context, pool *pgxpool.Pool, st *settings.Store, r io.Reader, req ImportRequest) (ImportOutcome, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxFileBytes+1))
	if err != nil {
		return ImportOutcome{}, fmt.Errorf("read model file: %w", err)
	}
	if len(data) > maxFileBytes {
		return ImportOutcome{}, fmt.Errorf("model file: larger than %d bytes", maxFileBytes)
	}
	var f File
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return ImportOutcome{}, fmt.Errorf("model file: %w", err)
	}
	if f.Format != FileFormat {
		return ImportOutcome{}, fmt.Errorf("model file: format %q, expected %q", f.Format, FileFormat)
	}
	if f.Card.Purpose != "churn" {
		return ImportOutcome{}, fmt.Errorf("model file: purpose %q, expected churn", f.Card.Purpose)
	}
	m, err := model.Unmarshal(bytes.NewReader(f.Model))
	if err != nil {
		return ImportOutcome{}, fmt.Errorf("model file: %w", err)
	}
	if _, err := m.Bind(warnings.InputCodes()); err != nil {
		return ImportOutcome{}, fmt.Errorf("model file: this installation cannot score it: %w", err)
	}
	sc, banks, err := resolveScope(ctx, pool, req.Bank)
	if err != nil {
		return ImportOutcome{}, err
	}
	checks, err := checkOnOwnHistory(ctx, pool, st, m, sc, banks, req.Progress)
	if err != nil {
		return ImportOutcome{}, err
	}
	card := f.Card
	card.Banks = checks
	origin := fmt.Sprintf("fitted on %s, %s, at %s", card.Scope, monthList(card.FittedOn), card.FittedAt.Format(time.DateOnly))
	out := ImportOutcome{Banks: checks}
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		id, err := insertModel(ctx, tx, sc, "imported", origin, m, card, req.UserID)
		if err != nil {
			return err
		}
		out.ModelID = id
		for i, v := range checks {
			if !v.Used {
				continue
			}
			why := fmt.Sprintf("imported model %d (%s): %s", id, origin, v.Why)
			if err := useModel(ctx, tx, v.BankID, &id, req.UserID, why); err != nil {
				return err
			}
			out.Banks[i] = v
		}
		return nil
	})
	if err != nil {
		return ImportOutcome{}, fmt.Errorf("store the model: %w", err)
	}
	return out, nil
}

// checkOnOwnHistory scores the latest months of each bank's own history whose
// outcome is known with m and with the fixed weights. A bank takes m unless
// those months hold enough leavers and m does worse there on both AUC and
// top-10% lift.
func checkOnOwnHistory(ctx context.Context, pool *pgxpool.Pool, st *settings.Store, m model.Scorer, sc scope,
	banks []bank, progress func(string)) ([]BankVerdict, error) {
	vals, err := st.Load(ctx)
	if err != nil {
		return nil, err
	}
	horizon := vals.Int("warning.horizon_months")
	out := make([]BankVerdict, len(banks))
	for i, b := range banks {
		out[i] = BankVerdict{BankID: b.ID, Code: b.Code, Name: b.Name, Used: true, Beats: true}
		out[i].setWhy(whyShort, WhyArgs{})
	}
	s, err := readSpan(ctx, pool)
	if errors.Is(err, ErrNoHistory) {
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	months, censored, err := fitMonths(s, horizon, vals.Int("model.test_months"), 0, time.Time{}, time.Time{})
	if errors.Is(err, ErrNoHistory) || censored {
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	share, err := sampleShare(ctx, pool, sc, months, horizon, vals.Int("model.sample_rows"))
	if err != nil {
		return nil, err
	}
	r, err := nightly.OpenReplay(ctx, pool, st, "")
	if err != nil {
		return nil, err
	}
	defer r.Close()
	ds, rowBank, err := collect(ctx, r, months, horizon, s.outcomeEnd, share, horizon, sc, progress)
	if err != nil {
		return nil, err
	}
	fixed, err := nightly.FixedModel(r.Params().Weights)
	if err != nil {
		return nil, err
	}
	mb, err := m.Bind(ds.Inputs)
	if err != nil {
		return nil, err
	}
	fb, err := fixed.Bind(ds.Inputs)
	if err != nil {
		return nil, err
	}
	x := make([]float64, len(ds.Inputs))
	for i, b := range banks {
		var pm, pf, w []float64
		var y []bool
		for j := range ds.Y {
			if rowBank[j] != b.ID {
				continue
			}
			for k := range x {
				x[k] = ds.Cols[k][j]
			}
			pm = append(pm, model.Probability(mb.Contributions(x, nil)))
			pf = append(pf, model.Probability(fb.Contributions(x, nil)))
			y, w = append(y, ds.Y[j]), append(w, ds.W[j])
		}
		if len(y) == 0 {
			continue
		}
		v := &out[i]
		v.Model, v.Fixed = model.Evaluate(pm, y, w), model.Evaluate(pf, y, w)
		if v.Model.Positives < minBankTestLeavers {
			a := spanArgs(months)
			a.Leavers = v.Model.Positives
			v.setWhy(whyImportFew, a)
			continue
		}
		loses := v.Model.AUC < v.Fixed.AUC && v.Model.Lift10 < v.Fixed.Lift10
		v.Beats, v.Used = !loses, !loses
		a := spanArgs(months)
		a.ModelAUC, a.FixedAUC, a.ModelLift, a.FixedLift = v.Model.AUC, v.Fixed.AUC, v.Model.Lift10, v.Fixed.Lift10
		if loses {
			v.setWhy(whyImportLose, a)
		} else {
			v.setWhy(whyImportHold, a)
		}
	}
	return out, nil
}

func monthList(months []string) string {
	switch len(months) {
	case 0:
		return "no months"
	case 1:
		return months[0]
	}
	return months[0] + " to " + months[len(months)-1]
}
