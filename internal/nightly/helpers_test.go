package nightly

import (
	"context"
	"testing"
	"time"

	"github.com/relaycrm/relay/internal/dbtest"
	"github.com/relaycrm/relay/internal/nightly/nightlytest"
)

// Some dates of the hand-built banks (nightlytest.AsOf is 2026-10).
var (
	since18 = nightlytest.Day(2025, 4, 15) // 18 months of tenure at the end of 2026-10: band 1-2 years
	since5y = nightlytest.Day(2021, 6, 15) // 3+ years
)

// newBank gives the test a fresh database with the hand-built bank.
func newBank(t *testing.T) *nightlytest.Bank {
	t.Helper()
	return nightlytest.New(t, dbtest.New(t))
}

// runNightly runs the chain as of 2026-10 and fails the test if it fails.
func runNightly(t *testing.T, b *nightlytest.Bank) Run {
	t.Helper()
	r := New(b.Pool, Options{Settings: b.Settings})
	defer r.Close()
	run, err := r.Run(context.Background(), Request{AsOf: nightlytest.AsOf})
	if err != nil {
		t.Fatalf("nightly run: %v", err)
	}
	return run
}

// count returns the count(*) of a query.
func count(t *testing.T, b *nightlytest.Bank, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := b.Pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// monthsBack is the month k months before the as-of month.
func monthsBack(k int) time.Time { return nightlytest.AsOf.AddDate(0, -k, 0) }
