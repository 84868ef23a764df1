package seeds_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/relaycrm/relay/internal/dbtest"
	"github.com/relaycrm/relay/seeds"
)

// behaviourClients is big enough for a few dozen leavers of every kind inside
// the months of facts.
const behaviourClients = 6000

// lastNine is, for every leaver that left inside the months of facts with
// nine months of facts up to the month it left, its averages over the last
// three months (t3, i3) and the six before (t6, i6), and its industry.
const lastNine = `
	WITH l AS (
	    SELECT c.id, b.behaviour, i.code, date_trunc('month', c.left_on)::date AS last_month
	    FROM client c JOIN demo_behaviour b ON b.client_id = c.id JOIN industry i ON i.id = c.industry_id
	    WHERE c.left_on IS NOT NULL),
	w AS (
	    SELECT l.id, l.behaviour, l.code,
	           avg(f.turnover) FILTER (WHERE f.month > l.last_month - interval '3 months') AS t3,
	           avg(f.turnover) FILTER (WHERE f.month <= l.last_month - interval '3 months') AS t6,
	           avg(f.income) FILTER (WHERE f.month > l.last_month - interval '3 months') AS i3,
	           avg(f.income) FILTER (WHERE f.month <= l.last_month - interval '3 months') AS i6
	    FROM l JOIN monthly_fact f ON f.client_id = l.id
	     AND f.month > l.last_month - interval '9 months' AND f.month <= l.last_month
	    GROUP BY l.id, l.behaviour, l.code HAVING count(*) = 9)`

// seasonal are the industries whose turnover swings with the season.
const seasonal = `('A', 'F', 'I', 'R')`

func scan(t *testing.T, row pgx.Row, dest ...any) {
	t.Helper()
	if err := row.Scan(dest...); err != nil {
		t.Fatal(err)
	}
}

