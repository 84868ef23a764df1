package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/relaycrm/relay/internal/db"
	"github.com/relaycrm/relay/internal/dbtest"
	"github.com/relaycrm/relay/seeds"
)

// TestMain lets the tests run this test binary as `relay` itself, so that
// they can start servers and kill runs and imports as processes.
func TestMain(m *testing.M) {
	if os.Getenv("RELAY_TEST_AS_RELAY") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// relayCmd is `relay args...` on the database at dbURL.
func relayCmd(t testing.TB, dbURL string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"--database-url", dbURL}, args...)...)
	cmd.Env = append(os.Environ(), "RELAY_TEST_AS_RELAY=1", "RELAY_LOG_FORMAT=text")
	return cmd
}

func mustRelay(t testing.TB, dbURL string, args ...string) string {
	t.Helper()
	out, err := relayCmd(t, dbURL, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("relay %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// server is a `relay serve` process.
type server struct {
	url string
	cmd *exec.Cmd
	log *bytes.Buffer
}

func serve(t *testing.T, dbURL string, env ...string) *server {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	cmd := relayCmd(t, dbURL, "serve", "--addr", addr)
	cmd.Env = append(cmd.Env, env...)
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &syncWriter{w: &log}, &syncWriter{w: &log}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{url: "http://" + addr, cmd: cmd, log: &log}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("server %s log:\n%s", addr, log.String())
		}
	})
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if res, err := http.Get(s.url + "/healthz"); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return s
			}
		}
	}
	t.Fatalf("relay serve did not come up:\n%s", log.String())
	return nil
}

type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// browser is a signed-in user: a cookie jar that works on every server (a
// cookie is not bound to a port) and the page's CSRF token.
type browser struct {
	http *http.Client
	csrf string
}

var csrfRe = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

