package users_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/relaycrm/relay/internal/access"
	"github.com/relaycrm/relay/internal/db"
	"github.com/relaycrm/relay/internal/dbtest"
	"github.com/relaycrm/relay/internal/users"
)

// A sign-in through the identity provider links a local user with the same
// login, keeps a manager with clients in their branch, refuses a deactivated
// user, and never links the break-glass administrator.
func TestSignInExternalRules(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := dbtest.NewDemo(t, 2000)
	g, err := db.Gorm(pool)
	if err != nil {
		t.Fatal(err)
	}
	store := users.NewStore(pool, g)
	const issuer = "https://idp.bank.example"
	manager := users.External{Issuer: issuer, Subject: "s-1", Login: "mgr.bn-sof-1.01", Name: "Mila Manager",
		Role: access.Manager, BranchCode: "BN-SOF-2", BreakGlass: "admin"}
	subjectOf := func(login string) string {
		var s *string
		if err := pool.QueryRow(ctx, `SELECT oidc_subject FROM app_user WHERE login = $1`, login).Scan(&s); err != nil {
			t.Fatal(err)
		}
		if s == nil {
			return ""
		}
		return *s
	}

	// moved to another branch by the provider while managing clients: refused, nothing changes
	if _, err := store.SignInExternal(ctx, manager); !errors.Is(err, access.ErrForbidden) || !strings.Contains(err.Error(), "reassign your clients") {
		t.Fatalf("a manager moved away from their clients: %v", err)
	}
	if s := subjectOf("mgr.bn-sof-1.01"); s != "" {
		t.Fatalf("the refused sign-in linked the user to %q", s)
	}

	// in their own branch: the local user is linked and renamed
	manager.BranchCode = "BN-SOF-1"
	u, err := store.SignInExternal(ctx, manager)
	if err != nil {
		t.Fatal(err)
	}
	if u.Login != "mgr.bn-sof-1.01" || u.Name != "Mila Manager" || subjectOf(u.Login) != "s-1" {
		t.Fatalf("linked user: %+v, subject %q", u, subjectOf(u.Login))
	}
	var linked int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = 'user.update' AND details @> $1::jsonb`,
		`{"linked": "`+issuer+`", "via": "oidc"}`).Scan(&linked); err != nil || linked != 1 {
		t.Fatalf("%d user.update entries for the link (%v), want 1", linked, err)
	}

	// deactivated in Relay: the provider cannot bring them back
	if _, err := pool.Exec(ctx, `UPDATE app_user SET active = false WHERE id = $1`, u.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := store.SignInExternal(ctx, manager); !errors.Is(err, access.ErrForbidden) || !strings.Contains(err.Error(), "deactivated") {
		t.Fatalf("a deactivated user: %v", err)
	}

	// the provider's "admin" is not the break-glass admin
	_, err = store.SignInExternal(ctx, users.External{Issuer: issuer, Subject: "s-2", Login: "admin", Name: "Someone",
		Role: access.Admin, BreakGlass: "admin"})
	if !errors.Is(err, access.ErrForbidden) || subjectOf("admin") != "" {
		t.Fatalf("the provider's admin: %v, break-glass admin's subject %q", err, subjectOf("admin"))
	}
}
