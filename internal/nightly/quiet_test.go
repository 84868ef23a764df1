package nightly

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/relaycrm/relay/internal/db"
	"github.com/relaycrm/relay/internal/dbtest"
	"github.com/relaycrm/relay/internal/settings"
	"github.com/relaycrm/relay/internal/takeup"
)

// quietRunner is a runner over a demo bank whose clock the test sets, and
// whose import step runs the test's statement when one is armed (as a feed
// arriving in the inbox would write the bank's tables from the pool).
type quietRunner struct {
	*Runner
	feed string
}

func newQuietRunner(t *testing.T, pool *pgxpool.Pool) *quietRunner {
	t.Helper()
	g, err := db.Gorm(pool)
	if err != nil {
		t.Fatal(err)
	}
	q := &quietRunner{}
	q.Runner = New(pool, Options{Settings: settings.NewStore(pool, g), Import: func(ctx context.Context) ([]Count, error) {
		if q.feed == "" {
			return nil, nil
		}
		tag, err := pool.Exec(ctx, q.feed)
		q.feed = ""
		if err == nil && tag.RowsAffected() == 0 {
			t.Errorf("the feed changed nothing: %s", tag)
		}
		return []Count{{Name: "rows", Value: tag.RowsAffected()}}, err
	}})
	t.Cleanup(q.Close)
	return q
}

// night runs the chain on day, as of the latest month of facts.
func (q *quietRunner) night(t *testing.T, day time.Time, full bool) Run {
	t.Helper()
	q.now = func() time.Time { return day }
	run, err := q.Run(context.Background(), Request{Source: SourceCLI, Full: full})
	if err != nil {
		t.Fatalf("run on %s: %v", day.Format("2006-01-02"), err)
	}
	return run
}

