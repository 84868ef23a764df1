package clients_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/relaycrm/relay/internal/access"
	"github.com/relaycrm/relay/internal/clients"
	"github.com/relaycrm/relay/internal/dbtest"
	"github.com/relaycrm/relay/internal/input"
)

// The client list reads its page through whichever index suits the filters
// (the region and industry indexes of migration 00022, the risk team's name
// search through client_search_named): whatever the plan, for every role a
// page holds the rows and the order of the plain statement over the client
// table (scope, filters and an ILIKE on the name, ordered by the sort), and
// the total is every match.
func TestListPagesAreThoseOfThePlainStatement(t *testing.T) {
	t.Parallel()
	pool := dbtest.NewDemo(t, 2000)
	ctx := context.Background()
	app := dbtest.AppPool(t, pool.Config().ConnString())
	store := clients.NewStore(app)
	now := dbtest.DemoNow

	// the busiest region and industry
	var region, industry int64
	if err := pool.QueryRow(ctx, `
		SELECT (SELECT region_id FROM client GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1),
		       (SELECT industry_id FROM client GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1)`).Scan(&region, &industry); err != nil {
		t.Fatal(err)
	}
	// least is how many matches the risk team must see for the case to
	// cover more than two pages
	cases := []struct {
		name   string
		filter clients.Filter
		least  int
	}{
		{"a common piece of a name", clients.Filter{Query: "ar"}, 51},
		{"a word in capitals, by tenure", clients.Filter{Query: "TECH", Sort: "-since"}, 51},
		{"a common piece, active and left, in a region", clients.Filter{Query: "ar", Status: "all", RegionID: region}, 26},
		{"a common piece, of those who left, by tax id", clients.Filter{Query: "ar", Status: "left", Sort: "tax"}, 51},
		{"a region, micro, 36 months and more", clients.Filter{RegionID: region, Size: "micro", Tenure: "36+"}, 26},
		{"a region and a size", clients.Filter{RegionID: region, Size: "small", Sort: "-name"}, 51},
		{"an industry by tenure", clients.Filter{IndustryID: industry, Sort: "-since"}, 51},
		{"an industry, 12 to 24 months, by bank", clients.Filter{IndustryID: industry, Tenure: "12-24", Sort: "bank"}, 26},
		{"an industry of all statuses by tenure", clients.Filter{IndustryID: industry, Status: "all", Sort: "since"}, 51},
		{"nobody matches", clients.Filter{Query: "no such client name"}, 0},
		// the matches are counted apart from the page's columns (each sort
		// collects only its own columns)
		{"everyone, by tax id descending", clients.Filter{Sort: "-tax"}, 51},
		{"everyone of all statuses, by bank descending", clients.Filter{Status: "all", Sort: "-bank"}, 51},
		{"an industry of those who left, by name descending", clients.Filter{IndustryID: industry, Status: "left", Sort: "-name"}, 0},
	}
	viewers := []access.Viewer{viewerOf(t, pool, "risk"), viewerOf(t, pool, "head.bn-sof-1"), viewerOf(t, pool, "mgr.bn-sof-1.01")}
	for _, v := range viewers {
		for _, c := range cases {
			t.Run(string(v.Role)+"/"+c.name, func(t *testing.T) {
				want := plainList(t, pool, v, c.filter, now)
				if v.Role == access.Risk && len(want) < c.least {
					t.Fatalf("%d matches; the case needs %d", len(want), c.least)
				}
				pages := max(1, (len(want)+clients.PerPage-1)/clients.PerPage)
				for _, n := range []int{1, 2, pages} {
					if n > pages {
						continue
					}
					f := c.filter
					f.Page = n
					got, err := store.List(access.WithViewer(ctx, v), v, f, now)
					if err != nil {
						t.Fatalf("page %d: %v", n, err)
					}
					if got.Total != len(want) || got.Capped || got.Partial {
						t.Errorf("page %d: total %d (capped %v, partial %v), want %d", n, got.Total, got.Capped, got.Partial, len(want))
					}
					from := (n - 1) * clients.PerPage
					wantIDs := want[from:min(from+clients.PerPage, len(want))]
					var gotIDs []int64
					for _, r := range got.Rows {
						gotIDs = append(gotIDs, r.ID)
					}
					if fmt.Sprint(gotIDs) != fmt.Sprint(wantIDs) {
						t.Errorf("page %d: %v, want %v", n, gotIDs, wantIDs)
					}
				}
			})
		}
	}
}

