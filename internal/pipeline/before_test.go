package pipeline_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/relaycrm/relay/internal/access"
	"github.com/relaycrm/relay/internal/audit"
	"github.com/relaycrm/relay/internal/clients"
	"github.com/relaycrm/relay/internal/db"
	"github.com/relaycrm/relay/internal/dbtest"
	"github.com/relaycrm/relay/internal/pipeline"
	"github.com/relaycrm/relay/internal/triggers"
)

// The pipeline's statements as they were before the read models of issue 13
// (triggers.BranchPipeline, whose figures the manager's book also took): one
// pass over the branch's client rows per part, joined to every trigger and
// warning row. They are the reference the new reads must equal.
const (
	managersBefore = `
WITH tr AS (
    SELECT c.manager_id,
           count(*) FILTER (WHERE t.raised_at >= $2) AS raised,
           count(*) FILTER (WHERE t.raised_at >= $2 AND t.status = 'new') AS s_new,
           count(*) FILTER (WHERE t.raised_at >= $2 AND t.status = 'contacted') AS s_contacted,
           count(*) FILTER (WHERE t.raised_at >= $2 AND t.status = 'offered') AS s_offered,
           count(*) FILTER (WHERE t.raised_at >= $2 AND t.status = 'won') AS s_won,
           count(*) FILTER (WHERE t.raised_at >= $2 AND t.status = 'lost') AS s_lost,
           count(*) FILTER (WHERE t.raised_at >= $2 AND t.status = 'dismissed') AS s_dismissed,
           count(*) FILTER (WHERE t.raised_at >= $2 AND t.status = 'expired') AS s_expired,
           count(*) FILTER (WHERE t.raised_at >= $2 AND t.won_confirmed_at IS NOT NULL) AS won_confirmed,
           count(*) FILTER (WHERE t.status IN ('new', 'contacted', 'offered')) AS open,
           coalesce(sum(t.expected_value) FILTER (WHERE t.status IN ('new', 'contacted', 'offered')), 0) AS open_value,
           count(*) FILTER (WHERE t.status IN ('new', 'contacted', 'offered') AND t.status_changed_at < $4) AS untouched,
           count(*) FILTER (WHERE t.won_confirmed_at >= $2 AND t.won_confirmed_at < $3) AS won_count,
           coalesce(sum(t.expected_value) FILTER (WHERE t.won_confirmed_at >= $2 AND t.won_confirmed_at < $3), 0) AS won_value
    FROM cross_sell_trigger t
    JOIN client c ON c.id = t.client_id
    WHERE NOT t.hidden
      AND (t.raised_at >= $2 OR t.status IN ('new', 'contacted', 'offered') OR t.won_confirmed_at >= $2)
      AND {{scope:c}}
    GROUP BY c.manager_id
), wa AS (
    SELECT c.manager_id,
           count(*) AS high,
           count(*) FILTER (WHERE NOT EXISTS (
               SELECT 1 FROM contact k WHERE k.client_id = w.client_id AND k.happened_at >= w.warned_since)) AS high_no_contact
    FROM client_warning w
    JOIN client c ON c.id = w.client_id
    WHERE w.level = 'high' AND {{scope:c}}
    GROUP BY c.manager_id
), cl AS (
    SELECT c.manager_id, count(*) AS clients, count(*) FILTER (WHERE c.left_on IS NULL) AS active
    FROM client c
    WHERE {{scope:c}}
    GROUP BY c.manager_id
), k AS (
    SELECT u.id AS manager_id FROM app_user u WHERE u.branch_id = $1 AND u.role = 'manager' AND u.active
    UNION
    SELECT manager_id FROM cl
)
SELECT coalesce(k.manager_id, 0), coalesce(u.name, ''), coalesce(u.login, ''), coalesce(u.active, false),
       coalesce(cl.clients, 0)::integer, coalesce(cl.active, 0)::integer,
       coalesce(tr.raised, 0)::integer, coalesce(tr.s_new, 0)::integer, coalesce(tr.s_contacted, 0)::integer,
       coalesce(tr.s_offered, 0)::integer, coalesce(tr.s_won, 0)::integer, coalesce(tr.s_lost, 0)::integer,
       coalesce(tr.s_dismissed, 0)::integer, coalesce(tr.s_expired, 0)::integer,
       coalesce(tr.won_confirmed, 0)::integer, coalesce(tr.open, 0)::integer, coalesce(tr.open_value, 0)::bigint,
       coalesce(tr.untouched, 0)::integer, coalesce(tr.won_count, 0)::integer, coalesce(tr.won_value, 0)::bigint,
       coalesce(wa.high, 0)::integer, coalesce(wa.high_no_contact, 0)::integer
FROM k
LEFT JOIN app_user u ON u.id = k.manager_id
LEFT JOIN cl ON cl.manager_id IS NOT DISTINCT FROM k.manager_id
LEFT JOIN tr ON tr.manager_id IS NOT DISTINCT FROM k.manager_id
LEFT JOIN wa ON wa.manager_id IS NOT DISTINCT FROM k.manager_id
ORDER BY k.manager_id IS NULL, u.name, u.id`

	wonTrendBefore = `
WITH won AS (
    SELECT date_trunc('month', t.won_confirmed_at) AS month, sum(t.expected_value) AS value, count(*) AS n
    FROM cross_sell_trigger t
    JOIN client c ON c.id = t.client_id
    WHERE NOT t.hidden AND t.won_confirmed_at >= $1 AND t.won_confirmed_at < $2 AND {{scope:c}}
    GROUP BY 1
)
SELECT m.month, coalesce(won.value, 0)::bigint, coalesce(won.n, 0)::integer
FROM generate_series($1::timestamptz, $2::timestamptz - interval '1 month', interval '1 month') AS m(month)
LEFT JOIN won ON won.month = m.month
ORDER BY m.month`
)

