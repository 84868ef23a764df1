package nightly

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/relaycrm/relay/internal/i18n"
	"github.com/relaycrm/relay/internal/nightly/nightlytest"
)

// paramRow is some of a run's parameter row, as the run's statements see it.
type paramRow struct {
	AsOf, ProfitFrom, Cutoff, ContactsTo time.Time
	LevelWatch, LevelHigh, MaxOpen       int
	TxDrop                               float64
	Excluded                             []string
}

const paramRowSQL = `SELECT as_of, profit_from, cutoff, contacts_to, level_watch, level_high, max_open,
	tx_drop::float8, excluded_families FROM `

func readParamRow(t *testing.T, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}, table string) paramRow {
	t.Helper()
	var p paramRow
	if err := q.QueryRow(context.Background(), paramRowSQL+table).Scan(&p.AsOf, &p.ProfitFrom, &p.Cutoff,
		&p.ContactsTo, &p.LevelWatch, &p.LevelHigh, &p.MaxOpen, &p.TxDrop, &p.Excluded); err != nil {
		t.Fatalf("parameter row of %s: %v", table, err)
	}
	return p
}

// runReading runs the chain as of 2026-10 and returns the run's parameter
// row as it stood after the segments step (the run empties it at its end).
func runReading(t *testing.T, b *nightlytest.Bank) paramRow {
	t.Helper()
	r := New(b.Pool, Options{Settings: b.Settings})
	defer r.Close()
	var p paramRow
	r.afterStep = func(step string) error {
		if step == "segments" {
			p = readParamRow(t, b.Pool, "nightly_w_param")
		}
		return nil
	}
	if _, err := r.Run(context.Background(), Request{AsOf: nightlytest.AsOf}); err != nil {
		t.Fatalf("nightly run: %v", err)
	}
	return p
}

// TestChangedSettingReachesTheRun changes settings on the setting table alone
// and finds them in the run's parameter row (with the windows derived from
// them) and in what the run publishes.
func TestChangedSettingReachesTheRun(t *testing.T) {
	t.Parallel()
	b := warnedBank(t)
	p := runReading(t, b)
	if p.LevelWatch != 35 || p.LevelHigh != 60 || p.MaxOpen != 3 || p.TxDrop != 0.4 || len(p.Excluded) != 0 {
		t.Errorf("default parameter row %+v, want the settings' defaults", p)
	}
	if !p.AsOf.Equal(nightlytest.AsOf) || !p.ProfitFrom.Equal(nightlytest.Month(2025, 11)) ||
		!p.Cutoff.Equal(nightlytest.Month(2026, 11)) || !p.ContactsTo.Equal(p.Cutoff) {
		t.Errorf("windows %+v, want as of 2026-10, profit from 2025-11 (12 months), cutoff and contacts to 2026-11-01", p)
	}
	clients := count(t, b, `SELECT count(*) FROM client_score`)
	watched := count(t, b, `SELECT count(*) FROM client_warning WHERE level = 'watch'`)
	if watched == clients {
		t.Fatalf("every one of the %d clients is watched with the defaults: the change below would show nothing", clients)
	}

	b.Set("warning.level_watch", "1") // every scored client is watched
	b.Set("warning.level_high", "100")
	b.Set("segment.profit_window_months", "6")
	b.Set("trigger.excluded_families", " fx, cards ,")
	p = runReading(t, b)
	if p.LevelWatch != 1 || p.LevelHigh != 100 || !slices.Equal(p.Excluded, []string{"fx", "cards"}) {
		t.Errorf("parameter row %+v, want the changed settings (level_watch 1, level_high 100, excluded [fx cards])", p)
	}
	if !p.ProfitFrom.Equal(nightlytest.Month(2026, 5)) {
		t.Errorf("profit_from %s, want 2026-05 (a 6-month window ending 2026-10)", p.ProfitFrom.Format("2006-01"))
	}
	if n := count(t, b, `SELECT count(*) FROM client_warning WHERE level = 'watch'`); n != clients {
		t.Errorf("%d of %d clients watched after level_watch 1 (%d before), want every one", n, clients, watched)
	}
}

