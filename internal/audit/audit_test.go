package audit_test

import (
	"context"
	"errors"
	"testing"

	"gorm.io/gorm"

	"github.com/relaycrm/relay/internal/audit"
	"github.com/relaycrm/relay/internal/db"
	"github.com/relaycrm/relay/internal/dbtest"
)

// An entry written in a gorm transaction lands or fails with it: the record
// packages' changes and their audit entries are one transaction.
func TestRecordInAGormTransactionFailsWithIt(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := dbtest.New(t)
	g, err := db.Gorm(pool)
	if err != nil {
		t.Fatal(err)
	}
	count := func() int {
		var n int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = 'test.change'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	boom := errors.New("the change failed")
	entry := audit.Actor{Login: "admin", IP: "10.0.0.1"}.Entry("test.change", "thing:1", map[string]any{"to": 2})
	err = g.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := audit.Record(ctx, db.GormTx(tx), entry); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) || count() != 0 {
		t.Fatalf("a failed transaction: %v, %d entries left", err, count())
	}
	err = g.WithContext(ctx).Transaction(func(tx *gorm.DB) error { return audit.Record(ctx, db.GormTx(tx), entry) })
	if err != nil || count() != 1 {
		t.Fatalf("a committed transaction: %v, %d entries", err, count())
	}
}
