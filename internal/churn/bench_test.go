package churn_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/relaycrm/relay/internal/churn"
	"github.com/relaycrm/relay/internal/db"
	"github.com/relaycrm/relay/internal/metrics"
	"github.com/relaycrm/relay/internal/settings"
	"github.com/relaycrm/relay/internal/takeup"
)

// BenchmarkModelFit fits the churn model on the benchmark database (make
// bench-model loads a 1,000,000-client demo bank into it): the replay of the
// months, the fit, and its figures, with the time of each replayed month, the
// Go process's peak RSS and heap, and the load average it ran under.
// RELAY_BENCH=1 enables it; RELAY_BENCH_DATABASE_URL names the database.
func BenchmarkModelFit(b *testing.B) {
	if os.Getenv("RELAY_BENCH") == "" {
		b.Skip("set RELAY_BENCH=1 (make bench-model) to run the model benchmark")
	}
	ctx := context.Background()
	pool, st := benchDB(b)
	var clients, facts int64
	if err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM client), (SELECT count(*) FROM monthly_fact)`).Scan(&clients, &facts); err != nil {
		b.Fatal(err)
	}
	for i := 0; i < b.N; i++ {
		fmt.Printf("\nmodel fit benchmark: %d clients, %d monthly facts; load average before: %s\n", clients, facts, metrics.LoadAverage())
		heap := startHeapSampler()
		start := time.Now()
		out, err := churn.Fit(ctx, pool, st, churn.FitRequest{Progress: func(s string) { fmt.Println("  replayed", s) }})
		took := time.Since(start)
		peakHeap := heap.stop()
		if err != nil {
			b.Fatal(err)
		}
		c := out.Card
		rss := metrics.ProcKB("/proc/self/status", "VmHWM:")
		fmt.Printf("  fit of model %d: %s for %d client-months (%d leavers, %d clients); target: under 10 minutes\n",
			out.ModelID, took.Round(time.Second), c.Rows, c.Positives, c.Entities)
		fmt.Printf("  Go process peak RSS %d MB, peak heap %d MB (target: under 2 GB); load average after: %s\n",
			rss/1024, peakHeap>>20, metrics.LoadAverage())
		fmt.Printf("  out of time (%s): learned AUC %.3f lift %.2f; fixed weights AUC %.3f lift %.2f\n",
			strings.Join(c.TestedOn, ", "), c.Test.AUC, c.Test.Lift10, c.Baseline.AUC, c.Baseline.Lift10)
		b.ReportMetric(took.Seconds(), "fit-s")
		b.ReportMetric(float64(rss)/1024, "go-peak-MB")
		b.ReportMetric(float64(c.Rows), "rows")
	}
}

// BenchmarkTakeupFit fits the take-up model (one per product) on the
// benchmark database: its time, each replayed month, the figures beside the
// ideal-set rule's and popularity's, and the Go process's peak RSS and heap.
// make bench-model runs it in a process of its own after the churn fit.
func BenchmarkTakeupFit(b *testing.B) {
	if os.Getenv("RELAY_BENCH") == "" {
		b.Skip("set RELAY_BENCH=1 (make bench-model) to run the model benchmark")
	}
	ctx := context.Background()
	pool, st := benchDB(b)
	var clients, products int64
	if err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM client), (SELECT count(*) FROM product)`).Scan(&clients, &products); err != nil {
		b.Fatal(err)
	}
	for i := 0; i < b.N; i++ {
		fmt.Printf("\ntake-up fit benchmark: %d clients x %d products; load average before: %s\n", clients, products, metrics.LoadAverage())
		heap := startHeapSampler()
		start := time.Now()
		out, err := takeup.Fit(ctx, pool, st, takeup.FitRequest{Progress: func(s string) { fmt.Println("  ", s) }})
		took := time.Since(start)
		peakHeap := heap.stop()
		if err != nil {
			b.Fatal(err)
		}
		c := out.Bundle.Card
		rss := metrics.ProcKB("/proc/self/status", "VmHWM:")
		fmt.Printf("  fit of take-up model %d: %s for %d client-months (%.1f%% of the clients each month), %d candidates\n",
			out.ModelID, took.Round(time.Second), c.ClientMonths, 100*c.Share, c.Candidates)
		fmt.Printf("  Go process peak RSS %d MB, peak heap %d MB; load average after: %s\n", rss/1024, peakHeap>>20, metrics.LoadAverage())
		fmt.Printf("  out of time (%s): model lift %.2f AUC %.3f; ideal-set rule lift %.2f AUC %.3f; popularity lift %.2f AUC %.3f\n",
			strings.Join(c.TestedOn, ", "), c.Overall.Model.Lift10, c.Overall.Model.AUC, c.Overall.Rule.Lift10,
			c.Overall.Rule.AUC, c.Overall.Popularity.Lift10, c.Overall.Popularity.AUC)
		b.ReportMetric(took.Seconds(), "fit-s")
		b.ReportMetric(float64(rss)/1024, "go-peak-MB")
	}
}

// benchDB opens the benchmark database (RELAY_BENCH_DATABASE_URL; make
// bench-model loads it), migrated, with its settings.
func benchDB(b *testing.B) (*pgxpool.Pool, *settings.Store) {
	url := os.Getenv("RELAY_BENCH_DATABASE_URL")
	if url == "" {
		url = "postgres://relay:relay@127.0.0.1:5432/relay_bench?sslmode=disable"
	}
	ctx := context.Background()
	pool, err := db.Open(ctx, url)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(pool.Close)
	if err := db.Migrate(ctx, db.SQLDB(pool), nil); err != nil {
		b.Fatal(err)
	}
	g, err := db.Gorm(pool)
	if err != nil {
		b.Fatal(err)
	}
	return pool, settings.NewStore(pool, g)
}

// heapSampler records the Go heap's peak, sampled every second.
type heapSampler struct {
	done chan struct{}
	wg   sync.WaitGroup
	peak uint64
}

func startHeapSampler() *heapSampler {
	s := &heapSampler{done: make(chan struct{})}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			s.peak = max(s.peak, m.HeapInuse)
			select {
			case <-s.done:
				return
			case <-t.C:
			}
		}
	}()
	return s
}

func (s *heapSampler) stop() uint64 {
	close(s.done)
	s.wg.Wait()
	return s.peak
}
