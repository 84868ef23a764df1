package triggers_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/relaycrm/relay/internal/access"
	"github.com/relaycrm/relay/internal/db"
	"github.com/relaycrm/relay/internal/dbtest"
	"github.com/relaycrm/relay/internal/input"
	"github.com/relaycrm/relay/internal/nightly"
	"github.com/relaycrm/relay/internal/nightly/nightlytest"
	"github.com/relaycrm/relay/internal/triggers"
)

// bankWithTriggers builds six clients whose best two hold ACQ and the others
// do not, and runs the nightly chain: each of the four others gets an ACQ
// trigger. Control share 0.5 hides some of them.
func bankWithTriggers(t *testing.T, controlShare string) (*nightlytest.Bank, []triggers.Trigger) {
	t.Helper()
	b := nightlytest.New(t, dbtest.New(t))
	b.Set("segment.min_clients", "5")
	b.Set("trigger.control_share", controlShare)
	since := nightlytest.Day(2025, 4, 15)
	for i := 0; i < 6; i++ {
		income := map[string]int64{"CA": int64(1000 * (i + 1))}
		hs := []nightlytest.Holding{{Product: "CA", Opened: since}}
		if i >= 4 {
			income["ACQ"] = 5000
			hs = append(hs, nightlytest.Holding{Product: "ACQ", Opened: since})
		}
		b.Add(nightlytest.Client{Ref: "M" + string(rune('A'+i)), Since: since, Holdings: hs, Facts: nightlytest.Steady(income)})
	}
	r := nightly.New(b.Pool, nightly.Options{Settings: b.Settings})
	defer r.Close()
	if _, err := r.Run(context.Background(), nightly.Request{AsOf: nightlytest.AsOf}); err != nil {
		t.Fatal(err)
	}
	page, err := triggers.ListOpen(context.Background(), b.Pool, b.Risk, triggers.ListFilter{})
	if err != nil {
		t.Fatal(err)
	}
	return b, page.Triggers
}

func TestMove(t *testing.T) {
	t.Parallel()
	b, all := bankWithTriggers(t, "0")
	if len(all) != 4 {
		t.Fatalf("%d triggers, want 4", len(all))
	}
	ctx := context.Background()
	var fieldErr input.Errors
	var transErr *triggers.TransitionError
	tests := []struct {
		name    string
		viewer  access.Viewer
		steps   []triggers.Change // moves of one trigger, in order; the last one is checked
		wantErr func(error) bool
		want    triggers.Status
	}{
		{"new to contacted", b.Manager1, []triggers.Change{{To: triggers.Contacted}}, nil, triggers.Contacted},
		{"contacted, offered, won", b.Manager1, []triggers.Change{{To: triggers.Contacted}, {To: triggers.Offered}, {To: triggers.Won}}, nil, triggers.Won},
		{"lost needs a reason", b.Manager1, []triggers.Change{{To: triggers.Lost, Reason: "  "}}, func(err error) bool { return errors.As(err, &fieldErr) && fieldErr["reason"] != "" }, ""},
		{"dismissed with a reason", b.Head, []triggers.Change{{To: triggers.Dismissed, Reason: "Not relevant: seasonal business"}}, nil, triggers.Dismissed},
		{"offered cannot go back to contacted", b.Manager1, []triggers.Change{{To: triggers.Offered}, {To: triggers.Contacted}}, func(err error) bool { return errors.As(err, &transErr) }, ""},
		{"won is final", b.Manager1, []triggers.Change{{To: triggers.Won}, {To: triggers.Lost, Reason: "changed mind"}}, func(err error) bool { return errors.As(err, &transErr) }, ""},
		{"no manager may expire one", b.Manager1, []triggers.Change{{To: triggers.Expired, Reason: "x"}}, func(err error) bool { return errors.As(err, &transErr) }, ""},
		{"the risk team reads only", b.Risk, []triggers.Change{{To: triggers.Contacted}}, func(err error) bool { return errors.Is(err, triggers.ErrReadOnly) }, ""},
		{"another manager cannot see it", b.Manager2, []triggers.Change{{To: triggers.Contacted}}, func(err error) bool { return errors.Is(err, db.ErrNotFound) }, ""},
	}
	// Each case moves a trigger of its own: reset them between cases.
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b.Exec(`UPDATE cross_sell_trigger SET status = 'new', status_reason = '', closed_at = NULL WHERE id = $1`, all[0].ID)
			audits := countAudit(t, b)
			var got triggers.Trigger
			var err error
			for _, c := range tt.steps {
				c.TriggerID, c.IP = all[0].ID, "10.0.0.1"
				if got, err = triggers.Move(ctx, b.Pool, tt.viewer, c); err != nil {
					break
				}
			}
			if tt.wantErr != nil {
				if err == nil || !tt.wantErr(err) {
					t.Fatalf("error %v, not the one expected", err)
				}
				if n := countAudit(t, b); n != audits+len(tt.steps)-1 {
					t.Errorf("%d audit entries for %d moves that succeeded", n-audits, len(tt.steps)-1)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != tt.want || got.ChangedAt.Before(time.Now().Add(-time.Minute)) {
				t.Errorf("status %s changed at %v, want %s now", got.Status, got.ChangedAt, tt.want)
			}
			if closed := !got.ClosedAt.IsZero(); closed != !tt.want.Open() {
				t.Errorf("closed at %v for status %s", got.ClosedAt, got.Status)
			}
			if n := countAudit(t, b); n != audits+len(tt.steps) {
				t.Errorf("%d audit entries for %d moves", n-audits, len(tt.steps))
			}
		})
	}
}

func TestMoveHiddenTrigger(t *testing.T) {
	t.Parallel()
	b, all := bankWithTriggers(t, "1") // everyone in the control group
	for _, tr := range all {
		if !tr.Hidden {
			t.Fatalf("trigger %d shown at a control share of 1", tr.ID)
		}
		_, err := triggers.Move(context.Background(), b.Pool, b.Manager1, triggers.Change{TriggerID: tr.ID, To: triggers.Contacted})
		if !errors.Is(err, db.ErrNotFound) {
			t.Errorf("moving a control-group trigger: %v, want db.ErrNotFound", err)
		}
	}
	page, err := triggers.ListOpen(context.Background(), b.Pool, b.Manager1, triggers.ListFilter{})
	if err != nil || page.Total != 0 {
		t.Errorf("the manager's worklist holds %d control-group triggers (%v)", page.Total, err)
	}
}

func countAudit(t *testing.T, b *nightlytest.Bank) int {
	t.Helper()
	var n int
	if err := b.Pool.QueryRow(context.Background(), `SELECT count(*) FROM audit_log WHERE action = 'trigger.move' AND ip = '10.0.0.1'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