// pipelineBefore reads the branch's managers and trend with the statements
// of before, over the period p says.
func pipelineBefore(t *testing.T, pool *pgxpool.Pool, v access.Viewer, p pipeline.Heading) ([]pipeline.ManagerFigures, []pipeline.MonthValue) {
	t.Helper()
	ctx := context.Background()
	var args db.Args
	args.Add(v.BranchID)
	args.Add(p.From)
	args.Add(p.Until)
	args.Add(p.UntouchedBefore)
	rows, err := pool.Query(ctx, access.Scoped(managersBefore, v, &args), args.Values()...)
	if err != nil {
		t.Fatal(err)
	}
	managers, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (pipeline.ManagerFigures, error) {
		var m pipeline.ManagerFigures
		f := &m.Figures
		err := r.Scan(&m.ManagerID, &m.Name, &m.Login, &m.Active, &f.Clients, &f.ActiveClients,
			&f.Raised, &f.New, &f.Contacted, &f.Offered, &f.Won, &f.Lost, &f.Dismissed, &f.Expired,
			&f.WonConfirmed, &f.Open, &f.OpenValue, &f.Untouched, &f.WonCount, &f.WonValue,
			&f.HighWarnings, &f.HighNoContact)
		return m, err
	})
	if err != nil {
		t.Fatal(err)
	}
	args = db.Args{}
	args.Add(p.From)
	args.Add(p.Until)
	rows, err = pool.Query(ctx, access.Scoped(wonTrendBefore, v, &args), args.Values()...)
	if err != nil {
		t.Fatal(err)
	}
	trend, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (pipeline.MonthValue, error) {
		var m pipeline.MonthValue
		return m, r.Scan(&m.Month, &m.Value, &m.Count)
	})
	if err != nil {
		t.Fatal(err)
	}
	return managers, trend
}

// sameAsBefore checks that the branch head's pipeline and every manager's
// book show what the statements of before show.
func sameAsBefore(t *testing.T, pool *pgxpool.Pool, head access.Viewer, now time.Time) {
	t.Helper()
	ctx := context.Background()
	p, err := pipeline.ForBranch(ctx, pool, head, now)
	if err != nil {
		t.Fatal(err)
	}
	managers, trend := pipelineBefore(t, pool, head, p.Heading)
	if len(p.Managers) != len(managers) {
		t.Fatalf("%d managers, before %d", len(p.Managers), len(managers))
	}
	var total pipeline.Figures
	for i, m := range managers {
		got := p.Managers[i]
		if got.ManagerID != m.ManagerID || got.Name != m.Name || got.Login != m.Login || got.Active != m.Active {
			t.Errorf("row %d: manager %d %q (%s, active %v), before %d %q (%s, active %v)", i,
				got.ManagerID, got.Name, got.Login, got.Active, m.ManagerID, m.Name, m.Login, m.Active)
		}
		if got.Figures != m.Figures {
			t.Errorf("%s: got\n%+v\nbefore\n%+v", m.Login, got.Figures, m.Figures)
		}
		total.Raised += m.Raised
		total.Open += m.Open
		total.WonValue += m.WonValue
		total.HighWarnings += m.HighWarnings
	}
	if p.Total.Raised != total.Raised || p.Total.Open != total.Open || p.Total.WonValue != total.WonValue ||
		p.Total.HighWarnings != total.HighWarnings {
		t.Errorf("total %+v is not the sum of the rows of before", p.Total)
	}
	if len(p.WonTrend) != len(trend) {
		t.Fatalf("%d months in the trend, before %d", len(p.WonTrend), len(trend))
	}
	for i, m := range trend {
		if got := p.WonTrend[i]; !got.Month.Equal(m.Month) || got.Value != m.Value || got.Count != m.Count {
			t.Errorf("trend month %d: %+v, before %+v", i, got, m)
		}
	}

	// Each manager's book shows their row of before, figures and all; the
	// book of a deactivated manager without clients (who has no row) zeros.
	rows, err := pool.Query(ctx, `SELECT id, login FROM app_user WHERE branch_id = $1 AND role = 'manager' ORDER BY id`, head.BranchID)
	if err != nil {
		t.Fatal(err)
	}
	type user struct {
		id    int64
		login string
	}
	users, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (user, error) {
		var u user
		return u, r.Scan(&u.id, &u.login)
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		b, err := pipeline.BookOf(ctx, pool, head, u.id, now)
		if err != nil {
			t.Fatalf("%s's book: %v", u.login, err)
		}
		var want pipeline.Figures
		for _, m := range managers {
			if m.ManagerID == u.id {
				want = m.Figures
			}
		}
		if b.Figures != want {
			t.Errorf("%s's book: got\n%+v\nbefore\n%+v", u.login, b.Figures, want)
		}
		if b.Heading.From != p.From || b.BranchName != p.BranchName || b.Currency != p.Currency {
			t.Errorf("%s's book is of %s in %s from %v, the pipeline of %s in %s from %v", u.login,
				b.BranchName, b.Currency, b.From, p.BranchName, p.Currency, p.From)
		}
	}
}

