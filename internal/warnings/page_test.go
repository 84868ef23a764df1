package warnings_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/relaycrm/relay/internal/access"
	"github.com/relaycrm/relay/internal/dbtest"
	"github.com/relaycrm/relay/internal/demotest"
	"github.com/relaycrm/relay/internal/warnings"
)

// A page of the churn list is read in two statements (its ids and count,
// then its rows); the whole list, for exports, in one. For every role, with
// and without filters, in every order, a page holds exactly the warnings of
// the whole list at its place, with the same figures, and counts them all.
func TestPagesAreThoseOfTheWholeList(t *testing.T) {
	t.Parallel()
	owner := demotest.Scored(t, 2000)
	app := dbtest.AppPool(t, owner.Config().ConnString())
	ctx := context.Background()

	viewers := map[access.Role]access.Viewer{}
	rows, err := owner.Query(ctx, `
		SELECT DISTINCT ON (u.role) u.id, u.login, u.role, u.group_id, coalesce(u.branch_id, 0)
		FROM app_user u
		WHERE u.role IN ('risk', 'branch_head', 'manager')
		  AND (u.role <> 'manager' OR EXISTS (SELECT 1 FROM client_warning w WHERE w.manager_id = u.id))
		ORDER BY u.role, u.id`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var v access.Viewer
		if err := rows.Scan(&v.UserID, &v.Login, &v.Role, &v.GroupID, &v.BranchID); err != nil {
			t.Fatal(err)
		}
		viewers[v.Role] = v
	}
	if rows.Err() != nil || len(viewers) != 3 {
		t.Fatalf("viewers: %v %v", viewers, rows.Err())
	}
	var bank int64
	if err := owner.QueryRow(ctx, `SELECT bank_id FROM client_warning GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1`).Scan(&bank); err != nil {
		t.Fatal(err)
	}
	filters := map[string]warnings.ListFilter{
		"everything":           {},
		"high":                 {Level: warnings.High},
		"turnover fell":        {Signal: warnings.Turnover},
		"a bank, watch":        {BankID: bank, Level: warnings.Watch},
		"nothing (no such id)": {ManagerID: 1 << 30},
	}
	const perPage = 7
	for role, v := range viewers {
		vctx := access.WithViewer(ctx, v)
		for name, filter := range filters {
			for _, sort := range warnings.Sorts {
				f := filter
				f.Sort, f.PerPage = sort, perPage
				var all []string
				if _, err := warnings.Each(vctx, app, v, f, func(w *warnings.Warning) error {
					all = append(all, fmt.Sprintf("%d %d %s %v %s", w.ClientID, w.Score, w.ClientName, deref(w.CLV), w.Segment))
					return nil
				}); err != nil {
					t.Fatal(err)
				}
				if role == access.Risk && name == "everything" && len(all) < 3*perPage {
					t.Fatalf("the demo bank has %d warnings; the test needs %d", len(all), 3*perPage)
				}
				last := max(1, (len(all)+perPage-1)/perPage)
				for _, n := range []int{1, 2, last, last + 1} {
					f.Page = n
					page, err := warnings.List(vctx, app, v, f)
					if err != nil {
						t.Fatalf("%s %s %s page %d: %v", role, name, sort, n, err)
					}
					var got []string
					for _, w := range page.Warnings {
						got = append(got, fmt.Sprintf("%d %d %s %v %s", w.ClientID, w.Score, w.ClientName, deref(w.CLV), w.Segment))
					}
					from := min((n-1)*perPage, len(all))
					want := all[from:min(from+perPage, len(all))]
					if fmt.Sprint(got) != fmt.Sprint(want) || page.Total != len(all) {
						t.Errorf("%s %s by %s, page %d: %d of %d\n%q\nwant\n%q", role, name, sort, n, len(got), page.Total, got, want)
					}
				}
			}
		}
	}
}

func deref(p *int64) any {
	if p == nil {
		return nil
	}
	return *p
}
