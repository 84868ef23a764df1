package main

import (
	"context"
	"strings"
	"testing"

	"github.com/relaycrm/relay/internal/db"
	"github.com/relaycrm/relay/internal/dbtest"
)

func TestWebhookCommands(t *testing.T) {
	t.Parallel()
	url := dbtest.URL(t)
	ctx := context.Background()
	e, out := testEnv(url, "")
	if err := run(ctx, e, []string{"webhook", "add", "--url", "http://8.8.8.8/in", "--events", "trigger.moved"}); err == nil ||
		!strings.Contains(err.Error(), "url") {
		t.Errorf("a public http URL: %v, want an error naming the url", err)
	}
	if err := run(ctx, e, []string{"webhook", "add", "--url", "https://hooks.bank.example/relay", "--events", "trigger.moved, nightly.finished",
		"--description", "core"}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "endpoint 1 registered") || !strings.Contains(out.String(), "secret (shown this once): whsec_") {
		t.Errorf("add printed %q", out.String())
	}
	out.Reset()
	if err := run(ctx, e, []string{"webhook", "disable", "--id", "1"}); err != nil {
		t.Fatal(err)
	}
	if err := run(ctx, e, []string{"webhook", "list"}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "1\tdisabled\thttps://hooks.bank.example/relay\ttrigger.moved,nightly.finished") {
		t.Errorf("list printed %q", out.String())
	}
	if err := run(ctx, e, []string{"webhook", "delete", "--id", "1"}); err != nil {
		t.Fatal(err)
	}
	if err := run(ctx, e, []string{"webhook", "delete", "--id", "1"}); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Errorf("deleting it again: %v, want not found", err)
	}
	pool, err := db.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE login = 'cli' AND action LIKE 'webhook.%'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 3 {
		t.Errorf("%d webhook changes audited as the CLI, want 3", n)
	}
}