// TestQuietNightAfterEveryKindOfChange: a night after a night with nothing
// changed in between is quick and says since which run; a change to any input
// of the run (each made as Relay or the feed makes it, through the table it
// writes) makes the next night run in full and say what changed; so do
// --full and a new month.
func TestQuietNightAfterEveryKindOfChange(t *testing.T) {
	t.Parallel()
	pool := dbtest.NewDemo(t, 600) // what a night reads of each change needs no size
	q := newQuietRunner(t, pool)
	day := dbtest.DemoNow

	first := q.night(t, day, false)
	if first.Kind != KindFull || first.Why != "full: the first run" {
		t.Fatalf("first run: %s %q, want full: the first run", first.Kind, first.Why)
	}
	prev := q.night(t, day, false)
	if prev.Kind != KindQuick || prev.Why != "quick: nothing changed since run "+itoa(first.ID) {
		t.Fatalf("second run, nothing changed: %s %q", prev.Kind, prev.Why)
	}
	if !slices.ContainsFunc(prev.Steps, func(s Step) bool { return s.Name == "segments" && s.Status == StatusSkipped }) {
		t.Errorf("a quick run redid the segments step: %+v", prev.Steps)
	}

	exec := func(sql string) func(t *testing.T) {
		return func(t *testing.T) {
			t.Helper()
			tag, err := pool.Exec(context.Background(), sql)
			if err != nil {
				t.Fatalf("%s: %v", sql, err)
			}
			if tag.RowsAffected() == 0 {
				t.Fatalf("the change changed nothing: %s", sql)
			}
		}
	}
	for _, c := range []struct {
		name   string
		change func(t *testing.T)
		feed   string // written by the import step of the run instead
		full   bool
		want   string
	}{
		{name: "a feed imported in the run", want: "full: holdings",
			feed: `UPDATE holding SET closed_on = DATE '2026-10-20'
			       WHERE (client_id, product_id, opened_on) = (SELECT client_id, product_id, opened_on FROM holding
			                                                   WHERE closed_on IS NULL ORDER BY 1, 2, 3 LIMIT 1)`},
		{name: "a setting changed", want: "full: settings read, settings",
			change: exec(`UPDATE setting SET value = '60' WHERE key = 'trigger.cooldown_days'`)},
		{name: "a bank's churn model switched", want: "full: models in use",
			change: exec(`INSERT INTO bank_model (bank_id, purpose, model_id, reason)
			              SELECT min(id), 'churn', NULL, 'the fixed weights' FROM bank
			              ON CONFLICT (bank_id, purpose) DO UPDATE SET reason = 'the fixed weights again'`)},
		{name: "a contact logged", want: "full: contacts",
			change: exec(`INSERT INTO contact (client_id, user_id, kind, happened_at, outcome)
			              SELECT id, manager_id, 'call', TIMESTAMPTZ '2026-11-19 15:00Z', 'reached'
			              FROM client WHERE manager_id IS NOT NULL AND left_on IS NULL ORDER BY id LIMIT 1`)},
		{name: "a trigger moved", want: "full: triggers moved",
			change: exec(`UPDATE cross_sell_trigger SET status = 'contacted', status_changed_at = now()
			              WHERE id = (SELECT min(id) FROM cross_sell_trigger WHERE status = 'new')`)},
		{name: "a manager reassigned", want: "full: clients (records, managers' assignments)",
			change: func(t *testing.T) {
				// a manager joins the branch (app_user is no input of the run) and takes over a client
				exec(`INSERT INTO app_user (group_id, login, name, role, branch_id, password_hash)
				      SELECT group_id, 'new.manager', 'New Manager', 'manager', branch_id, 'x'
				      FROM client WHERE manager_id IS NOT NULL AND left_on IS NULL ORDER BY id LIMIT 1`)(t)
				exec(`UPDATE client SET manager_id = (SELECT id FROM app_user WHERE login = 'new.manager')
				      WHERE id = (SELECT min(id) FROM client WHERE manager_id IS NOT NULL AND left_on IS NULL)`)(t)
			}},
		{name: "a product edited", want: "full: products",
			change: exec(`UPDATE product SET name = name || ' Plus' WHERE id = (SELECT min(id) FROM product)`)},
		{name: "reference data edited", want: "full: regions",
			change: exec(`UPDATE region SET name = name || ' (new)' WHERE id = (SELECT min(id) FROM region)`)},
		{name: "asked for", full: true, want: "full: asked for"},
		{name: "a new month of facts", want: "full: as of 2026-11, not 2026-10, months of facts, monthly facts",
			change: func(t *testing.T) {
				if _, err := pool.Exec(context.Background(), `CREATE TABLE monthly_fact_y2026m11 PARTITION OF monthly_fact
				      FOR VALUES FROM ('2026-11-01') TO ('2026-12-01')`); err != nil {
					t.Fatal(err)
				}
				exec(`INSERT INTO monthly_fact (client_id, month, tx_count, turnover, avg_balance, income, product_ids,
				                                product_income)
				      SELECT client_id, DATE '2026-11-01', tx_count, turnover, avg_balance, income, product_ids, product_income
				      FROM monthly_fact WHERE month = DATE '2026-10-01'`)(t)
			}},
	} {
		if c.change != nil {
			c.change(t)
		}
		q.feed = c.feed
		run := q.night(t, day, c.full)
		if run.Kind != KindFull || run.Why != c.want {
			t.Errorf("%s: the next run is %s %q, want %q", c.name, run.Kind, run.Why, c.want)
		}
		for _, s := range run.Steps {
			if s.Name != "import" && s.Status != StatusSucceeded {
				t.Errorf("%s: a full run's step %s %s", c.name, s.Name, s.Status)
			}
		}
		prev = run
	}
	last := q.night(t, day.AddDate(0, 0, 1), false)
	if last.Kind != KindQuick || last.Why != "quick: nothing changed since run "+itoa(prev.ID) {
		t.Errorf("the night after, nothing changed: %s %q", last.Kind, last.Why)
	}
}

// TestQuietNightMatchesAFullRun: on two copies of one demo bank, a full night
// on day D, managers' moves (won, dismissed 85 days before D, contacted), a
// full night again; then on one copy quick nights on D+1, D+40 and D+41, on
// the other full ones (--full) on the same days. Every output table, hashed as
// TestNightlyFingerprint hashes it, is the same after each pair of nights. By
// D+40 the dismissals' 90-day cool-downs have passed (their products are
// raised again) and the contact days have moved every client's no-contact
// input, so the quick nights redo real work. Once with the ideal-set rule,
// once with a take-up model fitted for the banks where it beats the rule
// (its offers are scored again after a night that raised triggers, kept
// after one that raised none). The two nights on D are played once, in the
// template both copies are cloned from.
func TestQuietNightMatchesAFullRun(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name   string
		takeup bool
	}{
		{"ideal-set rule", false},
		{"take-up model", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			bank := func(t *testing.T) *pgxpool.Pool {
				return demoAfterNights(t, 2000, fmt.Sprintf("quiet-matches-takeup-%v", c.takeup), true, movedOnD(c.takeup))
			}
			quietMatchesFull(t, bank(t), bank(t), c.takeup)
		})
	}
}

