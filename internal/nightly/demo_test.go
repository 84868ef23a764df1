package nightly

import (
	"context"
	"testing"

	"github.com/relaycrm/relay/internal/db"
	"github.com/relaycrm/relay/internal/dbtest"
	"github.com/relaycrm/relay/internal/nightly/nightlytest"
	"github.com/relaycrm/relay/seeds"
)

// TestDemoBankWarnsLeavers replays the demo bank's history as of 2026-04 and
// holds the fixed-weight warnings to honest figures, kind by kind, against
// the generator's ground truth about the clients that leave in the next six
// months: they catch a clear majority of the leavers that fade and few of
// those that leave abruptly; clients that decline and stay are warned more
// often than steady ones; and staying clients are warned far less often than
// leavers.
func TestDemoBankWarnsLeavers(t *testing.T) {
	t.Parallel()
	const clients = 6000
	// the run as of 2026-04 is in the template, the one TestNightlyFingerprint starts from
	pool := demoAfterApril(t)
	dbtest.AddBehaviours(t, pool, clients)
	ctx := context.Background()
	asOf := nightlytest.Month(2026, 4)
	if run := lastRun(t, pool); run.Status != StatusSucceeded || !run.AsOf.Equal(asOf) {
		t.Fatalf("the template's run: %s as of %s, want succeeded as of 2026-04", run.Status, run.AsOf)
	}
	// Nothing after the as-of month was read: no client scored joined after it.
	if n := countPool(t, pool, `SELECT count(*) FROM client_score s JOIN client c ON c.id = s.client_id WHERE c.since >= '2026-05-01'`); n != 0 {
		t.Errorf("%d clients that joined after the as-of month were scored", n)
	}

	// Per behaviour: leavers that leave in the six months after the as-of
	// month (and how many of them were warned), and clients that stay.
	type tally struct{ n, warned int }
	got := map[string]tally{}
	res, err := pool.Query(ctx, `
		SELECT b.behaviour, count(*), count(w.client_id)
		FROM client_score s
		JOIN client c ON c.id = s.client_id
		JOIN demo_behaviour b ON b.client_id = c.id
		LEFT JOIN client_warning w ON w.client_id = s.client_id
		WHERE CASE WHEN b.leaves THEN c.left_on >= '2026-05-01' AND c.left_on < '2026-11-01' ELSE true END
		GROUP BY b.behaviour`)
	if err != nil {
		t.Fatal(err)
	}
	for res.Next() {
		var k string
		var x tally
		if err := res.Scan(&k, &x.n, &x.warned); err != nil {
			t.Fatal(err)
		}
		got[k] = x
	}
	if err := res.Err(); err != nil {
		t.Fatal(err)
	}
	rate := func(ks ...seeds.Behaviour) (float64, tally) {
		var sum tally
		for _, k := range ks {
			sum.n += got[k.String()].n
			sum.warned += got[k.String()].warned
		}
		if sum.n == 0 {
			return 0, sum
		}
		return float64(sum.warned) / float64(sum.n), sum
	}
	for _, k := range []seeds.Behaviour{seeds.Fading, seeds.Abrupt, seeds.Complaining, seeds.Quiet, seeds.Steady, seeds.Dip, seeds.StepDown} {
		r, x := rate(k)
		t.Logf("as of 2026-04: %-11s %4d warned of %5d (%.0f%%)", k, x.warned, x.n, 100*r)
	}
	fading, f := rate(seeds.Fading)
	abrupt, a := rate(seeds.Abrupt)
	leavers, l := rate(seeds.Fading, seeds.Abrupt, seeds.Complaining, seeds.Quiet)
	steady, _ := rate(seeds.Steady)
	declined, d := rate(seeds.Dip, seeds.StepDown)
	stayers, _ := rate(seeds.Steady, seeds.Dip, seeds.StepDown)
	if f.n < 30 || a.n < 15 {
		t.Fatalf("only %d fading and %d abrupt leavers in the six months: the demo bank is too small to judge", f.n, a.n)
	}
	if fading < 0.55 {
		t.Errorf("%.0f%% of fading leavers warned; want a clear majority (55%% or more)", 100*fading)
	}
	if abrupt > 0.3 || abrupt > fading/2 {
		t.Errorf("%.0f%% of abrupt leavers warned against %.0f%% of fading ones; want far fewer (30%% at most)", 100*abrupt, 100*fading)
	}
	if leavers > 0.8 {
		t.Errorf("%.0f%% of all %d leavers warned: the demo flatters the fixed weights again", 100*leavers, l.n)
	}
	if d.warned == 0 || declined <= steady {
		t.Errorf("%d of %d clients that decline and stay warned (%.1f%%), steady ones %.1f%%; want them warned sometimes, more often than steady ones",
			d.warned, d.n, 100*declined, 100*steady)
	}
	if stayers > leavers/4 {
		t.Errorf("%.1f%% of staying clients warned against %.0f%% of leavers: the warnings do not tell them apart", 100*stayers, 100*leavers)
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
