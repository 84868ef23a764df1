package main

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/relaycrm/relay/internal/db"
	"github.com/relaycrm/relay/internal/dbtest"
	"github.com/relaycrm/relay/internal/tokens"
)

var tokenLine = regexp.MustCompile(`(?m)^(relay_[A-Za-z0-9_-]{43})$`)

// TestTokenCommands makes a token with `relay token create`, finds it in
// `relay token list`, signs in with it, and revokes it.
func TestTokenCommands(t *testing.T) {
	t.Parallel()
	url := dbtest.URL(t)
	ctx := context.Background()
	pool, err := db.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	var uid int64
	if err := pool.QueryRow(ctx, `
		WITH g AS (INSERT INTO banking_group (id, code, name) VALUES (1, 'G', 'Group') RETURNING id)
		INSERT INTO app_user (group_id, login, name, role, password_hash) SELECT id, 'rita', 'Rita', 'risk', 'x' FROM g
		RETURNING id`).Scan(&uid); err != nil {
		t.Fatal(err)
	}

	e, out := testEnv(url, "")
	if err := run(ctx, e, []string{"token", "create", "--login", "rita", "--name", "warehouse", "--days", "30"}); err != nil {
		t.Fatal(err)
	}
	m := tokenLine.FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("create printed no token: %q", out.String())
	}
	got, err := tokens.Authenticate(ctx, pool, m[1], time.Now())
	if err != nil || got != uid {
		t.Fatalf("the printed token signs in as %d, %v; want %d", got, err, uid)
	}

	e, out = testEnv(url, "")
	if err := run(ctx, e, []string{"token", "list", "--login", "rita"}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "warehouse") || !strings.Contains(out.String(), "live") || strings.Contains(out.String(), m[1]) {
		t.Errorf("list: %q; want the live token by name, never the token itself", out.String())
	}
	id := strings.Fields(out.String())[0]

	e, _ = testEnv(url, "")
	if err := run(ctx, e, []string{"token", "revoke", "--id", id}); err != nil {
		t.Fatal(err)
	}
	if _, err := tokens.Authenticate(ctx, pool, m[1], time.Now()); !errors.Is(err, tokens.ErrInvalid) {
		t.Errorf("a revoked token: %v, want ErrInvalid", err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"token", "create", "--login", "nobody", "--name", "x"}, `no user has the login "nobody"`},
		{[]string{"token", "create", "--login", "rita", "--name", ""}, "name:"},
		{[]string{"token", "create", "--login", "rita", "--name", "x", "--days", "999"}, "days:"},
		{[]string{"token", "revoke", "--id", id}, "no live token"},
	} {
		e, _ := testEnv(url, "")
		if err := run(ctx, e, c.args); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want an error saying %q", c.args, err, c.want)
		}
	}
	if n := 0; pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action IN ('token.create', 'token.revoke') AND login = 'cli'`).Scan(&n) != nil || n != 2 {
		t.Errorf("audited %d token changes, want 2", n)
	}
}
