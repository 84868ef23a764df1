// Package demotest gives tests a demo bank that has been through a nightly run.
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

// Scored returns a fresh database holding a demo bank of the given size
// (seed 1, facts to dbtest.DemoEnd) as `relay demo` leaves it: after a nightly
// run, a year of trigger history (seeds.Story) and a second run: segments,
// profiles, triggers, warnings, scores and the triggers' effectiveness. The run is part of the cloned template, so
// each test gets it in a moment.
func Scored(t testing.TB, clients int) *pgxpool.Pool {
	t.Helper()
	var chain string
	for _, code := range []fs.FS{nightly.Code, warnings.Code, model.Code} {
		h, err := dbtest.HashFS(code)
		if err != nil {
			t.Fatal(err)
		}
		chain += h[:8]
	}
	return dbtest.NewDemoAfter(t, clients, dbtest.After{
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
	})
}
