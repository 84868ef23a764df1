package dbtest_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/relaycrm/relay/internal/dbtest"
)

// A demo bank with work done on it and then more (NewDemoAfterThen) is the
// bank after the first work (built on a copy of its template) with the
// second done too: the first work's rows as the second found them, the
// second's rows, and a clone that changes nothing of the template for the
// next.
func TestDemoAfterThenIsTheBankAfterBothWorks(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	work := func(sql string) dbtest.After {
		return dbtest.After{Version: sql, Do: func(ctx context.Context, pool *pgxpool.Pool) error {
			_, err := pool.Exec(ctx, sql)
			return err
		}}
	}
	first := work(`CREATE TABLE demo_first_marker AS SELECT count(*) AS clients FROM client`)
	then := work(`CREATE TABLE demo_then_marker AS SELECT clients + 1 AS seen FROM demo_first_marker`)
	pool := dbtest.NewDemoAfterThen(t, 300, first, "marker", then)
	var clients, seen int
	if err := pool.QueryRow(ctx, `SELECT f.clients, t.seen FROM demo_first_marker f, demo_then_marker t`).Scan(&clients, &seen); err != nil ||
		clients != 300 || seen != 301 {
		t.Fatalf("the works' tables: %d clients, %d seen (%v), want 300 and 301", clients, seen, err)
	}
	if _, err := pool.Exec(ctx, `DROP TABLE demo_then_marker`); err != nil {
		t.Fatal(err)
	}
	again := dbtest.NewDemoAfterThen(t, 300, first, "marker", then)
	if err := again.QueryRow(ctx, `SELECT seen FROM demo_then_marker`).Scan(&seen); err != nil || seen != 301 {
		t.Errorf("a second clone: %d seen (%v), want 301", seen, err)
	}
	// the bank after the first work alone has none of the second's rows
	var exists bool
	if err := dbtest.NewDemoAfter(t, 300, first).QueryRow(ctx, `SELECT to_regclass('demo_then_marker') IS NOT NULL`).Scan(&exists); err != nil || exists {
		t.Errorf("the first work's bank holds the second's table: %v (%v)", exists, err)
	}
}
