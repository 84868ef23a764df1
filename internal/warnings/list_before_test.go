package warnings_test

import (
	"context"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/relaycrm/relay/internal/access"
	"github.com/relaycrm/relay/internal/demotest"
	"github.com/relaycrm/relay/internal/i18n"
	"github.com/relaycrm/relay/internal/warnings"
)

// listBefore is the statement list was until 2026-12-06 (one statement that
// joined and sorted the wide rows), kept verbatim so that the export's rows
// can be compared with what it read before.
const listBefore = `
SELECT w.client_id, c.ref, c.legal_name, b.code, b.currency, b.minor_digits, coalesce(w.manager_id, 0),
       coalesce(u.name, ''), w.score, w.level, w.warned_since, w.as_of,
       w.turnover_recent, w.turnover_base, w.turnover_value, w.turnover_fired, w.turnover_strength,
       w.turnover_share, w.turnover_figures,
       w.balance_recent, w.balance_base, w.balance_value, w.balance_fired, w.balance_strength,
       w.balance_share, w.balance_figures,
       w.tx_recent, w.tx_base, w.tx_value, w.tx_fired, w.tx_strength, w.tx_share, w.tx_figures,
       coalesce(w.closed_product_id, 0), coalesce(cp.code, ''), w.closed_on, coalesce(w.closed_key, false),
       w.closed_value, w.closed_fired, w.closed_strength, w.closed_share, w.closed_figures,
       w.income_from, w.income_to, w.income_value, w.income_fired, w.income_strength, w.income_share,
       w.income_figures,
       w.lifetime_typical, coalesce(w.lifetime_leavers, 0), w.lifetime_tenure, w.lifetime_value,
       w.lifetime_fired, w.lifetime_strength, w.lifetime_share, w.lifetime_figures,
       w.contact_last, w.contact_value, w.contact_fired, w.contact_strength, w.contact_share, w.contact_figures,
       coalesce(u.login, ''), r.name, br.name, i.code, i.name, coalesce(s.segment_id, 0), coalesce(sn.label, ''),
       coalesce(s.stage, ''), s.clv, coalesce(w.probability, w.score / 100.0), coalesce(w.model_id, 0),
       cc.inputs, cc.contribs, NULL::text[], w.bank_id
FROM client_warning w
LEFT JOIN client_churn cc ON cc.client_id = w.client_id
JOIN client c ON c.id = w.client_id
JOIN bank b ON b.id = c.bank_id
JOIN region r ON r.id = c.region_id
JOIN branch br ON br.id = c.branch_id
JOIN industry i ON i.id = c.industry_id
LEFT JOIN client_score s ON s.client_id = w.client_id
LEFT JOIN segment_named sn ON sn.id = s.segment_id
LEFT JOIN app_user u ON u.id = w.manager_id
LEFT JOIN product cp ON cp.id = w.closed_product_id
WHERE ($1::smallint = 0 OR w.bank_id = $1)
  AND ($2::smallint = 0 OR w.region_id = $2)
  AND ($3::integer = 0 OR w.branch_id = $3)
  AND ($4::smallint = 0 OR w.industry_id = $4)
  AND ($5::integer = 0 OR w.manager_id = $5)
  AND ($6::text = '' OR w.level = $6)
  AND ($7::text = '' OR CASE $7::text
           WHEN 'turnover' THEN w.turnover_fired
           WHEN 'balance' THEN w.balance_fired
           WHEN 'transactions' THEN w.tx_fired
           WHEN 'product_closed' THEN w.closed_fired
           WHEN 'income_falling' THEN w.income_fired
           WHEN 'lifetime' THEN w.lifetime_fired
           WHEN 'no_contact' THEN w.contact_fired
           ELSE false END)
  AND {{scope:w}}
  AND {{scope:c}}
ORDER BY {{order}};
`

