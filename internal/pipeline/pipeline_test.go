package pipeline_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/relaycrm/relay/internal/access"
	"github.com/relaycrm/relay/internal/db"
	"github.com/relaycrm/relay/internal/dbtest"
	"github.com/relaycrm/relay/internal/demotest"
	"github.com/relaycrm/relay/internal/pipeline"
	"github.com/relaycrm/relay/internal/triggers"
)

// viewerOf reads the viewer of a demo login.
func viewerOf(t *testing.T, pool *pgxpool.Pool, login string) access.Viewer {
	t.Helper()
	var v access.Viewer
	var branch *int64
	err := pool.QueryRow(context.Background(), `SELECT id, login, name, role, group_id, branch_id FROM app_user WHERE login = $1`,
		login).Scan(&v.UserID, &v.Login, &v.Name, &v.Role, &v.GroupID, &branch)
	if err != nil {
		t.Fatalf("user %s: %v", login, err)
	}
	if branch != nil {
		v.BranchID = *branch
	}
	return v
}

func exec(t *testing.T, pool *pgxpool.Pool, sql string, args ...any) {
	t.Helper()
	if _, err := pool.Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// pipelineBranch is the demo bank's branch BN-SOF-1 after one nightly run,
// worked on for a year: a second manager holds every third client of the
// first, a deactivated third one still holds two, and the branch's triggers
// are spread over every status, raised and confirmed at dates on either side
// of the period's start, some of them untouched for weeks. The control
// group's triggers are all won and confirmed, so that counting any of them
// shows.
func pipelineBranch(t *testing.T) (*pgxpool.Pool, access.Viewer) {
	t.Helper()
	pool := demotest.Scored(t, 2000)
	head := viewerOf(t, pool, "head.bn-sof-1")
	now := dbtest.DemoNow
	exec(t, pool, `
		WITH first AS (SELECT * FROM app_user WHERE login = 'mgr.bn-sof-1.01'),
		second AS (
		    INSERT INTO app_user (group_id, login, name, role, branch_id, password_hash)
		    SELECT group_id, 'mgr.bn-sof-1.02', 'Bistra Second', 'manager', branch_id, password_hash FROM first
		    RETURNING id)
		UPDATE client c SET manager_id = second.id FROM first, second WHERE c.manager_id = first.id AND c.id % 3 = 0`)
	exec(t, pool, `
		WITH third AS (
		    INSERT INTO app_user (group_id, login, name, role, branch_id, password_hash, active)
		    SELECT group_id, 'mgr.bn-sof-1.03', 'Tsvetan Third', 'manager', branch_id, password_hash, false
		    FROM app_user WHERE login = 'mgr.bn-sof-1.01'
		    RETURNING id)
		UPDATE client c SET manager_id = third.id FROM third
		WHERE c.id IN (SELECT c2.id FROM client c2 JOIN app_user u ON u.id = c2.manager_id
		               WHERE u.login = 'mgr.bn-sof-1.01' ORDER BY c2.id LIMIT 2)`)
	// A warning carries its client's manager, and a reassignment moves it
	// with the client (clients.Reassign; a feed does the same): so do the
	// two above, made by hand.
	exec(t, pool, `UPDATE client_warning w SET manager_id = c.manager_id FROM client c
		WHERE c.id = w.client_id AND w.manager_id IS DISTINCT FROM c.manager_id`)
	// a deactivated manager without clients is not part of the pipeline
	exec(t, pool, `INSERT INTO app_user (group_id, login, name, role, branch_id, password_hash, active)
		SELECT group_id, 'mgr.bn-sof-1.04', 'Gone Fourth', 'manager', branch_id, password_hash, false
		FROM app_user WHERE login = 'mgr.bn-sof-1.01'`)
	// The fixture sets every status itself: the demo history's closed
	// triggers (which would meet open ones of the same product) go first.
	exec(t, pool, `DELETE FROM cross_sell_trigger t USING client c WHERE c.id = t.client_id AND c.branch_id = $1
		AND t.status NOT IN ('new', 'contacted', 'offered')`, head.BranchID)
	exec(t, pool, `
		WITH b AS (
		    SELECT t.id, row_number() OVER (ORDER BY t.id) AS rn, t.hidden
		    FROM cross_sell_trigger t JOIN client c ON c.id = t.client_id
		    WHERE c.branch_id = $1),
		s AS (
		    SELECT id, hidden, rn % 10 AS k,
		           CASE WHEN (rn / 10) % 4 = 3 THEN NULL
		                ELSE $2::timestamptz - make_interval(months => ((rn / 10) % 14)::integer) END AS confirmed
		    FROM b)
		UPDATE cross_sell_trigger t SET
		    status = CASE WHEN s.hidden THEN 'won' ELSE (ARRAY['new', 'contacted', 'offered', 'won', 'lost', 'dismissed',
		                  'expired', 'new', 'offered', 'won'])[s.k + 1] END,
		    status_reason = CASE WHEN NOT s.hidden AND s.k IN (4, 5, 6) THEN 'test' ELSE '' END,
		    raised_at = CASE WHEN s.hidden THEN $2 - interval '20 days'
		                     WHEN s.k = 3 THEN coalesce(s.confirmed, $2) - interval '40 days'
		                     WHEN s.k = 7 THEN $2 - interval '30 days'
		                     WHEN s.k IN (8, 9) THEN $2 - interval '400 days'
		                     ELSE $2 - interval '10 days' END,
		    status_changed_at = CASE WHEN s.k = 1 THEN $2 - interval '2 days'
		                             WHEN s.k = 2 THEN $2 - interval '20 days'
		                             WHEN s.k = 7 THEN $2 - interval '30 days'
		                             WHEN s.k = 8 THEN $2 - interval '100 days'
		                             ELSE $2 - interval '10 days' END,
		    closed_at = CASE WHEN s.hidden OR s.k IN (3, 4, 5, 6, 9) THEN $2 - interval '5 days' END,
		    won_confirmed_at = CASE WHEN s.hidden THEN $2 - interval '1 month'
		                            WHEN s.k = 3 THEN s.confirmed
		                            WHEN s.k = 9 THEN $2 - interval '13 months' END
		FROM s WHERE s.id = t.id`, head.BranchID, now)
	// Every warning of the branch is high; one client was called after the
	// warning began, another only before it (the demo's own contacts after a
	// warning began are removed first, so that these two are all there are).
	exec(t, pool, `UPDATE client_warning w SET level = 'high' FROM client c WHERE c.id = w.client_id AND c.branch_id = $1`, head.BranchID)
	exec(t, pool, `DELETE FROM contact k USING client_warning w, client c
		WHERE k.client_id = w.client_id AND c.id = w.client_id AND c.branch_id = $1 AND k.happened_at >= w.warned_since`, head.BranchID)
	exec(t, pool, `
		WITH w AS (
		    SELECT w.client_id, w.warned_since, c.manager_id, row_number() OVER (ORDER BY w.client_id) AS rn
		    FROM client_warning w JOIN client c ON c.id = w.client_id WHERE c.branch_id = $1)
		INSERT INTO contact (client_id, user_id, kind, happened_at, outcome)
		SELECT client_id, manager_id, 'call',
		       CASE rn WHEN 1 THEN warned_since + interval '3 days' ELSE warned_since - interval '3 days' END, 'reached'
		FROM w WHERE rn <= 2`, head.BranchID)
	return pool, head
}

// shownTrigger is a trigger as the test reads it, to count by hand.
type shownTrigger struct {
	managerID       int64
	status          triggers.Status
	value           int64
	raised, changed time.Time
	confirmed       *time.Time
}

// expectedFigures counts, in Go over the raw rows, what the pipeline should
// show per manager.
func expectedFigures(t *testing.T, pool *pgxpool.Pool, branchID int64, now time.Time) map[int64]pipeline.Figures {
	t.Helper()
	ctx := context.Background()
	from := time.Date(now.Year(), now.Month()-11, 1, 0, 0, 0, 0, time.UTC)
	until := time.Date(now.Year(), now.Month()+1, 1, 0, 0, 0, 0, time.UTC)
	rows, err := pool.Query(ctx, `
		SELECT coalesce(c.manager_id, 0), t.status, t.expected_value, t.raised_at, t.status_changed_at, t.won_confirmed_at
		FROM cross_sell_trigger t, client c WHERE c.id = t.client_id AND c.branch_id = $1 AND t.hidden = false`, branchID)
	if err != nil {
		t.Fatal(err)
	}
	all, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (shownTrigger, error) {
		var s shownTrigger
		return s, r.Scan(&s.managerID, &s.status, &s.value, &s.raised, &s.changed, &s.confirmed)
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[int64]pipeline.Figures{}
	for _, s := range all {
		f := want[s.managerID]
		if !s.raised.Before(from) {
			f.Raised++
			switch s.status {
			case triggers.New:
				f.New++
			case triggers.Contacted:
				f.Contacted++
			case triggers.Offered:
				f.Offered++
			case triggers.Won:
				f.Won++
			case triggers.Lost:
				f.Lost++
			case triggers.Dismissed:
				f.Dismissed++
			case triggers.Expired:
				f.Expired++
			}
			if s.confirmed != nil {
				f.WonConfirmed++
			}
		}
		if s.status.Open() {
			f.Open++
			f.OpenValue += s.value
			if now.Sub(s.changed) > 14*24*time.Hour {
				f.Untouched++
			}
		}
		if s.confirmed != nil && !s.confirmed.Before(from) && s.confirmed.Before(until) {
			f.WonCount++
			f.WonValue += s.value
		}
		want[s.managerID] = f
	}
	rows, err = pool.Query(ctx, `
		SELECT coalesce(c.manager_id, 0), count(*), count(*) FILTER (WHERE c.left_on IS NULL)
		FROM client c WHERE c.branch_id = $1 GROUP BY 1`, branchID)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		var n, active int
		if err := rows.Scan(&id, &n, &active); err != nil {
			t.Fatal(err)
		}
		f := want[id]
		f.Clients, f.ActiveClients = n, active
		want[id] = f
	}
	rows.Close()
	rows, err = pool.Query(ctx, `
		SELECT coalesce(c.manager_id, 0), w.warned_since, (SELECT max(k.happened_at) FROM contact k WHERE k.client_id = c.id)
		FROM client_warning w JOIN client c ON c.id = w.client_id WHERE c.branch_id = $1 AND w.level = 'high'`, branchID)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		var since time.Time
		var last *time.Time
		if err := rows.Scan(&id, &since, &last); err != nil {
			t.Fatal(err)
		}
		f := want[id]
		f.HighWarnings++
		if last == nil || last.Before(since) {
			f.HighNoContact++
		}
		want[id] = f
	}
	rows.Close()
	return want
}

