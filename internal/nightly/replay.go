package nightly

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/relaycrm/relay/internal/settings"
	"github.com/relaycrm/relay/internal/warnings"
)

// Replay rebuilds the churn warnings' inputs as of past months, with the very
// statements of the nightly run, in a schema of its own: the run's working
// tables of the same names are created there (the connection's search path
// puts that schema first), so a replay never touches a run's tables and a
// model learns from exactly the inputs the run will score. It reads no fact,
// holding, contact or leaving dated after the month it replays, except the
// leaving dates its caller asks for as outcomes.
type Replay struct {
	pool   *pgxpool.Pool
	conn   *pgx.Conn
	schema string
	base   Params
	params Params
}

// OpenReplay opens a replay on a connection of its own, with the settings of
// now: it copies the setting table into its schema, which comes first in the
// connection's search path, so that every month it builds reads the settings
// as they were when it opened (as a run reads them once), through the same
// SQL as the run (nightly_param). A setting the run reads whose value is
// unusable fails it here with ErrSettings, naming the setting. Close drops
// its schema. (st is no longer read: the settings are read in SQL.)
func OpenReplay(ctx context.Context, pool *pgxpool.Pool, _ *settings.Store, workMem string) (*Replay, error) {
	conn, err := pgx.ConnectConfig(ctx, pool.Config().ConnConfig.Copy())
	if err != nil {
		return nil, fmt.Errorf("replay: connect: %w", err)
	}
	r := &Replay{pool: pool, conn: conn}
	fail := func(err error) (*Replay, error) {
		_ = conn.Close(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("replay: %w", err)
	}
	// Schemas of replays whose connection is gone are dropped first.
	if _, err := conn.Exec(ctx, queries.Get("runs.replay-drop-stale")); err != nil {
		return fail(err)
	}
	if err := conn.QueryRow(ctx, queries.Get("runs.replay-schema")).Scan(&r.schema); err != nil {
		return fail(err)
	}
	schema := pgx.Identifier{r.schema}.Sanitize()
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		return fail(err)
	}
	// the settings of now that the run reads, copied before the search path
	// puts the copy first
	if _, err := conn.Exec(ctx, "CREATE TABLE "+schema+".setting AS SELECT * FROM setting WHERE nightly_param IS NOT NULL"); err != nil {
		return fail(err)
	}
	if workMem == "" {
		workMem = "256MB"
	}
	if _, err := conn.Exec(ctx, queries.Get("runs.replay-session"), r.schema, workMem); err != nil {
		return fail(err)
	}
	// a parameter row for no month yet: checks the settings, gives the weights
	if r.base, err = r.build(ctx, nil, 1, 1); err != nil {
		return fail(err)
	}
	return r, nil
}

// build builds the replay's parameter row (segments.replay-param) in its
// schema and reads it back.
func (r *Replay) build(ctx context.Context, asOf *time.Time, share float64, keep int) (Params, error) {
	args := func(Params) []any { return []any{asOf, share, keep} }
	if _, err := createOn(ctx, r.conn, r.schema, build{"segments.replay-param", "nightly_w_param", args, nil}, Params{}); err != nil {
		return Params{}, settingsError(err)
	}
	return readParams(ctx, r.conn)
}

// Close drops the replay's schema and closes its connection.
func (r *Replay) Close() error {
	ctx := context.Background()
	_, err := r.conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{r.schema}.Sanitize()+" CASCADE")
	return errors.Join(err, r.conn.Close(ctx))
}

// Params are the settings the replay runs with (no month's windows: those of
// the month last built are its own).
func (r *Replay) Params() Params { return r.base }

// Month builds the inputs of the clients active at the end of asOf: every one
// of them when share is 1, else the clients that leave within keep months
// after it and a stable random share of the others (salted by the month, so
// each month draws its own).
func (r *Replay) Month(ctx context.Context, asOf time.Time, share float64, keep int) error {
	if !(share > 0 && share <= 1) {
		return fmt.Errorf("replay: sample share %v is not in (0, 1]", share)
	}
	if keep < 1 {
		return fmt.Errorf("replay: keep months %d is not 1 or more", keep)
	}
	month := time.Date(asOf.Year(), asOf.Month(), 1, 0, 0, 0, 0, time.UTC)
	p, err := r.build(ctx, &month, share, keep)
	if err != nil {
		return fmt.Errorf("replay %s: %w", month.Format("2006-01"), err)
	}
	r.params = p
	for _, b := range []build{
		{"segments.panel", "nightly_w_panel", nil, nil},
		{"segments.product-income", "nightly_w_product_income", Params.productIncomeArgs,
			[]string{"runs.plan-sorted-aggregate", "runs.plan-serial"}},
		{"segments.held", "nightly_w_held", func(p Params) []any { return []any{p.AsOf} }, nil},
		{"segments.client", "nightly_w_client", Params.factArgs, []string{"runs.plan-sorted-aggregate", "runs.plan-serial"}},
		{"warnings.lifetime", "nightly_w_lifetime", nil, nil},
		{"warnings.contact", "nightly_w_contact", nil, nil},
		{"warnings.signal", "nightly_w_signal", nil, nil},
		{"warnings.input", "nightly_w_input", nil, nil},
	} {
		if _, err := createOn(ctx, r.conn, r.schema, b, p); err != nil {
			return fmt.Errorf("replay %s: %w", p.AsOf.Format("2006-01"), err)
		}
	}
	return nil
}

// ReplayRow is one client of a replayed month.
type ReplayRow struct {
	ClientID int64
	BankID   int16
	// Band is the client's tenure band (0: 0-6 months ... 4: 36+); Level the
	// level its segment backs off to (1: bank x region x industry x band ...
	// 4: group x industry), counted over every active client.
	Band, Level int16
	// X are its inputs in the registry's order; NaN is missing. The slice is
	// reused by the next row.
	X []float64
	// LeftOn is when the client left, if it has (possibly long after the
	// replayed month: it is the outcome).
	LeftOn *time.Time
	// Weight is 1 / the chance the client was drawn into the sample.
	Weight float64
}

// Rows calls fn for every client of the month last built.
func (r *Replay) Rows(ctx context.Context, fn func(ReplayRow) error) error {
	rows, err := r.conn.Query(ctx, queries.Get("runs.replay-rows"))
	if err != nil {
		return fmt.Errorf("replay rows: %w", err)
	}
	defer rows.Close()
	row := ReplayRow{X: make([]float64, len(warnings.Inputs))}
	var x []*float64
	var ref bool
	for rows.Next() {
		if err := rows.Scan(&row.ClientID, &row.BankID, &row.Band, &row.Level, &x, &row.LeftOn, &ref); err != nil {
			return fmt.Errorf("replay rows: %w", err)
		}
		if len(x) != len(row.X) {
			return fmt.Errorf("replay rows: client %d has %d inputs, the registry %d", row.ClientID, len(x), len(row.X))
		}
		for i, v := range x {
			if v == nil {
				row.X[i] = math.NaN()
			} else {
				row.X[i] = *v
			}
		}
		row.Weight = 1
		if ref && r.params.SampleShare < 1 {
			row.Weight = 1 / r.params.SampleShare
		}
		if err := fn(row); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("replay rows: %w", err)
	}
	return nil
}
