// Package nightly runs Relay's nightly chain and records every run: it imports
// the day's feed (when an importer is configured), assigns segments, builds the
// ideal profiles, raises and expires cross-sell triggers, scores churn
// warnings, and computes lifecycle stages, potential profitability and
// lifetime value.
//
// Every step is a handful of set-based statements, one .sql file per step,
// that build working tables with CREATE TABLE AS (which PostgreSQL runs in
// parallel); no step loops over clients in Go. The published results are
// built into new tables, checked, and switched in together with the trigger
// changes in one short transaction, so a run either completes or leaves the
// previous results exactly as they were, and running twice on the same data
// gives the same results. A night when nothing the run reads changed since
// the last run but the date is quick: it keeps the previous run's segments and
// profiles and redoes only what depends on the date (quiet.go). A PostgreSQL
// advisory lock held by the run's own connection lets only one run at a time
// across all servers.
//
// The noun packages (segments, triggers, warnings) own the published tables'
// reads and the manager's work on them; the rules that build them live here,
// because the steps share the run's working tables.
package nightly

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/relaycrm/relay/internal/metrics"
	"github.com/relaycrm/relay/internal/settings"
	"github.com/relaycrm/relay/internal/webhooks"
)

// lockKey is the advisory lock that keeps a second run from starting anywhere.
const lockKey int64 = 0x72656c61796e69 // "relayni"

// ErrRunning is returned when another run holds the lock, on this server or
// another.
var ErrRunning = errors.New("a nightly run is already running")

// ErrSkipped is returned by a scheduled run when another server's scheduled
// run has just succeeded.
var ErrSkipped = errors.New("skipped: a scheduled run has just succeeded on another server")

// ErrNoFacts is returned when monthly_fact is empty: there is nothing to score.
var ErrNoFacts = errors.New("no monthly facts: load a feed or the demo bank first")

// Source says who started a run.
type Source string

// The sources of a run.
const (
	SourceCLI      Source = "cli"      // relay nightly
	SourceSchedule Source = "schedule" // the nightly.schedule cron
	SourceManual   Source = "manual"   // an admin, from the jobs page
)

// Request says how to run the chain.
type Request struct {
	// AsOf is the month the run treats as the last in the data: it reads no
	// fact, holding, contact or leaving dated after it. Zero: the latest month
	// present in monthly_fact.
	AsOf        time.Time
	Source      Source
	RequestedBy int64 // the admin who started it, zero for the CLI and the schedule
	// Full runs every statement even when nothing changed since the last run
	// (relay nightly --full); otherwise such a night is quick: it redoes only
	// what depends on the date.
	Full bool
}

// ImportFunc imports the day's feed, if one arrived, before the run scores.
// It returns what it imported, to be shown with the run's steps; an error
// fails the run and leaves the previous results as they were.
type ImportFunc func(ctx context.Context) ([]Count, error)

// Options configure a Runner.
type Options struct {
	// Settings are the settings the run's Go code reads beside its
	// parameter row (settingValues); the thresholds and windows themselves
	// are read in SQL from the setting table (nightly_param). Required.
	Settings *settings.Store
	// Import, when set, is called first inside every run.
	Import ImportFunc
	// Log receives a line per step; nil logs nothing.
	Log *slog.Logger
	// WorkMem is PostgreSQL's work_mem for the run's connection; default 512MB.
	WorkMem string
	// Metrics records runs and steps; nil records nothing.
	Metrics *metrics.Set
}

// Runner runs the nightly chain.
type Runner struct {
	pool       *pgxpool.Pool
	settings   *settings.Store
	importFeed ImportFunc
	log        *slog.Logger
	workMem    string
	metrics    *metrics.Set

	// afterStep, when set (by tests), is called after every step; an error
	// fails the run there.
	afterStep func(step string) error
	// bulkRaise is the length of a raise list from which its foreign keys
	// are checked once (the constant bulkRaise; tests lower it).
	bulkRaise int64
	// now is the clock (tests move it to play the nights of several days).
	now func() time.Time

	bg   context.Context // runs started in the background
	stop context.CancelFunc
	wg   sync.WaitGroup
}

// New returns a Runner over pool.
func New(pool *pgxpool.Pool, o Options) *Runner {
	if o.Settings == nil {
		panic("nightly: Options.Settings is required")
	}
	log := o.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	workMem := o.WorkMem
	if workMem == "" {
		workMem = "512MB"
	}
	bg, stop := context.WithCancel(context.Background())
	return &Runner{pool: pool, settings: o.Settings, importFeed: o.Import, log: log, workMem: workMem, metrics: o.Metrics,
		bulkRaise: bulkRaise, now: time.Now, bg: bg, stop: stop}
}