func TestBranchPipelineCountsAsByHand(t *testing.T) {
	t.Parallel()
	pool, head := pipelineBranch(t)
	ctx := context.Background()
	now := dbtest.DemoNow
	p, err := pipeline.ForBranch(ctx, pool, head, now)
	if err != nil {
		t.Fatal(err)
	}
	if p.BranchCode != "BN-SOF-1" || p.Currency != "EUR" || p.MinorDigits != 2 {
		t.Errorf("branch %s in %s (%d digits), want BN-SOF-1 in EUR", p.BranchCode, p.Currency, p.MinorDigits)
	}
	if want := time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC); !p.From.Equal(want) {
		t.Errorf("period from %v, want %v", p.From, want)
	}
	if want := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC); !p.Until.Equal(want) {
		t.Errorf("period until %v, want %v", p.Until, want)
	}

	want := expectedFigures(t, pool, head.BranchID, now)
	var logins []string
	var total pipeline.Figures
	for _, m := range p.Managers {
		logins = append(logins, m.Login)
		if m.Figures != want[m.ManagerID] {
			t.Errorf("%s: got\n%+v\nwant\n%+v", m.Login, m.Figures, want[m.ManagerID])
		}
		total.Raised += m.Raised
		total.WonValue += m.WonValue
		total.OpenValue += m.OpenValue
	}
	// By name: the deactivated manager with clients is listed, the one
	// without is not.
	if got := len(logins); got != 3 || logins[0] != "mgr.bn-sof-1.02" || logins[1] != "mgr.bn-sof-1.01" || logins[2] != "mgr.bn-sof-1.03" {
		t.Errorf("managers %v, want Bistra (.02), Maria (.01) and Tsvetan (.03), by name", logins)
	}
	if m, _ := p.Manager(viewerOf(t, pool, "mgr.bn-sof-1.03").UserID); m.Active || m.Clients != 2 {
		t.Errorf("the deactivated manager: active %v with %d clients", m.Active, m.Clients)
	}
	if p.Total.Raised != total.Raised || p.Total.WonValue != total.WonValue || p.Total.OpenValue != total.OpenValue {
		t.Errorf("total %+v is not the sum of the managers'", p.Total)
	}
	// The data must exercise every figure.
	tf := p.Total
	for name, n := range map[string]int{"raised": tf.Raised, "contacted": tf.Contacted, "offered": tf.Offered,
		"won": tf.Won, "lost": tf.Lost, "dismissed": tf.Dismissed, "expired": tf.Expired, "confirmed": tf.WonConfirmed,
		"untouched": tf.Untouched, "wins in the period": tf.WonCount, "high warnings": tf.HighWarnings,
		"high without contact": tf.HighNoContact} {
		if n == 0 {
			t.Errorf("no %s in the fixture: the test proves nothing about it", name)
		}
	}
	if tf.HighNoContact != tf.HighWarnings-1 {
		t.Errorf("%d of %d high warnings without contact; only one client was called after its warning began",
			tf.HighNoContact, tf.HighWarnings)
	}
	// The hidden control group's wins would add to the won value.
	var hiddenWon int64
	if err := pool.QueryRow(ctx, `SELECT coalesce(sum(t.expected_value), 0) FROM cross_sell_trigger t JOIN client c ON c.id = t.client_id
		WHERE c.branch_id = $1 AND t.hidden`, head.BranchID).Scan(&hiddenWon); err != nil || hiddenWon == 0 {
		t.Fatalf("the fixture has no control-group wins (%v)", err)
	}

	// The trend has every month of the period and adds up to the won value.
	if len(p.WonTrend) != 12 {
		t.Fatalf("%d months in the trend, want 12", len(p.WonTrend))
	}
	var sum int64
	for i, m := range p.WonTrend {
		if want := p.From.AddDate(0, i, 0); !m.Month.Equal(want) {
			t.Errorf("trend month %d is %v, want %v", i, m.Month, want)
		}
		sum += m.Value
	}
	if sum != p.Total.WonValue {
		t.Errorf("the trend adds up to %d, the won value is %d", sum, p.Total.WonValue)
	}
	var lastMonth int64
	if err := pool.QueryRow(ctx, `SELECT coalesce(sum(t.expected_value), 0) FROM cross_sell_trigger t JOIN client c ON c.id = t.client_id
		WHERE c.branch_id = $1 AND NOT t.hidden AND t.won_confirmed_at >= '2026-11-01' AND t.won_confirmed_at < '2026-12-01'`,
		head.BranchID).Scan(&lastMonth); err != nil {
		t.Fatal(err)
	}
	if got := p.WonTrend[11].Value; got != lastMonth || got == 0 {
		t.Errorf("November's confirmed wins: %d, want %d (and some)", got, lastMonth)
	}

	conv, ok := p.Total.Conversion()
	if want := float64(tf.Won) / float64(tf.Won+tf.Lost+tf.Dismissed); !ok || conv != want {
		t.Errorf("conversion %v (%v), want won / (won + lost + dismissed) = %v", conv, ok, want)
	}
	f := p.Total.Funnel()
	if f[0].Count != tf.Raised || f[1].Count != tf.Contacted+tf.Offered+tf.Won+tf.Lost || f[2].Count != tf.Offered+tf.Won || f[3].Count != tf.Won {
		t.Errorf("funnel %+v does not follow the statuses %+v", f, tf)
	}
}

