package web_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/relaycrm/relay/seeds"
)

// Each sort of the churn list is a statement of its own, read in index order
// where it can be (issue 15): whatever the plan, every page is the slice of
// the whole ordered list that its number says, for every sort and for each
// role's scope, and the total is every warning the viewer sees.
func TestEveryChurnSortPagesThroughTheWholeOrderedList(t *testing.T) {
	t.Parallel()
	srv := churnServer(t)
	ctx := context.Background()
	manager, head := churnPeople(t, srv)
	orders := map[string]string{
		"-score": "w.probability DESC, w.client_id",
		"score":  "w.probability, w.client_id",
		"-clv":   "w.clv DESC NULLS LAST, w.probability DESC, w.client_id",
		"clv":    "w.clv, w.probability DESC, w.client_id",
		"name":   "w.legal_name, w.probability DESC, w.client_id",
		"-name":  "w.legal_name DESC, w.probability DESC, w.client_id",
		"since":  "w.warned_since, w.probability DESC, w.client_id",
		"-since": "w.warned_since DESC, w.probability DESC, w.client_id",
	}
	for _, who := range []struct{ login, scope string }{
		{riskLogin, "true"},
		{head, "w.branch_id = (SELECT branch_id FROM app_user WHERE login = $1)"},
		{manager, "w.manager_id = (SELECT id FROM app_user WHERE login = $1)"},
	} {
		c := srv.NewClient(t)
		c.Login(who.login, seeds.DemoPassword)
		// every sort unfiltered; riskiest first and by value at risk also
		// filtered, as the count and the value-at-risk order have indexes
		// of their own (migration 00029)
		type view struct{ sort, query, cond string }
		var views []view
		for sort := range orders {
			views = append(views, view{sort, "", "true"})
		}
		for _, sort := range []string{"-score", "-clv"} {
			views = append(views, view{sort, "&level=high", "w.level = 'high'"},
				view{sort, "&signal=turnover", "w.turnover_fired"})
		}
		for _, vw := range views {
			sort, order := vw.sort, orders[vw.sort]
			var all []int64
			if err := srv.Pool.QueryRow(ctx, fmt.Sprintf(`SELECT coalesce(array_agg(w.client_id ORDER BY %s), '{}')
				FROM client_warning w WHERE %s AND %s AND $1 <> ''`, order, who.scope, vw.cond), who.login).Scan(&all); err != nil {
				t.Fatal(err)
			}
			if len(all) < 2 {
				t.Fatalf("%s sees %d warnings%s; the case needs more", who.login, len(all), vw.query)
			}
			pages := (len(all) + 24) / 25
			for _, page := range []int{1, 2, pages} {
				if page > pages {
					continue
				}
				r := c.Get(fmt.Sprintf("/churn?sort=%s&page=%d%s", sort, page, vw.query))
				if r.Status != http.StatusOK {
					t.Fatalf("%s, sort %s%s, page %d: status %d", who.login, sort, vw.query, page, r.Status)
				}
				want := all[(page-1)*25 : min(page*25, len(all))]
				if got := churnIDs(r.Body); itoas(got) != itoas(want) {
					t.Errorf("%s, sort %s%s, page %d: %v, want %v", who.login, sort, vw.query, page, got, want)
				}
				if got := churnTotal(t, r.Body); got != len(all) {
					t.Errorf("%s, sort %s%s, page %d: total %d, want %d", who.login, sort, vw.query, page, got, len(all))
				}
			}
		}
	}
}
