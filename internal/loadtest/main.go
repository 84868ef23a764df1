// Command loadtest drives a running `relay serve` with the pages of every
// role at a fixed rate (an open loop: requests go out on time whether or not
// the earlier ones have been answered), and prints per page the requests,
// errors and latency percentiles, and the server's memory over the run from
// its /metrics. It is not part of Relay: `make bench-load-test` runs it
// against the 1,000,000-client benchmark bank, alone and during a nightly run.
//
//	go run ./internal/loadtest --url http://127.0.0.1:8112 --database-url postgres://... --rate 200 --duration 60s
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/relaycrm/relay/internal/metrics"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

// user is a signed-in virtual user and the pages it opens.
type user struct {
	login string
	role  string
	http  *http.Client
	csrf  string
	pages []page
}

// page is a request a user makes, named for the report.
type page struct {
	name, method, path string
	form               url.Values
	weight             int
}

type result struct {
	page   string
	sentAt time.Duration // after the start of the measured load
	took   time.Duration
	status int
	err    error
}

func run() error {
	base := flag.String("url", "http://127.0.0.1:8080", "the running server")
	dbURL := flag.String("database-url", os.Getenv("RELAY_BENCH_DATABASE_URL"), "its database, to pick logins and clients")
	password := flag.String("password", "relay-demo-2026", "the demo users' password")
	rate := flag.Int("rate", 200, "requests a second")
	duration := flag.Duration("duration", 60*time.Second, "how long to send")
	managers := flag.Int("managers", 40, "personal managers signed in")
	heads := flag.Int("heads", 8, "branch heads signed in")
	label := flag.String("label", "pages", "what this run is, for the report")
	maxP99 := flag.Duration("max-p99", 250*time.Millisecond, "the p99 the run must stay under")
	nightly := flag.Bool("nightly", false, "send the load while a nightly run runs (started with --relay, stopped at the end)")
	relayBin := flag.String("relay", "bin/relay", "the relay binary that runs the nightly job (with --nightly)")
	headStart := flag.Duration("nightly-head-start", 15*time.Second, "how long the nightly run runs before the load starts")
	warmup := flag.Duration("warmup", 10*time.Second, "how long the same load is sent before the measured one, not counted "+
		"(a server just started opens its database connections and fills its caches then)")
	flag.Parse()
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, *dbURL)
	if err != nil {
		return err
	}
	defer pool.Close()

	users, err := signIn(ctx, pool, *base, *password, *managers, *heads)
	if err != nil {
		return err
	}
	if *nightly {
		stop, err := startNightly(*relayBin, *dbURL, *headStart)
		if err != nil {
			return err
		}
		defer stop()
	}
	fmt.Printf("%s: %d users signed in; %d requests a second for %s after a warm-up of %s; load average %s\n", *label,
		len(users), *rate, *duration, *warmup, metrics.LoadAverage())

	var rss []float64
	stopRSS := sampleRSS(*base, &rss)
	rng := rand.New(rand.NewPCG(1, 2))
	if *warmup > 0 {
		warm, _ := send(users, rng, *base, *rate, *warmup)
		fmt.Printf("warm-up (not counted): %d requests in %s, %s\n", len(warm), *warmup, summary(warm))
	}
	dbBefore, err := readDBTime(ctx, pool)
	if err != nil {
		return err
	}
	collected, sent := send(users, rng, *base, *rate, *duration)
	stopRSS()
	// The server's statistics reach pg_stat_database when its sessions go
	// idle, at most a second or so later.
	time.Sleep(2 * time.Second)
	dbAfter, err := readDBTime(ctx, pool)
	if err != nil {
		return err
	}
	fmt.Printf("load average at the end %s\n", metrics.LoadAverage())
	return report(*label, collected, sent, *duration, rss, *maxP99, dbAfter.minus(dbBefore), *nightly)
}

// dbTime is the database's cumulative time in statements and in sessions,
// and its transactions, from pg_stat_database (PostgreSQL 14 and later): a
// benchmark database serves nobody else, so its difference over a run is
// what the run's requests cost the database.
type dbTime struct {
	active, busy time.Duration // executing statements; in sessions (any state)
	xacts        int64
}

func (a dbTime) minus(b dbTime) dbTime {
	return dbTime{active: a.active - b.active, busy: a.busy - b.busy, xacts: a.xacts - b.xacts}
}

func readDBTime(ctx context.Context, pool *pgxpool.Pool) (dbTime, error) {
	var active, session float64
	var t dbTime
	if err := pool.QueryRow(ctx, `SELECT active_time, session_time, xact_commit + xact_rollback
		FROM pg_stat_database WHERE datname = current_database()`).Scan(&active, &session, &t.xacts); err != nil {
		return t, fmt.Errorf("read pg_stat_database: %w", err)
	}
	t.active = time.Duration(active * float64(time.Millisecond))
	t.busy = time.Duration(session * float64(time.Millisecond))
	return t, nil
}

