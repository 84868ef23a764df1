package webhooks_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/relaycrm/relay/internal/dbtest"
	"github.com/relaycrm/relay/internal/nightly"
	"github.com/relaycrm/relay/internal/nightly/nightlytest"
	"github.com/relaycrm/relay/internal/triggers"
	"github.com/relaycrm/relay/internal/webhooks"
)

// bankWithTriggers is the hand-built bank of six clients whose best two hold
// ACQ: a nightly run raises an ACQ trigger for each of the four others (no
// control group). Plain http to the test's receiver is allowed.
func bankWithTriggers(t *testing.T) *nightlytest.Bank {
	t.Helper()
	b := nightlytest.New(t, dbtest.New(t))
	b.Set("segment.min_clients", "5")
	b.Set("trigger.control_share", "0")
	b.Set("webhook.allow_http_private", "1")
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
	return b
}

func runNightly(t *testing.T, b *nightlytest.Bank) nightly.Run {
	t.Helper()
	r := nightly.New(b.Pool, nightly.Options{Settings: b.Settings})
	defer r.Close()
	run, err := r.Run(context.Background(), nightly.Request{AsOf: nightlytest.AsOf})
	if err != nil {
		t.Fatalf("nightly run: %v", err)
	}
	return run
}

// batch is a delivery of the nightly run as stored.
type batch struct {
	Event string
	Items int
	Data  struct {
		RunID int64 `json:"run_id"`
		Part  int   `json:"part"`
		Parts int   `json:"parts"`
		Items []struct {
			TriggerID     int64   `json:"trigger_id"`
			ClientID      int64   `json:"client_id"`
			Level         *string `json:"level"`
			PreviousLevel *string `json:"previous_level"`
		} `json:"items"`
		Status string `json:"status"`
	}
}

