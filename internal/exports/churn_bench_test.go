package exports_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/relaycrm/relay/internal/access"
	"github.com/relaycrm/relay/internal/db"
	"github.com/relaycrm/relay/internal/demotest"
	"github.com/relaycrm/relay/internal/exports"
	relaymetrics "github.com/relaycrm/relay/internal/metrics"
	"github.com/relaycrm/relay/internal/warnings"
)

// BenchmarkChurnExport times the churn list's export to CSV and to XLSX at
// several sizes and prints each one's rows per second, file size, and this
// process's peak heap and peak RSS while it ran, so that memory can be seen
// to stay flat as the rows grow; and the churn list's first page at each
// size. The warned clients are made up: each size gets its own database,
// cloned from the 2,000-client demo bank after its nightly run, whose warned
// clients (with their scores and segments) are copied by SQL into as many
// new clients as asked, one in 50 named with a leading "=". Run it with
// `make bench-export`; RELAY_BENCH_EXPORT_ROWS sets the sizes (default
// 10000,100000), RELAY_BENCH_EXPORT_FORMATS the formats (default csv,xlsx).
// RELAY_BENCH_EXPORT_DB names an existing database (a copy of the
// 1,000,000-client bench bank) to export whole instead, as it is: its warned
// clients carry every input of their score, which the made-up ones do not.
func BenchmarkChurnExport(b *testing.B) {
	if os.Getenv("RELAY_BENCH") == "" {
		b.Skip("set RELAY_BENCH=1 (make bench-export)")
	}
	sizes := []int{10_000, 100_000}
	if s := os.Getenv("RELAY_BENCH_EXPORT_ROWS"); s != "" {
		sizes = nil
		for _, f := range strings.Split(s, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n < 1 {
				b.Fatalf("RELAY_BENCH_EXPORT_ROWS: %q is not a row count", f)
			}
			sizes = append(sizes, n)
		}
	}
	formats := []exports.Format{exports.CSV, exports.XLSX}
	if s := os.Getenv("RELAY_BENCH_EXPORT_FORMATS"); s != "" {
		formats = nil
		for _, f := range strings.Split(s, ",") {
			format, err := exports.ParseFormat(strings.TrimSpace(f))
			if err != nil {
				b.Fatalf("RELAY_BENCH_EXPORT_FORMATS: %v", err)
			}
			formats = append(formats, format)
		}
	}
	ctx := context.Background()
	var results []result
	var pages []string
	if url := os.Getenv("RELAY_BENCH_EXPORT_DB"); url != "" {
		// An existing bank as it is (the 1,000,000-client bench bank, whose
		// warned clients carry every input of their score), exported whole.
		pool, err := db.Open(ctx, url)
		if err != nil {
			b.Fatal(err)
		}
		defer pool.Close()
		risk, err := exports.GroupViewer(ctx, pool, "")
		if err != nil {
			b.Fatal(err)
		}
		var n int64
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM client_warning`).Scan(&n); err != nil {
			b.Fatal(err)
		}
		for i := 0; i < b.N; i++ {
			results = results[:0]
			for _, format := range formats {
				results = append(results, exportOnce(b, pool, risk, format, n))
			}
		}
		sizes = nil
	}
	for i := 0; i < b.N && len(sizes) > 0; i++ {
		results, pages = results[:0], pages[:0]
		for _, n := range sizes {
			pool := demotest.Scored(b, 2000)
			start := time.Now()
			warnedClients(b, pool, n)
			fmt.Printf("churn export benchmark: %d warned clients made up in %s\n", n, time.Since(start).Round(time.Millisecond))
			risk, err := exports.GroupViewer(ctx, pool, "")
			if err != nil {
				b.Fatal(err)
			}
			pages = append(pages, listTimes(b, pool, n, risk))
			for _, format := range formats {
				results = append(results, exportOnce(b, pool, risk, format, int64(n)))
			}
			pool.Close()
		}
	}
	fmt.Printf("\nchurn list export, %d columns, written to a file (goal, issue 15: at most 5 s per 100,000 rows; memory flat as rows grow); load average %s\n",
		len(exports.ChurnHeader), relaymetrics.LoadAverage())
	fmt.Printf("  %-6s %9s %9s %8s %11s %9s %14s %13s\n", "format", "rows", "time", "goal", "rows/s", "file MB", "peak heap MB", "peak RSS MB")
	for _, r := range results {
		goal := 5 * float64(r.rows) / 100_000
		fmt.Printf("  %-6s %9d %8.2fs %7.2fs %11.0f %9.1f %14.1f %13.1f\n", r.format, r.rows, r.took.Seconds(), goal,
			float64(r.rows)/r.took.Seconds(), float64(r.size)/1e6, r.heapMB, r.rssMB)
		b.ReportMetric(r.took.Seconds(), fmt.Sprintf("%s-%d-s", r.format, r.rows))
		b.ReportMetric(r.heapMB, fmt.Sprintf("%s-%d-heap-MB", r.format, r.rows))
	}
	fmt.Printf("\nchurn list page (25 rows and the count), risk team, median of 10\n")
	for _, p := range pages {
		fmt.Println(p)
	}
}

// result is one export's figures.
type result struct {
	rows          int64
	format        exports.Format
	took          time.Duration
	size          int64
	heapMB, rssMB float64
}

// exportOnce exports the risk team's churn list in format to a file and
// measures it; the list must hold want rows.
func exportOnce(b *testing.B, pool *pgxpool.Pool, risk access.Viewer, format exports.Format, want int64) result {
	b.Helper()
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "churn."+string(format))
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 256<<10)
	runtime.GC()
	debug.FreeOSMemory()
	resetPeakRSS(b)
	sampler := startHeapSampler()
	start := time.Now()
	rows, err := exports.Churn(ctx, pool, risk, w, exports.ChurnOptions{Format: format})
	if err == nil {
		err = w.Flush()
	}
	took := time.Since(start)
	heap := sampler.stop()
	if err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	if rows != want {
		b.Fatalf("%s export wrote %d rows, want %d", format, rows, want)
	}
	return result{rows: rows, format: format, took: took, size: fi.Size(),
		heapMB: float64(heap) / (1 << 20), rssMB: float64(peakRSSKB(b)) / 1024}
}

// warnedClients replaces the demo bank's warned clients with n new ones,
// each a copy of one of them (client, score and warning), so that the churn
// list holds exactly n rows as realistic as the demo's.
func warnedClients(b *testing.B, pool *pgxpool.Pool, n int) {
	b.Helper()
	ctx := context.Background()
	for _, stmt := range []string{
		`CREATE TEMP TABLE bench_map (new_id bigint PRIMARY KEY, tpl_id bigint NOT NULL)`,
		// The refs say which warned client each new one copies.
		`WITH tpl AS (SELECT row_number() OVER (ORDER BY client_id) - 1 AS k, client_id FROM client_warning),
		      src AS (SELECT g, t.client_id AS tpl_id
		              FROM generate_series(1, $1::integer) g JOIN tpl t ON t.k = g % (SELECT count(*) FROM tpl)),
		      ins AS (
		          INSERT INTO client (group_id, bank_id, ref, tax_id, legal_name, branch_id, region_id, industry_id,
		                              size_band, since, manager_id)
		          SELECT c.group_id, c.bank_id, 'B' || s.g || '-' || s.tpl_id, 'B' || lpad(s.g::text, 9, '0'),
		                 CASE WHEN s.g % 50 = 0 THEN '=' ELSE '' END || left(c.legal_name, 180) || ' ' || s.g,
		                 c.branch_id, c.region_id, c.industry_id, c.size_band, c.since, c.manager_id
		          FROM src s JOIN client c ON c.id = s.tpl_id
		          RETURNING id, ref)
		  INSERT INTO bench_map SELECT id, split_part(ref, '-', 2)::bigint FROM ins`,
		`CREATE TEMP TABLE bench_w AS SELECT m.new_id, w.* FROM bench_map m JOIN client_warning w ON w.client_id = m.tpl_id`,
		`UPDATE bench_w SET client_id = new_id`,
		// The warning carries its client's name for the list's order (migration 00007).
		`UPDATE bench_w w SET legal_name = c.legal_name FROM client c WHERE c.id = w.client_id`,
		`ALTER TABLE bench_w DROP COLUMN new_id`,
		`CREATE TEMP TABLE bench_s AS SELECT m.new_id, s.* FROM bench_map m JOIN client_score s ON s.client_id = m.tpl_id`,
		`UPDATE bench_s SET client_id = new_id`,
		`ALTER TABLE bench_s DROP COLUMN new_id`,
		`DELETE FROM client_warning`,
		`INSERT INTO client_warning SELECT * FROM bench_w`,
		`INSERT INTO client_score SELECT * FROM bench_s`,
		`ANALYZE client`, `ANALYZE client_warning`, `ANALYZE client_score`,
	} {
		var args []any
		if strings.Contains(stmt, "$1") {
			args = append(args, n)
		}
		// One connection: the temporary tables live in its session.
		if err := func() error {
			conn, err := pool.Acquire(ctx)
			if err != nil {
				return err
			}
			defer conn.Release()
			_, err = conn.Exec(ctx, stmt, args...)
			return err
		}(); err != nil {
			b.Fatalf("%s: %v", strings.Fields(stmt)[0], err)
		}
	}
	var got int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM client_warning`).Scan(&got); err != nil || got != n {
		b.Fatalf("%d warned clients (%v), want %d", got, err, n)
	}
}

