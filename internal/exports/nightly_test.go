package exports_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/relaycrm/relay/internal/dbtest"
	"github.com/relaycrm/relay/internal/exports"
	"github.com/relaycrm/relay/internal/nightly"
	"github.com/relaycrm/relay/internal/nightly/nightlytest"
)

// bank builds five clients of one segment: the two best hold ACQ (5000 a
// month), so the three others each get an ACQ trigger worth 60000 a year
// (600.00 EUR); client W0 lost its turnover and balance and is warned.
func bank(t *testing.T) *nightlytest.Bank {
	t.Helper()
	b := nightlytest.New(t, dbtest.New(t))
	b.Set("segment.min_clients", "5")
	b.Set("trigger.control_share", "0")
	since := nightlytest.Day(2025, 4, 15)
	for i := 0; i < 5; i++ {
		income := map[string]int64{"CA": int64(1000 * (i + 1))}
		hs := []nightlytest.Holding{{Product: "CA", Opened: since}}
		if i >= 3 {
			income["ACQ"] = 5000
			hs = append(hs, nightlytest.Holding{Product: "ACQ", Opened: since})
		}
		facts := nightlytest.Steady(income)
		if i == 0 {
			facts = func(m time.Time) nightlytest.Fact {
				f := nightlytest.Steady(income)(m)
				if !m.Before(nightlytest.Month(2026, 8)) {
					f.Turnover, f.Balance = 0, 0
				}
				return f
			}
		}
		b.Add(nightlytest.Client{Ref: fmt.Sprintf("W%d", i), Since: since, Holdings: hs, Facts: facts})
	}
	r := nightly.New(b.Pool, nightly.Options{Settings: b.Settings})
	defer r.Close()
	if _, err := r.Run(context.Background(), nightly.Request{AsOf: nightlytest.AsOf}); err != nil {
		t.Fatal(err)
	}
	return b
}

func TestExports(t *testing.T) {
	t.Parallel()
	b := bank(t)
	ctx := context.Background()
	v, err := exports.GroupViewer(ctx, b.Pool, "")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	n, err := exports.Triggers(ctx, b.Pool, v, &buf, "")
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if n != 3 || len(rows) != 4 || strings.Join(rows[0], ",") != strings.Join(exports.TriggerHeader, ",") {
		t.Fatalf("triggers export: %d rows: %v", n, rows)
	}
	for _, r := range rows[1:] {
		if r[2] != "BN" || r[3] != "ACQ" || r[4] != "600.00" || r[5] != "600.00" || r[6] != "EUR" || !strings.Contains(r[10], "held by 100%") {
			t.Errorf("trigger row %v", r)
		}
	}

	buf.Reset()
	n, err = exports.Warnings(ctx, b.Pool, v, &buf, "")
	if err != nil {
		t.Fatal(err)
	}
	rows, err = csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 || len(rows) != 2 || rows[1][0] != "W0" || rows[1][4] != "high" || rows[1][7] != "1" || rows[1][8] != "true" ||
		!strings.Contains(rows[1][21], "turnover 3 months 0 EUR") {
		t.Fatalf("warnings export: %v", rows)
	}

	// Scoped: the other manager has none of these clients.
	buf.Reset()
	if n, err := exports.Triggers(ctx, b.Pool, b.Manager2, &buf, "10.1.1.1"); err != nil || n != 0 {
		t.Errorf("another manager's export: %d rows (%v)", n, err)
	}
	var audits int
	if err := b.Pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action LIKE 'export.%'`).Scan(&audits); err != nil || audits != 3 {
		t.Errorf("%d exports in the audit log, want 3 (%v)", audits, err)
	}
}