func TestPipelineIsTheBranchHeads(t *testing.T) {
	t.Parallel()
	pool := demotest.Scored(t, 2000)
	ctx := context.Background()
	for _, login := range []string{"mgr.bn-sof-1.01", "risk", "admin"} {
		if _, err := pipeline.ForBranch(ctx, pool, viewerOf(t, pool, login), dbtest.DemoNow); !errors.Is(err, pipeline.ErrNotBranchHead) {
			t.Errorf("%s: %v, want ErrNotBranchHead", login, err)
		}
		if _, err := pipeline.BookOf(ctx, pool, viewerOf(t, pool, login), 1, dbtest.DemoNow); !errors.Is(err, pipeline.ErrNotBranchHead) {
			t.Errorf("%s's book: %v, want ErrNotBranchHead", login, err)
		}
	}
	// Another branch's head sees the manager as not found.
	mgr := viewerOf(t, pool, "mgr.bn-sof-1.01")
	if _, err := pipeline.BookOf(ctx, pool, viewerOf(t, pool, "head.bn-sof-2"), mgr.UserID, dbtest.DemoNow); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("another branch's head opened the book: %v", err)
	}
	// A branch head is not a manager of their own branch.
	head := viewerOf(t, pool, "head.bn-sof-1")
	if _, err := pipeline.BookOf(ctx, pool, head, head.UserID, dbtest.DemoNow); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("the head's own book: %v, want not found", err)
	}
}