// startNightly starts `relay nightly` on the database and waits headStart;
// stop ends it (a stopped run leaves the results as they were) and waits.
func startNightly(relayBin, dbURL string, headStart time.Duration) (stop func(), err error) {
	log, err := os.CreateTemp("", "relay-load-test-nightly-*.log")
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(relayBin, "--database-url", dbURL, "nightly")
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		log.Close()
		return nil, fmt.Errorf("start the nightly run: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	fmt.Printf("nightly run started (pid %d, log %s); the load starts in %s\n", cmd.Process.Pid, log.Name(), headStart)
	select {
	case err := <-exited:
		log.Close()
		return nil, fmt.Errorf("the nightly run ended before the load started (%v): see %s", err, log.Name())
	case <-time.After(headStart):
	}
	return func() {
		select {
		case err := <-exited:
			fmt.Printf("the nightly run ended during the load (%v)\n", err)
		default:
			_ = cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-exited:
			case <-time.After(30 * time.Second):
				_ = cmd.Process.Kill()
				<-exited
			}
			fmt.Println("the nightly run was still running at the end of the load and was stopped")
		}
		log.Close()
	}, nil
}

// send sends the users' pages at rate requests a second for d (an open
// loop: a request goes out on time whether or not the earlier ones were
// answered; over 2,000 in flight, it is counted an error unsent) and returns
// every request's result once all are answered, and how many were sent.
func send(users []*user, rng *rand.Rand, base string, rate int, d time.Duration) ([]result, int) {
	results := make(chan result, 4096)
	var collected []result
	done := make(chan struct{})
	go func() {
		for r := range results {
			collected = append(collected, r)
		}
		close(done)
	}()
	var wg sync.WaitGroup
	inFlight := make(chan struct{}, 2000)
	tick := time.NewTicker(time.Second / time.Duration(rate))
	start := time.Now()
	end := start.Add(d)
	sent := 0
	for now := range tick.C {
		if now.After(end) {
			break
		}
		u := users[rng.IntN(len(users))]
		p := pick(rng, u.pages)
		at := now.Sub(start)
		sent++
		select {
		case inFlight <- struct{}{}:
		default:
			results <- result{page: p.name, sentAt: at, err: errors.New("more than 2000 requests in flight")}
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-inFlight }()
			r := do(u, base, p)
			r.sentAt = at
			results <- r
		}()
	}
	tick.Stop()
	wg.Wait()
	close(results)
	<-done
	return collected, sent
}

// summary is the p50 and p99 of the answered requests of rs, and its errors.
func summary(rs []result) string {
	var ds []time.Duration
	for _, r := range rs {
		if r.err == nil {
			ds = append(ds, r.took)
		}
	}
	slices.Sort(ds)
	return fmt.Sprintf("p50 %s, p99 %s, %d errors", percentile(ds, .5).Round(100*time.Microsecond),
		percentile(ds, .99).Round(100*time.Microsecond), len(rs)-len(ds))
}

func pick(rng *rand.Rand, pages []page) page {
	total := 0
	for _, p := range pages {
		total += p.weight
	}
	n := rng.IntN(total)
	for _, p := range pages {
		if n < p.weight {
			return p
		}
		n -= p.weight
	}
	return pages[0]
}

var csrfInput = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