// TestBadSettingFailsTheRun gives a setting the run reads a value it cannot
// use: the run fails at once with ErrSettings naming the setting, before the
// feed's import and before any table is written; the published results stay.
// (A number outside the setting's bounds, which only the admin page holds
// values to, is used as before.)
func TestBadSettingFailsTheRun(t *testing.T) {
	t.Parallel()
	b := warnedBank(t)
	runNightly(t, b)
	before := snapshot(t, b.Pool)
	tests := []struct {
		name  string
		set   map[string]string
		wants []string
	}{
		{"a ratio that is not a number", map[string]string{"warning.tx_drop": "forty"},
			[]string{`setting warning.tx_drop: "forty" is not a number`}},
		{"a count with a fraction", map[string]string{"trigger.max_open_per_client": "2.5"},
			[]string{`setting trigger.max_open_per_client: "2.5" is not a whole number`}},
		{"no value", map[string]string{"segment.min_clients": " "},
			[]string{"setting segment.min_clients has no value"}},
		{"two at once, both named", map[string]string{"warning.weight_tx": "2,5", "stage.trend_change": "1e"},
			[]string{"setting stage.trend_change: \"1e\" is not a number",
				"setting warning.weight_tx: \"2,5\" is not a number"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var old []string
			for key, value := range tt.set {
				var v string
				if err := b.Pool.QueryRow(context.Background(), `SELECT value FROM setting WHERE key = $1`, key).Scan(&v); err != nil {
					t.Fatal(err)
				}
				old = append(old, key, v)
				b.Set(key, value)
			}
			defer func() {
				for i := 0; i < len(old); i += 2 {
					b.Set(old[i], old[i+1])
				}
			}()
			imported := false
			r := New(b.Pool, Options{Settings: b.Settings, Import: func(context.Context) ([]Count, error) {
				imported = true
				return nil, nil
			}})
			defer r.Close()
			run, err := r.Run(context.Background(), Request{AsOf: nightlytest.AsOf})
			if !errors.Is(err, ErrSettings) {
				t.Fatalf("run error %v, want ErrSettings", err)
			}
			for _, want := range tt.wants {
				if !strings.Contains(err.Error(), want) || !strings.Contains(run.Error, want) {
					t.Errorf("error %q (recorded %q) does not say %q", err, run.Error, want)
				}
			}
			// kept as data too: the runs page says it again, word for word in
			// English, in Bulgarian and Russian with the same settings
			rec, err := RunByID(context.Background(), b.Pool, run.ID)
			if err != nil {
				t.Fatal(err)
			}
			if rec.ErrorKey != "settings" || ErrorIn(i18n.English, rec.ErrorKey, rec.ErrorArgs, "") != rec.Error {
				t.Errorf("recorded key %q args %s: English %q, want the recorded %q", rec.ErrorKey, rec.ErrorArgs,
					ErrorIn(i18n.English, rec.ErrorKey, rec.ErrorArgs, ""), rec.Error)
			}
			step := rec.Steps[0]
			if step.ErrorKey != "settings" || ErrorIn(i18n.English, step.ErrorKey, step.ErrorArgs, "") != step.Error {
				t.Errorf("step %s recorded key %q: English %q, want the recorded %q", step.Name, step.ErrorKey,
					ErrorIn(i18n.English, step.ErrorKey, step.ErrorArgs, ""), step.Error)
			}
			for _, l := range []i18n.Locale{i18n.Bulgarian, i18n.Russian} {
				said := ErrorIn(l, rec.ErrorKey, rec.ErrorArgs, rec.Error)
				for key := range tt.set {
					if !strings.Contains(said, key) {
						t.Errorf("%s: %q does not name %s", l, said, key)
					}
				}
				for _, english := range []string{"settings are not usable", "is not a", "has no value", "nightly import"} {
					if strings.Contains(said, english) {
						t.Errorf("%s: %q still says %q", l, said, english)
					}
				}
			}
			if run.Status != StatusFailed || imported {
				t.Errorf("run %s, feed imported %v: want failed before the import", run.Status, imported)
			}
			if n := count(t, b, `SELECT count(*) FROM nightly_run_step WHERE run_id = $1 AND status <> 'pending' AND position > 1`, run.ID); n != 0 {
				t.Errorf("%d steps after the first started", n)
			}
			sameSnapshot(t, before, snapshot(t, b.Pool))
		})
	}
	// and a replay (a churn model's fit) refuses them the same way
	b.Set("warning.no_contact_days", "ninety")
	if _, err := OpenReplay(context.Background(), b.Pool, b.Settings, ""); !errors.Is(err, ErrSettings) ||
		!strings.Contains(err.Error(), `setting warning.no_contact_days: "ninety" is not a whole number`) {
		t.Errorf("replay with a bad setting: %v, want ErrSettings naming warning.no_contact_days", err)
	}
}

// TestNightlySettingCannotGoMissing: a setting the run reads cannot be
// deleted while it is registered, so no run can find it missing.
func TestNightlySettingCannotGoMissing(t *testing.T) {
	t.Parallel()
	b := newBank(t)
	_, err := b.Pool.Exec(context.Background(), `DELETE FROM setting WHERE key = 'warning.tx_drop'`)
	if err == nil || !strings.Contains(err.Error(), "setting warning.tx_drop is read by the nightly run (as tx_drop)") {
		t.Fatalf("deleting a nightly setting: %v, want a refusal naming it", err)
	}
}

