package webhooks_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/relaycrm/relay/internal/dbtest"
	"github.com/relaycrm/relay/internal/nightly/nightlytest"
	"github.com/relaycrm/relay/internal/webhooks"
)

// BenchmarkNightlyEvents times the statement the publish transaction runs
// for the batched webhook events (webhooks.EnqueueNightlyEvents), on RELAY_BENCH_TRIGGERS clients (default 200,000), each
// with a trigger raised by the run and a warning raised (nothing was warned
// before): a first run on a big bank, the worst case. One endpoint wants
// every event. It prints the time, the items per second and the deliveries
// written; each iteration is rolled back.
//
//	RELAY_BENCH_TRIGGERS=1700000 go test -run '^$' -bench NightlyEvents -benchtime 1x ./internal/webhooks/
func BenchmarkNightlyEvents(b *testing.B) {
	n := 200_000
	if v := os.Getenv("RELAY_BENCH_TRIGGERS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			b.Fatal(err)
		}
	}
	bank := nightlytest.New(b, dbtest.New(b))
	ctx := context.Background()
	load := time.Now()
	for _, sql := range []string{
		`INSERT INTO client (id, group_id, bank_id, ref, tax_id, legal_name, branch_id, region_id, industry_id, size_band, since)
		 SELECT g, 1, 1, 'C' || g, 'TAX' || g, 'Client ' || g, 1, 1, 1, 'small', DATE '2020-01-01'
		 FROM generate_series(1, $1::integer) g`,
		`INSERT INTO cross_sell_trigger (client_id, product_id, segment_id, hidden, expected_value, priority, adoption,
		     product_value, best_clients, best_holders, reason, raised_as_of, run_id)
		 SELECT g, 2, 1, false, 120000, 60000, 0.5, 10000, 10, 5, 'bench', DATE '2026-10-01', 1
		 FROM generate_series(1, $1::integer) g`,
		`INSERT INTO nightly_w_level (client_id, score, level) SELECT g, 40, 'watch' FROM generate_series(1, $1::integer) g`,
		`INSERT INTO nightly_w_param (run_id, as_of) VALUES (1, DATE '2026-10-01')`,
		`UPDATE setting SET value = '1' WHERE key = 'webhook.allow_http_private'`,
		`ANALYZE`,
	} {
		var args []any
		if strings.Contains(sql, "$1") {
			args = append(args, n)
		}
		if _, err := bank.Pool.Exec(ctx, sql, args...); err != nil {
			b.Fatalf("%.60s: %v", sql, err)
		}
	}
	events := make([]string, len(webhooks.Events))
	for i, e := range webhooks.Events {
		events[i] = string(e.Event)
	}
	if _, _, err := webhooks.Create(ctx, bank.Pool, admin, webhooks.NewEndpoint{URL: "https://hooks.bank.example/relay", Events: events}); err != nil {
		b.Fatal(err)
	}
	b.Logf("loaded %d clients, triggers and levels in %s", n, time.Since(load).Round(time.Millisecond))
	b.ResetTimer()
	for range b.N {
		tx, err := bank.Pool.Begin(ctx)
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		deliveries, err := webhooks.EnqueueNightlyEvents(ctx, tx)
		if err != nil {
			b.Fatal(err)
		}
		took := time.Since(start)
		var bytes int64
		if err := tx.QueryRow(ctx, `SELECT sum(pg_column_size(payload)) FROM webhook_delivery`).Scan(&bytes); err != nil {
			b.Fatal(err)
		}
		if err := tx.Rollback(ctx); err != nil && err != pgx.ErrTxClosed {
			b.Fatal(err)
		}
		b.ReportMetric(float64(2*n)/took.Seconds(), "items/s")
		fmt.Printf("%d warnings and %d triggers: %s, %d deliveries; %.1f MB of payloads (stored)\n",
			n, n, took.Round(time.Millisecond), deliveries, float64(bytes)/1e6)
	}
}
