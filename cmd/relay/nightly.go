package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/relaycrm/relay/internal/db"
	"github.com/relaycrm/relay/internal/nightly"
)

// runNightly runs the nightly chain once and prints each step with its counts.
func runNightly(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "nightly")
	asOf := fs.String("as-of", "", "run as if this month, YYYY-MM, were the last in the data (default: the latest month of facts)")
	full := fs.Bool("full", false, "redo every statement even when nothing changed since the last run (default: such a night redoes only what depends on the date)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var month time.Time
	if *asOf != "" {
		m, err := time.Parse("2006-01", *asOf)
		if err != nil {
			return fmt.Errorf("--as-of: %q is not a month in the form YYYY-MM", *asOf)
		}
		month = m
	}
	pool, err := e.open(ctx)
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := db.Migrate(ctx, db.SQLDB(pool), nil); err != nil {
		return err
	}
	g, err := db.Gorm(pool)
	if err != nil {
		return err
	}
	runner := newRunner(pool, g, e.log, e.inboxRoot, nil)
	defer runner.Close()
	run, err := runner.Run(ctx, nightly.Request{AsOf: month, Source: nightly.SourceCLI, Full: *full})
	if run.ID != 0 {
		printRun(e.stdout, run)
	}
	if err != nil {
		return err
	}
	return nil
}

// printRun writes a run and its steps, one line each.
func printRun(w io.Writer, run nightly.Run) {
	asOf := "-"
	if !run.AsOf.IsZero() {
		asOf = run.AsOf.Format("2006-01")
	}
	fmt.Fprintf(w, "nightly run %d as of %s: %s in %s\n", run.ID, asOf, run.Status, run.Duration().Round(time.Millisecond))
	if run.Why != "" {
		fmt.Fprintf(w, "  %s\n", run.Why)
	}
	for _, st := range run.Steps {
		var counts []string
		for _, c := range st.Counts {
			counts = append(counts, fmt.Sprintf("%s=%d", c.Name, c.Value))
		}
		fmt.Fprintf(w, "  %-9s %-9s %9s  %s\n", st.Name, st.Status, st.Duration().Round(time.Millisecond), strings.Join(counts, " "))
		if st.Error != "" {
			fmt.Fprintf(w, "            error: %s\n", st.Error)
		}
	}
}
