package nightly

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/relaycrm/relay/internal/db"
	"github.com/relaycrm/relay/internal/nightly/nightlytest"
	"github.com/relaycrm/relay/internal/settings"
)

// fingerprintFile holds the fingerprint of the nightly run's outputs on the
// fixed demo bank. Regenerate it on purpose, after a change that is meant to
// change the results, with
//
//	RELAY_UPDATE_FINGERPRINT=1 go test -run TestNightlyFingerprint ./internal/nightly/
//
// and say in the commit why the results changed.
const fingerprintFile = "testdata/nightly-fingerprint.txt"

// fingerprintTables are the tables a nightly run writes, in a fixed order.
var fingerprintTables = []string{
	"segment", "segment_profile", "segment_product", "segment_stage", "client_score", "client_warning",
	"client_churn", "bank_churn_scorer", "trigger_effect", "trigger_takeup", "cross_sell_trigger",
}

// fingerprintSkipped are the columns left out of the fingerprint: sentences
// (how they are stored may change without changing a figure) and numbers a
// sequence or the clock hands out.
var fingerprintSkipped = map[string]bool{
	"reason": true, "status_reason": true, "id": true, "run_id": true,
}

// TestNightlyFingerprint pins the nightly run's results on a fixed demo bank
// (6,000 clients, seed 1): a first run as of 2026-04 raises triggers, managers
// then work some of them (won, dismissed, contacted), and a second run as of
// 2026-10 judges, confirms and expires them and raises new ones. After each
// run every output table's rows (every number and code; no sentence, no
// clock time, no sequence id; segments by their key rather than their id;
// floats to 9 decimals) are hashed in a stable order and compared with the
// fingerprint committed in testdata. A change to the nightly SQL that is
// meant only to make it faster must keep the fingerprint. The first run is
// played in a template (demoAfterApril) that TestDemoBankWarnsLeavers starts
// from too, named by the test binary's digest: a change to any code the run
// runs plays it again.
func TestNightlyFingerprint(t *testing.T) {
	t.Parallel()
	pool := demoAfterApril(t) // the run as of 2026-04 is in the template
	ctx := context.Background()
	g, err := db.Gorm(pool)
	if err != nil {
		t.Fatal(err)
	}
	r := New(pool, Options{Settings: settings.NewStore(pool, g)})
	defer r.Close()

	var got []string
	if run := lastRun(t, pool); run.Status != StatusSucceeded || !run.AsOf.Equal(nightlytest.Month(2026, 4)) {
		t.Fatalf("the template's run: %s as of %s, want succeeded as of 2026-04", run.Status, run.AsOf)
	}
	got = append(got, fingerprint(t, pool, "2026-04")...)
	// Managers work some of the triggers: won (confirmed when the data shows
	// the product), dismissed (cooling down), contacted (still open).
	if _, err := pool.Exec(ctx, `
		UPDATE cross_sell_trigger
		SET status = (ARRAY['won', 'dismissed', 'contacted'])[client_id % 5 + 1],
		    status_reason = CASE WHEN client_id % 5 = 1 THEN 'Not now' ELSE '' END,
		    closed_at = CASE WHEN client_id % 5 < 2 THEN now() END,
		    status_changed_at = now()
		WHERE client_id % 5 < 3 AND NOT hidden`); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Run(ctx, Request{AsOf: nightlytest.Month(2026, 10)}); err != nil {
		t.Fatalf("run as of 2026-10: %v", err)
	}
	got = append(got, fingerprint(t, pool, "2026-10")...)

	text := "# table rows md5 of the nightly run's outputs on the demo bank (6,000 clients, seed 1);\n" +
		"# regenerate on purpose: RELAY_UPDATE_FINGERPRINT=1 go test -run TestNightlyFingerprint ./internal/nightly/\n" +
		strings.Join(got, "\n") + "\n"
	if os.Getenv("RELAY_UPDATE_FINGERPRINT") != "" {
		if err := os.MkdirAll(filepath.Dir(fingerprintFile), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(fingerprintFile, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", fingerprintFile)
		return
	}
	stored, err := os.ReadFile(fingerprintFile)
	if err != nil {
		t.Fatalf("%v: write it with RELAY_UPDATE_FINGERPRINT=1", err)
	}
	want := map[string]string{}
	for _, line := range strings.Split(string(stored), "\n") {
		if f := strings.Fields(line); len(f) == 4 && !strings.HasPrefix(line, "#") {
			want[f[0]+" "+f[1]] = f[2] + " " + f[3]
		}
	}
	for _, line := range got {
		f := strings.Fields(line)
		key, have := f[0]+" "+f[1], f[2]+" "+f[3]
		if want[key] != have {
			t.Errorf("run as of %s, table %s: rows and md5 %q, the stored fingerprint says %q: the nightly run's results changed "+
				"(if on purpose, regenerate %s with RELAY_UPDATE_FINGERPRINT=1 and say why in the commit)",
				f[0], f[1], have, want[key], fingerprintFile)
		}
	}
	if len(want) != len(got) {
		t.Errorf("the stored fingerprint has %d tables, the run %d", len(want), len(got))
	}
}

// fingerprint returns one line per output table: label, table, row count and
// the md5 of its rows sorted.
func fingerprint(t *testing.T, q db.Querier, label string) []string {
	t.Helper()
	ctx := context.Background()
	var out []string
	for _, table := range fingerprintTables {
		rows, err := q.Query(ctx, `
			SELECT column_name, data_type FROM information_schema.columns
			WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position`, table)
		if err != nil {
			t.Fatal(err)
		}
		var cols []string
		for rows.Next() {
			var name, typ string
			if err := rows.Scan(&name, &typ); err != nil {
				t.Fatal(err)
			}
			col := pgx.Identifier{"t", name}.Sanitize()
			switch {
			case fingerprintSkipped[name]:
				continue
			case strings.HasPrefix(typ, "timestamp"):
				col = fmt.Sprintf("(%s IS NOT NULL)", col)
			case typ == "double precision":
				col = fmt.Sprintf("round(%s::numeric, 9)", col)
			case name == "segment_id" || name == "profile_segment_id":
				col = fmt.Sprintf(`(SELECT concat_ws('/', s.level, s.group_id, s.currency, s.bank_id, s.region_id, s.industry_id, s.tenure_band)
				                   FROM segment s WHERE s.id = %s)`, col)
			}
			cols = append(cols, col)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		if len(cols) == 0 {
			t.Fatalf("table %s has no columns", table)
		}
		var n int64
		var sum string
		sql := fmt.Sprintf(`SELECT count(*), coalesce(md5(string_agg(r, E'\n' ORDER BY r COLLATE "C")), '-')
			FROM (SELECT ROW(%s)::text AS r FROM %s t) x`, strings.Join(cols, ", "), pgx.Identifier{table}.Sanitize())
		if err := q.QueryRow(ctx, sql).Scan(&n, &sum); err != nil {
			t.Fatalf("%s: %v", table, err)
		}
		if n == 0 && label == "2026-10" && table != "bank_churn_scorer" {
			t.Errorf("run as of %s: %s is empty: the fingerprint would pin nothing", label, table)
		}
		out = append(out, fmt.Sprintf("%s %s %d %s", label, table, n, sum))
	}
	return out
}
