package nightly

import (
	"context"
	"testing"

	"github.com/relaycrm/relay/internal/db"
	"github.com/relaycrm/relay/internal/dbtest"
	"github.com/relaycrm/relay/internal/reasons"
)

// oldSignalSentences is the SQL that wrote a warning's signal figures before
// migration 00024 (internal/nightly/publish.sql, client-warning), kept here
// only to hold the Go renderer to it: the same format() calls, each
// working-table column read from the stored figures instead. Over rows
// (id, signal, f, cur, d) of the CTE s.
const oldSignalSentences = `
SELECT s.id, s.signal, s.f->>'key' AS key,
       CASE s.f->>'key'
       WHEN 'signal.turnover.unknown' THEN 'turnover: too few months to compare'
       WHEN 'signal.turnover' THEN
           format('turnover %s months %s vs %s months before %s a month: %s%%',
                  (s.f->>'recent_months')::integer, money_text((s.f->>'recent')::bigint, s.d, s.cur),
                  (s.f->>'base_months')::integer, money_text((s.f->>'base')::bigint, s.d, s.cur),
                  to_char(round(-100 * (s.f->>'fall')::float8), 'FMS9990'))
       WHEN 'signal.balance.unknown' THEN 'average balance: too few months (or no positive balance) to compare'
       WHEN 'signal.balance' THEN
           format('average balance %s months %s vs %s months before %s: %s%%',
                  (s.f->>'recent_months')::integer, money_text((s.f->>'recent')::bigint, s.d, s.cur),
                  (s.f->>'base_months')::integer, money_text((s.f->>'base')::bigint, s.d, s.cur),
                  to_char(round(-100 * (s.f->>'fall')::float8), 'FMS9990'))
       WHEN 'signal.transactions.unknown' THEN 'transactions: too few months to compare'
       WHEN 'signal.transactions' THEN
           format('transactions %s months %s vs %s months before %s a month: %s%%',
                  (s.f->>'recent_months')::integer, to_char((s.f->>'recent')::float8, 'FM999,999,990.0'),
                  (s.f->>'base_months')::integer, to_char((s.f->>'base')::float8, 'FM999,999,990.0'),
                  to_char(round(-100 * (s.f->>'fall')::float8), 'FMS9990'))
       WHEN 'signal.product-closed.none' THEN format('no product closed in the last %s days', (s.f->>'days')::integer)
       WHEN 'signal.product-closed' THEN
           format('closed %s%s %s days ago, on %s%s', s.f->>'product',
                  CASE WHEN (s.f->>'key_product')::boolean THEN ' (a key product)' ELSE '' END,
                  (s.f->>'days')::float8, to_char((s.f->>'closed_on')::date, 'YYYY-MM-DD'),
                  CASE WHEN (s.f->>'latest_days')::float8 < (s.f->>'days')::float8
                       THEN format('; the latest closure was %s days ago', (s.f->>'latest_days')::float8) ELSE '' END)
       WHEN 'signal.income-falling.none' THEN 'income did not fall last month'
       WHEN 'signal.income-falling' THEN
           format('income fell %s %s in a row: %s to %s a month (%s%%)', (s.f->>'months')::integer,
                  CASE WHEN (s.f->>'months')::integer = 1 THEN 'month' ELSE 'months' END,
                  money_text((s.f->>'from')::bigint, s.d, s.cur), money_text((s.f->>'to')::bigint, s.d, s.cur),
                  to_char(round(-100 * (s.f->>'fall')::float8), 'FMS9990'))
       WHEN 'signal.lifetime.unknown' THEN 'typical lifetime unknown: no client has left from its industry yet'
       WHEN 'signal.lifetime' THEN
           format('tenure %s months vs typical lifetime %s months (median tenure at exit of %s leavers in %s)',
                  (s.f->>'tenure')::integer, to_char((s.f->>'typical')::float8, 'FM9990.0'),
                  (s.f->>'leavers')::integer, s.f->>'where')
       WHEN 'signal.no-contact.never' THEN
           format('no contact recorded since the client joined %s days ago', (s.f->>'days')::float8)
       WHEN 'signal.no-contact' THEN
           format('last contact %s days ago, on %s', (s.f->>'days')::float8, to_char((s.f->>'last')::date, 'YYYY-MM-DD'))
       END AS sentence,
       s.f, s.cur, s.d
FROM s`

// storedSignals are every signal of every warning the last run published,
// as rows (id, signal, f, cur, d) for oldSignalSentences.
const storedSignals = `
SELECT w.client_id AS id, x.signal, x.f, b.currency AS cur, b.minor_digits AS d
FROM client_warning w
JOIN bank b ON b.id = w.bank_id
CROSS JOIN LATERAL (VALUES ('turnover', w.turnover_figures), ('balance', w.balance_figures),
                           ('transactions', w.tx_figures), ('product_closed', w.closed_figures),
                           ('income_falling', w.income_figures), ('lifetime', w.lifetime_figures),
                           ('no_contact', w.contact_figures)) AS x(signal, f)`

