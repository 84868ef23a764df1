package nightly

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/relaycrm/relay/internal/db"
	"github.com/relaycrm/relay/internal/metrics"
	"github.com/relaycrm/relay/internal/settings"
)

// BenchmarkNightly times three whole runs on the benchmark database (make
// bench-nightly loads a 1,000,000-client demo bank into it), the bank's first
// night (every trigger raised: the database's triggers are cleared first), an
// ordinary night on the same data (run in full, as a night with a new feed
// is) and a quiet night (nothing changed since: quick), each against the floor: one plain
// aggregate pass over the months of monthly_fact the run reads (scan_from to
// the as-of month), measured right before and right after the run so that a
// busy machine weighs on both alike. It prints the run's and each step's
// time, the ratio to the floor with its goal beside it (issue 15: an
// ordinary or quiet night at most 3x, a first night at most 4x), the machine's load
// average before and after, the PostgreSQL server's peak memory while the run
// goes (sampled every second, which costs the run nothing) and this process's
// peak RSS. RELAY_BENCH=1 enables it; RELAY_BENCH_DATABASE_URL names the
// database; the quiet night falls RELAY_BENCH_QUIET_DAYS days (default 1)
// after the night before it, as a real one does a day later, so that its
// contacts' days move (0: the same day, which leaves more of the scores as
// they were and flatters the quiet night).
func BenchmarkNightly(b *testing.B) {
	if os.Getenv("RELAY_BENCH") == "" {
		b.Skip("set RELAY_BENCH=1 (make bench-nightly) to run the nightly benchmark")
	}
	url := os.Getenv("RELAY_BENCH_DATABASE_URL")
	if url == "" {
		url = "postgres://relay:relay@127.0.0.1:5432/relay_bench?sslmode=disable"
	}
	ctx := context.Background()
	pool, err := db.Open(ctx, url)
	if err != nil {
		b.Fatal(err)
	}
	defer pool.Close()
	if err := db.Migrate(ctx, db.SQLDB(pool), nil); err != nil {
		b.Fatal(err)
	}
	g, err := db.Gorm(pool)
	if err != nil {
		b.Fatal(err)
	}
	store := settings.NewStore(pool, g)
	var clients, facts int64
	if err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM client), (SELECT count(*) FROM monthly_fact)`).Scan(&clients, &facts); err != nil {
		b.Fatal(err)
	}
	// The months the run reads, as the run works them out (its parameter
	// row's SQL, for the latest month).
	var latest *time.Time
	if err := pool.QueryRow(ctx, queries.Get("runs.latest-month")).Scan(&latest); err != nil || latest == nil {
		b.Fatalf("latest month: %v (or no facts)", err)
	}
	var paramSQL string
	if err := pool.QueryRow(ctx, `SELECT nightly_param_sql(false, NULL, $1, false, 1, 12, now())`, *latest).Scan(&paramSQL); err != nil {
		b.Fatal(err)
	}
	var from, to time.Time
	if err := pool.QueryRow(ctx, `SELECT scan_from, as_of FROM (`+paramSQL+`) p`).Scan(&from, &to); err != nil {
		b.Fatal(err)
	}
	level := slog.LevelInfo
	if os.Getenv("RELAY_BENCH_DEBUG") != "" {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	runner := New(pool, Options{Settings: store, Log: log})
	defer runner.Close()

	// RELAY_BENCH_NIGHTS picks the nights to run, in this order: first,
	// ordinary, quiet (the quiet one needs a night before it).
	nights := []string{"first", "ordinary", "quiet"}
	if v := os.Getenv("RELAY_BENCH_NIGHTS"); v != "" {
		nights = strings.Split(v, ",")
	}
	quietDays := 1
	if v := os.Getenv("RELAY_BENCH_QUIET_DAYS"); v != "" {
		if quietDays, err = strconv.Atoi(v); err != nil {
			b.Fatalf("RELAY_BENCH_QUIET_DAYS: %v", err)
		}
	}
	for i := 0; i < b.N; i++ {
		fmt.Printf("\nnightly benchmark: %d clients, %d monthly facts; the run reads %s to %s\n",
			clients, facts, from.Format("2006-01"), to.Format("2006-01"))
		var took, floor time.Duration
		var pgPeak memPeak
		for _, night := range []struct {
			key, name string
			goal      float64
			full      bool
		}{
			{"first", "first night (no trigger yet)", 4, true},
			{"ordinary", "an ordinary night (same data, run in full as a night with a new feed is)", 3, true},
			{"quiet", "a quiet night (nothing changed since the last: only what depends on the date)", 3, false},
		} {
			if !slices.Contains(nights, night.key) {
				continue
			}
			if night.key == "first" {
				if _, err := pool.Exec(ctx, `TRUNCATE cross_sell_trigger`); err != nil {
					b.Fatal(err)
				}
			}
			floorBuf := dbBuffers(b, pool)
			before, groups := floorPass(b, pool, from, to)
			floorBuf = dbBuffers(b, pool) - floorBuf
			runBuf := dbBuffers(b, pool)
			loadBefore := metrics.LoadAverage()
			sampler := startMemSampler()
			runner.now = time.Now
			if !night.full {
				runner.now = func() time.Time { return time.Now().AddDate(0, 0, quietDays) }
			}
			start := time.Now()
			run, err := runner.Run(ctx, Request{Source: SourceCLI, Full: night.full})
			took = time.Since(start)
			pgPeak = sampler.stop()
			if err != nil {
				b.Fatal(err)
			}
			loadAfter := metrics.LoadAverage()
			runBuf = dbBuffers(b, pool) - runBuf
			after, _ := floorPass(b, pool, from, to)
			floor = (before + after) / 2
			ratio := took.Seconds() / floor.Seconds()
			verdict := "met"
			if ratio > night.goal {
				verdict = "NOT met"
			}
			if !night.full && run.Kind != KindQuick {
				b.Fatalf("the quiet night ran in full: %s", run.Why)
			}
			fmt.Printf("  %s, as of %s: %s (%s)\n", night.name, run.AsOf.Format("2006-01"), took.Round(time.Millisecond), run.Why)
			fmt.Printf("    floor (one aggregate pass over the %d clients' facts of the months read): %s before, %s after\n",
				groups, before.Round(time.Millisecond), after.Round(time.Millisecond))
			fmt.Printf("    %.2fx the floor (goal: at most %gx: %s)\n", ratio, night.goal, verdict)
			fmt.Printf("    buffers read or hit in the database (pg_stat_database, load-independent): the run %d, the floor %d (%.2fx)\n",
				runBuf, floorBuf, float64(runBuf)/float64(max(floorBuf, 1)))
			fmt.Printf("    load average (1, 5, 15 min): %s before, %s after, on %d CPUs\n", loadBefore, loadAfter, runtime.NumCPU())
			for _, st := range run.Steps {
				var counts []string
				for _, c := range st.Counts {
					counts = append(counts, fmt.Sprintf("%s=%d", c.Name, c.Value))
				}
				fmt.Printf("    %-10s %9s %5.2fx  %s\n", st.Name, st.Duration().Round(time.Millisecond),
					st.Duration().Seconds()/floor.Seconds(), strings.Join(counts, " "))
			}
			fmt.Printf("    PostgreSQL peak memory during the run: %d MB proportional (PSS: shared buffers shared out), %d MB private\n",
				pgPeak.pss/1024, pgPeak.private/1024)
		}
		goPeak := metrics.ProcKB("/proc/self/status", "VmHWM:")
		fmt.Printf("  Go process peak RSS: %d MB (target: under 200 MB)\n", goPeak/1024)
		b.ReportMetric(took.Seconds(), "run-s")
		b.ReportMetric(floor.Seconds(), "floor-s")
		b.ReportMetric(took.Seconds()/floor.Seconds(), "x-floor")
		b.ReportMetric(float64(pgPeak.pss)/1024, "pg-peak-MB")
		b.ReportMetric(float64(goPeak)/1024, "go-peak-MB")
	}
}

// dbBuffers is how many buffers the database's backends have read or found
// in shared buffers so far (blks_read + blks_hit), after a pause for the
// backends' statistics to reach it: a count of the work that does not depend
// on the machine's load.
func dbBuffers(b *testing.B, pool *pgxpool.Pool) int64 {
	b.Helper()
	time.Sleep(1500 * time.Millisecond)
	var n int64
	if err := pool.QueryRow(context.Background(),
		`SELECT blks_read + blks_hit FROM pg_stat_database WHERE datname = current_database()`).Scan(&n); err != nil {
		b.Fatal(err)
	}
	return n
}

// floorPass times the floor: one aggregate pass over the facts of the months
// from to to, its answer summed on the server so that the rows do not travel.
// It returns the time and the number of clients.
func floorPass(b *testing.B, pool *pgxpool.Pool, from, to time.Time) (time.Duration, int64) {
	b.Helper()
	start := time.Now()
	var groups int64
	var income, turnover *string
	if err := pool.QueryRow(context.Background(), `
		SELECT count(*), sum(income)::text, sum(turnover)::text
		FROM (SELECT client_id, sum(income) AS income, sum(turnover) AS turnover
		      FROM monthly_fact WHERE month >= $1::date AND month <= $2::date GROUP BY client_id) x`,
		from, to).Scan(&groups, &income, &turnover); err != nil {
		b.Fatal(err)
	}
	return time.Since(start), groups
}

// memPeak is the highest memory the server's processes held together, in kB.
type memPeak struct{ pss, private int64 }

type memSampler struct {
	done chan struct{}
	wg   sync.WaitGroup
	peak memPeak
}

// startMemSampler samples the PostgreSQL processes' memory from /proc every
// second (reading every server process's smaps_rollup more often took CPU
// from the run it measures): PSS counts each shared page once across them, private is what each
// holds alone (work_mem, sorts, hashes).
func startMemSampler() *memSampler {
	s := &memSampler{done: make(chan struct{})}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			m := postgresMemory()
			s.peak.pss = max(s.peak.pss, m.pss)
			s.peak.private = max(s.peak.private, m.private)
			select {
			case <-s.done:
				return
			case <-t.C:
			}
		}
	}()
	return s
}

func (s *memSampler) stop() memPeak {
	close(s.done)
	s.wg.Wait()
	return s.peak
}

func postgresMemory() memPeak {
	var m memPeak
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		comm, err := os.ReadFile(filepath.Join(d, "comm"))
		if err != nil || strings.TrimSpace(string(comm)) != "postgres" {
			continue
		}
		m.pss += metrics.ProcKB(filepath.Join(d, "smaps_rollup"), "Pss:")
		m.private += metrics.ProcKB(filepath.Join(d, "smaps_rollup"), "Private_Dirty:")
	}
	return m
}
