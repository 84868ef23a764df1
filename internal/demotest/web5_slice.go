package demotest

import (
	"context"
	"io/fs"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/relaycrm/relay/internal/db"
	"github.com/relaycrm/relay/internal/dbtest"
	"github.com/relaycrm/relay/internal/model"
	"github.com/relaycrm/relay/internal/nightly"
	"github.com/relaycrm/relay/internal/settings"
	"github.com/relaycrm/relay/internal/triggers"
	"github.com/relaycrm/relay/internal/warnings"
	"github.com/relaycrm/relay/seeds"
)

// ScoredThen is Scored with then done on the scored bank too, in a template
// of its own built on a copy of Scored's (dbtest.NewDemoAfterThen): a model
// fitted on the scored bank, say, fitted once per build of the code rather
// than by each test. name tells two such templates of a test binary apart.
func ScoredThen(t testing.TB, clients int, name string, then dbtest.After) *pgxpool.Pool {
	t.Helper()
	return dbtest.NewDemoAfterThen(t, clients, scoredRun(t), name, then)
}

// scoredRun is the work Scored does on the loaded bank (a nightly run, a year
// of trigger history, a second run), named by the nightly chain's SQL, so
// that ScoredThen's templates are built on Scored's template.
func scoredRun(t testing.TB) dbtest.After {
	t.Helper()
	var chain string
	for _, code := range []fs.FS{nightly.Code, warnings.Code, model.Code} {
		h, err := dbtest.HashFS(code)
		if err != nil {
			t.Fatal(err)
		}
		chain += h[:8]
	}
	return dbtest.After{
		Version: "nightly-" + chain,
		Do: func(ctx context.Context, pool *pgxpool.Pool) error {
			g, err := db.Gorm(pool)
			if err != nil {
				return err
			}
			runner := nightly.New(pool, nightly.Options{Settings: settings.NewStore(pool, g)})
			defer runner.Close()
			_, err = seeds.Story(ctx, pool, seeds.HistoryOptions{Seed: 1, LostReasons: triggers.LostReasons,
				DismissReasons: triggers.DismissReasons}, func(ctx context.Context) error {
				_, err := runner.Run(ctx, nightly.Request{Source: nightly.SourceCLI})
				return err
			})
			return err
		},
	}
}
