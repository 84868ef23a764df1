package imports

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/relaycrm/relay/internal/db"
	"github.com/relaycrm/relay/internal/metrics"
	"github.com/relaycrm/relay/seeds"
)

// BenchmarkImport imports a feed of a million clients with twelve months of
// facts into an empty database that holds only the reference data, and
// compares it with a plain COPY of the same files into bare tables. Run it
// with `make bench-import` (RELAY_BENCH=1; RELAY_BENCH_CLIENTS sets the size).
// It uses its own databases: relay_import_src (the demo bank the feed is
// exported from, kept between runs), relay_import_copy and relay_import_bench,
// each name followed by RELAY_BENCH_DB_SUFFIX (so that several checkouts can
// share a server).
func BenchmarkImport(b *testing.B) {
	if os.Getenv("RELAY_BENCH") == "" {
		b.Skip("set RELAY_BENCH=1 (make bench-import)")
	}
	ctx := context.Background()
	clients := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("RELAY_BENCH_CLIENTS")); err == nil && v > 0 {
		clients = v
	}
	end := time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC)
	suffix := os.Getenv("RELAY_BENCH_DB_SUFFIX")
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("relay-import-feed-v2-%d%s", clients, suffix))
	if _, err := os.Stat(filepath.Join(dir, Facts.FileName())); err != nil {
		makeBenchFeed(b, ctx, clients, end, dir, suffix)
	}
	var sizes int64
	for _, k := range Kinds {
		fi, err := os.Stat(filepath.Join(dir, k.FileName()))
		if err != nil {
			b.Fatal(err)
		}
		sizes += fi.Size()
	}
	b.Logf("feed: %s, %.0f MB", dir, float64(sizes)/1e6)

	// The plain COPY: the same files into bare tables, no checks, no indexes.
	copyPool := freshDatabase(b, ctx, "relay_import_copy"+suffix)
	copyStart := time.Now()
	var copied int64
	for _, k := range Kinds {
		if _, err := copyPool.Exec(ctx, bareTables[k]); err != nil {
			b.Fatal(err)
		}
		f, err := os.Open(filepath.Join(dir, k.FileName()))
		if err != nil {
			b.Fatal(err)
		}
		conn, err := copyPool.Acquire(ctx)
		if err != nil {
			b.Fatal(err)
		}
		tag, err := conn.Conn().PgConn().CopyFrom(ctx, f, fmt.Sprintf("COPY bare_%s FROM STDIN (FORMAT csv, HEADER)", k))
		conn.Release()
		f.Close()
		if err != nil {
			b.Fatalf("plain copy of %s: %v", k.FileName(), err)
		}
		copied += tag.RowsAffected()
	}
	copyTime := time.Since(copyStart)
	copyPool.Close()

	// Into an empty, migrated database: the feed's reference files set it up.
	pool := freshDatabase(b, ctx, "relay_import_bench"+suffix)
	defer pool.Close()
	if err := db.Migrate(ctx, db.SQLDB(pool), nil); err != nil {
		b.Fatal(err)
	}
	debug.FreeOSMemory() // what making the feed took is not the import's
	resetPeakRSS()
	b.ResetTimer()
	res, err := ImportDir(ctx, pool, dir, Options{Source: SourceCLI, Origin: "benchmark"})
	b.StopTimer()
	peakRSS := peakRSS()
	if err != nil || res.Status != Applied {
		b.Fatalf("import: %v %s %v", err, res.Status, res.Errors)
	}
	rows := res.Rows()
	secs := res.Elapsed().Seconds()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Printf("\nimport of %d clients, %d rows (%.0f MB of CSV):\n", clients, rows, float64(sizes)/1e6)
	for _, st := range res.Steps {
		fmt.Printf("  %-40s %8.2fs\n", st.Name, st.Elapsed.Seconds())
	}
	fmt.Printf("  plain COPY into bare tables: %d rows in %.1fs (%.0f rows/s)\n", copied, copyTime.Seconds(), float64(copied)/copyTime.Seconds())
	fmt.Printf("  import:                      %d rows in %.1fs (%.0f rows/s), %.2f times the plain COPY\n",
		rows, secs, float64(rows)/secs, secs/copyTime.Seconds())
	fmt.Printf("  the import's Go process:     peak RSS %.0f MB, memory from the OS %.0f MB\n", float64(peakRSS)/1e6, float64(ms.Sys)/1e6)
	fmt.Printf("  load average at the end:     %s\n", metrics.LoadAverage())
	b.ReportMetric(float64(rows)/secs, "rows/s")
	b.ReportMetric(secs/copyTime.Seconds(), "x-plain-copy")
	b.ReportMetric(float64(peakRSS)/1e6, "peak-RSS-MB")

	again, err := ImportDir(ctx, pool, dir, Options{Source: SourceCLI, Origin: "benchmark, again"})
	if err != nil || again.Status != Applied {
		b.Fatalf("import again: %v %s", err, again.Status)
	}
	var changed int64
	for _, f := range again.Files {
		changed += f.Inserted + f.Updated
	}
	fmt.Printf("  the same feed again:         %d rows in %.1fs (%.0f rows/s), %d rows changed\n",
		again.Rows(), again.Elapsed().Seconds(), float64(again.Rows())/again.Elapsed().Seconds(), changed)
}

