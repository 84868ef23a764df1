package imports

import (
	"bytes"
	"context"
	"encoding/csv"
	"testing"

	"github.com/relaycrm/relay/internal/access"
	"github.com/relaycrm/relay/internal/audit"
	"github.com/relaycrm/relay/internal/clients"
	"github.com/relaycrm/relay/internal/demotest"
	"github.com/relaycrm/relay/internal/warnings"
)

// TestWarningFollowsItsClientBeforeTheNextRun moves a warned client of the
// scored demo bank to another branch and another manager, and renames it, by
// a feed, then has the new branch's head reassign it: the churn list, which
// reads the warning's copies of where the client stands (migration 00007),
// follows each change at once, without a nightly run in between.
func TestWarningFollowsItsClientBeforeTheNextRun(t *testing.T) {
	t.Parallel()
	pool := demotest.Scored(t, 2000)
	ctx := context.Background()

	// A warned client with a manager, and another branch of its bank with a
	// head and a manager (the demo bank has one manager a branch; the test
	// gives the new branch a second one below).
	var (
		clientID, groupID              int64
		oldBranch, newBranch           int64
		oldManager, newManager, third  int64
		oldHead, newHead               int64
		bank, ref, taxID, name, region string
		industry, size, since, leftOn  string
		newBranchCode, newManagerLogin string
	)
	err := pool.QueryRow(ctx, `
		WITH branch_staff AS (
		    SELECT br.id, br.bank_id, br.code,
		           (SELECT u.id FROM app_user u WHERE u.branch_id = br.id AND u.role = 'branch_head' AND u.active ORDER BY u.id LIMIT 1) AS head,
		           (SELECT array_agg(u.id ORDER BY u.id) FROM app_user u WHERE u.branch_id = br.id AND u.role = 'manager' AND u.active) AS managers
		    FROM branch br)
		SELECT c.id, c.group_id, c.branch_id, c.manager_id, ob.head, nb.id, nb.code, nb.head, nb.managers[1],
		       (SELECT login FROM app_user WHERE id = nb.managers[1]),
		       b.code, c.ref, c.tax_id, c.legal_name, r.code, i.code, c.size_band, to_char(c.since, 'YYYY-MM-DD'),
		       coalesce(to_char(c.left_on, 'YYYY-MM-DD'), '')
		FROM client_warning w
		JOIN client c ON c.id = w.client_id
		JOIN bank b ON b.id = c.bank_id
		JOIN region r ON r.id = c.region_id
		JOIN industry i ON i.id = c.industry_id
		JOIN branch_staff ob ON ob.id = c.branch_id
		JOIN branch_staff nb ON nb.bank_id = c.bank_id AND nb.id <> c.branch_id
		WHERE c.manager_id IS NOT NULL AND ob.head IS NOT NULL AND nb.head IS NOT NULL
		  AND cardinality(nb.managers) >= 1
		ORDER BY w.score DESC, c.id, nb.id
		LIMIT 1`).Scan(&clientID, &groupID, &oldBranch, &oldManager, &oldHead, &newBranch, &newBranchCode, &newHead,
		&newManager, &newManagerLogin, &bank, &ref, &taxID, &name, &region, &industry, &size, &since, &leftOn)
	if err != nil {
		t.Fatalf("find a warned client and another branch: %v", err)
	}
	if err := pool.QueryRow(ctx, `
		INSERT INTO app_user (group_id, login, name, role, branch_id, password_hash)
		SELECT group_id, login || '.second', name || ' Second', 'manager', branch_id, password_hash
		FROM app_user WHERE id = $1
		RETURNING id`, newManager).Scan(&third); err != nil {
		t.Fatalf("a second manager for branch %d: %v", newBranch, err)
	}

	head := func(id, branch int64) access.Viewer {
		return access.Viewer{UserID: id, Role: access.BranchHead, GroupID: groupID, BranchID: branch}
	}
	manager := func(id, branch int64) access.Viewer {
		return access.Viewer{UserID: id, Role: access.Manager, GroupID: groupID, BranchID: branch}
	}
	risk := access.Viewer{Role: access.Risk, GroupID: groupID}
	// onList says whether v's churn list (filtered by f) holds the client, as
	// the page shows it and as the export reads it.
	onList := func(v access.Viewer, f warnings.ListFilter) (bool, warnings.Warning) {
		t.Helper()
		var found warnings.Warning
		var inExport bool
		if _, err := warnings.Each(ctx, pool, v, f, func(w *warnings.Warning) error {
			if w.ClientID == clientID {
				inExport, found = true, *w
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		f.PerPage = warnings.MaxPerPage
		var onPages bool
		for f.Page = 1; ; f.Page++ {
			page, err := warnings.List(ctx, pool, v, f)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range page.Warnings {
				onPages = onPages || w.ClientID == clientID
			}
			if f.Page >= page.Pages() {
				break
			}
		}
		if onPages != inExport {
			t.Errorf("viewer %+v, filter %+v: on the pages %v, in the export %v", v, f, onPages, inExport)
		}
		return inExport, found
	}
	want := func(when string, v access.Viewer, f warnings.ListFilter, on bool) {
		t.Helper()
		if got, _ := onList(v, f); got != on {
			t.Errorf("%s: client %d on the churn list of %s %d (filter %+v): %v, want %v",
				when, clientID, v.Role, v.UserID, f, got, on)
		}
	}

	want("before the feed", head(oldHead, oldBranch), warnings.ListFilter{}, true)
	want("before the feed", head(newHead, newBranch), warnings.ListFilter{}, false)
	want("before the feed", manager(oldManager, oldBranch), warnings.ListFilter{}, true)

	// The feed moves the client to the other branch, gives it one of that
	// branch's managers and renames it.
	renamed := name + " (renamed)"
	if len(renamed) > 200 {
		renamed = name[:150] + " (renamed)"
	}
	var feed bytes.Buffer
	cw := csv.NewWriter(&feed)
	_ = cw.Write([]string{"bank", "ref", "tax_id", "legal_name", "branch", "region", "industry", "size_band", "since", "left_on", "manager"})
	_ = cw.Write([]string{bank, ref, taxID, renamed, newBranchCode, region, industry, size, since, leftOn, newManagerLogin})
	cw.Flush()
	res := mustApply(t, pool, map[string][]byte{"clients.csv": feed.Bytes()})
	for _, f := range res.Files {
		if f.Updated != 1 {
			t.Errorf("%s: %d updated, want 1", f.Name, f.Updated)
		}
	}

	// No nightly run in between: the warning moved with its client.
	const when = "after the feed"
	want(when, head(oldHead, oldBranch), warnings.ListFilter{}, false)
	want(when, manager(oldManager, oldBranch), warnings.ListFilter{}, false)
	want(when, head(newHead, newBranch), warnings.ListFilter{}, true)
	want(when, manager(newManager, newBranch), warnings.ListFilter{}, true)
	want(when, risk, warnings.ListFilter{BranchID: oldBranch}, false)
	want(when, risk, warnings.ListFilter{BranchID: newBranch}, true)
	want(when, risk, warnings.ListFilter{ManagerID: newManager}, true)
	if _, w := onList(head(newHead, newBranch), warnings.ListFilter{Sort: "name"}); w.ClientName != renamed ||
		w.ManagerID != newManager || w.Branch == "" {
		t.Errorf("%s: the new head's list shows %q, manager %d, branch %q; want %q, manager %d",
			when, w.ClientName, w.ManagerID, w.Branch, renamed, newManager)
	}
	var stale int
	if err := pool.QueryRow(ctx, `
		SELECT count(*) FROM client_warning w JOIN client c ON c.id = w.client_id
		WHERE (w.group_id, w.bank_id, w.region_id, w.branch_id, w.industry_id, w.legal_name, w.manager_id)
		      IS DISTINCT FROM (c.group_id, c.bank_id, c.region_id, c.branch_id, c.industry_id, c.legal_name, c.manager_id)`).
		Scan(&stale); err != nil || stale != 0 {
		t.Errorf("%s: %d warnings differ from their client (%v)", when, stale, err)
	}

	// The new head hands the client to the branch's other manager.
	if _, err := clients.NewStore(pool).Reassign(ctx, head(newHead, newBranch), audit.Actor{UserID: newHead, Login: "head"},
		clients.Reassignment{From: newManager, To: third, ClientIDs: []int64{clientID}}); err != nil {
		t.Fatalf("reassign: %v", err)
	}
	const after = "after the reassignment"
	want(after, manager(newManager, newBranch), warnings.ListFilter{}, false)
	want(after, manager(third, newBranch), warnings.ListFilter{}, true)
	want(after, head(newHead, newBranch), warnings.ListFilter{ManagerID: third}, true)
	want(after, head(newHead, newBranch), warnings.ListFilter{ManagerID: newManager}, false)
}
