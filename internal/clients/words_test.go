package clients_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/relaycrm/relay/internal/access"
	"github.com/relaycrm/relay/internal/clients"
	"github.com/relaycrm/relay/internal/dbtest"
)

// wordsOff counts the rows by which client_name_word differs from the
// words of the client table as they are now (both ways), and the words it
// holds that name_word does not.
func wordsOff(t *testing.T, pool *pgxpool.Pool) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), `
		WITH fresh AS (
			SELECT w AS word, c.group_id, c.id, c.bank_id, c.branch_id, c.region_id, c.industry_id, c.manager_id,
			       c.size_band, c.since, c.left_on, c.legal_name, c.tax_id
			FROM client c, client_name_words(c.legal_name) w),
		kept AS (
			SELECT word, group_id, id, bank_id, branch_id, region_id, industry_id, manager_id, size_band, since,
			       left_on, legal_name, tax_id FROM client_name_word)
		SELECT (SELECT count(*) FROM (TABLE fresh EXCEPT ALL TABLE kept) x)
		     + (SELECT count(*) FROM (TABLE kept EXCEPT ALL TABLE fresh) x)
		     + (SELECT count(*) FROM (SELECT word FROM client_name_word EXCEPT SELECT word FROM name_word) x)`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// The words of the names (migration 00030) follow every change of the
