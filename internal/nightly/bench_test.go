package nightly

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/relaycrm/relay/internal/db"
	"github.com/relaycrm/relay/internal/settings"
)

// BenchmarkNightly times one whole run on the benchmark database (make
// bench-nightly loads a 1,000,000-client demo bank into it) against the floor:
// one plain aggregate pass over every month of monthly_fact. It prints the
// run's and each step's time, their ratio to the floor, the PostgreSQL
// server's peak memory while the run goes and this process's peak RSS.
// RELAY_BENCH=1 enables it; RELAY_BENCH_DATABASE_URL names the database.
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
	var clients, facts int64
	if err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM client), (SELECT count(*) FROM monthly_fact)`).Scan(&clients, &facts); err != nil {
		b.Fatal(err)
	}
	level := slog.LevelInfo
	if os.Getenv("RELAY_BENCH_DEBUG") != "" {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	runner := New(pool, Options{Settings: settings.NewStore(pool, g), Log: log})
	defer runner.Close()

	for i := 0; i < b.N; i++ {
		// The floor: one aggregate pass over all months, its answer summed on
		// the server so that the rows do not travel.
		start := time.Now()
		var groups int64
		var income, turnover *string
		if err := pool.QueryRow(ctx, `
			SELECT count(*), sum(income)::text, sum(turnover)::text
			FROM (SELECT client_id, sum(income) AS income, sum(turnover) AS turnover FROM monthly_fact GROUP BY client_id) x`,
		).Scan(&groups, &income, &turnover); err != nil {
			b.Fatal(err)
		}
		floor := time.Since(start)

		fmt.Printf("\nnightly benchmark: %d clients, %d monthly facts\n", clients, facts)
		fmt.Printf("  floor: one aggregate pass over monthly_fact (%d clients): %s\n", groups, floor.Round(time.Millisecond))
		// Two runs: the bank's first night, which raises every trigger (the
		// benchmark database's triggers are cleared first), then a night like
		// any other on the same data.
		var took time.Duration
		var pgPeak memPeak
		for i, which := range []string{"first night (no trigger yet)", "an ordinary night (same data)"} {
			if i == 0 {
				if _, err := pool.Exec(ctx, `TRUNCATE cross_sell_trigger`); err != nil {
					b.Fatal(err)
				}
			}
			sampler := startMemSampler()
			start = time.Now()
			run, err := runner.Run(ctx, Request{Source: SourceCLI})
			took = time.Since(start)
			pgPeak = sampler.stop()
			if err != nil {
				b.Fatal(err)
			}
			fmt.Printf("  %s, as of %s: %s, %.2fx the floor (targets: under 5 minutes and under 6x)\n",
				which, run.AsOf.Format("2006-01"), took.Round(time.Millisecond), took.Seconds()/floor.Seconds())
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
		goPeak := readProcKB("/proc/self/status", "VmHWM:")
		fmt.Printf("  Go process peak RSS: %d MB (target: under 200 MB)\n", goPeak/1024)
		b.ReportMetric(took.Seconds(), "run-s")
		b.ReportMetric(floor.Seconds(), "floor-s")
		b.ReportMetric(took.Seconds()/floor.Seconds(), "x-floor")
		b.ReportMetric(float64(pgPeak.pss)/1024, "pg-peak-MB")
		b.ReportMetric(float64(goPeak)/1024, "go-peak-MB")
	}
}

// memPeak is the highest memory the server's processes held together, in kB.
type memPeak struct{ pss, private int64 }

type memSampler struct {
	done chan struct{}
	wg   sync.WaitGroup
	peak memPeak
}

// startMemSampler samples the PostgreSQL processes' memory from /proc every
// 100ms: PSS counts each shared page once across them, private is what each
// holds alone (work_mem, sorts, hashes).
func startMemSampler() *memSampler {
	s := &memSampler{done: make(chan struct{})}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		t := time.NewTicker(100 * time.Millisecond)
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
		m.pss += readProcKB(filepath.Join(d, "smaps_rollup"), "Pss:")
		m.private += readProcKB(filepath.Join(d, "smaps_rollup"), "Private_Dirty:")
	}
	return m
}

// readProcKB reads a "Key:   123 kB" line of a /proc file; 0 when absent.
func readProcKB(path, key string) int64 {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), key); ok {
			fields := strings.Fields(rest)
			if len(fields) > 0 {
				n, _ := strconv.ParseInt(fields[0], 10, 64)
				return n
			}
		}
	}
	return 0
}
