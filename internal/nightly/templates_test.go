package nightly

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/relaycrm/relay/internal/db"
	"github.com/relaycrm/relay/internal/dbtest"
	"github.com/relaycrm/relay/internal/nightly/nightlytest"
	"github.com/relaycrm/relay/internal/settings"
)

// demoAfterNights gives the test a demo bank of the given size with the
// nights (and whatever else) do plays on it already played, in a template
// (dbtest.NewDemoAfter, built on a copy of the loaded bank's template): the
// tests that play the same nights on two copies of a bank before comparing
// them play them once, and a later run of the same test binary not at all.
// The template is named by name and by the test binary's digest, so a change
// to any code a night runs (or to these tests) builds it again.
// The runner do gets has an import step that imports nothing when quiet (as
// newQuietRunner's), none otherwise (as New(pool, Options{Settings})).
func demoAfterNights(t *testing.T, clients int, name string, quiet bool,
	do func(ctx context.Context, pool *pgxpool.Pool, r *Runner) error) *pgxpool.Pool {
	t.Helper()
	return dbtest.NewDemoAfter(t, clients, dbtest.After{
		Version: fmt.Sprintf("%s-%v-%s", name, quiet, dbtest.ExecutableVersion(t)),
		Do: func(ctx context.Context, pool *pgxpool.Pool) error {
			g, err := db.Gorm(pool)
			if err != nil {
				return err
			}
			o := Options{Settings: settings.NewStore(pool, g)}
			if quiet {
				o.Import = func(context.Context) ([]Count, error) { return nil, nil }
			}
			r := New(pool, o)
			defer r.Close()
			return do(ctx, pool, r)
		},
	})
}

// demoAfterApril is the fixed demo bank (6,000 clients, seed 1) after a run
// as of 2026-04 (the runner's clock the real one): where
// TestNightlyFingerprint and TestDemoBankWarnsLeavers both start, played
// once for both.
func demoAfterApril(t *testing.T) *pgxpool.Pool {
	t.Helper()
	return demoAfterNights(t, 6000, "run-2026-04", false, func(ctx context.Context, _ *pgxpool.Pool, r *Runner) error {
		_, err := r.Run(ctx, Request{AsOf: nightlytest.Month(2026, 4)})
		return err
	})
}

// nightOn runs the chain on day, as of the latest month of facts (or of
// req.AsOf), and fails unless the run is of the kind wanted ("" for any).
func nightOn(ctx context.Context, r *Runner, day time.Time, req Request, want Kind) (Run, error) {
	r.now = func() time.Time { return day }
	req.Source = SourceCLI
	run, err := r.Run(ctx, req)
	if err != nil {
		return run, fmt.Errorf("run on %s: %w", day.Format("2006-01-02"), err)
	}
	if want != "" && run.Kind != want {
		return run, fmt.Errorf("run on %s: %s %q, want %s", day.Format("2006-01-02"), run.Kind, run.Why, want)
	}
	return run, nil
}

// lastRun is the last run recorded in the bank (one played in its template).
func lastRun(t *testing.T, pool *pgxpool.Pool) Run {
	t.Helper()
	page, err := Runs(context.Background(), pool, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Runs) == 0 {
		t.Fatal("no run in the bank")
	}
	return page.Runs[0]
}
