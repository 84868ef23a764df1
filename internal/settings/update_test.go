package settings_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/relaycrm/relay/internal/audit"
	"github.com/relaycrm/relay/internal/db"
	"github.com/relaycrm/relay/internal/dbtest"
	"github.com/relaycrm/relay/internal/settings"
)

// Password sign-in cannot be turned off without a break-glass
// administrator, nor the administrator removed while it is off; each
// accepted change is audited with the change, in its transaction.
func TestPasswordsOffNeedsABreakGlassAdmin(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := dbtest.New(t)
	g, err := db.Gorm(pool)
	if err != nil {
		t.Fatal(err)
	}
	st := settings.NewStore(pool, g)
	by := audit.Actor{Login: "admin", IP: "10.0.0.1"}
	if _, err := st.Update(ctx, by, "sso.passwords", "off"); !errors.Is(err, settings.ErrInvalid) ||
		!strings.Contains(settings.Problem(err), "break-glass administrator first") {
		t.Fatalf("passwords off without a break-glass admin: %v", err)
	}
	if _, err := st.Update(ctx, by, "sso.break_glass_login", "root"); err != nil {
		t.Fatal(err)
	}
	if s, err := st.Update(ctx, by, "sso.passwords", "OFF"); err != nil || s.Value != "off" {
		t.Fatalf("passwords off with a break-glass admin: %+v, %v", s, err)
	}
	if _, err := st.Update(ctx, by, "sso.break_glass_login", ""); !errors.Is(err, settings.ErrInvalid) {
		t.Fatalf("clearing the break-glass admin while passwords are off: %v", err)
	}
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = 'setting.update' AND object LIKE 'setting:sso.%'`).Scan(&n); err != nil || n != 2 {
		t.Fatalf("%d setting.update entries (%v), want the 2 accepted changes", n, err)
	}
}