// compareSignalsWithOldSQL renders every row of the CTE s with
// internal/reasons and with the old SQL, and fails on any difference. It
// returns how many rows it compared, by key.
func compareSignalsWithOldSQL(t *testing.T, q db.Querier, cte string, args ...any) map[string]int {
	t.Helper()
	rows, err := q.Query(context.Background(), "WITH s AS ("+cte+")"+oldSignalSentences, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	seen := map[string]int{}
	for rows.Next() {
		var id int64
		var signal string
		var key, old *string
		var f []byte
		var cur reasons.Currency
		if err := rows.Scan(&id, &signal, &key, &old, &f, &cur.Code, &cur.MinorDigits); err != nil {
			t.Fatal(err)
		}
		if key == nil || old == nil {
			t.Errorf("client %d, %s: stored figures %s have no known key", id, signal, f)
			continue
		}
		got, err := reasons.Signal("en", f, cur)
		if err != nil {
			t.Errorf("client %d, %s: %v", id, signal, err)
			continue
		}
		if got != *old {
			t.Errorf("client %d, %s:\n got %q\nwant %q (the old SQL, figures %s)", id, signal, got, *old, f)
		}
		seen[*key]++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return seen
}

// TestSignalsEdgeFigures holds the signal renderer to the old SQL on figures
// the demo bank may not produce: a fall rounding to -0 and to a tie, a rise
// past four digits (to_char's ####), transactions past a thousand, a
// lifetime of a quarter month, one day, one month, a currency without minor
// units, a product closed with and without a later closure.
func TestSignalsEdgeFigures(t *testing.T) {
	t.Parallel()
	pool := dbtest.New(t)
	seen := compareSignalsWithOldSQL(t, pool, `
		SELECT row_number() OVER () AS id, 'edge' AS signal, v.f::jsonb AS f, v.cur, v.d::smallint AS d
		FROM (VALUES
		  ('{"key": "signal.turnover", "recent_months": 3, "recent": 1234567, "base_months": 9, "base": 2000000, "fall": 0.3827}', 'EUR', 2),
		  ('{"key": "signal.turnover", "recent_months": 3, "recent": 100, "base_months": 9, "base": 100, "fall": 0}', 'EUR', 2),
		  ('{"key": "signal.turnover", "recent_months": 3, "recent": 100, "base_months": 9, "base": 100, "fall": 0.004}', 'EUR', 2),
		  ('{"key": "signal.turnover", "recent_months": 3, "recent": 100, "base_months": 9, "base": 100, "fall": -0.004}', 'EUR', 2),
		  ('{"key": "signal.balance", "recent_months": 1, "recent": 5, "base_months": 1, "base": 1, "fall": -199.005}', 'RSD', 0),
		  ('{"key": "signal.balance", "recent_months": 3, "recent": 125, "base_months": 9, "base": 1000, "fall": 0.125}', 'BGN', 2),
		  ('{"key": "signal.transactions", "recent_months": 3, "recent": 1234.25, "base_months": 9, "base": 0.05, "fall": 0.135}', 'EUR', 2),
		  ('{"key": "signal.transactions", "recent_months": 3, "recent": 1234567.25, "base_months": 9, "base": 2.5, "fall": 0.5}', 'EUR', 2),
		  ('{"key": "signal.product-closed.none", "days": 180}', 'EUR', 2),
		  ('{"key": "signal.product-closed", "product": "Payroll", "key_product": true, "days": 1, "closed_on": "2026-09-30", "latest_days": 1}', 'EUR', 2),
		  ('{"key": "signal.product-closed", "product": "FX", "key_product": false, "days": 120, "closed_on": "2026-06-03", "latest_days": 21}', 'EUR', 2),
		  ('{"key": "signal.income-falling", "months": 1, "from": 100050, "to": 99950, "fall": 0.000999}', 'EUR', 2),
		  ('{"key": "signal.income-falling", "months": 12, "from": 5000000, "to": 1, "fall": 0.9999998}', 'EUR', 2),
		  ('{"key": "signal.lifetime", "tenure": 25, "typical": 12.25, "leavers": 1, "where": "Bank North / Varna / Retail"}', 'EUR', 2),
		  ('{"key": "signal.lifetime", "tenure": 1, "typical": 24, "leavers": 5000, "where": "Group (EUR) / Retail"}', 'EUR', 2),
		  ('{"key": "signal.no-contact.never", "days": 1}', 'EUR', 2),
		  ('{"key": "signal.no-contact", "days": 3652, "last": "2016-10-01"}', 'EUR', 2),
		  ('{"key": "signal.turnover.unknown"}', 'EUR', 2),
		  ('{"key": "signal.balance.unknown"}', 'EUR', 2),
		  ('{"key": "signal.transactions.unknown"}', 'EUR', 2),
		  ('{"key": "signal.income-falling.none"}', 'EUR', 2),
		  ('{"key": "signal.lifetime.unknown"}', 'EUR', 2)
		) AS v(f, cur, d)`)
	if len(seen) != len(signalKeys) {
		t.Errorf("compared keys %v, want all %d signal keys", seen, len(signalKeys))
	}
}

// signalKeys are every key a warning's signal may be stored with.
var signalKeys = []string{
	"signal.turnover", "signal.turnover.unknown", "signal.balance", "signal.balance.unknown",
	"signal.transactions", "signal.transactions.unknown", "signal.product-closed", "signal.product-closed.none",
	"signal.income-falling", "signal.income-falling.none", "signal.lifetime", "signal.lifetime.unknown",
	"signal.no-contact", "signal.no-contact.never",
}