// movedOnD plays what both copies of TestQuietNightMatchesAFullRun start
// from: (a take-up model fitted, then) a full night on D, managers' moves
// (won, dismissed 85 days before D, contacted), and a full night again.
func movedOnD(fit bool) func(ctx context.Context, pool *pgxpool.Pool, r *Runner) error {
	return func(ctx context.Context, pool *pgxpool.Pool, r *Runner) error {
		d := dbtest.DemoNow
		if fit {
			if _, err := takeup.Fit(ctx, pool, r.settings, takeup.FitRequest{}); err != nil {
				return err
			}
		}
		if _, err := nightOn(ctx, r, d, Request{}, ""); err != nil {
			return err
		}
		if _, err := pool.Exec(ctx, `
			UPDATE cross_sell_trigger
			SET status = (ARRAY['won', 'dismissed', 'contacted'])[client_id % 5 + 1],
			    status_reason = CASE WHEN client_id % 5 = 1 THEN 'Not now' ELSE '' END,
			    closed_at = CASE WHEN client_id % 5 < 2 THEN $1::timestamptz - interval '85 days' END,
			    status_changed_at = $1::timestamptz - interval '85 days'
			WHERE client_id % 5 < 3 AND NOT hidden AND status = 'new'`, d); err != nil {
			return err
		}
		_, err := nightOn(ctx, r, d, Request{}, KindFull) // the night after managers' moves
		return err
	}
}