// TestNewNightlySettingIsOneRow adds a nightly parameter as a migration
// would, with one setting row: the empty working table the statements are
// checked against at start gains its column at once, and the next run's
// parameter row carries its value, typed.
func TestNewNightlySettingIsOneRow(t *testing.T) {
	t.Parallel()
	b := warnedBank(t)
	b.Exec(`INSERT INTO setting (key, value, default_value, kind, min_value, max_value, area, label, description,
	                             nightly_param, nightly_type)
	        VALUES ('warning.test_knob', '0.25', '0.25', 'ratio', 0, 1, 'warnings', 'Test knob', 'A test.',
	                'test_knob', 'numeric')`)
	var typ string
	if err := b.Pool.QueryRow(context.Background(), `SELECT format_type(atttypid, atttypmod) FROM pg_attribute
		WHERE attrelid = 'nightly_w_param'::regclass AND attname = 'test_knob'`).Scan(&typ); err != nil || typ != "numeric" {
		t.Fatalf("the empty parameter table's test_knob: %q, %v; want a numeric column", typ, err)
	}
	r := New(b.Pool, Options{Settings: b.Settings})
	defer r.Close()
	var knob float64
	r.afterStep = func(step string) error {
		if step == "segments" {
			return b.Pool.QueryRow(context.Background(), `SELECT test_knob::float8 FROM nightly_w_param`).Scan(&knob)
		}
		return nil
	}
	if _, err := r.Run(context.Background(), Request{AsOf: nightlytest.AsOf}); err != nil {
		t.Fatalf("nightly run: %v", err)
	}
	if knob != 0.25 {
		t.Errorf("the run's test_knob is %v, want 0.25", knob)
	}
}

// TestReplayReadsTheSettingsOfItsOpening: a replay builds each month's
// parameter row with the run's SQL, from the settings as they were when it
// opened; a change made meanwhile waits for the next replay.
func TestReplayReadsTheSettingsOfItsOpening(t *testing.T) {
	t.Parallel()
	b := warnedBank(t)
	b.Set("warning.weight_tx", "1.25")
	ctx := context.Background()
	r, err := OpenReplay(ctx, b.Pool, b.Settings, "")
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := r.Close(); err != nil {
			t.Error(err)
		}
	}()
	if w := r.Params().Weights; w.Tx != 1.25 || w.Intercept != -4 {
		t.Errorf("replay weights %+v, want tx 1.25 and the default intercept -4", w)
	}
	b.Set("warning.level_watch", "7")
	if err := r.Month(ctx, nightlytest.Month(2026, 6), 0.5, 3); err != nil {
		t.Fatal(err)
	}
	p := readParamRow(t, b.Pool, pgx.Identifier{r.schema, "nightly_w_param"}.Sanitize())
	if !p.AsOf.Equal(nightlytest.Month(2026, 6)) || !p.Cutoff.Equal(nightlytest.Month(2026, 7)) || p.LevelWatch != 35 {
		t.Errorf("replay parameter row %+v, want as of 2026-06 with the level_watch of its opening (35)", p)
	}
	var share float64
	var salt, keep int64
	if err := b.Pool.QueryRow(ctx, `SELECT sample_share, sample_salt, keep_months FROM `+
		pgx.Identifier{r.schema, "nightly_w_param"}.Sanitize()).Scan(&share, &salt, &keep); err != nil {
		t.Fatal(err)
	}
	if share != 0.5 || salt != 2026*12+6 || keep != 3 {
		t.Errorf("replay sample %v, salt %d, keep %d; want 0.5, %d, 3", share, salt, keep, 2026*12+6)
	}
	if r.params.SampleShare != 0.5 {
		t.Errorf("the replay's weights read back share %v, want 0.5", r.params.SampleShare)
	}
}

// TestParamValuesAreTheRunsSet: the run's Go code that reads settings (the
// take-up offers) gets every registered setting back from the parameter row
// as the setting table held it when the row was built, whatever is saved
// since.
func TestParamValuesAreTheRunsSet(t *testing.T) {
	t.Parallel()
	b := newBank(t)
	b.Set("trigger.excluded_families", "fx,cards")
	b.Set("trigger.interest_weight", "0.25")
	ctx := context.Background()
	want := map[string]string{}
	rows, err := b.Pool.Query(ctx, `SELECT key, value FROM setting WHERE nightly_param IS NOT NULL`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			t.Fatal(err)
		}
		want[k] = v
	}
	if err := rows.Err(); err != nil || len(want) < 30 {
		t.Fatalf("registered settings: %d, %v", len(want), err)
	}
	b.Exec(`DROP TABLE nightly_w_param`)
	b.Exec(`SELECT nightly_param(1, '2026-10-01', false)`)
	b.Set("trigger.interest_weight", "0.75") // saved while the run goes on
	b.Set("trigger.excluded_families", "")
	got := map[string]string{}
	rows, err = b.Pool.Query(ctx, queries.Get("runs.param-values"))
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			t.Fatal(err)
		}
		got[k] = v
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: the run's value %q, want %q (the value when its row was built)", k, got[k], v)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d values back, want %d", len(got), len(want))
	}
}
