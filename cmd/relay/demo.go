package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/relaycrm/relay/internal/db"
	"github.com/relaycrm/relay/internal/nightly"
	"github.com/relaycrm/relay/internal/triggers"
	"github.com/relaycrm/relay/seeds"
)

func runDemo(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "demo")
	clients := fs.Int("clients", 20000, "number of clients")
	seed := fs.Uint64("seed", 1, "random seed: the same seed and size give the same bank")
	end := fs.String("end", seeds.DefaultEnd(time.Now()).Format("2006-01"), "last month of facts, YYYY-MM")
	months := fs.Int("months", 36, "months of facts")
	ifEmpty := fs.Bool("if-empty", false, "do nothing, without error, when the database already holds data")
	history := fs.Bool("history", true, "run the nightly job, write a year of trigger history and run it again")
	historyOnly := fs.Bool("history-only", false, "do not load: add the trigger history to a demo bank loaded without it")
	if err := fs.Parse(args); err != nil {
		return err
	}
	endMonth, err := time.Parse("2006-01", *end)
	if err != nil {
		return fmt.Errorf("--end: %q is not a month in the form YYYY-MM", *end)
	}
	pool, err := e.open(ctx)
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := db.Migrate(ctx, db.SQLDB(pool), nil); err != nil {
		return err
	}
	if *historyOnly {
		return demoStory(ctx, e, pool, *seed)
	}
	lastReport := time.Now()
	res, err := seeds.Load(ctx, pool, seeds.Options{
		Clients: *clients, Seed: *seed, End: endMonth, Months: *months,
		Progress: func(done, total int) {
			if time.Since(lastReport) > 10*time.Second || done == total {
				fmt.Fprintf(e.stdout, "  %d of %d clients written\n", done, total)
				lastReport = time.Now()
			}
		},
	})
	if errors.Is(err, seeds.ErrNotEmpty) && *ifEmpty {
		fmt.Fprintln(e.stdout, "demo: the database already holds data; nothing loaded")
		return nil
	}
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	fmt.Fprintf(e.stdout, "demo: loaded %d clients (seed %d, facts %s to %s) in %.1fs: %d rows, %.0f rows/s\n",
		*clients, *seed, endMonth.AddDate(0, -(*months-1), 0).Format("2006-01"), endMonth.Format("2006-01"),
		res.Elapsed.Seconds(), res.Total, res.RowsPerSecond())
	for _, t := range []string{"client", "holding", "monthly_fact", "contact", "app_user"} {
		fmt.Fprintf(e.stdout, "  %-13s %10d rows\n", t, res.Rows[t])
	}
	fmt.Fprintf(e.stdout, "demo logins (password %s):\n", seeds.DemoPassword)
	for _, l := range res.Logins {
		fmt.Fprintf(e.stdout, "  %-12s %-22s %s %s\n", l.Role, l.Login, l.Name, l.Branch)
	}
	if *history {
		return demoStory(ctx, e, pool, *seed)
	}
	return nil
}

// demoStory runs the nightly job, writes the demo's year of trigger history
// and runs the job again (seeds.Story).
func demoStory(ctx context.Context, e *env, pool *pgxpool.Pool, seed uint64) error {
	g, err := db.Gorm(pool)
	if err != nil {
		return err
	}
	runner := newRunner(pool, g, e.log, e.inboxRoot, nil)
	defer runner.Close()
	started := time.Now()
	res, err := seeds.Story(ctx, pool, seeds.HistoryOptions{Seed: seed, LostReasons: triggers.LostReasons,
		DismissReasons: triggers.DismissReasons}, func(ctx context.Context) error {
		_, err := runner.Run(ctx, nightly.Request{Source: nightly.SourceCLI})
		return err
	})
	if err != nil {
		return fmt.Errorf("demo history: %w", err)
	}
	fmt.Fprintf(e.stdout, "demo: a year of trigger history: %d triggers, %d open ones moved along, two nightly runs, in %.1fs\n",
		res.Triggers, res.Moved, time.Since(started).Seconds())
	return nil
}
