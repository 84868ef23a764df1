package main

import (
	"context"
	"strings"
	"testing"

	"github.com/relaycrm/relay/internal/db"
	"github.com/relaycrm/relay/internal/dbtest"
	"github.com/relaycrm/relay/internal/users"
)

// A new install, as an operator starts one: setup names the group and
// creates the first administrator; the first feed, with its reference files,
// brings the rest.
func TestSetupThenFirstFeed(t *testing.T) {
	t.Parallel()
	url := dbtest.URL(t)
	ctx := context.Background()
	e, out := testEnv(url, "a-long-admin-password\n")
	if err := run(ctx, e, []string{"setup", "--group", "demo", "--name", "Danube SME Banking Group", "--admin", "root", "--password-stdin"}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"banking group DEMO created", "the 21 NACE Rev.2 sections", "administrator root created"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("setup output lacks %q:\n%s", want, out)
		}
	}
	// Again: nothing new, no second administrator asked for.
	e, out = testEnv(url, "")
	if err := run(ctx, e, []string{"setup", "--group", "DEMO", "--name", "Danube SME Banking Group"}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "banking group DEMO renamed") || strings.Contains(out.String(), "NACE") {
		t.Errorf("second setup: %s", out)
	}
	e, out = testEnv(url, "")
	if err := run(ctx, e, []string{"import", "../../docs/feed-example"}); err != nil {
		t.Fatalf("first feed: %v\n%s", err, out)
	}
	pool, err := db.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	var groups, industries, clients int
	if err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM banking_group), (SELECT count(*) FROM industry),
		(SELECT count(*) FROM client)`).Scan(&groups, &industries, &clients); err != nil {
		t.Fatal(err)
	}
	if groups != 1 || industries != 21 || clients != 4 {
		t.Errorf("after the first feed: %d groups, %d industries, %d clients; want 1, 21, 4", groups, industries, clients)
	}
	g, _ := db.Gorm(pool)
	if u, err := users.NewStore(pool, g).Authenticate(ctx, "root", "a-long-admin-password"); err != nil || u.Role != "admin" {
		t.Errorf("the first administrator cannot sign in: %+v %v", u, err)
	}
	e, _ = testEnv(url, "")
	if err := run(ctx, e, []string{"setup", "--group", "bad code!", "--name", "X"}); err == nil || !strings.Contains(err.Error(), "is not a group code") {
		t.Errorf("a bad group code: %v", err)
	}
}