// TestListAsBefore: the export's statement, which sorts narrow rows and then
// reads their wide columns in that order, gives the rows the statement it
// replaced gave, in the same order and the same words, for every sort the
// list offers, each role, filters, and each language.
func TestListAsBefore(t *testing.T) {
	t.Parallel()
	pool := demotest.Scored(t, 2000)
	ctx := context.Background()
	risk, head, manager, bankID := busiestViewers(t, pool)
	type tc struct {
		name   string
		v      access.Viewer
		filter warnings.ListFilter
		locale i18n.Locale
	}
	var cases []tc
	locales := []i18n.Locale{i18n.English, i18n.Bulgarian, i18n.Russian}
	for k, sort := range warnings.Sorts {
		cases = append(cases, tc{"risk, everything, " + sort, risk, warnings.ListFilter{Sort: sort}, locales[k%3]})
	}
	cases = append(cases,
		tc{"risk, one bank's high warnings", risk, warnings.ListFilter{BankID: bankID, Level: warnings.High, Sort: "-clv"}, i18n.English},
		tc{"risk, turnover fell", risk, warnings.ListFilter{Signal: warnings.Turnover, Sort: "-since"}, i18n.Russian},
		tc{"branch head, by name", head, warnings.ListFilter{Sort: "-name"}, i18n.Bulgarian},
		tc{"manager, riskiest first", manager, warnings.ListFilter{}, i18n.English},
		tc{"manager, a bank with none of the manager's clients", manager, warnings.ListFilter{BankID: 1 << 14}, i18n.English},
	)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx := i18n.With(ctx, c.locale)
			read := func(each func(fn func(*warnings.Warning) error) (int64, error)) []warnings.Warning {
				t.Helper()
				var out []warnings.Warning
				n, err := each(func(w *warnings.Warning) error {
					out = append(out, nanSafe(*w))
					return nil
				})
				if err != nil || n != int64(len(out)) {
					t.Fatalf("%d rows, %d passed on (%v)", n, len(out), err)
				}
				return out
			}
			want := read(func(fn func(*warnings.Warning) error) (int64, error) {
				return warnings.EachWithStatement(ctx, pool, c.v, c.filter, listBefore, fn)
			})
			got := read(func(fn func(*warnings.Warning) error) (int64, error) {
				return warnings.Each(ctx, pool, c.v, c.filter, fn)
			})
			if len(got) != len(want) {
				t.Fatalf("%d rows, the statement before gave %d", len(got), len(want))
			}
			if len(want) < 2 && c.filter.BankID != 1<<14 {
				t.Fatalf("the case lists %d warnings; pick another", len(want))
			}
			for i := range want {
				if !reflect.DeepEqual(got[i], want[i]) {
					t.Fatalf("row %d: client %d %+v,\nbefore: client %d %+v", i+1, got[i].ClientID, got[i],
						want[i].ClientID, want[i])
				}
			}
		})
	}
}

// TestListSortsOnlyNarrowRows: for every sort the list offers and each role,
// the export's statement reads the wide columns (client_warning again, as
// x) after the sort, in its order: no Sort node of its plan has that read
// below it. Sorting the wide rows is what kept the first row from leaving
// the server until the whole list was sorted (docs/performance.md).
func TestListSortsOnlyNarrowRows(t *testing.T) {
	t.Parallel()
	pool := demotest.Scored(t, 2000)
	ctx := context.Background()
	risk, head, manager, _ := busiestViewers(t, pool)
	type node struct {
		Type     string `json:"Node Type"`
		Relation string `json:"Relation Name"`
		Alias    string `json:"Alias"`
		Plans    []node `json:"Plans"`
	}
	var wideRead func(n node) bool
	wideRead = func(n node) bool {
		if n.Relation == "client_warning" && n.Alias == "x" {
			return true
		}
		return slices.ContainsFunc(n.Plans, wideRead)
	}
	var sortsWide func(n node) bool
	sortsWide = func(n node) bool {
		if strings.HasSuffix(n.Type, "Sort") && wideRead(n) {
			return true
		}
		return slices.ContainsFunc(n.Plans, sortsWide)
	}
	for _, v := range []access.Viewer{risk, head, manager} {
		for _, sort := range warnings.Sorts {
			stmt, args, err := warnings.ListStatement(v, warnings.ListFilter{Sort: sort})
			if err != nil {
				t.Fatal(err)
			}
			var raw []byte
			if err := pool.QueryRow(ctx, "EXPLAIN (FORMAT JSON) "+stmt, args...).Scan(&raw); err != nil {
				t.Fatal(err)
			}
			var plans []struct{ Plan node }
			if err := json.Unmarshal(raw, &plans); err != nil || len(plans) != 1 {
				t.Fatalf("%s: %v", raw, err)
			}
			if !wideRead(plans[0].Plan) {
				t.Fatalf("%s, %s: the plan does not read client_warning as x: %s", v.Role, sort, raw)
			}
			if sortsWide(plans[0].Plan) {
				t.Errorf("%s, %s: the plan sorts the wide rows: %s", v.Role, sort, raw)
			}
		}
	}
}
