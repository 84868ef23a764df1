package nightly

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/relaycrm/relay/internal/db"
)

// Status is how a run or a step stands.
type Status string

// The statuses of runs and steps.
const (
	StatusPending   Status = "pending" // steps only
	StatusRunning   Status = "running"
	StatusSucceeded Status = "succeeded"
	StatusFailed    Status = "failed"
	StatusSkipped   Status = "skipped" // steps only: nothing to do (no importer)
)

// Run is the record of one run of the chain.
type Run struct {
	ID          int64
	Source      Source
	RequestedBy int64     // zero for the CLI and the schedule
	AsOf        time.Time // zero until the run has fixed it
	Status      Status
	StartedAt   time.Time
	FinishedAt  time.Time // zero while running
	Error       string    // why it failed, in English
	// ErrorKey and ErrorArgs are Error as data, for ErrorIn; "" when Error
	// has no words of Relay's own.
	ErrorKey  string
	ErrorArgs []byte
	// Kind is KindFull or KindQuick once the run has read its inputs, and
	// Why says why: "quick: nothing changed since run N", "full: <what
	// changed>".
	Kind  Kind
	Why   string
	Steps []Step
}

// Kind is what a run redid: everything, or only what depends on the date.
type Kind string

// The kinds of run.
const (
	KindFull  Kind = "full"  // every statement, from the facts
	KindQuick Kind = "quick" // nothing changed since the last run: only what depends on the date
)

// Duration is how long the run took, or has taken so far.
func (r Run) Duration() time.Duration {
	if r.FinishedAt.IsZero() {
		return time.Since(r.StartedAt)
	}
	return r.FinishedAt.Sub(r.StartedAt)
}

// Step is one step of a run, as it stands.
type Step struct {
	Position   int
	Name       string // import, segments, profiles, triggers, warnings, stages, ltv, publish
	Status     Status
	StartedAt  time.Time // zero until it starts
	FinishedAt time.Time // zero until it ends
	Counts     []Count
	Error      string // why it failed, in English
	ErrorKey   string // and as data, for ErrorIn
	ErrorArgs  []byte
}

// Duration is how long the step took, zero if it has not ended.
func (s Step) Duration() time.Duration {
	if s.StartedAt.IsZero() || s.FinishedAt.IsZero() {
		return 0
	}
	return s.FinishedAt.Sub(s.StartedAt)
}

// Count is one figure a step reports, e.g. {clients 812345}.
type Count struct {
	Name  string `json:"name"`
	Value int64  `json:"value"`
}

// RunPage is a page of runs, newest first.
type RunPage struct {
	Runs  []Run
	Total int
}

// Runs lists runs newest first, with their steps. Runs are an admin's
// business, not client data: the caller checks the role.
func Runs(ctx context.Context, q db.Querier, limit, offset int) (RunPage, error) {
	if limit <= 0 || limit > 200 {
		limit = 20
	}
	runs, total, err := scanRuns(ctx, q, queries.Get("runs.list-runs"), limit, max(offset, 0))
	if err != nil {
		return RunPage{}, err
	}
	return RunPage{Runs: runs, Total: total}, nil
}

// RunByID returns one run with its steps, or db.ErrNotFound.
func RunByID(ctx context.Context, q db.Querier, id int64) (Run, error) {
	runs, _, err := scanRuns(ctx, q, queries.Get("runs.get-run"), id)
	if err != nil {
		return Run{}, err
	}
	if len(runs) == 0 {
		return Run{}, fmt.Errorf("nightly run %d: %w", id, db.ErrNotFound)
	}
	return runs[0], nil
}

func scanRuns(ctx context.Context, q db.Querier, sql string, args ...any) ([]Run, int, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, 0, fmt.Errorf("nightly runs: %w", err)
	}
	var (
		runs  []Run
		total int
		ids   []int64
	)
	for rows.Next() {
		var (
			r        Run
			asOf     *time.Time
			finished *time.Time
		)
		if err := rows.Scan(&r.ID, &r.Source, &r.RequestedBy, &asOf, &r.Status, &r.StartedAt, &finished, &r.Error, &r.ErrorKey, &r.ErrorArgs, &r.Kind, &r.Why, &total); err != nil {
			rows.Close()
			return nil, 0, fmt.Errorf("nightly runs: %w", err)
		}
		if asOf != nil {
			r.AsOf = *asOf
		}
		if finished != nil {
			r.FinishedAt = *finished
		}
		runs = append(runs, r)
		ids = append(ids, r.ID)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("nightly runs: %w", err)
	}
	if len(runs) == 0 {
		return nil, total, nil
	}
	rows, err = q.Query(ctx, queries.Get("runs.run-steps"), ids)
	if err != nil {
		return nil, 0, fmt.Errorf("nightly run steps: %w", err)
	}
	byID := make(map[int64]*Run, len(runs))
	for i := range runs {
		byID[runs[i].ID] = &runs[i]
	}
	defer rows.Close()
	for rows.Next() {
		var (
			st        Step
			runID     int64
			started   *time.Time
			finished  *time.Time
			countsRaw []byte
		)
		if err := rows.Scan(&runID, &st.Position, &st.Name, &st.Status, &started, &finished, &countsRaw, &st.Error, &st.ErrorKey, &st.ErrorArgs); err != nil {
			return nil, 0, fmt.Errorf("nightly run steps: %w", err)
		}
		if started != nil {
			st.StartedAt = *started
		}
		if finished != nil {
			st.FinishedAt = *finished
		}
		if err := json.Unmarshal(countsRaw, &st.Counts); err != nil {
			return nil, 0, fmt.Errorf("nightly run %d step %s counts: %w", runID, st.Name, err)
		}
		if r := byID[runID]; r != nil {
			r.Steps = append(r.Steps, st)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("nightly run steps: %w", err)
	}
	return runs, total, nil
}

// Reconcile records as failed every run still marked running whose process
// is gone (killed, or its server stopped): nobody holds the run lock. It
// returns how many it found. The runs page calls it, so that a killed run
// does not keep "Start a run now" disabled.
func Reconcile(ctx context.Context, pool *pgxpool.Pool) (int, error) {
	var n int64
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		var free bool
		if err := tx.QueryRow(ctx, queries.Get("runs.reconcile"), lockKey).Scan(&free); err != nil || !free {
			return err
		}
		tag, err := tx.Exec(ctx, queries.Get("runs.fail-stale"))
		if err != nil {
			return err
		}
		n = tag.RowsAffected()
		_, err = tx.Exec(ctx, queries.Get("runs.fail-stale-steps"))
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("reconcile nightly runs: %w", err)
	}
	return int(n), nil
}
