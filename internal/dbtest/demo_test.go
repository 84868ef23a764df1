package dbtest_test

import (
	"strings"
	"testing"

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
