package nightly

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/relaycrm/relay/internal/access"
	"github.com/relaycrm/relay/internal/db"
	"github.com/relaycrm/relay/internal/dbtest"
	"github.com/relaycrm/relay/internal/reasons"
	"github.com/relaycrm/relay/internal/settings"
	"github.com/relaycrm/relay/internal/triggers"
)

// oldSentences is the SQL that wrote a trigger's reason and expiry before
// migration 00014 (internal/nightly/triggers.sql, raise-list and
// expire-list), kept here only to hold the Go renderer to it: the same
// format() calls, each working-table column read from the stored figures
// instead. Over rows (id, key, args, currency, minor_digits) of the CTE r.
const oldSentences = `
SELECT r.id, r.key,
       CASE WHEN r.key = 'trigger.takeup-model' THEN concat(
           format('%s: a %s%% chance that this client takes it within %s months (take-up model %s, learned from '
                  'the bank''s own history). ', r.a->>'product', to_char(100 * (r.a->>'probability')::float8, 'FM990.0'),
                  (r.a->>'win_months')::integer, (r.a->>'model_id')::bigint),
           CASE WHEN r.a->>'evidence' <> '' THEN format('The client''s own evidence: %s. ', r.a->>'evidence')
                ELSE 'No model of its own for this product: its chance is how often clients took it. ' END,
           CASE WHEN (r.a->>'best_holders')::bigint > 0
                THEN format('Peers: held by %s%% of the best clients in %s (%s of %s). ',
                            round((r.a->>'adoption')::float8 * 100), r.a->>'segment', (r.a->>'best_holders')::bigint,
                            (r.a->>'best_clients')::bigint) END,
           format('Clients that hold it bring %s a month: %s a year. ',
                  money_text((r.a->>'product_value')::bigint, r.d, r.cur),
                  money_text((r.a->>'expected_value')::bigint, r.d, r.cur)),
           format('Priority %s = %s a year × %s%% chance', money_text((r.a->>'priority')::bigint, r.d, r.cur),
                  money_text((r.a->>'expected_value')::bigint, r.d, r.cur),
                  to_char(100 * (r.a->>'probability')::float8, 'FM990.0')),
           CASE WHEN (r.a->>'income_weight')::float8 <> 1
                THEN format(' × %s for interest income (fee income counts in full)', (r.a->>'income_weight')::float8) END,
           '.')
       WHEN r.key = 'trigger.ideal-set' THEN concat(
           format('%s is held by %s%% of the best clients in %s (%s of %s)', r.a->>'product',
                  round((r.a->>'adoption')::float8 * 100), r.a->>'segment', (r.a->>'best_holders')::bigint,
                  (r.a->>'best_clients')::bigint),
           CASE WHEN r.a->>'own_segment' IS NOT NULL
                THEN format(', learned there because its own segment, %s, has %s best %s, too few to learn from',
                            r.a->>'own_segment', (r.a->>'own_best')::integer,
                            CASE WHEN (r.a->>'own_best')::integer = 1 THEN 'client' ELSE 'clients' END) END,
           format('; this client has none. The segment''s clients that hold it bring %s a month (median of their '
                  'average over the last %s months): %s a year. ',
                  money_text((r.a->>'product_value')::bigint, r.d, r.cur), (r.a->>'profit_months')::integer,
                  money_text((r.a->>'expected_value')::bigint, r.d, r.cur)),
           format('Priority %s = %s a year × %s%% adoption', money_text((r.a->>'priority')::bigint, r.d, r.cur),
                  money_text((r.a->>'expected_value')::bigint, r.d, r.cur), round((r.a->>'adoption')::float8 * 100)),
           CASE WHEN (r.a->>'income_weight')::float8 <> 1
                THEN format(' × %s for interest income (fee income counts in full)', (r.a->>'income_weight')::float8) END,
           CASE WHEN (r.a->>'takeup_factor')::float8 <> 1
                THEN format(' × %s take-up: %s of %s past triggers for it were taken within %s months (%s%%), '
                            'against %s of %s clients without one (%s%%)',
                            rtrim(to_char((r.a->>'takeup_factor')::float8, 'FM990.99'), '.'), (r.a->>'takeup_taken')::bigint,
                            (r.a->>'takeup_triggers')::bigint, (r.a->>'win_months')::integer,
                            to_char(100.0 * (r.a->>'takeup_taken')::bigint / (r.a->>'takeup_triggers')::bigint, 'FM990.0'),
                            (r.a->>'base_taken')::bigint, (r.a->>'base_clients')::bigint,
                            to_char(100.0 * (r.a->>'base_taken')::bigint / (r.a->>'base_clients')::bigint, 'FM990.0')) END,
           '.')
       ELSE format('%s (as of %s).',
                   CASE r.key WHEN 'trigger.expired.inactive' THEN 'The client is no longer active'
                              WHEN 'trigger.expired.held' THEN 'The client holds the product'
                              WHEN 'trigger.expired.family-left-out' THEN 'The product''s family is left out of triggers'
                              WHEN 'trigger.expired.model-ranks' THEN 'The bank''s offers are now ranked by its take-up model'
                              WHEN 'trigger.expired.rule-ranks' THEN 'The bank''s offers are ranked by the ideal-set rule again'
                              WHEN 'trigger.expired.not-ideal' THEN 'The product is no longer in the ideal set of the client''s segment'
                   END,
                   to_char((r.a->>'as_of')::date, 'YYYY-MM')) END AS sentence,
       r.a, r.cur, r.d
FROM r`

