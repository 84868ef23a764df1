package nightly

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/relaycrm/relay/internal/triggers"
)

// TestTriggerLifecycle follows the triggers of the retail segment's clients
// through runs: the cap, no duplicate while open, the cool-down after a
// dismissal, expiry when the client takes the product, and a won trigger
// confirmed by the holding.
func TestTriggerLifecycle(t *testing.T) {
	t.Parallel()
	b := newBank(t)
	b.Set("segment.min_clients", "5")
	b.Set("trigger.control_share", "0")
	b.Set("trigger.max_open_per_client", "1")
	ids := retailSegment(b)
	ctx := context.Background()
	open := func(ref string) []string {
		t.Helper()
		ts, err := triggers.ForClient(ctx, b.Pool, b.Manager1, ids[ref])
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, tr := range ts {
			if tr.Status.Open() {
				out = append(out, tr.ProductCode)
			}
		}
		return out
	}
	find := func(ref, product string) triggers.Trigger {
		t.Helper()
		ts, err := triggers.ForClient(ctx, b.Pool, b.Manager1, ids[ref])
		if err != nil {
			t.Fatal(err)
		}
		for _, tr := range ts {
			if tr.ProductCode == product {
				return tr
			}
		}
		t.Fatalf("%s has no %s trigger", ref, product)
		return triggers.Trigger{}
	}

	// The cap: one open trigger, the highest priority.
	runNightly(t, b)
	if got := open("C01"); strings.Join(got, ",") != "ACQ" {
		t.Fatalf("C01 with a cap of 1: %v, want ACQ", got)
	}
	total := count(t, b, `SELECT count(*) FROM cross_sell_trigger`)

	// No duplicate while one is open.
	runNightly(t, b)
	if n := count(t, b, `SELECT count(*) FROM cross_sell_trigger`); n != total {
		t.Fatalf("second run: %d triggers, want the same %d", n, total)
	}

	// Dismissed: the cool-down keeps ACQ away, FX takes the free place.
	acq := find("C01", "ACQ")
	if _, err := triggers.Move(ctx, b.Pool, b.Manager1, triggers.Change{TriggerID: acq.ID, To: triggers.Dismissed, Reason: "Has a terminal elsewhere"}); err != nil {
		t.Fatal(err)
	}
	runNightly(t, b)
	if got := open("C01"); strings.Join(got, ",") != "FX" {
		t.Fatalf("after dismissing ACQ: %v, want FX", got)
	}
	// Cool-down over (closed 91 days ago), room for more: ACQ again.
	b.Exec(`UPDATE cross_sell_trigger SET closed_at = now() - interval '91 days' WHERE id = $1`, acq.ID)
	b.Set("trigger.max_open_per_client", "3")
	runNightly(t, b)
	if got := open("C01"); strings.Join(got, ",") != "ACQ,FX" {
		t.Fatalf("after the cool-down: %v, want ACQ, FX", got)
	}
	// Still inside the cool-down (89 days) it would not have come back.
	b.Exec(`UPDATE cross_sell_trigger SET status = 'dismissed', status_reason = 'x', closed_at = now() - interval '89 days'
		WHERE client_id = $1 AND product_id = $2 AND status = 'new'`, ids["C01"], b.Product["ACQ"])
	runNightly(t, b)
	if got := open("C01"); strings.Join(got, ",") != "FX" {
		t.Fatalf("inside the cool-down: %v, want FX only", got)
	}

	// Expiry: C02 takes ACQ (a holding opened after the as-of month's start).
	b.Exec(`INSERT INTO holding (client_id, product_id, opened_on) VALUES ($1, $2, '2026-10-20')`, ids["C02"], b.Product["ACQ"])
	// Won, then confirmed: C03's manager wins ACQ and the holding shows up.
	won := find("C03", "ACQ")
	if _, err := triggers.Move(ctx, b.Pool, b.Manager1, triggers.Change{TriggerID: won.ID, To: triggers.Won}); err != nil {
		t.Fatal(err)
	}
	b.Exec(`INSERT INTO holding (client_id, product_id, opened_on) VALUES ($1, $2, '2026-10-25')`, ids["C03"], b.Product["ACQ"])
	runNightly(t, b)
	expired := find("C02", "ACQ")
	if expired.Status != triggers.Expired || !strings.HasPrefix(expired.StatusReason, "The client holds the product") {
		t.Errorf("C02 ACQ: %s %q, want expired because the client holds it", expired.Status, expired.StatusReason)
	}
	confirmed := find("C03", "ACQ")
	if confirmed.Status != triggers.Won || confirmed.WonConfirmedAt.IsZero() {
		t.Errorf("C03 ACQ: %s confirmed at %v, want won and confirmed", confirmed.Status, confirmed.WonConfirmedAt)
	}
	if time.Since(confirmed.WonConfirmedAt) > time.Minute {
		t.Errorf("confirmed at %v", confirmed.WonConfirmedAt)
	}
}

// TestControlGroupHidden checks that the control group's triggers are raised
// and recorded, shown to the risk team and never to the client's manager or
// branch head.
func TestControlGroupHidden(t *testing.T) {
	t.Parallel()
	b := newBank(t)
	b.Set("segment.min_clients", "5")
	b.Set("trigger.control_share", "0.5")
	ids := retailSegment(b)
	runNightly(t, b)
	ctx := context.Background()
	hidden := count(t, b, `SELECT count(*) FROM cross_sell_trigger WHERE hidden`)
	if hidden == 0 || hidden == 14 {
		t.Fatalf("%d of 14 triggers hidden at a share of 0.5; want some", hidden)
	}
	// Stable: by client, whatever the run.
	if n := count(t, b, `SELECT count(*) FROM (SELECT client_id FROM cross_sell_trigger
		GROUP BY client_id HAVING bool_or(hidden) <> bool_and(hidden)) x`); n != 0 {
		t.Errorf("a client has hidden and shown triggers")
	}
	var shown, seen int
	for _, id := range ids {
		m, err := triggers.ForClient(ctx, b.Pool, b.Manager1, id)
		if err != nil {
			t.Fatal(err)
		}
		h, err := triggers.ForClient(ctx, b.Pool, b.Head, id)
		if err != nil {
			t.Fatal(err)
		}
		r, err := triggers.ForClient(ctx, b.Pool, b.Risk, id)
		if err != nil {
			t.Fatal(err)
		}
		for _, tr := range append(m, h...) {
			if tr.Hidden {
				t.Errorf("trigger %d of the control group shown to a manager or branch head", tr.ID)
			}
		}
		shown += len(m)
		seen += len(r)
	}
	if shown != 14-hidden || seen != 14 {
		t.Errorf("manager sees %d, risk %d; want %d and 14", shown, seen, 14-hidden)
	}
}
