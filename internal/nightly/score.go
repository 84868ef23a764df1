package nightly

import (
	"bytes"
	"context"
	"fmt"
	"math"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/relaycrm/relay/internal/model"
	"github.com/relaycrm/relay/internal/warnings"
)

// FixedModel is the churn score of the published weights: an intercept plus
// each signal's weight times its strength, as a model over the registry's
// signal inputs, so that it is scored, evaluated and explained exactly as a
// learned model is.
func FixedModel(w Weights) (*model.Linear, error) {
	return model.NewLinear(w.Intercept, []model.Weight{
		{Input: "sig_turnover", Weight: w.Turnover},
		{Input: "sig_balance", Weight: w.Balance},
		{Input: "sig_tx", Weight: w.Tx},
		{Input: "sig_closed", Weight: w.Closed},
		{Input: "sig_income", Weight: w.Income},
		{Input: "sig_lifetime", Weight: w.Lifetime},
		{Input: "sig_contact", Weight: w.Contact},
	})
}

// Scorers are the churn scorers of a run: the fixed weights, and the learned
// model of every bank that has one in use, each bound to the registry's order
// of inputs.
type Scorers struct {
	Fixed  *model.Bound
	ByBank map[int16]BankScorer
}

// BankScorer is a learned model in use for a bank.
type BankScorer struct {
	ModelID int64
	Bound   *model.Bound
}

// For returns the scorer of a bank and its model id (0: the fixed weights).
func (s Scorers) For(bankID int16) (*model.Bound, int64) {
	if b, ok := s.ByBank[bankID]; ok {
		return b.Bound, b.ModelID
	}
	return s.Fixed, 0
}

// LoadScorers reads the models in use (bank_model) and the fixed weights of
// p. A model that cannot score this installation's inputs fails the run
// rather than scoring its bank some other way unseen.
func LoadScorers(ctx context.Context, q interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}, p Params) (Scorers, error) {
	codes := warnings.InputCodes()
	fixed, err := FixedModel(p.Weights)
	if err != nil {
		return Scorers{}, fmt.Errorf("fixed weights: %w", err)
	}
	out := Scorers{ByBank: map[int16]BankScorer{}}
	if out.Fixed, err = fixed.Bind(codes); err != nil {
		return Scorers{}, fmt.Errorf("fixed weights: %w", err)
	}
	rows, err := q.Query(ctx, queries.Get("runs.bank-models"))
	if err != nil {
		return Scorers{}, fmt.Errorf("runs.bank-models: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var bankID int16
		var modelID int64
		var body []byte
		if err := rows.Scan(&bankID, &modelID, &body); err != nil {
			return Scorers{}, fmt.Errorf("runs.bank-models: %w", err)
		}
		m, err := model.Unmarshal(bytes.NewReader(body))
		if err != nil {
			return Scorers{}, fmt.Errorf("churn model %d (bank %d): %w", modelID, bankID, err)
		}
		b, err := m.Bind(codes)
		if err != nil {
			return Scorers{}, fmt.Errorf("churn model %d (bank %d): %w", modelID, bankID, err)
		}
		out.ByBank[bankID] = BankScorer{ModelID: modelID, Bound: b}
	}
	if err := rows.Err(); err != nil {
		return Scorers{}, fmt.Errorf("runs.bank-models: %w", err)
	}
	return out, nil
}

// loadScorers is LoadScorers on the run's connection.
func loadScorers(ctx context.Context, conn *pgx.Conn, p Params) (Scorers, error) {
	return LoadScorers(ctx, conn, p)
}

// scoreInputs scores every row of nightly_w_input (read on conn, whose search
// path says which schema's) with its bank's scorer and writes the scores,
// with each input's contribution and the fixed weights' log-odds beside them,
// into target with COPY on a connection of pool. The model is applied in Go,
// by the same code that fitted and backtested it, so that a warning's score
// is exactly the one its model card was measured with; the rows stream
// through, so memory stays flat whatever the number of clients.
func scoreInputs(ctx context.Context, conn *pgx.Conn, pool *pgxpool.Pool, s Scorers) (int64, error) {
	return ScoreInto(ctx, conn, pool, pgx.Identifier{"nightly_w_score"}, s)
}

// ScoreInto is scoreInputs into a table named by target (schema-qualified for
// a replay), created anew.
func ScoreInto(ctx context.Context, conn *pgx.Conn, pool *pgxpool.Pool, target pgx.Identifier, s Scorers) (int64, error) {
	if _, err := conn.Exec(ctx, "DROP TABLE IF EXISTS "+target.Sanitize()); err != nil {
		return 0, fmt.Errorf("score: %w", err)
	}
	// created in the first schema of conn's search path: target's own
	if _, err := conn.Exec(ctx, queries.Get("runs.score-table")); err != nil {
		return 0, fmt.Errorf("score: %w", err)
	}
	rows, err := conn.Query(ctx, queries.Get("runs.inputs"))
	if err != nil {
		return 0, fmt.Errorf("score: %w", err)
	}
	defer rows.Close()
	src := &scoreSource{rows: rows, s: s, n: len(warnings.Inputs)}
	n, err := pool.CopyFrom(ctx, target,
		[]string{"client_id", "bank_id", "model_id", "z", "probability", "score", "contribs", "fixed_z"}, src)
	if err == nil {
		err = src.err
	}
	if err == nil {
		err = rows.Err()
	}
	if err != nil {
		return 0, fmt.Errorf("score: %w", err)
	}
	if _, err := conn.Exec(ctx, "ANALYZE "+target.Sanitize()); err != nil {
		return 0, fmt.Errorf("score: %w", err)
	}
	return n, nil
}

// scoreSource feeds COPY one scored client at a time.
type scoreSource struct {
	rows pgx.Rows
	s    Scorers
	n    int
	err  error

	clientID int64
	bankID   int16
	x        []float64
	values   []any
}

func (src *scoreSource) Next() bool {
	if src.err != nil || !src.rows.Next() {
		return false
	}
	var x []*float64
	if err := src.rows.Scan(&src.clientID, &src.bankID, &x); err != nil {
		src.err = err
		return false
	}
	if len(x) != src.n {
		src.err = fmt.Errorf("client %d has %d inputs, the registry %d", src.clientID, len(x), src.n)
		return false
	}
	src.x = src.x[:0]
	for _, v := range x {
		if v == nil {
			src.x = append(src.x, math.NaN())
		} else {
			src.x = append(src.x, *v)
		}
	}
	contribs := make([]float64, src.n)
	bound, modelID := src.s.For(src.bankID)
	z := bound.Contributions(src.x, contribs)
	fixedZ := z
	if modelID != 0 {
		fixedZ = src.s.Fixed.Contributions(src.x, nil)
	}
	p := model.Probability(z)
	var id *int64
	if modelID != 0 {
		id = &modelID
	}
	src.values = []any{src.clientID, src.bankID, id, z, p, int16(math.Round(100 * p)), contribs, fixedZ}
	return true
}

func (src *scoreSource) Values() ([]any, error) { return src.values, nil }

func (src *scoreSource) Err() error { return src.err }
