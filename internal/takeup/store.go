package takeup

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

	"github.com/relaycrm/relay/internal/audit"
	"github.com/relaycrm/relay/internal/banks"
	"github.com/relaycrm/relay/internal/db"
)

type bank = banks.Bank

// scope is the bank a fit covers, or the whole group.
type scope struct {
	groupID int16
	bankID  *int16
	label   string
}

func resolveScope(ctx context.Context, q db.Querier, code string) (scope, []bank, error) {
	s, bs, err := banks.Resolve(ctx, q, code)
	if err != nil {
		return scope{}, nil, err
	}
	return scope{groupID: s.GroupID, bankID: s.BankID, label: s.Label}, bs, nil
}

func insertBundle(ctx context.Context, tx pgx.Tx, sc scope, source, origin string, b *Bundle, userID int64) (int64, error) {
	body, err := b.Marshal()
	if err != nil {
		return 0, err
	}
	card, err := json.Marshal(b.Card)
	if err != nil {
		return 0, err
	}
	beats := false
	for _, r := range b.Card.Banks {
		beats = beats || r.Beats
	}
	o := b.Card.Overall
	var id int64
	err = tx.QueryRow(ctx, queries.Get("insert-model"), sc.groupID, sc.bankID, source, origin, b.Card.FittedAt,
		userOrNil(userID), card, body, finiteOrNil(o.Model.AUC), finiteOrNil(o.Model.Lift10),
		finiteOrNil(o.Rule.AUC), finiteOrNil(o.Rule.Lift10), beats).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("insert take-up model: %w", err)
	}
	err = audit.Record(ctx, tx, audit.Entry{UserID: userID, Action: "takeup_model." + source,
		Object: fmt.Sprintf("model:%d", id), Details: map[string]any{"scope": sc.label, "origin": origin}})
	return id, err
}

func updateCard(ctx context.Context, tx pgx.Tx, id int64, c Card) error {
	js, err := json.Marshal(c)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, queries.Get("update-card"), id, js)
	return err
}

// useBundle says which take-up model ranks a bank's offers from the next run
// (nil: the ideal-set rule), audited.
func useBundle(ctx context.Context, tx pgx.Tx, bankID int16, modelID *int64, userID int64, why string) error {
	if _, err := tx.Exec(ctx, queries.Get("use-model"), bankID, modelID, userOrNil(userID), why); err != nil {
		return fmt.Errorf("use take-up model: %w", err)
	}
	detail := map[string]any{"bank_id": bankID, "reason": why}
	if modelID != nil {
		detail["model_id"] = *modelID
	}
	return audit.Record(ctx, tx, audit.Entry{UserID: userID, Action: "takeup_model.use",
		Object: fmt.Sprintf("bank:%d", bankID), Details: detail})
}

// Record is a stored take-up model.
type Record struct {
	ID                 int64
	BankCode           string
	Source, Origin     string
	FittedAt           time.Time
	Card               Card
	TestLift, RuleLift *float64
	TestAUC, RuleAUC   *float64
	BeatsRule          bool
	UsedBy             []string
}

// Models lists a group's take-up models, newest first (only: one id).
func Models(ctx context.Context, q db.Querier, groupID int16, only *int64, limit int) ([]Record, error) {
	rows, err := q.Query(ctx, queries.Get("list-models"), groupID, only, limit)
	if err != nil {
		return nil, fmt.Errorf("take-up models: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Record, error) {
		var m Record
		var card []byte
		if err := r.Scan(&m.ID, &m.BankCode, &m.Source, &m.Origin, &m.FittedAt, &card, &m.TestAUC, &m.TestLift,
			&m.RuleAUC, &m.RuleLift, &m.BeatsRule, &m.UsedBy); err != nil {
			return m, err
		}
		return m, json.Unmarshal(card, &m.Card)
	})
}

// ErrNotFound is returned for a take-up model that does not exist in the
// group.
var ErrNotFound = errors.New("no such take-up model")

// Model is one stored take-up model of the group.
func Model(ctx context.Context, q db.Querier, groupID int16, id int64) (Record, error) {
	ms, err := Models(ctx, q, groupID, &id, 1)
	if err != nil {
		return Record{}, err
	}
	if len(ms) == 0 {
		return Record{}, ErrNotFound
	}
	return ms[0], nil
}

