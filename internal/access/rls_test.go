package access_test

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/relaycrm/relay/internal/access"
	"github.com/relaycrm/relay/internal/db"
	"github.com/relaycrm/relay/internal/dbtest"
	"github.com/relaycrm/relay/internal/demotest"
)

// clientTables are the tables of client data, each with a query that
// forgets the viewer's scope ("%s" is where the scope goes when it does not):
// client and client_warning are under row-level security themselves; the
// tables keyed by client_id alone are read joined to client, whose policy
// keeps the rows of the viewer's clients.
var clientTables = map[string]string{
	"client":             `SELECT count(*) FROM client c WHERE %s`,
	"client_warning":     `SELECT count(*) FROM client_warning c WHERE %s`,
	"holding":            `SELECT count(*) FROM holding h JOIN client c ON c.id = h.client_id WHERE %s`,
	"monthly_fact":       `SELECT count(*) FROM monthly_fact f JOIN client c ON c.id = f.client_id WHERE %s`,
	"contact":            `SELECT count(*) FROM contact k JOIN client c ON c.id = k.client_id WHERE %s`,
	"cross_sell_trigger": `SELECT count(*) FROM cross_sell_trigger t JOIN client c ON c.id = t.client_id WHERE %s`,
	"client_score":       `SELECT count(*) FROM client_score s JOIN client c ON c.id = s.client_id WHERE %s`,
}

func count(t *testing.T, ctx context.Context, pool *pgxpool.Pool, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(ctx, sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// A query that forgets its scope, run as the application's role, returns
// only the viewer's clients (and nothing without a viewer), on every table
// of client data, including those the nightly run rebuilds.
func TestRowSecurityIsANetUnderTheScope(t *testing.T) {
	t.Parallel()
	owner := demotest.Scored(t, 2000)
	app := dbtest.AppPool(t, owner.Config().ConnString())
	ctx := context.Background()

	var v = map[access.Role]access.Viewer{}
	rows, err := owner.Query(ctx, `
		SELECT DISTINCT ON (u.role) u.id, u.login, u.role, u.group_id, coalesce(u.branch_id, 0)
		FROM app_user u
		WHERE u.active AND (u.role NOT IN ('manager') OR EXISTS (SELECT 1 FROM client c WHERE c.manager_id = u.id))
		ORDER BY u.role, u.id`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var u access.Viewer
		if err := rows.Scan(&u.UserID, &u.Login, &u.Role, &u.GroupID, &u.BranchID); err != nil {
			t.Fatal(err)
		}
		v[u.Role] = u
	}
	if rows.Err() != nil || len(v) != 4 {
		t.Fatalf("viewers: %v %v", v, rows.Err())
	}

	for table, scoped := range clientTables {
		if n := count(t, ctx, owner, "SELECT count(*) FROM "+table); n == 0 {
			t.Fatalf("the demo bank has no %s rows to test with", table)
		}
		unscoped := strings.Replace(scoped, "%s", "true", 1)
		if n := count(t, ctx, app, unscoped); n != 0 {
			t.Errorf("without a viewer, an unscoped query sees %d %s rows, want 0", n, table)
		}
		for _, role := range []access.Role{access.Manager, access.BranchHead, access.Risk} {
			viewer := v[role]
			args := &db.Args{}
			want := count(t, ctx, owner, strings.Replace(scoped, "%s", access.ClientScope(viewer, "c", args), 1), args.Values()...)
			got := count(t, access.WithViewer(ctx, viewer), app, unscoped)
			if got != want {
				t.Errorf("%s %s: an unscoped query sees %d %s rows, want the %d of their scope", role, viewer.Login, got, table, want)
			}
		}
	}
	// The same connection, taken again for another viewer, forgets the first.
	app.Reset()
	m := access.WithViewer(ctx, v[access.Manager])
	mine := count(t, m, app, "SELECT count(*) FROM client")
	if n := count(t, ctx, app, "SELECT count(*) FROM client"); n != 0 {
		t.Errorf("after a manager's query, a query without a viewer sees %d clients", n)
	}
	if n := count(t, m, app, "SELECT count(*) FROM client"); n != mine {
		t.Errorf("the manager sees %d clients the second time, %d the first", n, mine)
	}
}

// The application's role changes rows but not the schema, and nobody
// changes the audit log.
func TestTheAppRoleOwnsNothingAndTheAuditLogIsAppendOnly(t *testing.T) {
	t.Parallel()
	owner := dbtest.New(t)
	app := dbtest.AppPool(t, owner.Config().ConnString())
	ctx := context.Background()
	if _, err := app.Exec(ctx, `INSERT INTO audit_log (login, action) VALUES ('x', 'test.entry')`); err != nil {
		t.Fatalf("the app cannot add to the audit log: %v", err)
	}
	refused := []struct {
		who  string
		pool *pgxpool.Pool
		sql  string
	}{
		{"app", app, `UPDATE audit_log SET login = 'y'`},
		{"app", app, `DELETE FROM audit_log`},
		{"app", app, `TRUNCATE audit_log`},
		{"app", app, `CREATE TABLE sneaky (id int)`},
		{"app", app, `DROP TABLE client`},
		{"app", app, `ALTER TABLE client DISABLE ROW LEVEL SECURITY`},
		{"app", app, `SELECT nightly_switch_in(ARRAY['client_score'])`},
		{"owner", owner, `UPDATE audit_log SET login = 'y'`},
		{"owner", owner, `DELETE FROM audit_log`},
		{"owner", owner, `TRUNCATE audit_log`},
	}
	for _, r := range refused {
		if _, err := r.pool.Exec(ctx, r.sql); err == nil {
			t.Errorf("%s may %s", r.who, r.sql)
		}
	}
	if n := count(t, ctx, owner, `SELECT count(*) FROM audit_log WHERE login = 'x'`); n != 1 {
		t.Errorf("the audit entry is gone or changed: %d left", n)
	}
	var owns int
	if err := app.QueryRow(ctx, `SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = 'public' AND pg_get_userbyid(c.relowner) = current_user`).Scan(&owns); err != nil || owns != 0 {
		t.Errorf("the app's role owns %d relations (%v)", owns, err)
	}
}