func TestPipelineShowsWhatItShowedBefore(t *testing.T) {
	t.Parallel()
	pool, head := pipelineBranch(t)
	sameAsBefore(t, pool, head, dbtest.DemoNow)
}

// After the day's work (moves, a reassignment, a contact with a warned
// client) the pipeline is read afresh and still equals the statements of
// before: nothing in it was counted ahead of time.
func TestPipelineAfterTheDaysWork(t *testing.T) {
	t.Parallel()
	pool, head := pipelineBranch(t)
	ctx := context.Background()
	now := dbtest.DemoNow
	mgr := viewerOf(t, pool, "mgr.bn-sof-1.01")
	second := viewerOf(t, pool, "mgr.bn-sof-1.02")

	// The manager moves three open triggers: contacted, offered, won.
	rows, err := pool.Query(ctx, `
		SELECT t.id FROM cross_sell_trigger t JOIN client c ON c.id = t.client_id
		WHERE c.manager_id = $1 AND NOT t.hidden AND t.status = 'new' ORDER BY t.id LIMIT 3`, mgr.UserID)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil || len(ids) != 3 {
		t.Fatalf("%d new triggers of %s (%v)", len(ids), mgr.Login, err)
	}
	before, err := pipeline.BookOf(ctx, pool, head, mgr.UserID, now)
	if err != nil {
		t.Fatal(err)
	}
	for i, to := range []triggers.Status{triggers.Contacted, triggers.Offered, triggers.Offered} {
		if _, err := triggers.Move(ctx, pool, mgr, triggers.Change{TriggerID: ids[i], To: to}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := triggers.Move(ctx, pool, mgr, triggers.Change{TriggerID: ids[2], To: triggers.Won}); err != nil {
		t.Fatal(err)
	}
	// The branch head gives the second manager two of the first's clients
	// with a high warning.
	rows, err = pool.Query(ctx, `SELECT w.client_id FROM client_warning w JOIN client c ON c.id = w.client_id
		WHERE c.manager_id = $1 AND w.level = 'high' ORDER BY w.client_id LIMIT 2`, mgr.UserID)
	if err != nil {
		t.Fatal(err)
	}
	warned, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil || len(warned) != 2 {
		t.Fatalf("%d warned clients of %s (%v)", len(warned), mgr.Login, err)
	}
	if _, err := clients.NewStore(pool).Reassign(ctx, head, audit.Actor{UserID: head.UserID, Login: head.Login},
		clients.Reassignment{From: mgr.UserID, To: second.UserID, ClientIDs: warned}); err != nil {
		t.Fatal(err)
	}
	// Someone calls a third warned client of the first manager.
	exec(t, pool, `INSERT INTO contact (client_id, user_id, kind, happened_at, outcome)
		SELECT w.client_id, $1, 'call', $2, 'reached' FROM client_warning w JOIN client c ON c.id = w.client_id
		WHERE c.manager_id = $1 AND w.level = 'high' ORDER BY w.client_id LIMIT 1`, mgr.UserID, now.Add(-time.Hour))

	sameAsBefore(t, pool, head, now)
	after, err := pipeline.BookOf(ctx, pool, head, mgr.UserID, now)
	if err != nil {
		t.Fatal(err)
	}
	if after.Figures.Open >= before.Figures.Open || after.Figures.HighWarnings != before.Figures.HighWarnings-2 ||
		after.Figures.HighNoContact >= before.Figures.HighNoContact {
		t.Errorf("the day's work does not show in the book: before %+v, after %+v", before.Figures, after.Figures)
	}
}
