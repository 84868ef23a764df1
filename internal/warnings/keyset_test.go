package warnings

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"

	"github.com/relaycrm/relay/internal/db"
	"github.com/relaycrm/relay/internal/dbtest"
)

// TestSortOrders pins the ORDER BY of each sort: the pages, the exports and
// the scope indexes (client_warning_*_idx: probability DESC, client_id)
// depend on them.
func TestSortOrders(t *testing.T) {
	want := map[string]string{
		"-score": "w.probability DESC, w.client_id",
		"score":  "w.probability, w.client_id",
		"-clv":   "w.clv DESC NULLS LAST, w.probability DESC, w.client_id",
		"clv":    "w.clv, w.probability DESC, w.client_id",
		"name":   "w.legal_name, w.probability DESC, w.client_id",
		"-name":  "w.legal_name DESC, w.probability DESC, w.client_id",
		"since":  "w.warned_since, w.probability DESC, w.client_id",
		"-since": "w.warned_since DESC, w.probability DESC, w.client_id",
	}
	for _, s := range Sorts {
		if sortOrder[s] != want[s] {
			t.Errorf("sort %s: ORDER BY %s, want %s", s, sortOrder[s], want[s])
		}
	}
	if len(sortOrder) != len(want) {
		t.Errorf("%d orders, want %d", len(sortOrder), len(want))
	}
}

// TestKeysetWalksEveryOrder walks rows with nulls and ties in every column
// a sort reads, two rows a page, by keysetAfter from each page's last key:
// every row once, in exactly the order of the sort's ORDER BY.
func TestKeysetWalksEveryOrder(t *testing.T) {
	t.Parallel()
	pool := dbtest.New(t)
	ctx := context.Background()
	conn, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `CREATE TEMP TABLE w AS
		SELECT g AS client_id,
		       CASE WHEN g % 7 = 0 THEN NULL ELSE round((g % 4) / 4.0 + 0.1, 3) END::float8 AS probability,
		       CASE WHEN g % 5 = 0 THEN NULL ELSE (g % 3) * 1000 END::bigint AS clv,
		       CASE WHEN g % 6 = 0 THEN NULL ELSE 'Client ' || (g % 4) END AS legal_name,
		       DATE '2026-01-01' + (g % 3) AS warned_since
		FROM generate_series(1, 41) g`); err != nil {
		t.Fatal(err)
	}
	key := `json_build_object('Probability', w.probability, 'CLV', w.clv, 'Name', w.legal_name,
		'Since', w.warned_since, 'ClientID', w.client_id)::text`
	ids := func(sql string, args ...any) ([]int64, []string) {
		t.Helper()
		rows, err := conn.Query(ctx, sql, args...)
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		defer rows.Close()
		var out []int64
		var keys []string
		for rows.Next() {
			var id int64
			var k string
			if err := rows.Scan(&id, &k); err != nil {
				t.Fatal(err)
			}
			out, keys = append(out, id), append(keys, k)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return out, keys
	}
	for _, s := range Sorts {
		want, _ := ids(fmt.Sprintf(`SELECT w.client_id, %s FROM w ORDER BY %s`, key, sortOrder[s]))
		var got []int64
		var after *Key
		for pages := 0; pages < 30; pages++ {
			var args db.Args
			cond := "true"
			if after != nil {
				cond = keysetAfter(sortKeys[s], *after, &args)
			}
			page, keys := ids(fmt.Sprintf(`SELECT w.client_id, %s FROM w WHERE %s ORDER BY %s LIMIT 2`, key, cond, sortOrder[s]),
				args.Values()...)
			if len(page) == 0 {
				break
			}
			got = append(got, page...)
			k := Key{Sort: s}
			if err := json.Unmarshal([]byte(keys[len(keys)-1]), &k); err != nil {
				t.Fatal(err)
			}
			after = &k
		}
		if !slices.Equal(got, want) {
			t.Errorf("sort %s: walked %v, want %v", s, got, want)
		}
	}
}
