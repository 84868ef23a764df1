package nightly_test

import (
	"context"
	"testing"
	"time"

	"github.com/relaycrm/relay/internal/dbtest"
	"github.com/relaycrm/relay/internal/nightly"
)

// A run marked running whose process is gone is recorded as failed; one whose
// process holds the run lock is left alone.
func TestReconcileFailsRunsWhoseProcessIsGone(t *testing.T) {
	t.Parallel()
	pool := dbtest.New(t)
	ctx := context.Background()
	var id int64
	if err := pool.QueryRow(ctx, `INSERT INTO nightly_run (source) VALUES ('cli') RETURNING id`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	status := func() string {
		var s string
		if err := pool.QueryRow(ctx, `SELECT status FROM nightly_run WHERE id = $1`, id).Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	// A live run: its process holds the lock on a connection of its own.
	conn, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1::bigint)`, nightly.LockKey); err != nil {
		t.Fatal(err)
	}
	if n, err := nightly.Reconcile(ctx, pool); err != nil || n != 0 || status() != "running" {
		t.Errorf("with the lock held: reconciled %d (%v), status %s; want the run left running", n, err, status())
	}
	conn.Hijack().Close(ctx) // the process dies: its connection, and the lock, go
	// the server lets go of a closed connection's locks a moment later
	for i := 0; ; i++ {
		var held bool
		if err := pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory'
			AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) AND granted)`).Scan(&held); err != nil {
			t.Fatal(err)
		}
		if !held {
			break
		}
		if i == 100 {
			t.Fatal("the closed connection's lock is still held after 10 s")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if n, err := nightly.Reconcile(ctx, pool); err != nil || n != 1 || status() != "failed" {
		t.Errorf("with the lock free: reconciled %d (%v), status %s; want the run failed", n, err, status())
	}
}
