package clients_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/relaycrm/relay/internal/access"
	"github.com/relaycrm/relay/internal/audit"
	"github.com/relaycrm/relay/internal/clients"
	"github.com/relaycrm/relay/internal/db"
	"github.com/relaycrm/relay/internal/dbtest"
	"github.com/relaycrm/relay/internal/demotest"
	"github.com/relaycrm/relay/internal/input"
)

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

func ids(t *testing.T, pool *pgxpool.Pool, sql string, args ...any) []int64 {
	t.Helper()
	rows, err := pool.Query(context.Background(), sql, args...)
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// reassignBank is the demo bank with BN-SOF-1's manager joined by an active
// colleague and a deactivated one.
type reassignBank struct {
	pool                 *pgxpool.Pool
	store                *clients.Store
	head, otherHead      access.Viewer
	mgr, colleague, gone access.Viewer
	otherBranchMgr       access.Viewer
	warned, active, left []int64 // clients of mgr: with a warning, active, who have left
	otherBranchClient    int64
}

func newReassignBank(t *testing.T) *reassignBank {
	t.Helper()
	pool := demotest.Scored(t, 2000)
	ctx := context.Background()
	if _, err := pool.Exec(ctx, `
		INSERT INTO app_user (group_id, login, name, role, branch_id, password_hash, active)
		SELECT group_id, x.login, x.name, 'manager', branch_id, password_hash, x.active
		FROM app_user, (VALUES ('mgr.bn-sof-1.02', 'Bistra Second', true), ('mgr.bn-sof-1.03', 'Tsvetan Gone', false)) AS x(login, name, active)
		WHERE app_user.login = 'mgr.bn-sof-1.01'`); err != nil {
		t.Fatal(err)
	}
	b := &reassignBank{pool: pool, store: clients.NewStore(pool),
		head: viewerOf(t, pool, "head.bn-sof-1"), otherHead: viewerOf(t, pool, "head.bn-sof-2"),
		mgr: viewerOf(t, pool, "mgr.bn-sof-1.01"), colleague: viewerOf(t, pool, "mgr.bn-sof-1.02"),
		gone: viewerOf(t, pool, "mgr.bn-sof-1.03"), otherBranchMgr: viewerOf(t, pool, "mgr.bn-sof-2.01")}
	b.warned = ids(t, pool, `SELECT c.id FROM client c JOIN client_warning w ON w.client_id = c.id WHERE c.manager_id = $1 ORDER BY c.id`, b.mgr.UserID)
	b.active = ids(t, pool, `SELECT id FROM client WHERE manager_id = $1 AND left_on IS NULL ORDER BY id`, b.mgr.UserID)
	b.left = ids(t, pool, `SELECT id FROM client WHERE manager_id = $1 AND left_on IS NOT NULL ORDER BY id`, b.mgr.UserID)
	b.otherBranchClient = ids(t, pool, `SELECT id FROM client WHERE manager_id = $1 ORDER BY id LIMIT 1`, b.otherBranchMgr.UserID)[0]
	if len(b.warned) < 2 || len(b.left) == 0 {
		t.Fatalf("the demo branch has %d warned clients and %d who left; the test needs some of each", len(b.warned), len(b.left))
	}
	return b
}

// state is who manages every client and every warning, and the audit count:
// what a refused reassignment must leave as it was.
func (b *reassignBank) state(t *testing.T) string {
	t.Helper()
	var s string
	if err := b.pool.QueryRow(context.Background(), `
		SELECT (SELECT string_agg(id || ':' || coalesce(manager_id, 0), ',' ORDER BY id) FROM client)
		    || '|' || (SELECT string_agg(client_id || ':' || coalesce(manager_id, 0), ',' ORDER BY client_id) FROM client_warning)
		    || '|' || (SELECT count(*) FROM audit_log)`).Scan(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

var by = audit.Actor{UserID: 0, Login: "head.bn-sof-1", IP: "10.1.2.3"}

func TestReassignRefusals(t *testing.T) {
	t.Parallel()
	b := newReassignBank(t)
	ctx := context.Background()
	colleagueClient := ids(t, b.pool, `UPDATE client SET manager_id = $1 WHERE id = $2 RETURNING id`, b.colleague.UserID, b.active[len(b.active)-1])[0]
	own := b.active[:2]
	fieldErr := func(field, contains string) func(error) bool {
		return func(err error) bool {
			var errs input.Errors
			return errors.As(err, &errs) && strings.Contains(errs[field], contains)
		}
	}
	notFound := func(err error) bool { return errors.Is(err, db.ErrNotFound) }
	tests := []struct {
		name    string
		viewer  access.Viewer
		r       clients.Reassignment
		wantErr func(error) bool
	}{
		{"no target chosen", b.head, clients.Reassignment{From: b.mgr.UserID, ClientIDs: own}, fieldErr("to", "choose")},
		{"target in another branch", b.head, clients.Reassignment{From: b.mgr.UserID, To: b.otherBranchMgr.UserID, ClientIDs: own}, fieldErr("to", "not a manager of your branch")},
		{"target is the branch head", b.head, clients.Reassignment{From: b.mgr.UserID, To: b.head.UserID, ClientIDs: own}, fieldErr("to", "not a manager of your branch")},
		{"deactivated target", b.head, clients.Reassignment{From: b.mgr.UserID, To: b.gone.UserID, ClientIDs: own}, fieldErr("to", "deactivated")},
		{"target is the same manager", b.head, clients.Reassignment{From: b.mgr.UserID, To: b.mgr.UserID, ClientIDs: own}, fieldErr("to", "already")},
		{"empty selection", b.head, clients.Reassignment{From: b.mgr.UserID, To: b.colleague.UserID}, fieldErr("clients", "select at least one")},
		{"a colleague's client", b.head, clients.Reassignment{From: b.mgr.UserID, To: b.colleague.UserID, ClientIDs: append([]int64{colleagueClient}, own...)}, fieldErr("clients", "no longer")},
		{"a client of another branch among own", b.head, clients.Reassignment{From: b.mgr.UserID, To: b.colleague.UserID, ClientIDs: append([]int64{b.otherBranchClient}, own...)}, notFound},
		{"a client that does not exist", b.head, clients.Reassignment{From: b.mgr.UserID, To: b.colleague.UserID, ClientIDs: append(own, 999999999)}, notFound},
		{"a manager of another branch", b.head, clients.Reassignment{From: b.otherBranchMgr.UserID, To: b.colleague.UserID, ClientIDs: []int64{b.otherBranchClient}}, notFound},
		{"another branch's head moves this branch's clients", b.otherHead, clients.Reassignment{From: b.mgr.UserID, To: b.colleague.UserID, ClientIDs: own}, notFound},
		{"another branch's head takes them into their branch", b.otherHead, clients.Reassignment{From: b.otherBranchMgr.UserID, To: b.otherBranchMgr.UserID, ClientIDs: own}, notFound},
		{"another branch's head moves all", b.otherHead, clients.Reassignment{From: b.mgr.UserID, To: b.colleague.UserID, All: true}, notFound},
		{"a manager", b.mgr, clients.Reassignment{From: b.mgr.UserID, To: b.colleague.UserID, ClientIDs: own}, func(err error) bool { return errors.Is(err, clients.ErrOnlyBranchHead) }},
		{"the risk team", viewerOf(t, b.pool, "risk"), clients.Reassignment{From: b.mgr.UserID, To: b.colleague.UserID, All: true}, func(err error) bool { return errors.Is(err, clients.ErrOnlyBranchHead) }},
		{"all of a manager with none", b.head, clients.Reassignment{From: b.gone.UserID, To: b.colleague.UserID, All: true}, fieldErr("clients", "no clients")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := b.state(t)
			_, err := b.store.Reassign(ctx, tt.viewer, by, tt.r)
			if err == nil || !tt.wantErr(err) {
				t.Fatalf("error %v, not the one expected", err)
			}
			if after := b.state(t); after != before {
				t.Error("a refused reassignment changed clients, warnings or the audit log")
			}
		})
	}
}

func TestReassignSelected(t *testing.T) {
	t.Parallel()
	b := newReassignBank(t)
	ctx := context.Background()
	moving := []int64{b.warned[0], b.warned[1], b.left[0]}
	var openBefore int
	if err := b.pool.QueryRow(ctx, `SELECT count(*) FROM cross_sell_trigger WHERE client_id = ANY($1) AND status IN ('new', 'contacted', 'offered')`,
		moving).Scan(&openBefore); err != nil {
		t.Fatal(err)
	}
	// duplicates and any order are fine
	got, err := b.store.Reassign(ctx, b.head, by, clients.Reassignment{From: b.mgr.UserID, To: b.colleague.UserID,
		ClientIDs: []int64{moving[2], moving[0], moving[1], moving[0]}})
	if err != nil {
		t.Fatal(err)
	}
	want := slices.Clone(moving)
	slices.Sort(want)
	if !slices.Equal(got.ClientIDs, want) || got.Left != 1 || got.From.ID != b.mgr.UserID || got.To.ID != b.colleague.UserID {
		t.Errorf("reassigned %+v, want clients %v (1 left) from %d to %d", got, want, b.mgr.UserID, b.colleague.UserID)
	}
	if n := ids(t, b.pool, `SELECT id FROM client WHERE id = ANY($1) AND manager_id = $2 ORDER BY id`, moving, b.colleague.UserID); !slices.Equal(n, want) {
		t.Errorf("clients now with the colleague: %v, want %v", n, want)
	}
	if n := ids(t, b.pool, `SELECT client_id FROM client_warning WHERE client_id = ANY($1) AND manager_id = $2 ORDER BY client_id`, moving, b.colleague.UserID); len(n) != 2 {
		t.Errorf("warnings naming the colleague: %v, want the two warned clients'", n)
	}
	var openAfter int
	if err := b.pool.QueryRow(ctx, `SELECT count(*) FROM cross_sell_trigger t JOIN client c ON c.id = t.client_id
		WHERE c.manager_id = $2 AND t.client_id = ANY($1) AND t.status IN ('new', 'contacted', 'offered')`,
		moving, b.colleague.UserID).Scan(&openAfter); err != nil {
		t.Fatal(err)
	}
	if openAfter != openBefore || openBefore == 0 {
		t.Errorf("%d open triggers followed the clients, want %d (and some)", openAfter, openBefore)
	}
	// Nobody else moved.
	if n := ids(t, b.pool, `SELECT id FROM client WHERE manager_id = $1`, b.colleague.UserID); len(n) != 3 {
		t.Errorf("the colleague has %d clients, want 3", len(n))
	}

	var object, login, action string
	var details []byte
	if err := b.pool.QueryRow(ctx, `SELECT action, object, login, details FROM audit_log WHERE action = 'client.reassign'`).
		Scan(&action, &object, &login, &details); err != nil {
		t.Fatalf("no audit entry: %v", err)
	}
	var d struct {
		From      int64   `json:"from_manager_id"`
		To        int64   `json:"to_manager_id"`
		ToLogin   string  `json:"to_manager"`
		ClientIDs []int64 `json:"client_ids"`
		All       bool    `json:"all"`
	}
	if err := json.Unmarshal(details, &d); err != nil {
		t.Fatal(err)
	}
	if object != "user:"+itoa(b.mgr.UserID) || login != "head.bn-sof-1" || d.From != b.mgr.UserID || d.To != b.colleague.UserID ||
		d.ToLogin != "mgr.bn-sof-1.02" || !slices.Equal(d.ClientIDs, want) || d.All {
		t.Errorf("audit %s %s by %s: %s", action, object, login, details)
	}
}

func TestReassignAllIncludesClientsWhoLeft(t *testing.T) {
	t.Parallel()
	b := newReassignBank(t)
	ctx := context.Background()
	all := append(slices.Clone(b.active), b.left...)
	slices.Sort(all)
	got, err := b.store.Reassign(ctx, b.head, by, clients.Reassignment{From: b.mgr.UserID, To: b.colleague.UserID, All: true,
		ClientIDs: []int64{b.otherBranchClient}}) // ignored with All
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.ClientIDs, all) || got.Left != len(b.left) {
		t.Errorf("moved %d clients (%d left), want %d (%d left)", len(got.ClientIDs), got.Left, len(all), len(b.left))
	}
	if n := ids(t, b.pool, `SELECT id FROM client WHERE manager_id = $1`, b.mgr.UserID); len(n) != 0 {
		t.Errorf("the manager still has clients %v", n)
	}
	if n := ids(t, b.pool, `SELECT client_id FROM client_warning WHERE manager_id = $1`, b.mgr.UserID); len(n) != 0 {
		t.Errorf("warnings still name the manager: %v", n)
	}
	// With no client left, the manager may now be moved out of the branch.
	if _, err := b.pool.Exec(ctx, `UPDATE app_user SET branch_id = $2 WHERE id = $1`, b.mgr.UserID, b.otherHead.BranchID); err != nil {
		t.Errorf("the manager still cannot change branch: %v", err)
	}
	var clientCount int
	var all2 bool
	if err := b.pool.QueryRow(ctx, `SELECT (details->>'clients')::int, (details->>'all')::boolean FROM audit_log WHERE action = 'client.reassign'`).
		Scan(&clientCount, &all2); err != nil || clientCount != len(all) || !all2 {
		t.Errorf("audit: %d clients, all %v (%v)", clientCount, all2, err)
	}
}

func TestReassignQueriesPrepare(t *testing.T) {
	t.Parallel()
	if err := db.CheckAll(context.Background(), dbtest.New(t), clients.SQL); err != nil {
		t.Fatal(err)
	}
}

func itoa(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}
