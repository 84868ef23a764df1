package imports

import (
	"context"
	"testing"

	"github.com/relaycrm/relay/internal/dbtest"
)

// An import marked running whose process is gone is recorded as failed and
// audited; one whose process holds its lock is left alone.
func TestReconcileFailsImportsWhoseProcessIsGone(t *testing.T) {
	t.Parallel()
	pool := dbtest.New(t)
	ctx := context.Background()
	var id int64
	if err := pool.QueryRow(ctx, `INSERT INTO feed_import (source, origin, started_at) VALUES ('cli', 'feed/', now() - interval '1 minute')
		RETURNING id`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	status := func() (s string, audited int) {
		if err := pool.QueryRow(ctx, `SELECT status, (SELECT count(*) FROM audit_log WHERE action = 'import.failed' AND object = 'import:' || $1::bigint)
			FROM feed_import WHERE id = $1::bigint`, id).Scan(&s, &audited); err != nil {
			t.Fatal(err)
		}
		return s, audited
	}
	release, err := holdRecord(ctx, pool, id)
	if err != nil {
		t.Fatal(err)
	}
	released := false
	t.Cleanup(func() {
		if !released {
			release()
		}
	})
	if n, err := Reconcile(ctx, pool); err != nil || n != 0 {
		t.Errorf("a live import was reconciled: %d (%v)", n, err)
	}
	if s, a := status(); s != "running" || a != 0 {
		t.Errorf("a live import is %s with %d audit lines", s, a)
	}
	release()
	released = true
	if n, err := Reconcile(ctx, pool); err != nil || n != 1 {
		t.Errorf("reconciled %d (%v), want 1", n, err)
	}
	if s, a := status(); s != "failed" || a != 1 {
		t.Errorf("a dead import is %s with %d audit lines, want failed and audited once", s, a)
	}
	if n, _ := Reconcile(ctx, pool); n != 0 {
		t.Errorf("reconciled the same import again")
	}
}