func do(u *user, base string, p page) result {
	var body io.Reader
	if p.form != nil {
		f := url.Values{}
		for k, v := range p.form {
			f[k] = v
		}
		f.Set("_csrf", u.csrf)
		body = strings.NewReader(f.Encode())
	}
	req, err := http.NewRequest(p.method, base+p.path, body)
	if err != nil {
		return result{page: p.name, err: err}
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	start := time.Now()
	res, err := u.http.Do(req)
	if err != nil {
		return result{page: p.name, took: time.Since(start), err: err}
	}
	_, err = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	r := result{page: p.name, took: time.Since(start), status: res.StatusCode, err: err}
	ok := res.StatusCode == http.StatusOK || (p.method == http.MethodPost && res.StatusCode == http.StatusSeeOther)
	if r.err == nil && !ok {
		r.err = fmt.Errorf("status %d", res.StatusCode)
	}
	return r
}

// signIn signs in managers and branch heads of the demo bank (those with the
// most clients), the risk team and an admin, and gives each its pages.
func signIn(ctx context.Context, pool *pgxpool.Pool, base, password string, managers, heads int) ([]*user, error) {
	rows, err := pool.Query(ctx, `
		(SELECT u.login, u.role, array_agg(c.id ORDER BY c.id) FILTER (WHERE c.id IS NOT NULL)
		 FROM app_user u JOIN client c ON c.manager_id = u.id
		 WHERE u.role = 'manager' AND u.active GROUP BY u.id ORDER BY u.id LIMIT $1)
		UNION ALL
		(SELECT u.login, u.role, NULL FROM app_user u WHERE u.role = 'branch_head' AND u.active ORDER BY u.id LIMIT $2)
		UNION ALL
		(SELECT u.login, u.role, NULL FROM app_user u WHERE u.role IN ('risk', 'admin') AND u.active ORDER BY u.id LIMIT 2)`,
		managers, heads)
	if err != nil {
		return nil, fmt.Errorf("pick users: %w", err)
	}
	type who struct {
		login, role string
		clients     []int64
	}
	var ws []who
	for rows.Next() {
		var w who
		if err := rows.Scan(&w.login, &w.role, &w.clients); err != nil {
			return nil, err
		}
		ws = append(ws, w)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var segment int64
	if err := pool.QueryRow(ctx, `SELECT segment_id FROM segment_profile ORDER BY size DESC LIMIT 1`).Scan(&segment); err != nil {
		return nil, fmt.Errorf("pick a segment: %w", err)
	}
	var users []*user
	for _, w := range ws {
		jar, _ := cookiejar.New(nil)
		u := &user{login: w.login, role: w.role, http: &http.Client{Jar: jar, Timeout: 30 * time.Second,
			Transport:     &http.Transport{MaxIdleConnsPerHost: 16},
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
		if err := u.signIn(base, password); err != nil {
			return nil, fmt.Errorf("sign in %s: %w", w.login, err)
		}
		seg := fmt.Sprintf("/segments/%d", segment)
		switch w.role {
		case "manager":
			card := func(i int) string { return fmt.Sprintf("/clients/%d", w.clients[i%len(w.clients)]) }
			u.pages = []page{
				{"manager worklist", "GET", "/worklist", nil, 20},
				{"manager client list", "GET", "/clients", nil, 10},
				{"manager search", "GET", "/clients?q=trade", nil, 5},
				{"manager card", "GET", card(0), nil, 15},
				{"manager card", "GET", card(1), nil, 15},
				{"manager churn list", "GET", "/churn", nil, 5},
				{"manager segment", "GET", seg, nil, 3},
				{"manager logs a contact", "POST", fmt.Sprintf("/clients/%d/contacts", w.clients[0]),
					url.Values{"kind": {"call"}, "happened_at": {time.Now().Add(-time.Hour).Format("2006-01-02T15:04")},
						"outcome": {"reached"}, "notes": {"load test"}}, 2},
			}
		case "branch_head":
			u.pages = []page{
				{"head pipeline", "GET", "/pipeline", nil, 10},
				{"head client list", "GET", "/clients", nil, 5},
				{"head churn list", "GET", "/churn", nil, 5},
				{"head segments", "GET", "/segments", nil, 2},
			}
		case "risk":
			u.pages = []page{
				{"risk churn list", "GET", "/churn", nil, 10},
				{"risk high warnings", "GET", "/churn?level=high", nil, 5},
				{"risk client list", "GET", "/clients", nil, 5},
				{"risk search", "GET", "/clients?q=agro", nil, 3},
				{"risk segments", "GET", "/segments", nil, 3},
			}
		case "admin":
			u.pages = []page{
				{"admin runs", "GET", "/admin/runs", nil, 3},
				{"admin audit", "GET", "/admin/audit", nil, 3},
				{"admin users", "GET", "/admin/users", nil, 3},
			}
		}
		users = append(users, u)
	}
	return users, nil
}

func (u *user) signIn(base, password string) error {
	get := func(path string) (string, error) {
		res, err := u.http.Get(base + path)
		if err != nil {
			return "", err
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		return string(b), err
	}
	page, err := get("/login")
	if err != nil {
		return err
	}
	m := csrfInput.FindStringSubmatch(page)
	if m == nil {
		return errors.New("no CSRF token on the sign-in page")
	}
	res, err := u.http.PostForm(base+"/login", url.Values{"login": {u.login}, "password": {password}, "_csrf": {m[1]}})
	if err != nil {
		return err
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		return fmt.Errorf("sign-in answered %d", res.StatusCode)
	}
	home := "/worklist"
	switch u.role {
	case "branch_head":
		home = "/pipeline"
	case "risk":
		home = "/churn"
	case "admin":
		home = "/admin/users"
	}
	page, err = get(home)
	if err != nil {
		return err
	}
	if m = csrfInput.FindStringSubmatch(page); m == nil {
		return fmt.Errorf("no CSRF token on %s", home)
	}
	u.csrf = m[1]
	return nil
}

// sampleRSS reads the server's resident memory from /metrics every two
// seconds until the returned function is called.
func sampleRSS(base string, out *[]float64) (stop func()) {
	quit := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(2 * time.Second)
		defer t.Stop()
		for {
			if v, err := metric(base, "process_resident_memory_bytes"); err == nil {
				*out = append(*out, v)
			}
			select {
			case <-quit:
				return
			case <-t.C:
			}
		}
	}()
	return func() { close(quit); wg.Wait() }
}

func metric(base, name string) (float64, error) {
	res, err := http.Get(base + "/metrics")
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			return strconv.ParseFloat(v, 64)
		}
	}
	return 0, fmt.Errorf("no %s in /metrics (status %d)", name, res.StatusCode)
}

func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(p*float64(len(sorted))+0.5) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func report(label string, rs []result, sent int, d time.Duration, rss []float64, maxP99 time.Duration, dbt dbTime,
	nightly bool) error {
	byPage := map[string][]time.Duration{}
	errs := map[string]int{}
	var all []time.Duration
	var firstErr error
	for _, r := range rs {
		if r.err != nil {
			errs[r.page]++
			if firstErr == nil {
				firstErr = fmt.Errorf("%s: %w", r.page, r.err)
			}
			continue
		}
		byPage[r.page] = append(byPage[r.page], r.took)
		all = append(all, r.took)
	}
	names := make([]string, 0, len(byPage))
	for n := range byPage {
		names = append(names, n)
	}
	slices.Sort(names)
	fmt.Printf("\n%-24s %7s %6s %8s %8s %8s %8s\n", "page", "count", "errors", "p50", "p95", "p99", "max")
	row := func(name string, ds []time.Duration, e int) {
		slices.Sort(ds)
		ms := func(x time.Duration) string { return fmt.Sprintf("%.1fms", float64(x.Microseconds())/1000) }
		fmt.Printf("%-24s %7d %6d %8s %8s %8s %8s\n", name, len(ds)+e, e, ms(percentile(ds, .5)), ms(percentile(ds, .95)),
			ms(percentile(ds, .99)), ms(percentile(ds, 1)))
	}
	total := 0
	for _, n := range names {
		row(n, byPage[n], errs[n])
	}
	for _, e := range errs {
		total += e
	}
	row("ALL", all, total)
	slices.Sort(all)
	p99 := percentile(all, .99)
	answered := len(rs) - total
	fmt.Printf("\n%s: sent %d in %s (%.0f/s); answered %d (%.0f/s achieved); %d errors; p99 %s (goal %s)\n", label, sent,
		d, float64(sent)/d.Seconds(), answered, float64(answered)/d.Seconds(), total, p99.Round(100*time.Microsecond), maxP99)
	switch {
	case len(rs) > 0 && nightly:
		// The nightly run's statements are in the database's time too.
		fmt.Printf("database: %.0f s in statements over the run, the nightly run's included (%.1f ms a request with it)\n",
			dbt.active.Seconds(), float64(dbt.active.Microseconds())/1000/float64(len(rs)))
	case len(rs) > 0:
		// What one request costs the database: its time in statements (CPU,
		// and waits for I/O and locks) over the run, per request sent.
		fmt.Printf("database: %.0f s in statements over the run (%.1f ms a request, %.2f transactions a request); "+
			"at that cost one core of database serves about %.0f requests a second\n",
			dbt.active.Seconds(), float64(dbt.active.Microseconds())/1000/float64(len(rs)),
			float64(dbt.xacts)/float64(len(rs)), float64(len(rs))/max(dbt.active.Seconds(), 0.001))
	}
	// by when the requests were sent: a backlog shows as the windows whose
	// p99 is seconds, and whether it drains
	const window = 10 * time.Second
	var windows [][]result
	for _, r := range rs {
		i := int(r.sentAt / window)
		for len(windows) <= i {
			windows = append(windows, nil)
		}
		windows[i] = append(windows[i], r)
	}
	for i, w := range windows {
		fmt.Printf("  sent %3d-%3d s: %5d requests, %s\n", i*int(window.Seconds()), (i+1)*int(window.Seconds()), len(w), summary(w))
	}
	if len(rss) > 0 {
		lo, hi := slices.Min(rss), slices.Max(rss)
		fmt.Printf("server memory (RSS, every 2 s): first %.0f MB, last %.0f MB, min %.0f MB, max %.0f MB\n",
			rss[0]/1e6, rss[len(rss)-1]/1e6, lo/1e6, hi/1e6)
	}
	switch {
	case total > 0:
		return fmt.Errorf("%d errors, the first: %v", total, firstErr)
	case p99 > maxP99:
		return fmt.Errorf("p99 %s is over %s", p99, maxP99)
	}
	return nil
}