// Export writes a stored take-up model as its file.
func Export(ctx context.Context, q db.Querier, groupID int16, id int64, w io.Writer) error {
	var body []byte
	err := q.QueryRow(ctx, queries.Get("model-body"), id, groupID).Scan(&body)
	if errors.Is(err, pgx.ErrNoRows) {
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("take-up model %d: %w", id, err)
	}
	var out bytes.Buffer
	if err := json.Indent(&out, body, "", "  "); err != nil {
		return err
	}
	out.WriteByte('\n')
	_, err = w.Write(out.Bytes())
	return err
}

// ImportRequest says what to import and for whom.
type ImportRequest struct {
	Bank   string // the bank it is for (empty: the group); it is used there at once
	Origin string // where it came from, for its record
	UserID int64
}

// Import stores a take-up model file from another installation and uses it
// for the bank named (or every bank of the group). Its card keeps the figures
// it was tested with where it was fitted; no test is run on this data.
func Import(ctx context.Context, pool *pgxpool.Pool, r io.Reader, req ImportRequest) (int64, error) {
	b, err := Unmarshal(r)
	if err != nil {
		return 0, err
	}
	sc, banks, err := resolveScope(ctx, pool, req.Bank)
	if err != nil {
		return 0, err
	}
	products, err := loadProducts(ctx, pool, sc.groupID)
	if err != nil {
		return 0, err
	}
	if _, err := b.Bind(NewLayout(products)); err != nil {
		return 0, fmt.Errorf("take-up file does not fit this installation's products: %w", err)
	}
	if req.Origin == "" {
		req.Origin = "imported"
	}
	var id int64
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if id, err = insertBundle(ctx, tx, sc, "imported", req.Origin, b, req.UserID); err != nil {
			return err
		}
		for _, bk := range banks {
			why := fmt.Sprintf("take-up model %d imported from %s for %s", id, req.Origin, sc.label)
			if err := useBundle(ctx, tx, bk.ID, &id, req.UserID, why); err != nil {
				return err
			}
		}
		return nil
	})
	return id, err
}

// Use sets the take-up model of a bank (nil: the ideal-set rule).
func Use(ctx context.Context, pool *pgxpool.Pool, bankCode string, modelID *int64, userID int64) error {
	sc, banks, err := resolveScope(ctx, pool, bankCode)
	if err != nil {
		return err
	}
	if bankCode == "" {
		return errors.New("name the bank with --bank")
	}
	if modelID != nil {
		if _, err := Model(ctx, pool, sc.groupID, *modelID); err != nil {
			return fmt.Errorf("take-up model %d: %w", *modelID, err)
		}
	}
	why := "chosen by hand: the ideal-set rule"
	if modelID != nil {
		why = fmt.Sprintf("chosen by hand: take-up model %d", *modelID)
	}
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		return useBundle(ctx, tx, banks[0].ID, modelID, userID, why)
	})
}

// bankBundles loads the bundle each bank of a group uses, bound to layout.
func bankBundles(ctx context.Context, q db.Querier, groupID int16, l *Layout) (map[int16]*Scorer, map[int16]int64, error) {
	rows, err := q.Query(ctx, queries.Get("bank-models"), groupID)
	if err != nil {
		return nil, nil, fmt.Errorf("take-up models in use: %w", err)
	}
	type row struct {
		bank  int16
		model int64
		body  []byte
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
		var x row
		return x, r.Scan(&x.bank, &x.model, &x.body)
	})
	if err != nil {
		return nil, nil, fmt.Errorf("take-up models in use: %w", err)
	}
	scorers, ids := map[int16]*Scorer{}, map[int16]int64{}
	for _, x := range list {
		b, err := Unmarshal(bytes.NewReader(x.body))
		if err != nil {
			return nil, nil, fmt.Errorf("take-up model %d (bank %d): %w", x.model, x.bank, err)
		}
		s, err := b.Bind(l)
		if err != nil {
			return nil, nil, fmt.Errorf("take-up model %d (bank %d): %w", x.model, x.bank, err)
		}
		scorers[x.bank], ids[x.bank] = s, x.model
	}
	return scorers, ids, nil
}

func userOrNil(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}