func quietMatchesFull(t *testing.T, quickPool, fullPool *pgxpool.Pool, takeupInUse bool) {
	ctx := context.Background()
	d := dbtest.DemoNow
	quick, full := newQuietRunner(t, quickPool), newQuietRunner(t, fullPool)
	if run := lastRun(t, quickPool); run.Kind != KindFull {
		t.Fatalf("the night after managers' moves: %s %q, want full", run.Kind, run.Why)
	}
	if takeupInUse {
		var banks int
		if err := quickPool.QueryRow(ctx, `SELECT count(*) FROM bank_model WHERE purpose = 'takeup' AND model_id IS NOT NULL`).Scan(&banks); err != nil || banks == 0 {
			t.Fatalf("no bank ranks its offers by the take-up model (%v)", err)
		}
	}
	var before []string
	var raisedAgain Run
	offersKept := map[bool]int{}
	for i, day := range []time.Time{d.AddDate(0, 0, 1), d.AddDate(0, 0, 40), d.AddDate(0, 0, 41)} {
		label := day.Format("2006-01-02")
		q := quick.night(t, day, false)
		f := full.night(t, day, true)
		if q.Kind != KindQuick || f.Kind != KindFull {
			t.Fatalf("%s: the nights are %s (%q) and %s (%q), want quick and full", label, q.Kind, q.Why, f.Kind, f.Why)
		}
		var changed int64 = -1
		for _, st := range q.Steps {
			if st.Name == "triggers" {
				offersKept[slices.Contains(st.Counts, Count{Name: "offers_kept", Value: 1})]++
			}
			for _, c := range st.Counts {
				if st.Name == "publish" && c.Name == "rows_changed" {
					changed = c.Value
				}
			}
		}
		// published by difference: fewer rows written than the client scores alone hold
		var scores int64
		if err := quickPool.QueryRow(context.Background(), `SELECT count(*) FROM client_score`).Scan(&scores); err != nil {
			t.Fatal(err)
		}
		if changed < 0 || changed >= scores {
			t.Errorf("%s: the quick night wrote %d published rows (-1: none counted), want fewer than the %d client scores",
				label, changed, scores)
		}
		got, want := fingerprint(t, quickPool, label), fingerprint(t, fullPool, label)
		for j := range want {
			if got[j] != want[j] {
				t.Errorf("quick night: %s; full night: %s", got[j], want[j])
			}
		}
		if i == 1 {
			// the date moved what depends on it
			raisedAgain = q
			for j, table := range fingerprintTables {
				if (table == "cross_sell_trigger" || table == "client_churn") && withoutLabel(before[j]) == withoutLabel(got[j]) {
					t.Errorf("%s is the same on D+1 and D+40: %s", table, got[j])
				}
			}
		}
		before = got
	}
	if takeupInUse && (offersKept[true] == 0 || offersKept[false] == 0) {
		t.Errorf("the quick nights kept the take-up offers %d times and scored them again %d times: want both",
			offersKept[true], offersKept[false])
	}
	var again int
	if err := quickPool.QueryRow(ctx, `
		SELECT count(*) FROM cross_sell_trigger t
		WHERE t.run_id = $1
		  AND EXISTS (SELECT 1 FROM cross_sell_trigger o WHERE o.client_id = t.client_id AND o.product_id = t.product_id
		                AND o.status = 'dismissed')`, raisedAgain.ID).Scan(&again); err != nil {
		t.Fatal(err)
	}
	if again == 0 {
		t.Errorf("no dismissed trigger's product was raised again after its cool-down on D+40")
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// withoutLabel is a fingerprint line without the label of its night.
func withoutLabel(line string) string { return strings.SplitN(line, " ", 2)[1] }

// stepCount is the count name of step of run (-1: not counted).
func stepCount(run Run, step, name string) int64 {
	for _, st := range run.Steps {
		if st.Name != step {
			continue
		}
		for _, c := range st.Counts {
			if c.Name == name {
				return c.Value
			}
		}
	}
	return -1
}

// TestQuietNightAfterExpiriesAndOutcomes: a quick night lists the expiries
// and the raises only for the clients whose triggers the date can move (their
// cool-down ended since the last run) and keeps the take-up factors, because
// the run before did the rest. On two copies of one demo bank: a night as of
// seven months before the last month of facts (its triggers' take-up window,
// six months, has passed by the last), managers' dismissals whose 90-day
// cool-down ends between D and D+1, then a night as of the last month on D
// (full: a new as-of month) that judges outcomes, expires triggers and raises
// others. On D+1 one copy runs quick, the other full: the full night finds
// nothing left to judge, confirm or expire; the quick one raises the
// dismissed products again for the clients in its scope only, and every
// output table is the same. The nights before D+1 are played once, in the
// template both copies are cloned from.
func TestQuietNightAfterExpiriesAndOutcomes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := dbtest.DemoNow
	bank := func(t *testing.T) *pgxpool.Pool {
		return demoAfterNights(t, 2000, "quiet-expiries", true, func(ctx context.Context, pool *pgxpool.Pool, r *Runner) error {
			if _, err := nightOn(ctx, r, d.AddDate(0, 0, -1), Request{AsOf: dbtest.DemoEnd.AddDate(0, -7, 0)}, ""); err != nil {
				return err
			}
			// dismissed 90 days less twelve hours before D: the cool-down ends overnight
			if _, err := pool.Exec(ctx, `
				UPDATE cross_sell_trigger
				SET status = 'dismissed', status_reason = 'Not now', closed_at = $1::timestamptz - interval '89 days 12 hours',
				    status_changed_at = $1::timestamptz - interval '89 days 12 hours'
				WHERE client_id % 7 = 0 AND NOT hidden AND status = 'new'`, d); err != nil {
				return err
			}
			_, err := nightOn(ctx, r, d, Request{}, "")
			return err
		})
	}
	// both copies start from the template that played these nights once
	quickPool, fullPool := bank(t), bank(t)
	quick, full := newQuietRunner(t, quickPool), newQuietRunner(t, fullPool)
	last := lastRun(t, quickPool)
	if last.Kind != KindFull {
		t.Fatalf("the night as of the last month: %s %q, want full", last.Kind, last.Why)
	}
	for _, name := range []string{"triggers_judged", "triggers_expired", "triggers_raised"} {
		if n := stepCount(last, "publish", name); n <= 0 {
			t.Errorf("the night as of the last month: %s = %d, want some", name, n)
		}
	}

	day := d.AddDate(0, 0, 1)
	q, f := quick.night(t, day, false), full.night(t, day, true)
	if q.Kind != KindQuick || f.Kind != KindFull {
		t.Fatalf("D+1: %s (%q) and %s (%q), want quick and full", q.Kind, q.Why, f.Kind, f.Why)
	}
	for _, name := range []string{"to_judge", "to_confirm", "to_expire"} {
		if n := stepCount(f, "triggers", name); n != 0 {
			t.Errorf("D+1, full: %s = %d, want none: the night before did them", name, n)
		}
	}
	var dismissed, clients int64
	if err := quickPool.QueryRow(ctx, `
		SELECT count(DISTINCT client_id) FROM cross_sell_trigger
		WHERE status = 'dismissed' AND closed_at = $1::timestamptz - interval '89 days 12 hours'`, d).
		Scan(&dismissed); err != nil {
		t.Fatal(err)
	}
	if err := quickPool.QueryRow(ctx, `SELECT count(*) FROM client_score`).Scan(&clients); err != nil {
		t.Fatal(err)
	}
	if scope := stepCount(q, "triggers", "scope"); scope < dismissed || dismissed == 0 || scope >= clients {
		t.Errorf("D+1, quick: the triggers step's scope is %d clients, want the %d whose cool-down ended overnight and few others (of %d)",
			scope, dismissed, clients)
	}
	if raised, want := stepCount(q, "publish", "triggers_raised"), stepCount(f, "publish", "triggers_raised"); raised <= 0 || raised != want {
		t.Errorf("D+1: the quick night raised %d triggers, the full one %d: want the same, some", raised, want)
	}
	got, want := fingerprint(t, quickPool, "D+1"), fingerprint(t, fullPool, "D+1")
	for j := range want {
		if got[j] != want[j] {
			t.Errorf("quick night: %s; full night: %s", got[j], want[j])
		}
	}
}