// Close cancels the runs started in the background and waits for them to end
// (a cancelled run is recorded as failed and changes nothing).
func (r *Runner) Close() {
	r.stop()
	r.wg.Wait()
}

// Run runs the chain and returns its record. It returns ErrRunning when a run
// is already under way anywhere.
func (r *Runner) Run(ctx context.Context, req Request) (Run, error) {
	s, err := r.begin(ctx, req)
	if err != nil {
		return Run{}, err
	}
	runErr := r.execute(ctx, s)
	run, err := RunByID(context.WithoutCancel(ctx), r.pool, s.runID)
	if runErr != nil {
		return run, runErr
	}
	return run, err
}

// Start starts a run in the background and returns its id at once, so that a
// page can follow its steps; it returns ErrRunning when a run is already under
// way anywhere. The run outlives ctx; Close stops it.
func (r *Runner) Start(ctx context.Context, req Request) (int64, error) {
	s, err := r.begin(ctx, req)
	if err != nil {
		return 0, err
	}
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		if err := r.execute(r.bg, s); err != nil {
			r.log.Error("nightly run failed", "run", s.runID, "err", err)
		}
	}()
	return s.runID, nil
}

// session is one run: its own connection, which holds the lock, and its record.
type session struct {
	conn  *pgx.Conn
	runID int64
	req   Request
	steps []step
	// failedStep is the step that failed, for the run's error.
	failedStep string
}

// begin takes the lock on a connection of the run's own (a pooled one would
// hand the lock to whoever used it next) and records the run.
func (r *Runner) begin(ctx context.Context, req Request) (*session, error) {
	if req.Source == "" {
		req.Source = SourceCLI
	}
	conn, err := pgx.ConnectConfig(ctx, r.pool.Config().ConnConfig.Copy())
	if err != nil {
		return nil, fmt.Errorf("nightly: connect: %w", err)
	}
	s := &session{conn: conn, req: req, steps: r.plan()}
	fail := func(err error) (*session, error) {
		_ = conn.Close(context.WithoutCancel(ctx))
		return nil, err
	}
	var locked bool
	if err := conn.QueryRow(ctx, queries.Get("runs.try-lock"), lockKey).Scan(&locked); err != nil {
		return fail(fmt.Errorf("nightly: lock: %w", err))
	}
	if !locked {
		return fail(ErrRunning)
	}
	if req.Source == SourceSchedule {
		var recent bool
		if err := conn.QueryRow(ctx, queries.Get("runs.recent-scheduled"), 10).Scan(&recent); err != nil {
			return fail(fmt.Errorf("nightly: recent runs: %w", err))
		}
		if recent {
			return fail(ErrSkipped)
		}
	}
	names := make([]string, len(s.steps))
	for i, st := range s.steps {
		names[i] = st.name
	}
	err = pgx.BeginFunc(ctx, r.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, queries.Get("runs.fail-stale")); err != nil {
			return fmt.Errorf("close interrupted runs: %w", err)
		}
		if _, err := tx.Exec(ctx, queries.Get("runs.fail-stale-steps")); err != nil {
			return fmt.Errorf("close interrupted steps: %w", err)
		}
		var requestedBy *int64
		if req.RequestedBy != 0 {
			requestedBy = &req.RequestedBy
		}
		var started time.Time
		if err := tx.QueryRow(ctx, queries.Get("runs.insert-run"), string(req.Source), requestedBy).Scan(&s.runID, &started); err != nil {
			return fmt.Errorf("record run: %w", err)
		}
		if _, err := tx.Exec(ctx, queries.Get("runs.insert-steps"), s.runID, names); err != nil {
			return fmt.Errorf("record steps: %w", err)
		}
		return nil
	})
	if err != nil {
		return fail(fmt.Errorf("nightly: %w", err))
	}
	return s, nil
}