func share(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// TestDemoLeaversLeaveInDifferentWays checks the mix: every way of leaving
// and of declining and staying is common, the mix differs by size band, and
// the data agrees with the ground truth.
func TestDemoLeaversLeaveInDifferentWays(t *testing.T) {
	t.Parallel()
	kinds := seeds.Behaviours(seeds.Options{Clients: 20000, Seed: 1, End: dbtest.DemoEnd, Months: 36})
	count := map[seeds.Behaviour]int{}
	var leavers int
	for _, k := range kinds {
		count[k]++
		if k.Leaves() {
			leavers++
		}
	}
	stayers := len(kinds) - leavers
	if s := share(leavers, len(kinds)); s < 0.35 || s > 0.5 {
		t.Errorf("%.0f%% of clients leave; want about 42%%", 100*s)
	}
	for _, k := range []seeds.Behaviour{seeds.Fading, seeds.Abrupt, seeds.Complaining, seeds.Quiet} {
		if s := share(count[k], leavers); s < 0.12 {
			t.Errorf("%s leavers are %.0f%% of leavers; want every way of leaving common (12%% or more)", k, 100*s)
		}
	}
	if s := share(count[seeds.Fading], leavers); s > 0.5 {
		t.Errorf("%.0f%% of leavers fade; want fewer than half", 100*s)
	}
	for _, k := range []seeds.Behaviour{seeds.Dip, seeds.StepDown} {
		if s := share(count[k], stayers); s < 0.03 || s > 0.2 {
			t.Errorf("%s stayers are %.1f%% of stayers; want a few percent", k, 100*s)
		}
	}

	pool := dbtest.NewDemoWithBehaviours(t, behaviourClients)
	ctx := context.Background()
	// Only leavers leave, and the mix leans by size band: micro businesses
	// stop abruptly more often, medium ones complain before they go.
	var wrong int
	scan(t, pool.QueryRow(ctx, `SELECT count(*) FROM client c JOIN demo_behaviour b ON b.client_id = c.id WHERE c.left_on IS NOT NULL AND NOT b.leaves`), &wrong)
	if wrong != 0 {
		t.Errorf("%d clients left that the generator made stay", wrong)
	}
	var abruptMicro, abruptMedium, complainMicro, complainMedium float64
	scan(t, pool.QueryRow(ctx, `SELECT
		avg((b.behaviour = 'abrupt')::int) FILTER (WHERE c.size_band = 'micro'),
		avg((b.behaviour = 'abrupt')::int) FILTER (WHERE c.size_band = 'medium'),
		avg((b.behaviour = 'complaining')::int) FILTER (WHERE c.size_band = 'micro'),
		avg((b.behaviour = 'complaining')::int) FILTER (WHERE c.size_band = 'medium')
		FROM client c JOIN demo_behaviour b ON b.client_id = c.id WHERE b.leaves`), &abruptMicro, &abruptMedium, &complainMicro, &complainMedium)
	if abruptMicro <= abruptMedium || complainMedium <= complainMicro {
		t.Errorf("abrupt leavers: %.0f%% of micro and %.0f%% of medium leavers; complaining: %.0f%% and %.0f%%; want micro more abrupt, medium more complaining",
			100*abruptMicro, 100*abruptMedium, 100*complainMicro, 100*complainMedium)
	}
}

// TestDemoBehavioursHaveTheirShapes checks each kind of client in the
// generated data, the way a bank's analyst would see it.
func TestDemoBehavioursHaveTheirShapes(t *testing.T) {
	t.Parallel()
	pool := dbtest.NewDemoWithBehaviours(t, behaviourClients)
	ctx := context.Background()

	t.Run("fading leavers fade and often close key products early", func(t *testing.T) {
		var n, fell, early, onTheDay int
		scan(t, pool.QueryRow(ctx, lastNine+`
			SELECT count(*), count(*) FILTER (WHERE t3 < 0.7 * t6),
			       count(*) FILTER (WHERE EXISTS (
			           SELECT 1 FROM holding h JOIN product p ON p.id = h.product_id JOIN client c ON c.id = h.client_id
			           WHERE h.client_id = w.id AND p.key_product AND p.code <> 'CA-MAIN' AND h.closed_on < c.left_on)),
			       count(*) FILTER (WHERE EXISTS (
			           SELECT 1 FROM holding h JOIN product p ON p.id = h.product_id JOIN client c ON c.id = h.client_id
			           WHERE h.client_id = w.id AND p.key_product AND p.code <> 'CA-MAIN' AND h.closed_on = c.left_on))
			FROM w WHERE behaviour = 'fading'`), &n, &fell, &early, &onTheDay)
		t.Logf("%d fading leavers: turnover of the last 3 months fell >30%% against the 6 before for %d; %d closed payroll or acquiring early, %d kept one to the day",
			n, fell, early, onTheDay)
		if n < 30 {
			t.Fatalf("only %d fading leavers with nine months of facts", n)
		}
		if share(fell, n) < 0.8 {
			t.Errorf("turnover fell >30%% for %d of %d fading leavers; want most (80%%)", fell, n)
		}
		if early == 0 || onTheDay == 0 {
			t.Errorf("%d fading leavers closed payroll or acquiring early and %d on the day; want both", early, onTheDay)
		}
	})

	t.Run("abrupt leavers show no decline and close everything on the day", func(t *testing.T) {
		var n, steady, notOnTheDay int
		scan(t, pool.QueryRow(ctx, lastNine+`
			SELECT count(*), count(*) FILTER (WHERE abs(t3 / t6 - 1) <= 0.15)
			FROM w WHERE behaviour = 'abrupt' AND code NOT IN `+seasonal), &n, &steady)
		t.Logf("%d abrupt leavers outside seasonal industries: %d with the last 3 months' turnover within 15%% of the 6 before", n, steady)
		if n < 20 {
			t.Fatalf("only %d abrupt leavers with nine months of facts", n)
		}
		if share(steady, n) < 0.85 {
			t.Errorf("%d of %d abrupt leavers kept their turnover within 15%%; want nearly all", steady, n)
		}
		scan(t, pool.QueryRow(ctx, `SELECT count(*) FROM holding h JOIN client c ON c.id = h.client_id JOIN demo_behaviour b ON b.client_id = c.id
			WHERE b.behaviour = 'abrupt' AND c.left_on IS NOT NULL AND h.closed_on IS DISTINCT FROM c.left_on`), &notOnTheDay)
		if notOnTheDay != 0 {
			t.Errorf("%d products of abrupt leavers not closed on the day they left", notOnTheDay)
		}
	})

	t.Run("complaining leavers complain and start contacts before leaving", func(t *testing.T) {
		// Leavers of the last six months of facts: the year of contact
		// history covers the six months before they left.
		var n, complained int
		var theirs, stayers float64
		scan(t, pool.QueryRow(ctx, `
			SELECT count(*), count(*) FILTER (WHERE x.complaints > 0), avg(x.started)
			FROM client c JOIN demo_behaviour b ON b.client_id = c.id
			CROSS JOIN LATERAL (
			    SELECT count(*) FILTER (WHERE NOT ct.proactive AND ct.outcome = 'complaint') AS complaints,
			           count(*) FILTER (WHERE NOT ct.proactive) AS started
			    FROM contact ct WHERE ct.client_id = c.id AND ct.happened_at >= c.left_on - 183) x
			WHERE b.behaviour = 'complaining' AND c.left_on >= $1::date - interval '5 months'`, dbtest.DemoEnd), &n, &complained, &theirs)
		scan(t, pool.QueryRow(ctx, `
			SELECT avg(x.started) FROM client c JOIN demo_behaviour b ON b.client_id = c.id
			CROSS JOIN LATERAL (SELECT count(*) FILTER (WHERE NOT ct.proactive) AS started FROM contact ct
			                    WHERE ct.client_id = c.id AND ct.happened_at >= $1::date - interval '5 months') x
			WHERE NOT b.leaves AND c.since < $1::date - interval '6 months'`, dbtest.DemoEnd), &stayers)
		t.Logf("%d complaining leavers of the last six months: %d with a complaint they started in their last six months; %.2f contacts they started each, stayers %.2f",
			n, complained, theirs, stayers)
		if n < 10 {
			t.Fatalf("only %d complaining leavers in the last six months", n)
		}
		if share(complained, n) < 0.75 {
			t.Errorf("%d of %d complaining leavers complained; want most (75%%)", complained, n)
		}
		if theirs < 3*stayers {
			t.Errorf("complaining leavers started %.2f contacts in their last six months, stayers %.2f in six months; want far more", theirs, stayers)
		}
		// Their decline is mild: turnover rarely falls by 30%.
		var withFacts, fell int
		scan(t, pool.QueryRow(ctx, lastNine+`SELECT count(*), count(*) FILTER (WHERE t3 < 0.7 * t6) FROM w WHERE behaviour = 'complaining'`), &withFacts, &fell)
		if withFacts < 20 || share(fell, withFacts) > 0.35 {
			t.Errorf("turnover fell >30%% for %d of %d complaining leavers; want a milder decline (35%% at most)", fell, withFacts)
		}
	})

	t.Run("quiet leavers have inactive months while their fees hold", func(t *testing.T) {
		// months with no or almost no transactions in the twelve up to the
		// month it left (or the last month of facts, for a client still here)
		const inactive = `
			SELECT b.behaviour, b.leaves, c.left_on, x.months, x.inactive
			FROM client c JOIN demo_behaviour b ON b.client_id = c.id
			CROSS JOIN LATERAL (
			    SELECT count(*) AS months, count(*) FILTER (WHERE f.tx_count <= 2) AS inactive FROM monthly_fact f
			    WHERE f.client_id = c.id
			      AND f.month > coalesce(date_trunc('month', c.left_on)::date, $1::date) - interval '12 months'
			      AND f.month <= coalesce(date_trunc('month', c.left_on)::date, $1::date)) x
			WHERE x.months = 12`
		var n, twoPlus int
		var quiet, stayers float64
		scan(t, pool.QueryRow(ctx, `WITH q AS (`+inactive+`)
			SELECT count(*) FILTER (WHERE behaviour = 'quiet' AND left_on IS NOT NULL),
			       count(*) FILTER (WHERE behaviour = 'quiet' AND left_on IS NOT NULL AND inactive >= 2),
			       avg(inactive) FILTER (WHERE behaviour = 'quiet' AND left_on IS NOT NULL),
			       avg(inactive) FILTER (WHERE NOT leaves)
			FROM q`, dbtest.DemoEnd), &n, &twoPlus, &quiet, &stayers)
		t.Logf("%d quiet leavers: %.1f inactive months in their last year (%d with two or more); stayers %.2f", n, quiet, twoPlus, stayers)
		if n < 20 {
			t.Fatalf("only %d quiet leavers with a year of facts", n)
		}
		if quiet < 2 || stayers > 0.2 || share(twoPlus, n) < 0.6 {
			t.Errorf("quiet leavers had %.1f inactive months in their last year (%d of %d two or more), stayers %.2f; want quiet leavers 2 or more, stayers hardly any",
				quiet, twoPlus, n, stayers)
		}
		var income float64
		scan(t, pool.QueryRow(ctx, lastNine+`SELECT avg(i3 / i6) FROM w WHERE behaviour = 'quiet'`), &income)
		if income < 0.8 {
			t.Errorf("quiet leavers' income of the last 3 months is %.0f%% of the 6 before; want it to hold up (80%% or more)", 100*income)
		}
	})

	t.Run("some stayers decline and stay", func(t *testing.T) {
		// Stayers outside seasonal industries, present over all the months of
		// facts: did the 3 months' turnover ever fall >30% against the 6
		// before, and is the last quarter below the first?
		const path = `
			WITH s AS (
			    SELECT c.id, b.behaviour FROM client c JOIN demo_behaviour b ON b.client_id = c.id JOIN industry i ON i.id = c.industry_id
			    WHERE NOT b.leaves AND c.left_on IS NULL AND c.since < $1::date - interval '41 months' AND i.code NOT IN ` + seasonal + `),
			f AS (
			    SELECT s.id, s.behaviour, f.month,
			           avg(f.turnover) OVER (PARTITION BY s.id ORDER BY f.month ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) AS t3,
			           avg(f.turnover) OVER (PARTITION BY s.id ORDER BY f.month ROWS BETWEEN 8 PRECEDING AND 3 PRECEDING) AS t6,
			           count(*) OVER (PARTITION BY s.id ORDER BY f.month ROWS BETWEEN 8 PRECEDING AND CURRENT ROW) AS n
			    FROM s JOIN monthly_fact f ON f.client_id = s.id),
			g AS (
			    SELECT id, behaviour, bool_or(n = 9 AND t3 < 0.7 * t6) AS fell,
			           avg(t3) FILTER (WHERE month = $1::date) / avg(t3) FILTER (WHERE month = $1::date - interval '30 months') AS end_vs_start,
			           EXISTS (SELECT 1 FROM holding h WHERE h.client_id = g0.id AND h.closed_on >= $1::date - interval '35 months') AS closed
			    FROM f g0 GROUP BY id, behaviour)`
		type row struct{ n, fell, recovered, lower, closed int }
		got := map[string]row{}
		rows, err := pool.Query(ctx, path+`
			SELECT behaviour, count(*), count(*) FILTER (WHERE fell), count(*) FILTER (WHERE fell AND end_vs_start >= 0.85),
			       count(*) FILTER (WHERE end_vs_start < 0.85), count(*) FILTER (WHERE closed)
			FROM g GROUP BY behaviour`, dbtest.DemoEnd)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var k string
			var r row
			if err := rows.Scan(&k, &r.n, &r.fell, &r.recovered, &r.lower, &r.closed); err != nil {
				t.Fatal(err)
			}
			got[k] = r
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		t.Logf("%+v", got)
		dip, step, steady := got["dip"], got["step_down"], got["steady"]
		if dip.n < 20 || step.n < 15 || steady.n < 200 {
			t.Fatalf("too few stayers to judge: %+v", got)
		}
		if share(dip.fell, dip.n) < 0.6 || share(dip.recovered, dip.fell) < 0.6 {
			t.Errorf("%d of %d dip stayers fell >30%% and %d of those recovered; want most of each", dip.fell, dip.n, dip.recovered)
		}
		if share(step.lower, step.n) < 0.6 {
			t.Errorf("%d of %d step-down stayers end lower than they began; want most", step.lower, step.n)
		}
		if share(steady.fell, steady.n) > 0.1 {
			t.Errorf("%d of %d steady stayers fell >30%%; want few", steady.fell, steady.n)
		}
		if share(dip.closed+step.closed, dip.n+step.n) <= share(steady.closed, steady.n) {
			t.Errorf("dips and steps closed a product in %d of %d, steady stayers in %d of %d; want dips and steps more often",
				dip.closed+step.closed, dip.n+step.n, steady.closed, steady.n)
		}
	})

	t.Run("seasonal industries swing with the season", func(t *testing.T) {
		// Steady stayers' turnover in August and September against February
		// and March of the same year.
		var farms, retail float64
		scan(t, pool.QueryRow(ctx, `
			WITH r AS (
			    SELECT i.code,
			           avg(f.turnover) FILTER (WHERE extract(month FROM f.month) IN (8, 9))
			         / avg(f.turnover) FILTER (WHERE extract(month FROM f.month) IN (2, 3)) AS summer
			    FROM client c JOIN demo_behaviour b ON b.client_id = c.id JOIN industry i ON i.id = c.industry_id
			    JOIN monthly_fact f ON f.client_id = c.id AND f.month BETWEEN '2025-02-01' AND '2025-09-01'
			    WHERE b.behaviour = 'steady' AND c.since < '2024-06-01' AND i.code IN ('A', 'G')
			    GROUP BY c.id, i.code)
			SELECT avg(summer) FILTER (WHERE code = 'A'), avg(summer) FILTER (WHERE code = 'G') FROM r`), &farms, &retail)
		t.Logf("turnover of August-September against February-March: agriculture %.2f, retail %.2f", farms, retail)
		if farms < 1.3 || retail < 0.9 || retail > 1.1 {
			t.Errorf("summer against late winter: agriculture %.2f, retail %.2f; want agriculture far higher, retail about even", farms, retail)
		}
	})

	t.Run("no single signal gives a leaver away", func(t *testing.T) {
		// Among clients that stay: some complain, some have an inactive
		// month, some are not contacted for half a year.
		var stayers, complained, inactive, uncontacted int
		scan(t, pool.QueryRow(ctx, `
			SELECT count(*),
			       count(*) FILTER (WHERE EXISTS (SELECT 1 FROM contact ct WHERE ct.client_id = c.id AND ct.outcome = 'complaint')),
			       count(*) FILTER (WHERE EXISTS (SELECT 1 FROM monthly_fact f WHERE f.client_id = c.id AND f.tx_count <= 2
			                                      AND f.month > $1::date - interval '12 months')),
			       count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM contact ct WHERE ct.client_id = c.id AND ct.happened_at >= $1::date - interval '5 months'))
			FROM client c JOIN demo_behaviour b ON b.client_id = c.id
			WHERE NOT b.leaves AND c.since < $1::date - interval '12 months'`, dbtest.DemoEnd), &stayers, &complained, &inactive, &uncontacted)
		t.Logf("of %d stayers: %d complained in the last year, %d had an inactive month, %d had no contact for six months", stayers, complained, inactive, uncontacted)
		if share(complained, stayers) < 0.03 || inactive == 0 || share(uncontacted, stayers) < 0.03 {
			t.Errorf("of %d stayers %d complained, %d had an inactive month, %d had no contact for six months; want some of each", stayers, complained, inactive, uncontacted)
		}
	})

	t.Run("leaving depends on what a model can learn", func(t *testing.T) {
		// Fewer products a year after arriving, very few transactions against
		// peers of the size band, and complaints go with leaving.
		var leaverProducts, stayerProducts float64
		scan(t, pool.QueryRow(ctx, `
			SELECT avg(n) FILTER (WHERE b.leaves), avg(n) FILTER (WHERE NOT b.leaves)
			FROM client c JOIN demo_behaviour b ON b.client_id = c.id
			CROSS JOIN LATERAL (SELECT count(*) AS n FROM holding h WHERE h.client_id = c.id AND h.opened_on <= c.since + 365
			                    AND (h.closed_on IS NULL OR h.closed_on > c.since + 365)) x
			WHERE c.left_on IS NULL OR c.left_on > c.since + 400`), &leaverProducts, &stayerProducts)
		var lowTx, otherTx float64
		scan(t, pool.QueryRow(ctx, `
			WITH a AS (
			    SELECT c.id, c.size_band, b.leaves, avg(f.tx_count) AS tx
			    FROM client c JOIN demo_behaviour b ON b.client_id = c.id JOIN monthly_fact f ON f.client_id = c.id
			    WHERE f.month BETWEEN c.since + 180 AND c.since + 365
			    GROUP BY c.id, c.size_band, b.leaves HAVING count(*) >= 5),
			r AS (SELECT a.*, percent_rank() OVER (PARTITION BY size_band ORDER BY tx) AS pr FROM a)
			SELECT avg(leaves::int) FILTER (WHERE pr < 0.1), avg(leaves::int) FILTER (WHERE pr >= 0.1) FROM r`), &lowTx, &otherTx)
		var complained, calm float64
		scan(t, pool.QueryRow(ctx, `
			SELECT avg(b.leaves::int) FILTER (WHERE x.complained), avg(b.leaves::int) FILTER (WHERE NOT x.complained)
			FROM client c JOIN demo_behaviour b ON b.client_id = c.id
			CROSS JOIN LATERAL (SELECT EXISTS (SELECT 1 FROM contact ct WHERE ct.client_id = c.id AND ct.outcome = 'complaint') AS complained) x
			WHERE c.left_on IS NULL AND c.since < $1::date - interval '12 months'`, dbtest.DemoEnd), &complained, &calm)
		t.Logf("products a year in: leavers %.1f, stayers %.1f; leavers among the 10%% fewest transactions %.0f%%, others %.0f%%; among clients that complained %.0f%%, others %.0f%%",
			leaverProducts, stayerProducts, 100*lowTx, 100*otherTx, 100*complained, 100*calm)
		if leaverProducts > stayerProducts-0.5 {
			t.Errorf("leavers held %.1f products a year in, stayers %.1f; want leavers fewer", leaverProducts, stayerProducts)
		}
		if lowTx < 1.3*otherTx {
			t.Errorf("%.0f%% of the clients with the fewest transactions leave, %.0f%% of others; want far more", 100*lowTx, 100*otherTx)
		}
		if complained < 1.5*calm {
			t.Errorf("%.0f%% of clients that complained leave, %.0f%% of others; want far more", 100*complained, 100*calm)
		}
	})
}
