package dbtest_test

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/relaycrm/relay/internal/db"
	"github.com/relaycrm/relay/internal/dbtest"
	"github.com/relaycrm/relay/internal/users"
	"github.com/relaycrm/relay/seeds"
)

// A test's demo bank signs its users in with the demo password, checked
// against an argon2id hash of the lowest cost, and commits without waiting
// for the disk; a wrong password is still refused.
func TestDemoBankSignsInCheaplyAndCommitsWithoutWaiting(t *testing.T) {
	t.Parallel()
	pool := dbtest.NewDemo(t, 300)
	ctx := t.Context()
	g, err := db.Gorm(pool)
	if err != nil {
		t.Fatal(err)
	}
	store := users.NewStore(pool, g)
	for _, login := range []string{"admin", "risk", "head.bn-sof-1", "mgr.bn-sof-1.01"} {
		if _, err := store.Authenticate(ctx, login, seeds.DemoPassword); err != nil {
			t.Errorf("%s with the demo password: %v", login, err)
		}
	}
	if _, err := store.Authenticate(ctx, "admin", "not-the-demo-password"); err != users.ErrBadCredentials {
		t.Errorf("admin with a wrong password: %v, want %v", err, users.ErrBadCredentials)
	}
	var hashes []string
	rows, err := pool.Query(ctx, `SELECT DISTINCT split_part(password_hash, '$', 4) FROM app_user`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var h string
		if err := rows.Scan(&h); err != nil {
			t.Fatal(err)
		}
		hashes = append(hashes, h)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if strings.Join(hashes, " ") != "m=64,t=1,p=1" {
		t.Errorf("the demo users' argon2id parameters: %v, want m=64,t=1,p=1", hashes)
	}
	var sync string
	if err := pool.QueryRow(ctx, `SHOW synchronous_commit`).Scan(&sync); err != nil || sync != "off" {
		t.Errorf("synchronous_commit %q (%v), want off", sync, err)
	}
}

// A demo bank with work done on it (NewDemoAfter) is the loaded bank (built
// on a copy of its template) with that work done, in a template of its own:
// the same clients as NewDemo's, the work's rows, and a clone that changes
// nothing of the template for the next.
func TestDemoAfterIsTheLoadedBankWithTheWorkDone(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	const work = `CREATE TABLE demo_after_marker AS SELECT count(*) AS clients FROM client`
	after := dbtest.After{Version: work, Do: func(ctx context.Context, pool *pgxpool.Pool) error {
		_, err := pool.Exec(ctx, work)
		return err
	}}
	digest := func(pool *pgxpool.Pool) string {
		var d string
		if err := pool.QueryRow(ctx, `SELECT count(*) || ' ' || md5(string_agg(c::text, E'\n' ORDER BY c.id)) FROM client c`).Scan(&d); err != nil {
			t.Fatal(err)
		}
		return d
	}
	loaded := dbtest.NewDemo(t, 300)
	first := dbtest.NewDemoAfter(t, 300, after)
	if a, b := digest(loaded), digest(first); a != b {
		t.Errorf("the bank with the work done has other clients: %s, the loaded bank %s", b, a)
	}
	var n int
	if err := first.QueryRow(ctx, `SELECT clients FROM demo_after_marker`).Scan(&n); err != nil || n != 300 {
		t.Fatalf("the work's table: %d clients (%v), want 300", n, err)
	}
	if _, err := first.Exec(ctx, `DELETE FROM client_warning; DROP TABLE demo_after_marker`); err != nil {
		t.Fatal(err)
	}
	second := dbtest.NewDemoAfter(t, 300, after)
	if err := second.QueryRow(ctx, `SELECT clients FROM demo_after_marker`).Scan(&n); err != nil || n != 300 {
		t.Errorf("a second clone: the work's table %d clients (%v), want 300", n, err)
	}
}