// batches reads the deliveries of endpoint made after delivery after, by event.
func batches(t *testing.T, b *nightlytest.Bank, endpoint, after int64) map[string][]batch {
	t.Helper()
	rows, err := b.Pool.Query(context.Background(),
		`SELECT event, items, payload FROM webhook_delivery WHERE endpoint_id = $1 AND id > $2 ORDER BY id`, endpoint, after)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string][]batch{}
	for rows.Next() {
		var bt batch
		var raw []byte
		if err := rows.Scan(&bt.Event, &bt.Items, &raw); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(raw, &bt.Data); err != nil {
			t.Fatal(err)
		}
		if bt.Items != 1 || bt.Event != "nightly.finished" {
			if len(bt.Data.Items) != bt.Items {
				t.Errorf("%s: %d items in the payload, the row says %d", bt.Event, len(bt.Data.Items), bt.Items)
			}
		}
		out[bt.Event] = append(out[bt.Event], bt)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// itemsOf is the number of items and the parts of an event's batches; it
// checks that each names its part of the whole.
func itemsOf(t *testing.T, bs []batch) int {
	t.Helper()
	n := 0
	for i, bt := range bs {
		if bt.Data.Part != i+1 || bt.Data.Parts != len(bs) {
			t.Errorf("%s: part %d of %d, want %d of %d", bt.Event, bt.Data.Part, bt.Data.Parts, i+1, len(bs))
		}
		n += len(bt.Data.Items)
	}
	return n
}

func lastDelivery(t *testing.T, b *nightlytest.Bank) int64 {
	t.Helper()
	return value[int64](t, b.Pool, `SELECT coalesce(max(id), 0) FROM webhook_delivery`)
}

// TestNightlyRunRaisesBatchedEvents runs the chain three times on one bank,
// with warning levels set so that every client is warned (watch), then every
// warning is high, then none is: the events are found by comparing the
// run's working levels with the published warnings, in batches of
// webhook.batch_items.
func TestNightlyRunRaisesBatchedEvents(t *testing.T) {
	t.Parallel()
	b := bankWithTriggers(t)
	b.Set("webhook.batch_items", "4")
	rcv := newReceiver(t, always(http.StatusOK))
	all := register(t, b.Pool, rcv, webhooks.TriggerRaised, webhooks.TriggerMoved, webhooks.TriggerWon, webhooks.WarningRaised,
		webhooks.WarningLevelChanged, webhooks.WarningCleared, webhooks.NightlyFinished)
	other := newReceiver(t, always(http.StatusOK))
	onlyFinished := register(t, b.Pool, other, webhooks.NightlyFinished)
	ctx := context.Background()

	// Run 1: every client warned (score >= 1): six warning.raised in two
	// batches (4 + 2), four triggers raised in one.
	b.Set("warning.level_watch", "1")
	b.Set("warning.level_high", "100")
	run := runNightly(t, b)
	got := batches(t, b, all, 0)
	if n := itemsOf(t, got["warning.raised"]); n != 6 || len(got["warning.raised"]) != 2 {
		t.Errorf("run 1: %d warning.raised items in %d deliveries, want 6 in 2", n, len(got["warning.raised"]))
	}
	raised := value[int64](t, b.Pool, `SELECT count(*) FROM cross_sell_trigger WHERE run_id = $1 AND NOT hidden`, run.ID)
	if n := itemsOf(t, got["trigger.raised"]); n != int(raised) || raised != 4 {
		t.Errorf("run 1: %d trigger.raised items, %d triggers raised; want 4", n, raised)
	}
	for _, it := range got["trigger.raised"][0].Data.Items {
		if it.TriggerID == 0 || it.ClientID == 0 {
			t.Errorf("a trigger.raised item without its trigger or client: %+v", it)
		}
	}
	if f := got["nightly.finished"]; len(f) != 1 || f[0].Data.Status != "succeeded" || f[0].Data.RunID != run.ID {
		t.Errorf("run 1: nightly.finished %+v, want one, succeeded, run %d", f, run.ID)
	}
	if len(got["warning.cleared"])+len(got["warning.level_changed"])+len(got["trigger.won"]) != 0 {
		t.Errorf("run 1: events that did not happen: %v", got)
	}
	if o := batches(t, b, onlyFinished, 0); len(o) != 1 || len(o["nightly.finished"]) != 1 {
		t.Errorf("the endpoint of nightly.finished only got %v", o)
	}

	// A manager marks one trigger won and the data shows the product taken:
	// trigger.moved at once, trigger.won when the next run confirms it.
	page, err := triggers.ListOpen(ctx, b.Pool, b.Risk, triggers.ListFilter{})
	if err != nil || len(page.Triggers) == 0 {
		t.Fatalf("open triggers: %v", err)
	}
	won := page.Triggers[0]
	mark := lastDelivery(t, b)
	if _, err := triggers.Move(ctx, b.Pool, b.Manager1, triggers.Change{TriggerID: won.ID, To: triggers.Won}); err != nil {
		t.Fatal(err)
	}
	if m := batches(t, b, all, mark); len(m["trigger.moved"]) != 1 {
		t.Errorf("a move: %v, want one trigger.moved", m)
	}
	b.Exec(`INSERT INTO holding (client_id, product_id, opened_on) VALUES ($1, $2, '2026-10-05')`, won.ClientID, b.Product["ACQ"])

	// Run 2: every warning is high now.
	mark = lastDelivery(t, b)
	b.Set("warning.level_high", "1")
	runNightly(t, b)
	got = batches(t, b, all, mark)
	ch := got["warning.level_changed"]
	if n := itemsOf(t, ch); n != 6 {
		t.Errorf("run 2: %d warning.level_changed items, want 6", n)
	}
	for _, bt := range ch {
		for _, it := range bt.Data.Items {
			if it.Level == nil || *it.Level != "high" || it.PreviousLevel == nil || *it.PreviousLevel != "watch" {
				t.Errorf("run 2: item %+v, want watch to high", it)
			}
		}
	}
	if w := got["trigger.won"]; itemsOf(t, w) != 1 || w[0].Data.Items[0].TriggerID != won.ID {
		t.Errorf("run 2: trigger.won %+v, want trigger %d", w, won.ID)
	}
	if len(got["warning.raised"])+len(got["warning.cleared"]) != 0 {
		t.Errorf("run 2: events that did not happen: %v", got)
	}

	// Run 3: no client reaches the watch level.
	mark = lastDelivery(t, b)
	b.Set("warning.level_watch", "100")
	b.Set("warning.level_high", "100")
	runNightly(t, b)
	got = batches(t, b, all, mark)
	if n := itemsOf(t, got["warning.cleared"]); n != 6 {
		t.Errorf("run 3: %d warning.cleared items, want 6", n)
	}
	var cleared []int64
	for _, bt := range got["warning.cleared"] {
		for _, it := range bt.Data.Items {
			if it.Level != nil || it.PreviousLevel == nil {
				t.Errorf("run 3: cleared item %+v, want no level and the previous one", it)
			}
			cleared = append(cleared, it.ClientID)
		}
	}
	if !sort.SliceIsSorted(cleared, func(i, j int) bool { return cleared[i] < cleared[j] }) {
		t.Errorf("cleared clients %v are not in order across batches", cleared)
	}

	// Everything enqueued is delivered, signed.
	drain(t, b.Pool, &webhooks.Worker{DB: b.Pool})
	want := value[int64](t, b.Pool, `SELECT count(*) FROM webhook_delivery WHERE endpoint_id = $1`, all)
	recv := rcv.received()
	if int64(len(recv)) != want {
		t.Errorf("the receiver got %d deliveries, %d were enqueued", len(recv), want)
	}
	for _, r := range recv {
		if r.verifyErr != nil {
			t.Errorf("%s: %v", r.event, r.verifyErr)
		}
	}
}

// TestTriggerMoveSendsOnlyWhatCommits: a move enqueues trigger.moved in its
// own transaction, so a move that is rolled back (here: its audit entry is
// refused when the transaction commits) sends nothing.
func TestTriggerMoveSendsOnlyWhatCommits(t *testing.T) {
	t.Parallel()
	b := bankWithTriggers(t)
	rcv := newReceiver(t, always(http.StatusOK))
	register(t, b.Pool, rcv, webhooks.TriggerMoved)
	runNightly(t, b)
	ctx := context.Background()
	page, err := triggers.ListOpen(ctx, b.Pool, b.Risk, triggers.ListFilter{})
	if err != nil || len(page.Triggers) < 2 {
		t.Fatalf("%d open triggers (%v), want at least 2", len(page.Triggers), err)
	}
	kept, refused := page.Triggers[0], page.Triggers[1]
	if _, err := triggers.Move(ctx, b.Pool, b.Manager1, triggers.Change{TriggerID: kept.ID, To: triggers.Contacted}); err != nil {
		t.Fatal(err)
	}
	// The audit log refuses, at commit, the entry of the second move.
	b.Exec(`CREATE FUNCTION refuse_move() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN RAISE EXCEPTION 'refused at commit'; END $$`)
	b.Exec(`CREATE CONSTRAINT TRIGGER refuse_second_move AFTER INSERT ON audit_log DEFERRABLE INITIALLY DEFERRED
		FOR EACH ROW WHEN (NEW.action = 'trigger.move' AND NEW.object = 'trigger:` + itoa(refused.ID) + `')
		EXECUTE FUNCTION refuse_move()`)
	if _, err := triggers.Move(ctx, b.Pool, b.Manager1, triggers.Change{TriggerID: refused.ID, To: triggers.Contacted}); err == nil ||
		!strings.Contains(err.Error(), "refused at commit") {
		t.Fatalf("the refused move: %v, want it refused at commit", err)
	}
	if s := value[string](t, b.Pool, `SELECT status FROM cross_sell_trigger WHERE id = $1`, refused.ID); s != "new" {
		t.Fatalf("the refused move left the trigger %s, want new", s)
	}
	if n := value[int64](t, b.Pool, `SELECT count(*) FROM webhook_delivery`); n != 1 {
		t.Errorf("%d deliveries, want 1: the move that committed", n)
	}
	drain(t, b.Pool, &webhooks.Worker{DB: b.Pool})
	recv := rcv.received()
	if len(recv) != 1 {
		t.Fatalf("the receiver got %d deliveries, want 1", len(recv))
	}
	var data struct {
		Items []struct {
			TriggerID int64  `json:"trigger_id"`
			From      string `json:"from"`
			To        string `json:"to"`
			MovedBy   string `json:"moved_by"`
		} `json:"items"`
	}
	if err := json.Unmarshal(recv[0].body.Data, &data); err != nil {
		t.Fatal(err)
	}
	if len(data.Items) != 1 || data.Items[0].TriggerID != kept.ID || data.Items[0].From != "new" ||
		data.Items[0].To != "contacted" || data.Items[0].MovedBy != b.Manager1.Login {
		t.Errorf("trigger.moved %s, want trigger %d new to contacted by %s", recv[0].body.Data, kept.ID, b.Manager1.Login)
	}
	if recv[0].verifyErr != nil {
		t.Error(recv[0].verifyErr)
	}
}

// A run that fails sends nightly.finished once, with its error.
func TestFailedRunSendsNightlyFinished(t *testing.T) {
	t.Parallel()
	b := nightlytest.New(t, dbtest.New(t)) // no client, no fact: the run cannot fix its month
	b.Set("webhook.allow_http_private", "1")
	rcv := newReceiver(t, always(http.StatusOK))
	endpoint := register(t, b.Pool, rcv, webhooks.NightlyFinished)
	r := nightly.New(b.Pool, nightly.Options{Settings: b.Settings})
	defer r.Close()
	if _, err := r.Run(context.Background(), nightly.Request{}); err == nil {
		t.Fatal("a run without facts succeeded")
	}
	got := batches(t, b, endpoint, 0)["nightly.finished"]
	if len(got) != 1 || got[0].Data.Status != "failed" {
		t.Fatalf("nightly.finished %+v, want one, failed", got)
	}
}

// idsOf is the sorted trigger ids (trigger events) or client ids (warning
// events) of an event's batches.
func idsOf(bs []batch) []int64 {
	var ids []int64
	for _, bt := range bs {
		for _, it := range bt.Data.Items {
			if strings.HasPrefix(bt.Event, "trigger.") {
				ids = append(ids, it.TriggerID)
			} else {
				ids = append(ids, it.ClientID)
			}
		}
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}

// ids is the sorted first column of sql.
func ids(t *testing.T, b *nightlytest.Bank, sql string, args ...any) []int64 {
	t.Helper()
	rows, err := b.Pool.Query(context.Background(), sql, args...)
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// TestNightlyEventsCommitWithTheRun: the run's events are enqueued in its
// publish transaction: they are all there when it commits, and a run that
// fails at the commit itself (its transaction refused by a deferred
// check, or its connection killed, as a server dying would) enqueues none of
// them, only nightly.finished as failed; the next run, which commits, has
// exactly its events: its shown triggers and the warnings it published.
func TestNightlyEventsCommitWithTheRun(t *testing.T) {
	for _, end := range []struct{ name, body, err string }{
		// The refusal names the events the transaction holds as it commits: all of them.
		{"refused at commit", `RAISE EXCEPTION 'refused at commit with events %',
			(SELECT string_agg(DISTINCT event, ',' ORDER BY event) FROM webhook_delivery)`,
			"refused at commit with events nightly.finished,trigger.raised,warning.raised"},
		{"connection killed at commit", `PERFORM pg_terminate_backend(pg_backend_pid())`, ""},
	} {
		t.Run(end.name, func(t *testing.T) {
			t.Parallel()
			b := bankWithTriggers(t)
			b.Set("warning.level_watch", "1")
			b.Set("warning.level_high", "100")
			rcv := newReceiver(t, always(http.StatusOK))
			all := register(t, b.Pool, rcv, webhooks.TriggerRaised, webhooks.TriggerWon, webhooks.WarningRaised,
				webhooks.WarningLevelChanged, webhooks.WarningCleared, webhooks.NightlyFinished)
			b.Exec(`CREATE FUNCTION end_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$
				BEGIN ` + end.body + `; RETURN NULL; END $$`)
			b.Exec(`CREATE CONSTRAINT TRIGGER end_at_commit AFTER UPDATE ON nightly_run DEFERRABLE INITIALLY DEFERRED
				FOR EACH ROW WHEN (NEW.status = 'succeeded') EXECUTE FUNCTION end_at_commit()`)

			r := nightly.New(b.Pool, nightly.Options{Settings: b.Settings})
			_, err := r.Run(context.Background(), nightly.Request{AsOf: nightlytest.AsOf})
			r.Close()
			if err == nil {
				t.Fatal("the run whose commit fails succeeded")
			}
			if end.err != "" && !strings.Contains(err.Error(), end.err) {
				t.Errorf("the run failed with %v, want %q", err, end.err)
			}
			got := batches(t, b, all, 0)
			if f := got["nightly.finished"]; len(f) != 1 || f[0].Data.Status != "failed" {
				t.Errorf("nightly.finished %+v, want one, failed", f)
			}
			if len(got) != 1 {
				t.Errorf("the failed run enqueued %v, want only nightly.finished", got)
			}
			if n := value[int64](t, b.Pool, `SELECT count(*) FROM cross_sell_trigger`); n != 0 {
				t.Errorf("the failed run left %d triggers", n)
			}

			b.Exec(`DROP TRIGGER end_at_commit ON nightly_run`)
			mark := lastDelivery(t, b)
			run := runNightly(t, b)
			got = batches(t, b, all, mark)
			raised := ids(t, b, `SELECT id FROM cross_sell_trigger WHERE run_id = $1 AND NOT hidden`, run.ID)
			if g := idsOf(got["trigger.raised"]); len(raised) != 4 || !slices.Equal(g, raised) {
				t.Errorf("trigger.raised items %v, the run raised %v (want 4)", g, raised)
			}
			warned := ids(t, b, `SELECT client_id FROM client_warning`)
			if g := idsOf(got["warning.raised"]); len(warned) != 6 || !slices.Equal(g, warned) {
				t.Errorf("warning.raised items %v, the run warned %v (want 6)", g, warned)
			}
			if f := got["nightly.finished"]; len(f) != 1 || f[0].Data.Status != "succeeded" || f[0].Data.RunID != run.ID {
				t.Errorf("nightly.finished %+v, want one, succeeded, run %d", f, run.ID)
			}
			if len(got) != 3 {
				t.Errorf("the run enqueued %d events, want trigger.raised, warning.raised and nightly.finished", len(got))
			}
		})
	}
}