// bareTables hold the feed's files as they are, for the plain COPY.
var bareTables = map[Kind]string{
	Group:      `CREATE TABLE bare_group (code text, name text)`,
	Banks:      `CREATE TABLE bare_banks (code text, name text, currency text, minor_digits integer)`,
	Regions:    `CREATE TABLE bare_regions (code text, name text)`,
	Industries: `CREATE TABLE bare_industries (code text, name text, nace_section text)`,
	Contacts: `CREATE TABLE bare_contacts (bank text, client text, source text, ref text, happened_at timestamptz,
		kind text, started_by text, outcome text, topic text, notes text, "user" text, csat smallint, nps smallint)`,
	Products: `CREATE TABLE bare_products (code text, name text, family text, income_kind text, key_product boolean, active boolean)`,
	Branches: `CREATE TABLE bare_branches (bank text, code text, name text, region text)`,
	Managers: `CREATE TABLE bare_managers (login text, name text, branch text)`,
	Clients: `CREATE TABLE bare_clients (bank text, ref text, tax_id text, legal_name text, branch text, region text,
		industry text, size_band text, since date, left_on date, manager text)`,
	Holdings: `CREATE TABLE bare_holdings (bank text, client text, product text, opened_on date, closed_on date)`,
	Facts: `CREATE TABLE bare_monthly_facts (bank text, client text, month text, tx_count integer, turnover numeric,
		avg_balance numeric, income text)`,
}

// makeBenchFeed loads a demo bank into relay_import_src (unless it holds one
// of that size already) and exports its last twelve months as the feed.
func makeBenchFeed(b *testing.B, ctx context.Context, clients int, end time.Time, dir, suffix string) {
	src := openDatabase(b, ctx, "relay_import_src"+suffix, false)
	var have int
	if err := src.QueryRow(ctx, `SELECT count(*) FROM client`).Scan(&have); err != nil || have != clients {
		src.Close()
		src = freshDatabase(b, ctx, "relay_import_src"+suffix)
		if err := db.Migrate(ctx, db.SQLDB(src), nil); err != nil {
			b.Fatal(err)
		}
		b.Logf("loading a demo bank of %d clients into relay_import_src", clients)
		if _, err := seeds.Load(ctx, src, seeds.Options{Clients: clients, Seed: 1, End: end, Months: 13}); err != nil {
			b.Fatal(err)
		}
	}
	defer src.Close()
	b.Logf("exporting the feed into %s", dir)
	if _, err := ExportDir(ctx, src, dir+".tmp", ExportOptions{FactsFrom: end.AddDate(0, -11, 0)}); err != nil {
		b.Fatal(err)
	}
	if err := os.Rename(dir+".tmp", dir); err != nil {
		b.Fatal(err)
	}
}

// openDatabase connects to one of the benchmark's own databases on the test
// server, creating it when missing (and fresh is false).
func openDatabase(b *testing.B, ctx context.Context, name string, fresh bool) *pgxpool.Pool {
	raw := os.Getenv("RELAY_TEST_DATABASE_URL")
	if raw == "" {
		raw = "postgres://relay:relay@127.0.0.1:5432/relay_test?sslmode=disable"
	}
	u, err := url.Parse(raw)
	if err != nil {
		b.Fatal(err)
	}
	admin, err := db.Open(ctx, u.String())
	if err != nil {
		b.Fatal(err)
	}
	var exists bool
	if err := admin.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		b.Fatal(err)
	}
	if fresh && exists {
		if _, err := admin.Exec(ctx, fmt.Sprintf(`DROP DATABASE %s WITH (FORCE)`, name)); err != nil {
			b.Fatal(err)
		}
		exists = false
	}
	if !exists {
		if _, err := admin.Exec(ctx, fmt.Sprintf(`CREATE DATABASE %s`, name)); err != nil {
			b.Fatal(err)
		}
	}
	admin.Close()
	u.Path = "/" + name
	pool, err := db.Open(ctx, u.String())
	if err != nil {
		b.Fatal(err)
	}
	return pool
}

func freshDatabase(b *testing.B, ctx context.Context, name string) *pgxpool.Pool {
	return openDatabase(b, ctx, name, true)
}

// resetPeakRSS starts the process's peak resident set size afresh (Linux:
// writing 5 to /proc/self/clear_refs), so that the figure is the import's.
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// peakRSS is the process's peak resident set size in bytes (VmHWM), or 0
// where /proc is missing.
func peakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}