func signIn(t *testing.T, base, login string) *browser {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	b := &browser{http: &http.Client{Jar: jar, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	b.get(t, base+"/login")
	res, err := b.http.PostForm(base+"/login", url.Values{"login": {login}, "password": {seeds.DemoPassword}, "_csrf": {b.csrf}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in %s at %s: %d", login, base, res.StatusCode)
	}
	return b
}

func (b *browser) get(t *testing.T, u string) (int, string) {
	t.Helper()
	res, err := b.http.Get(u)
	if err != nil {
		return 0, err.Error()
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if m := csrfRe.FindSubmatch(body); m != nil {
		b.csrf = string(m[1])
	}
	return res.StatusCode, string(body)
}

func (b *browser) post(u string, form url.Values) (int, error) {
	form.Set("_csrf", b.csrf)
	res, err := b.http.PostForm(u, form)
	if err != nil {
		return 0, err
	}
	res.Body.Close()
	return res.StatusCode, nil
}

// Two servers share one database: a session started on one is good on the
// other, and of two runs started at once on both, one runs. PostgreSQL
// restarted under load: both servers recover by themselves and every write
// they acknowledged is there. A streaming replica serves the pages while
// writes go to the primary. A backup restores to the same data.
func TestServersShareADatabaseSurviveItsRestartAndReadFromAReplica(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts a PostgreSQL cluster of its own")
	}
	c := dbtest.StartCluster(t)
	owner := c.OwnerURL()
	mustRelay(t, owner, "migrate")
	// The demo's history (two nightly runs and a year of triggers) is not
	// needed here: the pages, the runs, the restart and the backup work on
	// the loaded bank alone.
	mustRelay(t, owner, "demo", "--clients", "300", "--seed", "1", "--end", "2026-10", "--history=false")
	a, b := serve(t, owner), serve(t, owner)
	ctx := context.Background()
	pool, err := db.Open(ctx, owner)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()

	// A session signed in on a is good on b.
	const manager = "mgr.bn-sof-1.01"
	m := signIn(t, a.url, manager)
	if st, _ := m.get(t, b.url+"/worklist"); st != http.StatusOK {
		t.Fatalf("the session of server a on server b: %d", st)
	}
	var clientID int64
	if err := pool.QueryRow(ctx, `SELECT c.id FROM client c JOIN app_user u ON u.id = c.manager_id
		WHERE u.login = $1 ORDER BY c.id LIMIT 1`, manager).Scan(&clientID); err != nil {
		t.Fatal(err)
	}

	// Two runs started at once, one on each server: one runs.
	admin := signIn(t, a.url, "admin")
	admin.get(t, a.url+"/admin/runs")
	var runsBefore int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM nightly_run`).Scan(&runsBefore); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for _, s := range []*server{a, b} {
		wg.Add(1)
		go func() { defer wg.Done(); _, _ = admin.post(s.url+"/admin/runs", url.Values{}) }()
	}
	wg.Wait()
	var runs int
	if err := pool.QueryRow(ctx, `SELECT count(*) - $1 FROM nightly_run`, runsBefore).Scan(&runs); err != nil || runs != 1 {
		t.Errorf("two servers started %d runs at once (%v), want 1", runs, err)
	}

	// PostgreSQL restarts under load; every acknowledged write is kept. Six
	// writers, three on each server, write until each has had writes
	// acknowledged both before and after the restart, rather than for a
	// fixed 12 s (requests and their statements that checked nothing more).
	const writers, acksEach = 6, 3
	var (
		mu     sync.Mutex
		acked  []string
		before [writers]int // writes acknowledged to each writer before the restart
		after  [writers]int // and after it
	)
	restarted, stop := make(chan struct{}), make(chan struct{})
	allReached := func(n *[writers]int) bool {
		for _, x := range n {
			if x < acksEach {
				return false
			}
		}
		return true
	}
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			base := []*server{a, b}[w%2].url
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				note := fmt.Sprintf("restart test %d-%d", w, i)
				st, _ := m.post(fmt.Sprintf("%s/clients/%d/contacts", base, clientID), url.Values{"kind": {"call"},
					"happened_at": {"2026-10-20T10:00"}, "outcome": {"reached"}, "notes": {note}})
				if st == http.StatusSeeOther {
					mu.Lock()
					acked = append(acked, note)
					select {
					case <-restarted:
						after[w]++
					default:
						before[w]++
					}
					mu.Unlock()
				}
				time.Sleep(time.Duration(20+rand.IntN(30)) * time.Millisecond)
			}
		}()
	}
	// waitFor waits until every writer has acksEach writes in n, or d passes.
	waitFor := func(n *[writers]int, d time.Duration) {
		for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			mu.Lock()
			done := allReached(n)
			mu.Unlock()
			if done {
				return
			}
		}
	}
	waitFor(&before, 30*time.Second)
	c.Restart()
	close(restarted)
	waitFor(&after, 60*time.Second)
	close(stop)
	wg.Wait()
	if !allReached(&after) {
		t.Errorf("writes acknowledged after PostgreSQL restarted, by writer (even: server a, odd: b): %v, want %d each: the servers did not recover", after, acksEach)
	}
	pool.Reset()
	for _, note := range acked {
		var n int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM contact WHERE notes = $1`, note).Scan(&n); err != nil || n != 1 {
			t.Errorf("acknowledged contact %q: %d in the database (%v)", note, n, err)
		}
	}
	t.Logf("%d contacts acknowledged across the restart, by writer before %v and after %v", len(acked), before, after)

	// A replica serves the pages; writes go to the primary.
	replica := c.StartReplica()
	r := serve(t, owner, "RELAY_REPLICA_URL="+replica.URL("relay_app", "relay_app"))
	if _, err := pool.Exec(ctx, `INSERT INTO contact (client_id, user_id, kind, happened_at, outcome, notes)
		SELECT $1, manager_id, 'visit', '2026-10-21 09:00', 'reached', 'written on the primary' FROM client WHERE id = $1`, clientID); err != nil {
		t.Fatal(err)
	}
	c.WaitReplayed(replica)
	rm := signIn(t, r.url, manager)
	time.Sleep(11 * time.Second) // past the pin to the primary that follows a sign-in
	card := fmt.Sprintf("%s/clients/%d", r.url, clientID)
	if st, body := rm.get(t, card); st != http.StatusOK || !strings.Contains(body, "written on the primary") {
		t.Errorf("the card read from the replica: %d, without the replayed contact", st)
	}
	rp, err := pgxpool.New(ctx, replica.OwnerURL())
	if err != nil {
		t.Fatal(err)
	}
	defer rp.Close()
	var readers int
	if err := rp.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE usename = 'relay_app'`).Scan(&readers); err != nil || readers == 0 {
		t.Errorf("no page read from the replica: %d connections of relay_app there (%v)", readers, err)
	}
	if st, err := rm.post(fmt.Sprintf("%s/clients/%d/contacts", r.url, clientID), url.Values{"kind": {"call"},
		"happened_at": {"2026-10-22T10:00"}, "outcome": {"reached"}, "notes": {"written through the replica's server"}}); err != nil || st != http.StatusSeeOther {
		t.Fatalf("a write through the server reading from the replica: %d (%v)", st, err)
	}
	if st, body := rm.get(t, card); st != http.StatusOK || !strings.Contains(body, "written through the replica") {
		t.Errorf("the page after a write does not show it (read-your-writes): %d", st)
	}

	// A backup (pg_dump) restores to the same data.
	dump := filepath.Join(t.TempDir(), "relay.dump")
	if out, err := exec.Command("/usr/lib/postgresql/15/bin/pg_dump", "-Fc", "-f", dump, owner).CombinedOutput(); err != nil {
		t.Fatalf("pg_dump: %v\n%s", err, out)
	}
	c.Exec(`CREATE DATABASE relay_restored OWNER relay`)
	restored := strings.Replace(owner, "/relay?", "/relay_restored?", 1)
	if out, err := exec.Command("/usr/lib/postgresql/15/bin/pg_restore", "--exit-on-error", "-d", restored, dump).CombinedOutput(); err != nil {
		t.Fatalf("pg_restore: %v\n%s", err, out)
	}
	rs, err := pgxpool.New(ctx, restored)
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	for _, q := range []string{`SELECT count(*) FROM client`, `SELECT count(*) FROM monthly_fact`, `SELECT count(*) FROM contact`,
		`SELECT count(*) FROM audit_log`, `SELECT coalesce(sum(turnover), 0) FROM monthly_fact`} {
		var x, y int64
		if err := pool.QueryRow(ctx, q).Scan(&x); err != nil {
			t.Fatal(err)
		}
		if err := rs.QueryRow(ctx, q).Scan(&y); err != nil || x != y {
			t.Errorf("%s: %d in the database, %d restored (%v)", q, x, y, err)
		}
	}
}

// fingerprint sums up the nightly run's published results and the
// triggers, so that two states can be told apart exactly.
const fingerprint = `SELECT md5(concat_ws('|',
	(SELECT string_agg(concat_ws(',', client_id, as_of, segment_id, score, stage, churn_score), ';' ORDER BY client_id) FROM client_score),
	(SELECT string_agg(concat_ws(',', client_id, as_of, score, level), ';' ORDER BY client_id) FROM client_warning),
	(SELECT string_agg(concat_ws(',', segment_id, as_of, size, ideal_income), ';' ORDER BY segment_id) FROM segment_profile),
	(SELECT string_agg(concat_ws(',', client_id, product_id, status), ';' ORDER BY client_id, product_id, status) FROM cross_sell_trigger)))`

// mixed counts the as-of months the published tables hold between them:
// one, unless a run left some of its results and not others.
const mixed = `SELECT count(DISTINCT as_of) FROM (SELECT as_of FROM client_score UNION SELECT as_of FROM client_warning
	UNION SELECT as_of FROM segment_profile) x`

func scalar[T any](t *testing.T, pool *pgxpool.Pool, sql string) T {
	t.Helper()
	var v T
	if err := pool.QueryRow(context.Background(), sql).Scan(&v); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return v
}

// settled waits until no other session of pool's database is at work: a
// killed process's server session goes on until it notices its client is
// gone (rolling back, or finishing a statement), and a read meanwhile could
// deadlock with its table swaps.
func settled(t *testing.T, pool *pgxpool.Pool) {
	t.Helper()
	for i := 0; ; i++ {
		busy := scalar[int64](t, pool, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND pid <> pg_backend_pid() AND state <> 'idle'`)
		if busy == 0 {
			return
		}
		if i == 300 {
			t.Fatalf("%d sessions still at work 30 s after a kill", busy)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// killAfter starts cmd and kills it (SIGKILL: no clean-up of its own) after
// d, or lets it end first. It tells whether the process was killed.
func killAfter(t *testing.T, cmd *exec.Cmd, d time.Duration) bool {
	t.Helper()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
		return false
	case <-time.After(d):
		_ = cmd.Process.Kill()
		<-done
		return true
	}
}

// `relay nightly` and `relay import` killed at random points, ten times
// each, leave the data as it was or as the finished work makes it, never a
// mix; the next run and import complete, and the killed ones are recorded as
// failed (a killed import also in the audit log).
func TestKilledRunsAndImportsLeaveTheOldOrTheNew(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("kills twenty processes")
	}
	// Ten kills of each, one in each tenth of a full run's time (at a random
	// point within it), cover the run from start to end as evenly as twenty
	// unstratified ones did, in half the time.
	const kills = 10
	ctx := context.Background()
	pool := dbtest.NewDemo(t, 600)
	dbURL := pool.Config().ConnString()
	rng := rand.New(rand.NewPCG(12, 2026))

	// The nightly run: the old results are of an earlier month, the new of
	// the latest; a reference database shows what the new ones are.
	ref := dbtest.NewDemo(t, 600)
	refURL := ref.Config().ConnString()
	mustRelay(t, refURL, "nightly", "--as-of", "2026-08")
	start := time.Now()
	mustRelay(t, refURL, "nightly")
	full := time.Since(start)
	newFP := scalar[string](t, ref, fingerprint)
	mustRelay(t, dbURL, "nightly", "--as-of", "2026-08")
	oldFP := scalar[string](t, pool, fingerprint)
	if oldFP == newFP {
		t.Fatal("the old and new results are the same: the test could not tell a mix")
	}
	killed := 0
	for i := 0; i < kills; i++ {
		if killAfter(t, relayCmd(t, dbURL, "nightly"), killPoint(rng, i, kills, full)) {
			killed++
		}
		settled(t, pool)
		fp := scalar[string](t, pool, fingerprint)
		if fp != oldFP && fp != newFP {
			t.Fatalf("kill %d: the results are neither the old nor the new", i+1)
		}
		if n := scalar[int64](t, pool, mixed); n != 1 {
			t.Fatalf("kill %d: the published tables hold %d as-of months", i+1, n)
		}
	}
	mustRelay(t, dbURL, "nightly")
	if fp := scalar[string](t, pool, fingerprint); fp != newFP {
		t.Error("after the kills, a complete run does not give the new results")
	}
	if n := scalar[int64](t, pool, `SELECT count(*) FROM nightly_run WHERE status = 'running'`); n != 0 {
		t.Errorf("%d runs still marked running after the next run", n)
	}
	t.Logf("nightly: %d of %d runs killed at random points within a full run of %s", killed, kills, full.Round(time.Millisecond))

	// The import: the new feed adds 1.00 to every month's turnover.
	feed := filepath.Join(t.TempDir(), "feed")
	mustRelay(t, dbURL, "export", "feed", feed)
	facts := filepath.Join(feed, "monthly_facts.csv")
	raw, err := os.ReadFile(facts)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(string(raw), "\n"), "\n")
	for i := 1; i < len(lines); i++ {
		f := strings.Split(lines[i], ",")
		var major, minor int64
		if _, err := fmt.Sscanf(f[4], "%d.%d", &major, &minor); err != nil {
			t.Fatalf("turnover %q: %v", f[4], err)
		}
		f[4] = fmt.Sprintf("%d.%02d", major+1, minor)
		lines[i] = strings.Join(f, ",")
	}
	if err := os.WriteFile(facts, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	const sumTurnover = `SELECT sum(turnover)::bigint FROM monthly_fact`
	oldSum := scalar[int64](t, pool, sumTurnover)
	newSum := oldSum + 100*int64(len(lines)-1)
	start = time.Now()
	if killAfter(t, relayCmd(t, refURL, "import", feed), 10*time.Minute) {
		t.Fatal("the reference import did not end")
	}
	full = time.Since(start)
	killed = 0
	for i := 0; i < kills; i++ {
		if killAfter(t, relayCmd(t, dbURL, "import", feed), killPoint(rng, i, kills, full)) {
			killed++
		}
		settled(t, pool)
		if s := scalar[int64](t, pool, sumTurnover); s != oldSum && s != newSum {
			t.Fatalf("kill %d: the facts' turnover sums to %d, neither the old %d nor the new %d", i+1, s, oldSum, newSum)
		}
	}
	// The killed imports are recorded as failed, and audited, once their
	// process is known gone.
	if _, err := pool.Exec(ctx, `UPDATE feed_import SET started_at = started_at - interval '1 minute' WHERE status = 'running'`); err != nil {
		t.Fatal(err)
	}
	running := scalar[int64](t, pool, `SELECT count(*) FROM feed_import WHERE status = 'running'`)
	audited := scalar[int64](t, pool, `SELECT count(*) FROM audit_log WHERE action = 'import.failed'`)
	admin := signInPages(t, pool)
	_ = admin
	if n := scalar[int64](t, pool, `SELECT count(*) FROM feed_import WHERE status = 'running'`); n != 0 {
		t.Errorf("%d killed imports still marked running after the imports page was opened", n)
	}
	if a := scalar[int64](t, pool, `SELECT count(*) FROM audit_log WHERE action = 'import.failed'`); a != audited+running {
		t.Errorf("%d killed imports reconciled, %d audited", running, a-audited)
	}
	out := mustRelay(t, dbURL, "import", feed)
	if s := scalar[int64](t, pool, sumTurnover); s != newSum {
		t.Errorf("after the kills, a complete import sums the turnover to %d, want %d\n%s", s, newSum, out)
	}
	t.Logf("import: %d of %d imports killed at random points within a full import of %s; %d left running, reconciled",
		killed, kills, full.Round(time.Millisecond), running)
}

// killPoint is when to kill the i-th of n runs that take about full: a random
// moment within the i-th n-th part of full.
func killPoint(rng *rand.Rand, i, n int, full time.Duration) time.Duration {
	part := int64(full) / int64(n)
	return time.Duration(int64(i)*part + rng.Int64N(part))
}

// signInPages opens the admin's imports page on a server over pool, which
// reconciles the imports whose process is gone.
func signInPages(t *testing.T, pool *pgxpool.Pool) *browser {
	t.Helper()
	s := serve(t, pool.Config().ConnString())
	b := signIn(t, s.url, "admin")
	if st, _ := b.get(t, s.url+"/admin/imports"); st != http.StatusOK {
		t.Fatalf("imports page: %d", st)
	}
	return b
}
