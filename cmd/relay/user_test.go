package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/relaycrm/relay/internal/db"
	"github.com/relaycrm/relay/internal/dbtest"
	"github.com/relaycrm/relay/internal/users"
)

func testEnv(url, stdin string) (*env, *bytes.Buffer) {
	var out bytes.Buffer
	return &env{databaseURL: url, stdin: strings.NewReader(stdin), stdout: &out, stderr: io.Discard,
		log: slog.New(slog.NewTextHandler(io.Discard, nil))}, &out
}

func TestUserAdd(t *testing.T) {
	t.Parallel()
	url := dbtest.URL(t)
	ctx := context.Background()
	pool, err := db.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if _, err := pool.Exec(ctx, `
		INSERT INTO banking_group (id, code, name) VALUES (1, 'G', 'Group');
		INSERT INTO bank (id, group_id, code, name, currency) VALUES (1, 1, 'B1', 'Bank', 'EUR');
		INSERT INTO region (id, group_id, code, name) VALUES (1, 1, 'R', 'Region');
		INSERT INTO branch (id, bank_id, region_id, code, name) VALUES (1, 1, 1, 'BR-1', 'Branch')`); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, stdin string
		args        []string
		wantErr     string
	}{
		{"a manager in a branch", "long-enough-pw\n", []string{"--login", "anna", "--role", "manager", "--branch", "br-1", "--name", "Anna K", "--password-stdin"}, ""},
		{"a risk analyst", "long-enough-pw\n", []string{"--login", "rick", "--role", "risk", "--password-stdin"}, ""},
		{"a taken login", "long-enough-pw\n", []string{"--login", "anna", "--role", "risk", "--password-stdin"}, `login: "anna" is taken`},
		{"a manager without a branch", "long-enough-pw\n", []string{"--login", "bob", "--role", "manager", "--password-stdin"}, "branch: a Personal manager works in a branch"},
		{"an unknown branch", "long-enough-pw\n", []string{"--login", "bob", "--role", "branch_head", "--branch", "XX", "--password-stdin"}, `no branch has the code "XX"`},
		{"an admin with a branch", "long-enough-pw\n", []string{"--login", "bob", "--role", "admin", "--branch", "BR-1", "--password-stdin"}, "only managers and branch heads belong to a branch"},
		{"an unknown role", "long-enough-pw\n", []string{"--login", "bob", "--role", "boss", "--password-stdin"}, `"boss" is not a role`},
		{"a short password", "short\n", []string{"--login", "bob", "--role", "risk", "--password-stdin"}, "use at least 12"},
		{"no password on stdin", "", []string{"--login", "bob", "--role", "risk", "--password-stdin"}, "no password on standard input"},
		{"a password as an argument", "", []string{"--login", "bob", "--role", "risk"}, "passwords are never taken as arguments"},
		{"a bad login", "long-enough-pw\n", []string{"--login", "Bob Smith", "--role", "risk", "--password-stdin"}, "login: use 2-63 lower-case letters"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e, out := testEnv(url, c.stdin)
			err := run(ctx, e, append([]string{"user", "add"}, c.args...))
			if c.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				if !strings.Contains(out.String(), "created") {
					t.Errorf("output %q", out.String())
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Fatalf("error %v, want it to say %q", err, c.wantErr)
			}
		})
	}
	g, _ := db.Gorm(pool)
	u, err := users.NewStore(pool, g).Authenticate(ctx, "anna", "long-enough-pw")
	if err != nil {
		t.Fatalf("the created manager cannot sign in: %v", err)
	}
	if u.Role != "manager" || u.BranchID == nil || *u.BranchID != 1 || u.Name != "Anna K" {
		t.Errorf("stored %+v", u)
	}
	var n, audited int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM app_user WHERE login = 'bob'`).Scan(&n); err != nil || n != 0 {
		t.Errorf("refused users were stored: %d %v", n, err)
	}
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = 'user.create' AND login = 'cli'`).Scan(&audited); err != nil || audited != 2 {
		t.Errorf("audit log has %d user creations from the CLI, want 2 (%v)", audited, err)
	}
}
