package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/relaycrm/relay/internal/db"
	"github.com/relaycrm/relay/internal/dbtest"
	"github.com/relaycrm/relay/internal/nightly"
	"github.com/relaycrm/relay/internal/settings"
)

// TestNightlyImportsTheInboxFirst drops the example feed in the inbox and
// checks that the nightly run applies it in its first step and scores its
// clients in the same run.
func TestNightlyImportsTheInboxFirst(t *testing.T) {
	t.Parallel()
	pool := dbtest.NewDemo(t, 600)
	ctx := context.Background()
	inbox := t.TempDir()
	feed := filepath.Join(inbox, "2026-11-21")
	if err := os.MkdirAll(feed, 0o755); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(filepath.Join("..", "..", "docs", "feed-example"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join("..", "..", "docs", "feed-example", e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(feed, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(feed, "READY"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	g, err := db.Gorm(pool)
	if err != nil {
		t.Fatal(err)
	}
	// The setting cannot lead out of the inbox root.
	if _, err := settings.NewStore(pool, g).Set(ctx, 1, "import.inbox_dir", "../etc"); err == nil {
		t.Error("import.inbox_dir took a path out of the inbox root")
	}
	runner := newRunner(pool, g, nil, inbox, nil)
	defer runner.Close()
	run, err := runner.Run(ctx, nightly.Request{Source: nightly.SourceCLI})
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int64{}
	for _, c := range run.Steps[0].Counts {
		counts[c.Name] = c.Value
	}
	if run.Steps[0].Name != "import" || counts["feeds applied"] != 1 || counts["feeds rejected"] != 0 || counts["rows imported"] == 0 {
		t.Fatalf("import step: %s %v", run.Steps[0].Name, counts)
	}
	if _, err := os.Stat(filepath.Join(inbox, "processed", "2026-11-21", "clients.csv")); err != nil {
		t.Errorf("the applied feed was not moved to processed/: %v", err)
	}
	// The feed's active clients are scored by the same run.
	var unscored int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM client c WHERE c.ref LIKE 'C-%' AND c.left_on IS NULL
		AND NOT EXISTS (SELECT 1 FROM client_score s WHERE s.client_id = c.id)`).Scan(&unscored); err != nil {
		t.Fatal(err)
	}
	if unscored != 0 {
		t.Errorf("%d clients of the imported feed were not scored by the run that imported them", unscored)
	}
	// A second run finds the inbox empty.
	run, err = runner.Run(ctx, nightly.Request{Source: nightly.SourceCLI})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range run.Steps[0].Counts {
		if c.Name == "feeds applied" && c.Value != 0 {
			t.Errorf("the second run imported the feed again")
		}
	}
}