// listTimes times the risk team's first page of the churn list, unfiltered
// and narrowed to high warnings.
func listTimes(b *testing.B, pool *pgxpool.Pool, n int, risk access.Viewer) string {
	b.Helper()
	var out []string
	for _, f := range []struct {
		name   string
		filter warnings.ListFilter
	}{{"all", warnings.ListFilter{PerPage: 25}}, {"high, by value at risk", warnings.ListFilter{PerPage: 25, Level: warnings.High, Sort: "-clv"}}} {
		var times []time.Duration
		for range 10 {
			start := time.Now()
			if _, err := warnings.List(context.Background(), pool, risk, f.filter); err != nil {
				b.Fatal(err)
			}
			times = append(times, time.Since(start))
		}
		slices.Sort(times)
		out = append(out, fmt.Sprintf("%s %.0f ms", f.name, float64(times[len(times)/2].Microseconds())/1000))
	}
	return fmt.Sprintf("  %9d warned clients: %s", n, strings.Join(out, "; "))
}

// heapSampler follows the heap's live and not yet swept objects every
// millisecond and keeps the highest.
type heapSampler struct {
	done chan struct{}
	wg   sync.WaitGroup
	peak uint64
}

func startHeapSampler() *heapSampler {
	s := &heapSampler{done: make(chan struct{})}
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(sample)
			s.peak = max(s.peak, sample[0].Value.Uint64())
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

// resetPeakRSS starts this process's peak resident set size afresh (Linux).
func resetPeakRSS(b *testing.B) {
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		b.Logf("peak RSS cannot be reset (%v): it covers the whole process", err)
	}
}

// peakRSSKB is this process's peak resident set size since the last reset.
func peakRSSKB(b *testing.B) int64 {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb
		}
	}
	return 0
}