// plainList is every client v sees that matches f, in f's order, by the
// plain statement: the scope and filters on the client table, as its owner.
func plainList(t *testing.T, pool *pgxpool.Pool, v access.Viewer, f clients.Filter, now time.Time) []int64 {
	t.Helper()
	orders := map[string]string{"": "legal_name, id", "name": "legal_name, id", "-name": "legal_name DESC, id DESC",
		"since": "since, id", "-since": "since DESC, id DESC", "tax": "tax_id, id", "-tax": "tax_id DESC, id DESC",
		"bank": "bank_id, legal_name, id", "-bank": "bank_id DESC, legal_name DESC, id DESC"}
	scope := map[access.Role]string{access.Risk: "group_id = $1", access.BranchHead: "branch_id = $2", access.Manager: "manager_id = $3"}
	conds := []string{"$1::bigint + $2::bigint + $3::bigint IS NOT NULL AND $8::date IS NOT NULL", scope[v.Role], "($4::text = '' OR legal_name ILIKE '%' || $4 || '%')", "($5::bigint = 0 OR region_id = $5)",
		"($6::bigint = 0 OR industry_id = $6)", "($7::text = '' OR size_band = $7)"}
	switch f.Status {
	case "", "active":
		conds = append(conds, "left_on IS NULL")
	case "left":
		conds = append(conds, "left_on IS NOT NULL")
	}
	for _, b := range clients.TenureBands {
		if b.Code == f.Tenure {
			conds = append(conds, fmt.Sprintf("since <= $8::date - %d * interval '1 month'", b.From))
			if b.To > 0 {
				conds = append(conds, fmt.Sprintf("since > $8::date - %d * interval '1 month'", b.To))
			}
		}
	}
	return ids(t, pool, fmt.Sprintf(`SELECT id FROM client WHERE %s ORDER BY %s`, strings.Join(conds, " AND "), orders[f.Sort]),
		v.GroupID, v.BranchID, v.UserID, f.Query, f.RegionID, f.IndustryID, f.Size, now)
}

// ListView is the one read model of the screen and the API: its numbered
// pages and its keyset pages hold the same clients, each with its tenure to
// the day it left or to now, and it names the parameter it cannot use.
func TestListViewByPageAndByKeysetAgree(t *testing.T) {
	t.Parallel()
	pool := dbtest.NewDemo(t, 2000)
	ctx := context.Background()
	store := clients.NewStore(dbtest.AppPool(t, pool.Config().ConnString()))
	now := dbtest.DemoNow
	head := viewerOf(t, pool, "head.bn-sof-1")
	ctx = access.WithViewer(ctx, head)
	f := clients.Filter{Status: "all"}

	byPage := map[int64]clients.Row{}
	first, err := store.ListView(ctx, head, clients.ListQuery{Filter: f, Options: true}, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(first.Options.Branches) != 1 || first.Options.Branches[0].ID != head.BranchID || first.Filter.Sort != "name" {
		t.Errorf("the screen's view: branches %v, sort %q", first.Options.Branches, first.Filter.Sort)
	}
	for p := 1; p <= first.Pages(); p++ {
		f.Page = p
		view, err := store.ListView(ctx, head, clients.ListQuery{Filter: f}, now)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range view.Rows {
			byPage[r.ID] = r
		}
	}
	if len(byPage) != first.Total || first.Total < 2*clients.PerPage {
		t.Fatalf("%d clients on %d pages, total %d", len(byPage), first.Pages(), first.Total)
	}

	f.Page = 0
	seen, pages, left := 0, 0, 0
	for after := int64(0); ; pages++ {
		view, err := store.ListView(ctx, head, clients.ListQuery{Filter: f, After: after, Limit: 40}, now)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range view.Rows {
			if r.ID <= after {
				t.Fatalf("client %d after %d", r.ID, after)
			}
			after = r.ID
			seen++
			if p, ok := byPage[r.ID]; !ok || p.TenureMonths != r.TenureMonths {
				t.Errorf("client %d: by keyset %+v, by page %+v", r.ID, r, p)
			}
			end := now
			if r.LeftOn != nil {
				end, left = *r.LeftOn, left+1
			}
			if r.TenureMonths != clients.MonthsBetween(r.Since, end) {
				t.Errorf("client %d: tenure %d months from %s to %s", r.ID, r.TenureMonths, r.Since, end)
			}
		}
		if view.Next == 0 {
			break
		}
		if view.Next != after || len(view.Rows) != 40 {
			t.Fatalf("next %d after a page of %d ending at %d", view.Next, len(view.Rows), after)
		}
	}
	if seen != len(byPage) || pages < 2 || left == 0 {
		t.Errorf("the keyset read %d clients on %d pages (%d who left), the numbered pages %d", seen, pages+1, left, len(byPage))
	}

	for _, q := range []clients.ListQuery{{Filter: clients.Filter{Size: "huge"}}, {Filter: clients.Filter{Size: "huge"}, Limit: 5},
		{Limit: clients.MaxAfter + 1}} {
		_, err := store.ListView(ctx, head, q, now)
		var errs input.Errors
		if !errors.As(err, &errs) || (errs["size"] == "" && errs["limit"] == "") {
			t.Errorf("%+v: %v, want the parameter named", q, err)
		}
	}
}
