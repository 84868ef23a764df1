// Package demotest gives tests a demo bank that has been through a nightly run.
package demotest

import (
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/relaycrm/relay/internal/dbtest"
)

// Scored returns a fresh database holding a demo bank of the given size
// (seed 1, facts to dbtest.DemoEnd) as `relay demo` leaves it: after a nightly
// run, a year of trigger history (seeds.Story) and a second run: segments,
// profiles, triggers, warnings, scores and the triggers' effectiveness. The run is part of the cloned template, so
// each test gets it in a moment.
func Scored(t testing.TB, clients int) *pgxpool.Pool {
	t.Helper()
	return dbtest.NewDemoAfter(t, clients, scoredRun(t))
}