// client table, made by the owner or by the application's role: a new
// client, a new name, a client who leaves or moves, an update that changes
// nothing they copy, a client deleted; and the risk team's search finds by
// them what an ILIKE on the names finds.
func TestNameWordsFollowTheClients(t *testing.T) {
	t.Parallel()
	pool := dbtest.NewDemo(t, 2000)
	app := dbtest.AppPool(t, pool.Config().ConnString())
	ctx := context.Background()
	store := clients.NewStore(app)
	risk := viewerOf(t, pool, "risk")
	head := viewerOf(t, pool, "head.bn-sof-1")
	now := dbtest.DemoNow

	var words []string
	rows, err := pool.Query(ctx, `SELECT client_name_words(E'  Alpha\tBeta  beta\nAlpha ') ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var w string
		if err := rows.Scan(&w); err != nil {
			t.Fatal(err)
		}
		words = append(words, w)
	}
	if fmt.Sprint(words) != "[Alpha Beta beta]" {
		t.Errorf("the words of a name: %q", words)
	}
	if n := wordsOff(t, pool); n != 0 {
		t.Fatalf("after the demo's load, %d rows of client_name_word differ from the names", n)
	}

	search := func(q string) []int64 {
		t.Helper()
		page, err := store.List(access.WithViewer(ctx, risk), risk, clients.Filter{Query: q, Status: "all"}, now)
		if err != nil {
			t.Fatalf("search %q: %v", q, err)
		}
		var out []int64
		for _, r := range page.Rows {
			out = append(out, r.ID)
		}
		if page.Total != len(out) {
			t.Errorf("search %q: total %d for %d rows", q, page.Total, len(out))
		}
		return out
	}
	step := func(what, sql string, on *pgxpool.Pool, c context.Context, args ...any) {
		t.Helper()
		if _, err := on.Exec(c, sql, args...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if n := wordsOff(t, pool); n != 0 {
			t.Errorf("after %s, %d rows of client_name_word differ from the names", what, n)
		}
	}

	// two new clients of the head's branch, one with a word twice
	step("two new clients", `
		INSERT INTO client (group_id, bank_id, ref, tax_id, legal_name, branch_id, region_id, industry_id, size_band, since, manager_id)
		SELECT group_id, bank_id, r.ref, r.tax, r.name, branch_id, region_id, industry_id, size_band, since, manager_id
		FROM client, (VALUES ('ZQ-1', 'ZQ000001', 'Zqxw Vortexa Holding  Zqxw'), ('ZQ-2', 'ZQ000002', 'Plain Quillet OOD')) r(ref, tax, name)
		WHERE id = (SELECT min(id) FROM client WHERE branch_id = $1)`, pool, ctx, head.BranchID)
	var vortexa, quillet int64
	if err := pool.QueryRow(ctx, `SELECT (SELECT id FROM client WHERE ref = 'ZQ-1'), (SELECT id FROM client WHERE ref = 'ZQ-2')`).
		Scan(&vortexa, &quillet); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"zqxw", "VORTEX", "xw", "vortexa hold"} {
		if got := search(q); fmt.Sprint(got) != fmt.Sprint([]int64{vortexa}) {
			t.Errorf("search %q: %v, want [%d] once", q, got, vortexa)
		}
	}

	// renamed by the application's role, keyed as the branch head: its old
	// words no longer find it
	asHead := access.WithViewer(ctx, head)
	step("a new name", `UPDATE client SET legal_name = 'Quillon Brothers ET' WHERE id = $1`, app, asHead, vortexa)
	if got := search("vortexa"); len(got) != 0 {
		t.Errorf("the old name still finds %v", got)
	}
	if got := search("quillon"); fmt.Sprint(got) != fmt.Sprint([]int64{vortexa}) {
		t.Errorf("the new name finds %v, want [%d]", got, vortexa)
	}
	step("a client who leaves", `UPDATE client SET left_on = since + 400 WHERE id = $1`, app, asHead, quillet)
	page, err := store.List(access.WithViewer(ctx, risk), risk, clients.Filter{Query: "quillet"}, now)
	if err != nil || len(page.Rows) != 0 {
		t.Errorf("the active clients named quillet: %+v (%v), want none", page.Rows, err)
	}
	step("a client moved to another manager", `
		UPDATE client SET manager_id = (SELECT id FROM app_user WHERE role = 'manager' AND branch_id = $1 AND id <> client.manager_id LIMIT 1)
		WHERE id = $2`, app, asHead, head.BranchID, vortexa)
	step("an update that changes no word", `UPDATE client SET updated_at = now()`, pool, ctx)
	step("a client deleted", `DELETE FROM client WHERE id = $1`, pool, ctx, quillet)
	if got := search("quillet"); len(got) != 0 {
		t.Errorf("a deleted client is still found: %v", got)
	}
}

// Only the owner reads the words; the application's role finds clients by
// them through client_search_words, for a viewer of the group it asks for.
func TestNameWordsAreTheGroupsOnly(t *testing.T) {
	t.Parallel()
	pool := dbtest.NewDemo(t, 2000)
	app := dbtest.AppPool(t, pool.Config().ConnString())
	ctx := context.Background()
	risk := viewerOf(t, pool, "risk")
	head := viewerOf(t, pool, "head.bn-sof-1")
	for _, table := range []string{"client_name_word", "name_word"} {
		if _, err := app.Exec(access.WithViewer(ctx, risk), "SELECT 1 FROM "+table+" LIMIT 1"); err == nil {
			t.Errorf("the application's role reads %s", table)
		}
	}
	found := func(c context.Context, group int64) int {
		t.Helper()
		var n int
		if err := app.QueryRow(c, `SELECT count(*) FROM client_search_words('%ar%', $1::smallint, 100000)`, group).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	var want int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM client WHERE legal_name ILIKE '%ar%' AND group_id = $1`, risk.GroupID).Scan(&want); err != nil {
		t.Fatal(err)
	}
	if got := found(access.WithViewer(ctx, risk), risk.GroupID); got != want || want == 0 {
		t.Errorf("the risk team finds %d clients, want the %d whose name has ar", got, want)
	}
	for name, c := range map[string]context.Context{"no viewer": ctx, "a branch head": access.WithViewer(ctx, head),
		"a risk viewer of another group": access.WithViewer(ctx, access.Viewer{Role: access.Risk, GroupID: risk.GroupID + 1})} {
		if got := found(c, risk.GroupID); got != 0 {
			t.Errorf("%s finds %d clients of group %d", name, got, risk.GroupID)
		}
	}
}
