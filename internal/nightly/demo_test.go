package nightly

import (
	"context"
	"testing"

	"github.com/relaycrm/relay/internal/db"
	"github.com/relaycrm/relay/internal/dbtest"
	"github.com/relaycrm/relay/internal/nightly/nightlytest"
	"github.com/relaycrm/relay/internal/settings"
	"github.com/relaycrm/relay/seeds"
)

// TestDemoBankWarnsLeavers replays the demo bank's history: run as of
// 2026-06, the clients the generator makes decline and leave in the next
// four months must mostly be warned already, and far more often than the
// clients that stay.
func TestDemoBankWarnsLeavers(t *testing.T) {
	pool := dbtest.New(t)
	ctx := context.Background()
	if _, err := seeds.Load(ctx, pool, seeds.Options{Clients: 3000, Seed: 7, End: nightlytest.AsOf, Months: 36}); err != nil {
		t.Fatal(err)
	}
	g, err := db.Gorm(pool)
	if err != nil {
		t.Fatal(err)
	}
	r := New(pool, Options{Settings: settings.NewStore(g)})
	defer r.Close()
	run, err := r.Run(ctx, Request{AsOf: nightlytest.Month(2026, 6)})
	if err != nil {
		t.Fatal(err)
	}
	if !run.AsOf.Equal(nightlytest.Month(2026, 6)) {
		t.Fatalf("as of %s", run.AsOf)
	}
	var leavers, warnedLeavers, stayers, warnedStayers int
	err = pool.QueryRow(ctx, `
		SELECT count(*) FILTER (WHERE c.left_on BETWEEN '2026-07-01' AND '2026-10-31'),
		       count(w.client_id) FILTER (WHERE c.left_on BETWEEN '2026-07-01' AND '2026-10-31'),
		       count(*) FILTER (WHERE c.left_on IS NULL),
		       count(w.client_id) FILTER (WHERE c.left_on IS NULL)
		FROM client_score s
		JOIN client c ON c.id = s.client_id
		LEFT JOIN client_warning w ON w.client_id = s.client_id`).Scan(&leavers, &warnedLeavers, &stayers, &warnedStayers)
	if err != nil {
		t.Fatal(err)
	}
	// Nothing after the as-of month was read: no client scored joined after it.
	if n := countPool(t, pool, `SELECT count(*) FROM client_score s JOIN client c ON c.id = s.client_id WHERE c.since >= '2026-07-01'`); n != 0 {
		t.Errorf("%d clients that joined after the as-of month were scored", n)
	}
	recall := float64(warnedLeavers) / float64(leavers)
	falseRate := float64(warnedStayers) / float64(stayers)
	t.Logf("as of 2026-06: %d of %d clients leaving in the next 4 months warned (%.0f%%); %d of %d staying clients warned (%.1f%%)",
		warnedLeavers, leavers, 100*recall, warnedStayers, stayers, 100*falseRate)
	if leavers < 30 {
		t.Fatalf("only %d leavers: the demo bank is too small to judge", leavers)
	}
	if recall < 0.6 {
		t.Errorf("%.0f%% of the leavers warned, want most (60%% or more)", 100*recall)
	}
	if falseRate > recall/4 {
		t.Errorf("%.1f%% of staying clients warned against %.0f%% of leavers: the warnings do not tell them apart", 100*falseRate, 100*recall)
	}
}

func countPool(t *testing.T, q db.Querier, sql string) int {
	t.Helper()
	var n int
	if err := q.QueryRow(context.Background(), sql).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