// compareWithOldSQL renders every row of the CTE r (id, key, a, cur, d) with
// internal/reasons and with the old SQL, and fails on any difference. It
// returns how many rows it compared, by key.
func compareWithOldSQL(t *testing.T, q db.Querier, cte string, args ...any) map[string]int {
	t.Helper()
	rows, err := q.Query(context.Background(), "WITH r AS ("+cte+")"+oldSentences, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	seen := map[string]int{}
	for rows.Next() {
		var id int64
		var r reasons.Reason
		var old string
		var cur reasons.Currency
		if err := rows.Scan(&id, &r.Key, &old, &r.Args, &cur.Code, &cur.MinorDigits); err != nil {
			t.Fatal(err)
		}
		got, err := reasons.Text("en", r, cur)
		if err != nil {
			t.Errorf("row %d: %v", id, err)
			continue
		}
		if got != old {
			t.Errorf("row %d, %s:\n got %q\nwant %q (the old SQL, figures %s)", id, r.Key, got, old, r.Args)
		}
		seen[r.Key]++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return seen
}

// TestReasonsWordForWord runs two nights on a fixed demo bank (the second a
// take-up window later, so that triggers expire and the first ones' outcomes
// count) and renders every reason and expiry it stored: each must be word
// for word what the SQL that wrote sentences before migration 00014 writes
// from the same figures; likewise every signal of every warning of each
// night against the SQL before migration 00024. The first night raises its triggers on the bulk
// path (foreign keys checked once), which must leave the keys in place and
// valid.
func TestReasonsWordForWord(t *testing.T) {
	t.Parallel()
	pool := dbtest.NewDemo(t, 1500)
	ctx := context.Background()
	g, err := db.Gorm(pool)
	if err != nil {
		t.Fatal(err)
	}
	r := New(pool, Options{Settings: settings.NewStore(pool, g)})
	defer r.Close()
	r.bulkRaise = 1
	signals := map[string]int{}
	for _, asOf := range []string{"2026-03-01", "2026-10-01"} {
		month, err := time.Parse(time.DateOnly, asOf)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.Run(ctx, Request{AsOf: month}); err != nil {
			t.Fatalf("run as of %s: %v", asOf, err)
		}
		r.bulkRaise = bulkRaise
		// every signal of every warning of the night, word for word what
		// the SQL wrote before migration 00024
		for k, n := range compareSignalsWithOldSQL(t, pool, storedSignals) {
			signals[k] += n
		}
	}
	t.Logf("signals compared: %v", signals)
	for _, k := range signalKeys {
		if signals[k] == 0 && !strings.HasSuffix(k, ".unknown") {
			t.Errorf("no signal stored with key %s compared: the demo bank's two nights should have some", k)
		}
	}

	// the keys are back, valid, and say what they said
	var fks int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM pg_constraint
		WHERE conrelid = 'cross_sell_trigger'::regclass AND contype = 'f' AND convalidated
		  AND conname IN ('cross_sell_trigger_client_id_fkey', 'cross_sell_trigger_product_id_fkey')
		  AND (conname <> 'cross_sell_trigger_client_id_fkey' OR confdeltype = 'c')`).Scan(&fks); err != nil {
		t.Fatal(err)
	}
	if fks != 2 {
		t.Errorf("%d of the 2 foreign keys of cross_sell_trigger are in place and valid after a bulk raise", fks)
	}

	seen := compareWithOldSQL(t, pool, `
		SELECT t.id, t.reason_key AS key, t.reason_args AS a, b.currency AS cur, b.minor_digits AS d
		FROM cross_sell_trigger t JOIN client c ON c.id = t.client_id JOIN bank b ON b.id = c.bank_id
		WHERE t.reason_key IS NOT NULL
		UNION ALL
		SELECT t.id, t.status_key, t.status_args, b.currency, b.minor_digits
		FROM cross_sell_trigger t JOIN client c ON c.id = t.client_id JOIN bank b ON b.id = c.bank_id
		WHERE t.status_key IS NOT NULL`)
	t.Logf("compared: %v", seen)
	if seen["trigger.ideal-set"] < 100 {
		t.Errorf("only %d ideal-set reasons compared; the demo bank should raise many", seen["trigger.ideal-set"])
	}
	expired := 0
	for k, n := range seen {
		if strings.HasPrefix(k, "trigger.expired.") {
			expired += n
		}
	}
	if expired == 0 {
		t.Error("no expiry compared: the second night should expire triggers")
	}

	// every trigger reads back through the triggers package in words
	var id int64
	var group int64
	if err := pool.QueryRow(ctx, `SELECT t.id, c.group_id FROM cross_sell_trigger t JOIN client c ON c.id = t.client_id
		WHERE t.status_key IS NOT NULL AND NOT t.hidden ORDER BY t.id LIMIT 1`).Scan(&id, &group); err != nil {
		t.Fatal(err)
	}
	tr, err := triggers.Get(ctx, pool, access.Viewer{UserID: 1, Role: access.Risk, GroupID: group}, id)
	if err != nil {
		t.Fatal(err)
	}
	if tr.Reason == "" || tr.StatusReason == "" || tr.StatusReason[len(tr.StatusReason)-1] != '.' {
		t.Errorf("trigger %d reads back as %q / %q", id, tr.Reason, tr.StatusReason)
	}
}

// TestReasonsEdgeFigures holds the renderer to the old SQL on figures the
// demo bank may not produce: ties of rounding (half to even for a float8's
// round, half away from zero for a numeric's), fractions of a percent,
// factors with and without decimals, a weight below 0.1, a segment learned
// elsewhere with one best client, a take-up model with and without the
// client's evidence and peers, money in a currency without minor units.
func TestReasonsEdgeFigures(t *testing.T) {
	t.Parallel()
	pool := dbtest.New(t)
	seen := compareWithOldSQL(t, pool, `
		SELECT row_number() OVER () AS id, v.key, v.a::jsonb AS a, v.cur, v.d::smallint AS d
		FROM (VALUES
		  ('trigger.ideal-set', '{"product": "Acquiring", "segment": "Bank North / Varna", "adoption": 0.125, "best_holders": 1, "best_clients": 8, "own_segment": null, "own_best": 3, "product_value": 12345, "profit_months": 12, "expected_value": 148140, "priority": 18518, "income_weight": 1, "takeup_factor": 1, "win_months": 6, "takeup_triggers": null, "takeup_taken": null, "base_clients": null, "base_taken": null}', 'EUR', 2),
		  ('trigger.ideal-set', '{"product": "FX", "segment": "Group (EUR) / Retail", "adoption": 0.375, "best_holders": 3, "best_clients": 8, "own_segment": "Bank North / R1 / Retail / 1-2 years", "own_best": 1, "product_value": 50, "profit_months": 9, "expected_value": 600, "priority": 112, "income_weight": 0.5, "takeup_factor": 2.5, "win_months": 6, "takeup_triggers": 10, "takeup_taken": 5, "base_clients": 16, "base_taken": 1}', 'EUR', 2),
		  ('trigger.ideal-set', '{"product": "Leasing", "segment": "S", "adoption": 0.625, "best_holders": 5, "best_clients": 8, "own_segment": "Own", "own_best": 2, "product_value": 1500000, "profit_months": 12, "expected_value": 18000000, "priority": 5625000, "income_weight": 0.05, "takeup_factor": 0.2, "win_months": 3, "takeup_triggers": 3, "takeup_taken": 1, "base_clients": 8, "base_taken": 1}', 'RSD', 0),
		  ('trigger.ideal-set', '{"product": "Card", "segment": "S", "adoption": 0.005, "best_holders": 1, "best_clients": 200, "own_segment": null, "own_best": 0, "product_value": 149, "profit_months": 12, "expected_value": 1788, "priority": 9, "income_weight": 1, "takeup_factor": 2, "win_months": 6, "takeup_triggers": 40, "takeup_taken": 1, "base_clients": 3000, "base_taken": 2}', 'BGN', 2),
		  ('trigger.ideal-set', '{"product": "Loan", "segment": "S", "adoption": 1, "best_holders": 7, "best_clients": 7, "own_segment": null, "own_best": 7, "product_value": -250, "profit_months": 12, "expected_value": -3000, "priority": -3000, "income_weight": 0.333333333333, "takeup_factor": 4.999, "win_months": 12, "takeup_triggers": 7, "takeup_taken": 7, "base_clients": 30, "base_taken": 29}', 'EUR', 2),
		  ('trigger.takeup-model', '{"product": "ACQ", "probability": 0.12345, "win_months": 6, "model_id": 42, "evidence": "turnover rose 40% (odds × 1.8)", "segment": "S", "adoption": 0.45, "best_holders": 9, "best_clients": 20, "product_value": 999, "expected_value": 11988, "priority": 1480, "income_weight": 1}', 'EUR', 2),
		  ('trigger.takeup-model', '{"product": "FX", "probability": 0.00049, "win_months": 6, "model_id": 7, "evidence": "", "segment": "S", "adoption": 0, "best_holders": 0, "best_clients": 20, "product_value": 50, "expected_value": 600, "priority": 0, "income_weight": 0.5}', 'EUR', 2),
		  ('trigger.takeup-model', '{"product": "FX", "probability": 1, "win_months": 1, "model_id": 7, "evidence": "x", "segment": "S", "adoption": 0.5, "best_holders": 1, "best_clients": 2, "product_value": 50, "expected_value": 600, "priority": 600, "income_weight": 1}', 'RSD', 0),
		  ('trigger.expired.inactive', '{"as_of": "2026-10-01"}', 'EUR', 2),
		  ('trigger.expired.held', '{"as_of": "2026-01-01"}', 'EUR', 2),
		  ('trigger.expired.family-left-out', '{"as_of": "2026-01-01"}', 'EUR', 2),
		  ('trigger.expired.model-ranks', '{"as_of": "2026-01-01"}', 'EUR', 2),
		  ('trigger.expired.rule-ranks', '{"as_of": "2026-01-01"}', 'EUR', 2),
		  ('trigger.expired.not-ideal', '{"as_of": "2025-12-01"}', 'EUR', 2)
		) AS v(key, a, cur, d)`)
	if n := seen["trigger.ideal-set"] + seen["trigger.takeup-model"]; n != 8 {
		t.Errorf("compared %d raise reasons, want 8", n)
	}
}
