package nightly

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/relaycrm/relay/internal/dbtest"
	"github.com/relaycrm/relay/internal/imports"
)

// factFeed is the SQL of a monthly_facts.csv's lines (without header) made
// from the demo bank's facts of month from, written as month to, for the
// clients that where selects (over client c and monthly_fact f), with their
// figures moved by step (so that a feed is never the same as the month it
// copies): what a bank's feed of that month would hold.
func factFeed(from, to, where string, step int) string {
	return `
SELECT coalesce(string_agg(format('%s,%s,%s,%s,%s,%s,%s', bk.code, c.ref, '` + to + `', f.tx_count + ` + itoa(int64(step)) + `,
                                  round((f.turnover + ` + itoa(int64(step)) + ` * 100)::numeric / power(10::numeric, bk.minor_digits), bk.minor_digits::integer),
                                  round(f.avg_balance::numeric / power(10::numeric, bk.minor_digits), bk.minor_digits::integer),
                                  (SELECT coalesce(string_agg(p.code || '=' || round((u.amount + ` + itoa(int64(step)) + `)::numeric / power(10::numeric, bk.minor_digits), bk.minor_digits::integer), ';' ORDER BY u.n), '')
                                   FROM unnest(f.product_ids, f.product_income) WITH ORDINALITY AS u(product_id, amount, n)
                                   JOIN product p ON p.id = u.product_id)),
                           E'\n' ORDER BY c.id), '')
FROM monthly_fact f
JOIN client c ON c.id = f.client_id
JOIN bank bk ON bk.id = c.bank_id
WHERE f.month = DATE '` + from + `-01' AND (` + where + `)`
}

// importFacts imports a feed of monthly_facts.csv made by factFeed's SQL,
// through the import, as of the demo's today.
func importFacts(t *testing.T, pool *pgxpool.Pool, linesSQL string) imports.Result {
	t.Helper()
	ctx := context.Background()
	var lines string
	if err := pool.QueryRow(ctx, linesSQL).Scan(&lines); err != nil {
		t.Fatal(err)
	}
	if lines == "" {
		t.Fatal("the feed is empty")
	}
	body := "bank,client,month,tx_count,turnover,avg_balance,income\n" + lines + "\n"
	res, err := imports.Import(ctx, pool, []imports.File{{Name: "monthly_facts.csv", Body: strings.NewReader(body)}},
		imports.Options{Source: imports.SourceCLI, Origin: "summary test", Today: dbtest.DemoNow})
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	if res.Status != imports.Applied {
		t.Fatalf("import %s: %s %+v", res.Status, res.Message, res.Errors)
	}
	return res
}

// fromFacts is how many clients a run's segments step rewrote the summary of
// from their facts.
func fromFacts(t *testing.T, run Run) int64 {
	t.Helper()
	for _, st := range run.Steps {
		if st.Name != "segments" {
			continue
		}
		for _, c := range st.Counts {
			if c.Name == "summary_from_facts" {
				return c.Value
			}
		}
	}
	t.Fatalf("run %d counts no summary_from_facts: %+v", run.ID, run.Steps)
	return 0
}

