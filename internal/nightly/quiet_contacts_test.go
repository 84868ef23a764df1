package nightly

import (
	"context"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/relaycrm/relay/internal/dbtest"
	"github.com/relaycrm/relay/internal/warnings"
)

// TestQuietNightMovesTheContactsToItsDay: a quick night keeps the contacts
// counted by the night before and counts again only the clients with a
// contact that crossed one of the days contacts are counted by (the run's day
// and the same day a year before); every other client's days since the last
// contact move with the date. On two copies of one demo bank, contacts written
// before the first night (as the feed brings the contact centre's, dated as it
// dates them): one later on D than the day contacts are counted to (counted
// from D+1 on) and a complaint a year before D+1 less twelve hours (in the
// last 12 months on D, not on D+1). A full night on D, then on D+1 a quick
// night on one copy and a full one on the other: every output table is the
// same, and the two clients' inputs moved as the rule says.
func TestQuietNightMovesTheContactsToItsDay(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := dbtest.DemoNow // 2026-11-20 10:00 UTC: contacts are counted to 2026-11-20
	// the contacts and the full night on D are played once, in the template
	// both copies are cloned from
	bank := func(t *testing.T) *pgxpool.Pool {
		return demoAfterNights(t, 2000, "quiet-contacts", true, func(ctx context.Context, pool *pgxpool.Pool, r *Runner) error {
			if _, err := pool.Exec(ctx, `
				WITH c AS (SELECT id, manager_id FROM client WHERE manager_id IS NOT NULL AND left_on IS NULL ORDER BY id LIMIT 2)
				INSERT INTO contact (client_id, user_id, kind, happened_at, outcome, proactive)
				SELECT c.id, c.manager_id, 'call', CASE WHEN n = 1 THEN $1::timestamptz + interval '5 hours'
				                                        ELSE $1::timestamptz - interval '1 year' + interval '2 hours' END,
				       CASE WHEN n = 1 THEN 'reached' ELSE 'complaint' END, n = 1
				FROM (SELECT c.*, row_number() OVER (ORDER BY c.id) AS n FROM c) c`, d); err != nil {
				return err
			}
			_, err := nightOn(ctx, r, d, Request{}, KindFull)
			return err
		})
	}
	quickPool, fullPool := bank(t), bank(t)
	// the two clients of the test's contacts, in both copies
	var later, yearAgo int64
	for _, pool := range []*pgxpool.Pool{quickPool, fullPool} {
		var l, y int64
		if err := pool.QueryRow(ctx, `
			SELECT (SELECT client_id FROM contact WHERE happened_at = $1::timestamptz + interval '5 hours' AND outcome = 'reached'),
			       (SELECT client_id FROM contact WHERE happened_at = $1::timestamptz - interval '1 year' + interval '2 hours'
			                                        AND outcome = 'complaint')`, d).Scan(&l, &y); err != nil {
			t.Fatalf("the test's contacts: %v", err)
		}
		if later != 0 && (l != later || y != yearAgo) {
			t.Fatalf("the copies' contacts differ: %d, %d and %d, %d", later, yearAgo, l, y)
		}
		later, yearAgo = l, y
	}
	quick, full := newQuietRunner(t, quickPool), newQuietRunner(t, fullPool)
	if run := lastRun(t, quickPool); run.Kind != KindFull {
		t.Fatalf("the night on D: %s %q, want full", run.Kind, run.Why)
	}
	day := d.AddDate(0, 0, 1)
	input := func(pool *pgxpool.Pool, client int64, code string) *float64 {
		t.Helper()
		k := slices.Index(warnings.InputCodes(), code)
		if k < 0 {
			t.Fatalf("no input %s", code)
		}
		var v *float64
		if err := pool.QueryRow(ctx, `SELECT inputs[$2]::float8 FROM client_churn WHERE client_id = $1`, client, k+1).Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	complaintsBefore := input(quickPool, yearAgo, "complaints_12m")
	if complaintsBefore == nil || *complaintsBefore < 1 {
		t.Fatalf("on D client %d has %v complaints in the last 12 months, want the one a year before", yearAgo, complaintsBefore)
	}

	q, f := quick.night(t, day, false), full.night(t, day, true)
	if q.Kind != KindQuick || f.Kind != KindFull {
		t.Fatalf("D+1: %s (%q) and %s (%q), want quick and full", q.Kind, q.Why, f.Kind, f.Why)
	}
	got, want := fingerprint(t, quickPool, "D+1"), fingerprint(t, fullPool, "D+1")
	for j := range want {
		if got[j] != want[j] {
			t.Errorf("quick night: %s; full night: %s", got[j], want[j])
		}
	}
	if v := input(quickPool, later, "days_since_contact"); v == nil || *v != 1 {
		t.Errorf("D+1, quick: client %d's days since its contact of D afternoon are %v, want 1", later, v)
	}
	if v := input(quickPool, yearAgo, "complaints_12m"); v == nil || *v != *complaintsBefore-1 {
		t.Errorf("D+1, quick: client %d has %v complaints in the last 12 months, want %v: one left the window",
			yearAgo, v, *complaintsBefore-1)
	}
}