// execute runs every step of s, then records how the run ended and releases
// the lock.
func (r *Runner) execute(ctx context.Context, s *session) (err error) {
	start := time.Now()
	// Bookkeeping outlives a cancelled run, so that its failure is recorded.
	book := context.WithoutCancel(ctx)
	defer func() {
		if err != nil {
			key, args := errorArgs(err, s.failedStep)
			if tag, e := r.pool.Exec(book, queries.Get("runs.run-fail"), s.runID, err.Error(), key, string(args)); e != nil {
				err = errors.Join(err, fmt.Errorf("record failure: %w", e))
			} else if tag.RowsAffected() == 1 { // webhooks: nightly.finished (failed), unless it was sent as succeeded
				if e := webhooks.EnqueueNightlyFinished(book, r.pool, s.runID); e != nil {
					err = errors.Join(err, e)
				}
			}
		}
		// Empty the working tables (but those a quick run keeps) and drop
		// what a failed run left, so the disk holds one set of results
		// between runs.
		if _, e := s.conn.Exec(book, queries.Get("runs.truncate-work")); e != nil {
			r.log.Warn("nightly: empty working tables", "err", e)
		}
		// A failed run may have rebuilt some of the kept tables: none is kept.
		if err != nil {
			if _, e := s.conn.Exec(book, queries.Get("runs.truncate-kept")); e != nil {
				r.log.Warn("nightly: empty kept working tables", "err", e)
			}
		}
		if _, e := s.conn.Exec(book, queries.Get("runs.drop-new")); e != nil {
			r.log.Warn("nightly: drop unfinished tables", "err", e)
		}
		if _, e := s.conn.Exec(book, queries.Get("runs.unlock"), lockKey); e != nil {
			r.log.Warn("nightly: unlock", "err", e)
		}
		if e := s.conn.Close(book); e != nil {
			r.log.Warn("nightly: close connection", "err", e)
		}
		status := string(StatusSucceeded)
		if err != nil {
			status = string(StatusFailed)
		}
		r.metrics.NightlyRun(string(s.req.Source), status, time.Since(start))
		r.log.Info("nightly run ended", "run", s.runID, "took", time.Since(start).Round(time.Millisecond), "err", err)
	}()

	if _, err := s.conn.Exec(ctx, queries.Get("runs.session"), r.workMem); err != nil {
		return fmt.Errorf("nightly: session settings: %w", err)
	}
	rc := &runContext{Runner: r, s: s}
	for i, st := range s.steps {
		if err := rc.do(ctx, i+1, st); err != nil {
			return err
		}
	}
	return nil
}

// runContext is what the steps of one run share.
type runContext struct {
	*Runner
	s      *session
	params Params
	// raising is the length of the raise list (triggers.raise-list)
	raising int64
	// quick: nothing changed since the last run, whose date-independent
	// working tables are kept; only what depends on the date is redone.
	quick bool
	// keepOffers: a quick run after a run that raised no trigger keeps the
	// take-up offers (nightly_w_offer) that run scored.
	keepOffers bool
	// keepTakeup: a quick run that knows the kept run's time keeps its
	// take-up factors (nightly_w_takeup); judging is the length of the
	// outcome list (triggers.outcome-list). Publish keeps the tables built
	// from them alone when they are kept and nothing is judged.
	keepTakeup bool
	judging    int64
	// fromFacts: the clients whose summary the segments step rewrote from
	// their facts (clientsFromSummary)
	fromFacts int64
}

// do runs one step and records it as it starts and ends, on the pool: outside
// the run's connection, so a page sees the progress while the run goes on.
func (rc *runContext) do(ctx context.Context, pos int, st step) error {
	book := context.WithoutCancel(ctx)
	if _, err := rc.pool.Exec(book, queries.Get("runs.step-start"), rc.s.runID, pos); err != nil {
		return fmt.Errorf("nightly: record step %s: %w", st.name, err)
	}
	started := time.Now()
	counts, err := st.run(ctx, rc)
	if err == nil && rc.afterStep != nil {
		err = rc.afterStep(st.name)
	}
	status, msg := "succeeded", ""
	switch {
	case errors.Is(err, errSkipStep):
		status, err = "skipped", nil
	case err != nil:
		status, msg = "failed", err.Error()
	}
	if counts == nil {
		counts = []Count{}
	}
	js, jerr := json.Marshal(counts)
	if jerr != nil {
		return errors.Join(err, fmt.Errorf("nightly: counts of %s: %w", st.name, jerr))
	}
	key, args := errorArgs(err, "")
	if err != nil {
		rc.s.failedStep = st.name
	}
	if _, e := rc.pool.Exec(book, queries.Get("runs.step-finish"), rc.s.runID, pos, status, string(js), msg, key, string(args)); e != nil {
		err = errors.Join(err, fmt.Errorf("nightly: record step %s: %w", st.name, e))
	}
	rc.metrics.NightlyStep(st.name, status, time.Since(started))
	attrs := []any{"run", rc.s.runID, "step", st.name, "status", status, "took", time.Since(started).Round(time.Millisecond)}
	for _, c := range counts {
		attrs = append(attrs, c.Name, c.Value)
	}
	rc.log.Info("nightly step", attrs...)
	if err != nil {
		return fmt.Errorf("nightly %s: %w", st.name, err)
	}
	return nil
}

// LockKey is the advisory lock a run holds, for tests that play a run.
const LockKey = lockKey
