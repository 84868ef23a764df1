package summary_test

import (
	"context"
	"testing"
	"time"

	"github.com/relaycrm/relay/internal/dbtest"
	"github.com/relaycrm/relay/internal/nightly/nightlytest"
	"github.com/relaycrm/relay/internal/summary"
)

// TestWriteSumsAClientsMonths: on a hand-built bank, the summary of a client
// with a month of facts from 2025-01 to 2026-10 whose figures follow the
// month (the n-th month from 2025-01 has n transactions, n x 1,000 of
// turnover and n x 100 of income), and of a client with none, written for a
// run as of 2026-10 with a 12-month profitability window, a 3-month recent
// window after a 3-month base: every sum, count and month is the one worked
// out by hand. The summary is trusted once marked so, no longer after a write
// to the facts outside the import, and still after one the import makes.
func TestWriteSumsAClientsMonths(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := dbtest.New(t)
	b := nightlytest.New(t, pool)
	nth := func(m time.Time) int64 { return int64((m.Year()-2025)*12 + int(m.Month())) } // 2025-01 is 1
	withFacts := b.Add(nightlytest.Client{Ref: "C-1", Since: nightlytest.Day(2024, 6, 1),
		Facts: func(m time.Time) nightlytest.Fact {
			n := nth(m)
			return nightlytest.Fact{Turnover: n * 1000, Balance: -n, Tx: int(n), Income: map[string]int64{"CA": n * 60, "ACQ": n * 40}}
		}})
	none := b.Add(nightlytest.Client{Ref: "C-2", Since: nightlytest.Day(2024, 6, 1)})

	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	if ok, err := summary.Trusted(ctx, tx); err != nil || ok {
		t.Fatalf("a summary never written is trusted (%v)", err)
	}
	if _, err := tx.Exec(ctx, `CREATE TEMP TABLE client_summary_todo ON COMMIT DROP AS
		SELECT unnest($1::bigint[]) AS client_id`, []int64{withFacts, none}); err != nil {
		t.Fatal(err)
	}
	w := summary.Windows{AsOf: nightlytest.Month(2026, 10), ScanFrom: nightlytest.Month(2025, 10),
		ProfitFrom: nightlytest.Month(2025, 11), RecentFrom: nightlytest.Month(2026, 8), BaseFrom: nightlytest.Month(2026, 5),
		InputFrom: nightlytest.Month(2025, 11)}
	if n, err := summary.Write(ctx, tx, w); err != nil || n != 2 {
		t.Fatalf("write: %d rows, %v; want 2", n, err)
	}
	if err := summary.Trust(ctx, tx); err != nil {
		t.Fatal(err)
	}
	if ok, err := summary.Trusted(ctx, tx); err != nil || !ok {
		t.Fatalf("a summary marked trusted is not (%v)", err)
	}

	// 2025-11 is month 11, 2026-10 month 22: the window holds months 11..22.
	sum := func(from, to int64) int64 { return (from + to) * (to - from + 1) / 2 }
	var got [16]int64
	err = tx.QueryRow(ctx, `
		SELECT profit_months, profit_income, profit_tx, recent_months, base_months, turnover_recent, turnover_base,
		       income_0, income_12, tx_0, tx_11, m12, balance_sum12, m_first3, income_first3, m_last3
		FROM client_summary WHERE client_id = $1 AND as_of = DATE '2026-10-01' AND profit_from = DATE '2025-11-01'`,
		withFacts).Scan(&got[0], &got[1], &got[2], &got[3], &got[4], &got[5], &got[6], &got[7], &got[8], &got[9],
		&got[10], &got[11], &got[12], &got[13], &got[14], &got[15])
	if err != nil {
		t.Fatal(err)
	}
	want := [16]int64{
		12, sum(11, 22) * 100, sum(11, 22), // the profitability window, 2025-11..2026-10
		3, 3, sum(20, 22) * 1000, sum(17, 19) * 1000, // recent 2026-08..10, base 2026-05..07
		22 * 100, 10 * 100, 22, 11, // income of 2026-10 and 2025-10, transactions of 2026-10 and 2025-11
		12, -sum(11, 22), // the 12 months of the churn inputs
		3, sum(11, 13) * 100, 3, // their first 3 months (2025-11..2026-01) and last 3
	}
	if got != want {
		t.Errorf("the client with facts:\n got %v\nwant %v", got, want)
	}
	var months, m12 int64
	var income *int64
	if err := tx.QueryRow(ctx, `SELECT profit_months, m12, income_0 FROM client_summary WHERE client_id = $1`, none).
		Scan(&months, &m12, &income); err != nil {
		t.Fatal(err)
	}
	if months != 0 || m12 != 0 || income != nil {
		t.Errorf("the client with no facts: %d months, %d of 12, income %v; want 0, 0, none", months, m12, income)
	}

	// the import's own writes keep it trusted; any other write does not
	for _, c := range []struct {
		name  string
		local string
		keeps bool
	}{
		{"the import's write", `SET LOCAL relay.summary_kept = 'on'`, true},
		{"a write outside the import", `SET LOCAL relay.summary_kept = 'off'`, false},
	} {
		if _, err := tx.Exec(ctx, c.local); err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(ctx, `UPDATE monthly_fact SET tx_count = tx_count + 1 WHERE client_id = $1 AND month = DATE '2026-10-01'`, withFacts); err != nil {
			t.Fatal(err)
		}
		if ok, err := summary.Trusted(ctx, tx); err != nil || ok != c.keeps {
			t.Errorf("after %s the summary is trusted: %v (%v), want %v", c.name, ok, err, c.keeps)
		}
	}
}
