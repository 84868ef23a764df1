package audit_test

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/relaycrm/relay/internal/audit"
	"github.com/relaycrm/relay/internal/db"
	"github.com/relaycrm/relay/internal/dbtest"
)

// An entry written in a transaction lands or fails with it: the record
// packages' changes and their audit entries are one transaction.
func TestRecordInATransactionFailsWithIt(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := dbtest.New(t)
	count := func() int {
		var n int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = 'test.change'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	boom := errors.New("the change failed")
	entry := audit.Actor{Login: "admin", IP: "10.0.0.1"}.Entry("test.change", "thing:1", map[string]any{"to": 2})
	err := db.InTx(ctx, pool, func(tx pgx.Tx) error {
		if err := audit.Record(ctx, tx, entry); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) || count() != 0 {
		t.Fatalf("a failed transaction: %v, %d entries left", err, count())
	}
	err = db.InTx(ctx, pool, func(tx pgx.Tx) error { return audit.Record(ctx, tx, entry) })
	if err != nil || count() != 1 {
		t.Fatalf("a committed transaction: %v, %d entries", err, count())
	}
}