func TestManagerBook(t *testing.T) {
	t.Parallel()
	pool, head := pipelineBranch(t)
	ctx := context.Background()
	now := dbtest.DemoNow
	mgr := viewerOf(t, pool, "mgr.bn-sof-1.01")
	b, err := pipeline.BookOf(ctx, pool, head, mgr.UserID, now)
	if err != nil {
		t.Fatal(err)
	}
	// Open triggers: the manager's shown ones, by priority.
	var open, untouched int
	if err := pool.QueryRow(ctx, `
		SELECT count(*), count(*) FILTER (WHERE t.status_changed_at < $2::timestamptz - interval '14 days')
		FROM cross_sell_trigger t JOIN client c ON c.id = t.client_id
		WHERE c.manager_id = $1 AND NOT t.hidden AND t.status IN ('new', 'contacted', 'offered')`, mgr.UserID, now).Scan(&open, &untouched); err != nil {
		t.Fatal(err)
	}
	if b.OpenTotal != open || len(b.Open) != open {
		t.Errorf("%d open triggers (%d listed), want %d", b.OpenTotal, len(b.Open), open)
	}
	flagged := 0
	for i, tr := range b.Open {
		if i > 0 && tr.Priority > b.Open[i-1].Priority {
			t.Errorf("trigger %d of priority %d after one of %d", tr.ID, tr.Priority, b.Open[i-1].Priority)
		}
		if !tr.Status.Open() {
			t.Errorf("trigger %d is %s", tr.ID, tr.Status)
		}
		if tr.Untouched(now) {
			flagged++
		}
	}
	if flagged != untouched || untouched == 0 {
		t.Errorf("%d flagged untouched, want %d (and some)", flagged, untouched)
	}
	// Clients: all of the manager's, active first.
	var clients int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM client WHERE manager_id = $1`, mgr.UserID).Scan(&clients); err != nil {
		t.Fatal(err)
	}
	if b.ClientsTotal != clients || len(b.Clients) != clients {
		t.Errorf("%d clients (%d listed), want %d", b.ClientsTotal, len(b.Clients), clients)
	}
	seenLeft := false
	for _, c := range b.Clients {
		if c.LeftOn != nil {
			seenLeft = true
		} else if seenLeft {
			t.Errorf("active client %d listed after one who left", c.ID)
		}
	}
	// Colleagues: the branch's other active managers only.
	if len(b.Colleagues) != 1 || b.Colleagues[0].Login != "mgr.bn-sof-1.02" {
		t.Errorf("colleagues %+v, want only mgr.bn-sof-1.02", b.Colleagues)
	}
	// The warned client called after the warning began counts as contacted.
	contacted := 0
	for _, w := range b.Warnings {
		if w.ContactedSince() {
			contacted++
		}
	}
	var want int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM client_warning w JOIN client c ON c.id = w.client_id
		WHERE c.manager_id = $1 AND EXISTS (SELECT 1 FROM contact k WHERE k.client_id = c.id AND k.happened_at >= w.warned_since)`,
		mgr.UserID).Scan(&want); err != nil {
		t.Fatal(err)
	}
	if contacted != want {
		t.Errorf("%d warned clients contacted since, want %d", contacted, want)
	}
}

func TestPipelineQueriesPrepare(t *testing.T) {
	t.Parallel()
	if err := db.CheckAll(context.Background(), dbtest.New(t), pipeline.SQL); err != nil {
		t.Fatal(err)
	}
}
