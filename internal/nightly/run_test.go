package nightly

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/relaycrm/relay/internal/db"
	"github.com/relaycrm/relay/internal/exports"
	"github.com/relaycrm/relay/internal/nightly/nightlytest"
	"github.com/relaycrm/relay/internal/segments"
	"github.com/relaycrm/relay/internal/triggers"
	"github.com/relaycrm/relay/internal/warnings"
	"github.com/relaycrm/relay/internal/worklist"
)

// published are the tables a run publishes or changes, with the order that
// makes their content comparable.
var published = map[string]string{
	"segment_profile":    "segment_id",
	"segment_product":    "segment_id, product_id",
	"segment_stage":      "segment_id, stage",
	"client_score":       "client_id",
	"client_warning":     "client_id",
	"cross_sell_trigger": "id",
	"segment":            "id",
}

// snapshot is a digest of every published table's content.
func snapshot(t *testing.T, q db.Querier) map[string]string {
	t.Helper()
	out := map[string]string{}
	for table, order := range published {
		var digest string
		err := q.QueryRow(context.Background(), fmt.Sprintf(
			`SELECT count(*) || ':' || coalesce(md5(string_agg(x::text, '|' ORDER BY %s)), '') FROM %s x`, order, table)).Scan(&digest)
		if err != nil {
			t.Fatalf("snapshot %s: %v", table, err)
		}
		out[table] = digest
	}
	return out
}

func sameSnapshot(t *testing.T, before, after map[string]string) {
	t.Helper()
	for table, d := range before {
		if after[table] != d {
			t.Errorf("%s changed: %s, then %s", table, d, after[table])
		}
	}
}

// warnedBank is the retail segment plus clients that show churn signals.
func warnedBank(t *testing.T) *nightlytest.Bank {
	b := newBank(t)
	b.Set("segment.min_clients", "5")
	retailSegment(b)
	for i, f := range []int64{0, 20000, 0} {
		f := f
		b.Add(nightlytest.Client{Ref: fmt.Sprintf("X%d", i), Since: since18, Facts: recent(func(x *nightlytest.Fact) { x.Turnover, x.Balance = f, f })})
	}
	return b
}

func TestSecondRunChangesNothing(t *testing.T) {
	t.Parallel()
	b := warnedBank(t)
	runNightly(t, b)
	before := snapshot(t, b.Pool)
	if strings.HasPrefix(before["client_warning"], "0:") || strings.HasPrefix(before["cross_sell_trigger"], "0:") {
		t.Fatalf("the first run raised no warning or no trigger: %v", before)
	}
	runNightly(t, b)
	sameSnapshot(t, before, snapshot(t, b.Pool))
}

// TestFailedRunLeavesResults fails runs part-way, after building and inside
// the final switch, and checks that the previous results stay exactly as
// they were and the run is recorded as failed.
func TestFailedRunLeavesResults(t *testing.T) {
	for _, at := range []string{"warnings", "publish:switch"} {
		t.Run("failure at "+at, func(t *testing.T) {
			t.Parallel()
			b := warnedBank(t)
			runNightly(t, b)
			// New data a successful run would publish: another month of a client, a trigger closed.
			b.Exec(`UPDATE monthly_fact SET income = income * 2, product_income = ARRAY[income * 2] WHERE month = '2026-10-01' AND product_ids = '{1}'`)
			b.Exec(`UPDATE cross_sell_trigger SET status = 'dismissed', status_reason = 'test', closed_at = now() - interval '1 year' WHERE id = (SELECT min(id) FROM cross_sell_trigger)`)
			before := snapshot(t, b.Pool)

			r := New(b.Pool, Options{Settings: b.Settings})
			boom := errors.New("injected failure")
			r.afterStep = func(step string) error {
				if step == at {
					return boom
				}
				return nil
			}
			run, err := r.Run(context.Background(), Request{AsOf: nightlytest.AsOf})
			if !errors.Is(err, boom) {
				t.Fatalf("run error %v, want the injected failure", err)
			}
			sameSnapshot(t, before, snapshot(t, b.Pool))
			if run.Status != StatusFailed || !strings.Contains(run.Error, "injected failure") || run.FinishedAt.IsZero() {
				t.Errorf("run recorded as %s %q", run.Status, run.Error)
			}
			if n := count(t, b, `SELECT count(*) FROM pg_class WHERE relname LIKE '%\_new' AND relkind = 'r'`); n != 0 {
				t.Errorf("%d unfinished tables left behind", n)
			}
			// The next run succeeds and publishes.
			runNightly(t, b)
			if after := snapshot(t, b.Pool); after["client_score"] == before["client_score"] {
				t.Errorf("the run after the failure published nothing new")
			}
		})
	}
}

// TestOneRunAtATime holds the lock as another server would.
func TestOneRunAtATime(t *testing.T) {
	t.Parallel()
	b := warnedBank(t)
	ctx := context.Background()
	conn, err := pgx.ConnectConfig(ctx, b.Pool.Config().ConnConfig.Copy())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, lockKey); err != nil {
		t.Fatal(err)
	}
	r := New(b.Pool, Options{Settings: b.Settings})
	defer r.Close()
	if _, err := r.Run(ctx, Request{}); !errors.Is(err, ErrRunning) {
		t.Fatalf("run while locked: %v, want ErrRunning", err)
	}
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_unlock($1)`, lockKey); err != nil {
		t.Fatal(err)
	}
	id, err := r.Start(ctx, Request{Source: SourceManual})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		run, err := RunByID(ctx, b.Pool, id)
		if err != nil {
			t.Fatal(err)
		}
		if run.Status != StatusRunning {
			if run.Status != StatusSucceeded || len(run.Steps) != 7 || run.Source != SourceManual {
				t.Fatalf("background run: %s, %d steps, source %s", run.Status, len(run.Steps), run.Source)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("background run did not end")
		}
		time.Sleep(50 * time.Millisecond)
	}
	page, err := Runs(ctx, b.Pool, 10, 0)
	if err != nil || page.Total != 1 || page.Runs[0].Steps[1].Name != "segments" {
		t.Fatalf("runs: %+v, %v", page, err)
	}
}

// TestQueriesCheck prepares every query of the nightly packages on a fresh
// database and after a run, and checks that the published tables keep the
// columns migration 00002 gives them.
func TestQueriesCheck(t *testing.T) {
	t.Parallel()
	b := warnedBank(t)
	ctx := context.Background()
	columns := func() string {
		var s string
		err := b.Pool.QueryRow(ctx, `
			SELECT string_agg(table_name || '.' || column_name || ' ' || data_type, ', ' ORDER BY table_name, ordinal_position)
			FROM information_schema.columns
			WHERE table_schema = 'public' AND table_name IN ('segment_profile', 'segment_product', 'segment_stage', 'client_score', 'client_warning')`).Scan(&s)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	check := func(when string) {
		if err := db.CheckAll(ctx, b.Pool, SQL, segments.SQL, triggers.SQL, warnings.SQL, exports.SQL, worklist.SQL); err != nil {
			t.Errorf("queries %s: %v", when, err)
		}
	}
	check("on a fresh database")
	migrated := columns()
	runNightly(t, b)
	check("after a run")
	if built := columns(); built != migrated {
		t.Errorf("published tables differ from migration 00002:\nmigration: %s\nbuilt:     %s", migrated, built)
	}
}