// passMatchesSummary checks that the run's nightly_w_client, built from the
// client summary, is row for row the table the pass over the facts
// (segments.client, as replays still run it and as the run built it before
// the summary) builds from the same parameter row.
func passMatchesSummary(t *testing.T, pool *pgxpool.Pool, label string) {
	t.Helper()
	ctx := context.Background()
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(ctx) }() // the pass's schema goes with it
	for _, s := range []string{`CREATE SCHEMA summary_pass`, `SET LOCAL search_path = summary_pass, public`,
		queries.Get("runs.plan-sorted-aggregate"), queries.Get("runs.plan-serial")} {
		if _, err := tx.Exec(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	// the run's parameter row is emptied after it: the same one again, for
	// the last run's as-of month, in the pass's schema
	if _, err := tx.Exec(ctx, `SELECT nightly_param(NULL, (SELECT as_of FROM nightly_run ORDER BY id DESC LIMIT 1), false, 1, 12)`); err != nil {
		t.Fatal(err)
	}
	p, err := readParams(ctx, tx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, queries.Get("segments.client"), p.factArgs()...); err != nil {
		t.Fatalf("%s: the pass: %v", label, err)
	}
	var pass, kept, onlyPass, onlyKept int64
	if err := tx.QueryRow(ctx, `
		SELECT (SELECT count(*) FROM summary_pass.nightly_w_client), (SELECT count(*) FROM public.nightly_w_client),
		       (SELECT count(*) FROM (TABLE summary_pass.nightly_w_client EXCEPT ALL TABLE public.nightly_w_client) x),
		       (SELECT count(*) FROM (TABLE public.nightly_w_client EXCEPT ALL TABLE summary_pass.nightly_w_client) x)`).
		Scan(&pass, &kept, &onlyPass, &onlyKept); err != nil {
		t.Fatal(err)
	}
	if pass == 0 || pass != kept || onlyPass != 0 || onlyKept != 0 {
		t.Errorf("%s: the pass over the facts gives %d clients, the summary %d; %d rows only in the pass, %d only from the summary",
			label, pass, kept, onlyPass, onlyKept)
	}
}

// summaryDigest is the summary's every row and its state, hashed.
func summaryDigest(t *testing.T, pool *pgxpool.Pool) string {
	t.Helper()
	var d string
	if err := pool.QueryRow(context.Background(), `
		SELECT (SELECT count(*) FROM client_summary) || ' ' ||
		       coalesce((SELECT md5(string_agg(s::text, E'\n' ORDER BY s.client_id)) FROM client_summary s), '-') || ' ' ||
		       coalesce((SELECT partitions::text FROM client_summary_state), 'untrusted')`).Scan(&d); err != nil {
		t.Fatal(err)
	}
	return d
}

// summaryClients is the size of the summary tests' demo bank: every case
// they play (clients who left, with no fact in the new month, corrected,
// with a late row, written outside the import) is there by the client's id
// (a multiple of 5, 7, 11, 13), so an equality of two runs needs no more.
const summaryClients = 600

// summaryBank is the summary tests' demo bank after a first full night on
// the demo's today, in a template.
func summaryBank(t *testing.T) *pgxpool.Pool {
	t.Helper()
	return demoAfterNights(t, summaryClients, "summary-first-night", true,
		func(ctx context.Context, _ *pgxpool.Pool, r *Runner) error {
			_, err := nightOn(ctx, r, dbtest.DemoNow, Request{Full: true}, KindFull)
			return err
		})
}

// TestSummaryRunMatchesARunFromTheFacts plays the same changes on two copies
// of a demo bank: on the first the runs read the client summary the import
// keeps; on the second the summary is distrusted before every run, so that
// every run rebuilds it from the facts. After each change both runs' outputs
// must be the same table for table (as TestNightlyFingerprint hashes them),
// and the first copy's nightly_w_client row for row what the pass over the
// facts builds; the count of clients rewritten from the facts shows the
// summary was read where it should be: after a monthly feed only the clients
// with no fact in it (a client with no facts in a month), after a correction
// of an old month and a late row none (the import kept them), after a change
// of a window's setting and a write to the facts outside the import all.
// Clients who left are in neither copy's run.
func TestSummaryRunMatchesARunFromTheFacts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	day := dbtest.DemoNow
	// the first night is played once, in the template both copies start from
	kept, fresh := summaryBank(t), summaryBank(t)
	keptRunner, freshRunner := newQuietRunner(t, kept), newQuietRunner(t, fresh)
	both := func(t *testing.T, sql string) {
		t.Helper()
		for _, pool := range []*pgxpool.Pool{kept, fresh} {
			if _, err := pool.Exec(ctx, sql); err != nil {
				t.Fatal(err)
			}
		}
	}
	active := func() int64 {
		var n int64
		if err := kept.QueryRow(ctx, `SELECT count(*) FROM nightly_w_client`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	// compare compares the copies' runs k and f; it returns the number of
	// clients the summary copy's run rewrote from the facts.
	compare := func(t *testing.T, label string, k, f Run) int64 {
		t.Helper()
		if n, all := fromFacts(t, f), active(); n != all {
			t.Errorf("%s: the run from the facts rewrote %d clients' summary, want all %d", label, n, all)
		}
		got, want := fingerprint(t, kept, label), fingerprint(t, fresh, label)
		if !slices.Equal(got, want) {
			for j := range want {
				if got[j] != want[j] {
					t.Errorf("%s: read from the summary: %s; from the facts: %s", label, got[j], want[j])
				}
			}
		}
		passMatchesSummary(t, kept, label)
		return fromFacts(t, k)
	}
	// night runs both copies in full and compares them.
	night := func(t *testing.T, label string) int64 {
		t.Helper()
		if _, err := fresh.Exec(ctx, `DELETE FROM client_summary_state`); err != nil {
			t.Fatal(err)
		}
		k := keptRunner.night(t, day, true)
		f := freshRunner.night(t, day, true)
		return compare(t, label, k, f)
	}

	// The first night (in the template, the same night for both copies: no
	// summary yet, so it is built from the facts).
	first := lastRun(t, kept)
	if n, all := compare(t, "first night", first, first), active(); n != all {
		t.Errorf("first night: %d clients from the facts, want all %d", n, all)
	}

	// A client that left: gone from both runs from the month after.
	both(t, `UPDATE client SET left_on = DATE '2026-11-10'
	         WHERE id IN (SELECT id FROM client WHERE left_on IS NULL ORDER BY id LIMIT 5)`)

	// A monthly feed: 2026-11 for every client there then, but those whose
	// id is a multiple of 7 (a client with no facts in a month).
	feed := factFeed("2026-10", "2026-11", `(c.left_on IS NULL OR c.left_on >= DATE '2026-11-01') AND c.id % 7 <> 0`, 1)
	importFacts(t, kept, feed)
	importFacts(t, fresh, feed)
	var missing int64
	if err := kept.QueryRow(ctx, `
		SELECT count(*) FROM client c
		WHERE c.since < DATE '2026-12-01' AND (c.left_on IS NULL OR c.left_on >= DATE '2026-12-01')
		  AND NOT EXISTS (SELECT 1 FROM monthly_fact f WHERE f.client_id = c.id AND f.month = DATE '2026-11-01')`).Scan(&missing); err != nil {
		t.Fatal(err)
	}
	if missing == 0 {
		t.Fatal("every client has a fact in the new month: the case of none is not tested")
	}
	if n := night(t, "monthly feed"); n != missing {
		t.Errorf("monthly feed: %d clients from the facts, want the %d with no fact in the new month", n, missing)
	}

	// A correction of an old month (inside every window), then a late row
	// (a month's fact that came after the month's feed).
	correction := factFeed("2026-06", "2026-06", `c.id % 11 = 0`, 3)
	importFacts(t, kept, correction)
	importFacts(t, fresh, correction)
	if n := night(t, "correction of an old month"); n != 0 {
		t.Errorf("correction: %d clients from the facts, want none (the import kept them)", n)
	}
	late := factFeed("2026-10", "2026-11", `(c.left_on IS NULL OR c.left_on >= DATE '2026-11-01') AND c.id % 7 = 0 AND c.id % 2 = 0`, 2)
	importFacts(t, kept, late)
	importFacts(t, fresh, late)
	if n := night(t, "late row"); n != 0 {
		t.Errorf("late row: %d clients from the facts, want none (the import kept them)", n)
	}

	// A window's setting changed: every row is stale.
	both(t, `UPDATE setting SET value = '6' WHERE key = 'segment.profit_window_months'`)
	if n, all := night(t, "profit window of 6 months"), active(); n != all {
		t.Errorf("settings change: %d clients from the facts, want all %d", n, all)
	}

	// A write to the facts outside the import (a hand-made fix): the summary
	// is no longer trusted, and the next run rebuilds it whole.
	both(t, `UPDATE monthly_fact SET turnover = turnover + 1 WHERE client_id % 13 = 0 AND month = DATE '2026-09-01'`)
	if n, all := night(t, "write outside the import"), active(); n != all {
		t.Errorf("write outside the import: %d clients from the facts, want all %d", n, all)
	}
}

// TestFailedImportLeavesTheSummary: an import that fails after it has
// written its facts and their summary (here the audit entry it writes last is
// refused) changes neither: the summary is written in the import's
// transaction.
func TestFailedImportLeavesTheSummary(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := summaryBank(t) // after a full night (in the template)
	before := summaryDigest(t, pool)
	if strings.HasSuffix(before, "untrusted") {
		t.Fatalf("no trusted summary after a run: %s", before)
	}
	var facts string
	digestFacts := `SELECT md5(string_agg(f::text, E'\n' ORDER BY client_id, month)) FROM monthly_fact f WHERE month >= DATE '2026-06-01'`
	if err := pool.QueryRow(ctx, digestFacts).Scan(&facts); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `
		CREATE FUNCTION refuse_audit() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN RAISE EXCEPTION 'audit refused by the test'; END $$;
		CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION refuse_audit()`); err != nil {
		t.Fatal(err)
	}
	var lines string
	if err := pool.QueryRow(ctx, factFeed("2026-06", "2026-06", `c.id % 11 = 0`, 3)).Scan(&lines); err != nil {
		t.Fatal(err)
	}
	res, err := imports.Import(ctx, pool, []imports.File{{Name: "monthly_facts.csv",
		Body: strings.NewReader("bank,client,month,tx_count,turnover,avg_balance,income\n" + lines + "\n")}},
		imports.Options{Source: imports.SourceCLI, Origin: "summary test", Today: dbtest.DemoNow})
	if err == nil || res.Status != imports.Failed || !strings.Contains(res.Message, "audit refused") {
		t.Fatalf("the import did not fail on its audit entry: %s %q %v", res.Status, res.Message, err)
	}
	if after := summaryDigest(t, pool); after != before {
		t.Errorf("a failed import changed the summary:\nbefore %s\nafter  %s", before, after)
	}
	var factsAfter string
	if err := pool.QueryRow(ctx, digestFacts).Scan(&factsAfter); err != nil {
		t.Fatal(err)
	}
	if factsAfter != facts {
		t.Errorf("a failed import changed the facts")
	}
	// and the same feed, once the audit takes it, does change the summary
	if _, err := pool.Exec(ctx, `DROP TRIGGER refuse_audit ON audit_log`); err != nil {
		t.Fatal(err)
	}
	importFacts(t, pool, factFeed("2026-06", "2026-06", `c.id % 11 = 0`, 3))
	if after := summaryDigest(t, pool); after == before || strings.HasSuffix(after, "untrusted") {
		t.Errorf("the import did not keep the summary: before %s, after %s", before, after)
	}
}
