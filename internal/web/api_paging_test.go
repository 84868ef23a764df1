package web_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/relaycrm/relay/internal/webtest"
)

// apiList is a list endpoint walked by cursor: its path, the JSON key of its
// items, and the plain SQL of what a user ($1, a login) may see of it, in
// the list's order, one id a row.
type apiList struct {
	name, path, items, want string
	roles                   []string
}

// apiLists are the API's lists paged by keyset cursor (the client list has
// its own walk, TestAPIClientsPagesThroughExactlyTheViewersClients). The
// scopes are written out by hand from docs/api.md, not taken from
// internal/access: a manager their clients, a branch head their branch's, the
// risk team the group's (and the control group's triggers), an admin the
// group's segments.
var apiLists = []apiList{
	{"triggers", "/api/v1/triggers", "triggers", `
		SELECT t.id FROM cross_sell_trigger t JOIN client c ON c.id = t.client_id JOIN app_user u ON u.login = $1
		WHERE t.status IN ('new', 'contacted', 'offered') AND (u.role = 'risk' OR NOT t.hidden)
		  AND CASE u.role WHEN 'manager' THEN c.manager_id = u.id WHEN 'branch_head' THEN c.branch_id = u.branch_id
		                  WHEN 'risk' THEN c.group_id = u.group_id ELSE false END
		ORDER BY t.priority DESC, t.id`, []string{managerLogin, headLogin, riskLogin}},
	{"warnings", "/api/v1/warnings", "warnings", `
		SELECT w.client_id FROM client_warning w JOIN client c ON c.id = w.client_id JOIN app_user u ON u.login = $1
		WHERE CASE u.role WHEN 'manager' THEN c.manager_id = u.id WHEN 'branch_head' THEN c.branch_id = u.branch_id
		                  WHEN 'risk' THEN c.group_id = u.group_id ELSE false END
		ORDER BY w.probability DESC, w.client_id`, []string{managerLogin, headLogin, riskLogin}},
	{"warnings by name", "/api/v1/warnings?sort=name", "warnings", `
		SELECT w.client_id FROM client_warning w JOIN client c ON c.id = w.client_id JOIN app_user u ON u.login = $1
		WHERE CASE u.role WHEN 'manager' THEN c.manager_id = u.id WHEN 'branch_head' THEN c.branch_id = u.branch_id
		                  WHEN 'risk' THEN c.group_id = u.group_id ELSE false END
		ORDER BY w.legal_name, w.probability DESC, w.client_id`, []string{headLogin}},
	{"warnings by CLV", "/api/v1/warnings?sort=-clv", "warnings", `
		SELECT w.client_id FROM client_warning w JOIN client c ON c.id = w.client_id JOIN app_user u ON u.login = $1
		WHERE CASE u.role WHEN 'manager' THEN c.manager_id = u.id WHEN 'branch_head' THEN c.branch_id = u.branch_id
		                  WHEN 'risk' THEN c.group_id = u.group_id ELSE false END
		ORDER BY w.clv DESC NULLS LAST, w.probability DESC, w.client_id`, []string{headLogin}},
	{"segments", "/api/v1/segments", "segments", `
		SELECT sp.segment_id FROM segment_profile sp JOIN segment_named sn ON sn.id = sp.segment_id
		JOIN app_user u ON u.login = $1 AND sn.group_id = u.group_id
		ORDER BY sp.size DESC, sn.label, sp.segment_id`, []string{managerLogin, headLogin, riskLogin, adminLogin}},
}

// idList is the ids of a plain SQL statement, in its order.
func idList(t *testing.T, srv *webtest.Server, sql string, args ...any) []int64 {
	t.Helper()
	rows, err := srv.Pool.Query(context.Background(), sql, args...)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// walk reads every page of list as c, limit items a page, and returns the
// ids in the order they came, the number of pages and the first page's
// total.
func walk(t *testing.T, c *apiClient, list apiList, limit int) (ids []int64, pages int, total *int) {
	t.Helper()
	sep := "?"
	if strings.Contains(list.path, "?") {
		sep = "&"
	}
	path := list.path + sep + "limit=" + strconv.Itoa(limit)
	for {
		a := c.get(path)
		if a.Status != http.StatusOK {
			t.Fatalf("%s: %d %s", path, a.Status, a.Body)
		}
		var page map[string]json.RawMessage
		if err := json.Unmarshal(a.Body, &page); err != nil {
			t.Fatal(err)
		}
		var items []struct {
			ID       int64 `json:"id"`
			ClientID int64 `json:"client_id"`
		}
		var next, tot *json.RawMessage
		if err := json.Unmarshal(page[list.items], &items); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if raw, ok := page["next_cursor"]; ok && string(raw) != "null" {
			next = &raw
		}
		if raw, ok := page["total"]; ok && string(raw) != "null" {
			tot = &raw
		}
		pages++
		if pages == 1 && tot != nil {
			var n int
			if err := json.Unmarshal(*tot, &n); err != nil {
				t.Fatal(err)
			}
			total = &n
		} else if pages > 1 && tot != nil {
			t.Errorf("%s: a total %s on page %d; it is counted on the first page only", path, *tot, pages)
		}
		for _, it := range items {
			if list.items == "warnings" { // a warning is its client's
				it.ID = it.ClientID
			}
			ids = append(ids, it.ID)
		}
		if len(items) > limit {
			t.Errorf("%s: %d items, more than the limit", path, len(items))
		}
		if next == nil {
			return ids, pages, total
		}
		if len(items) != limit {
			t.Errorf("%s: %d items on a page that is not the last, want %d", path, len(items), limit)
		}
		var cur string
		if err := json.Unmarshal(*next, &cur); err != nil {
			t.Fatal(err)
		}
		path = list.path + sep + "limit=" + strconv.Itoa(limit) + "&cursor=" + url.QueryEscape(cur)
	}
}

// TestAPIListsPageByKeysetCursor walks each keyset-paged list as each role
// that may read it, a few items a page: every row of the role's scope
// exactly once, in the order of a plain scoped SQL statement, the total on
// the first page only; then bad cursors and limits are refused naming the
// field.
func TestAPIListsPageByKeysetCursor(t *testing.T) {
	t.Parallel()
	srv := startScored(t)
	router := specRouter(t, srv)
	clients := map[string]*apiClient{}
	for _, login := range []string{managerLogin, headLogin, riskLogin, adminLogin} {
		clients[login] = newAPIClient(t, srv, router, tokenFor(t, srv, login, 30))
	}
	for _, list := range apiLists {
		for _, login := range list.roles {
			want := idList(t, srv, list.want, login)
			if len(want) < 3 {
				t.Fatalf("%s as %s: %d rows in the scope; the walk needs some pages", list.name, login, len(want))
			}
			limit := min(200, len(want)/3+1) // three or four pages
			got, pages, total := walk(t, clients[login], list, limit)
			if !slices.Equal(got, want) {
				t.Errorf("%s as %s: %d ids %v..., want the %d of the scope %v...", list.name, login, len(got),
					got[:min(5, len(got))], len(want), want[:min(5, len(want))])
			}
			if wantPages := (len(want) + limit - 1) / limit; pages != wantPages {
				t.Errorf("%s as %s: %d pages of %d, want %d", list.name, login, pages, limit, wantPages)
			}
			if total == nil || *total != len(want) {
				t.Errorf("%s as %s: first page's total %v, want %d", list.name, login, total, len(want))
			}
		}
	}

	cursor := func(s string) string { return url.QueryEscape(base64.RawURLEncoding.EncodeToString([]byte(s))) }
	for _, list := range apiLists {
		if strings.Contains(list.path, "?") {
			continue
		}
		c := clients[riskLogin]
		for _, tt := range []struct{ name, query, field string }{
			{"a cursor made up", "cursor=bm9wZQ", "cursor"},
			{"a cursor that is no base64", "cursor=%25%25", "cursor"},
			{"a client list's cursor", "cursor=" + cursor("clients:12"), "cursor"},
			{"a page number of the old cursors", "cursor=" + cursor(list.name+":2"), "cursor"},
			{"a key with no id", "cursor=" + cursor(list.name+`:{"ID":0}`), "cursor"},
			{"a key with a field of no list", "cursor=" + cursor(list.name+`:{"ID":3,"ClientID":3,"Page":2}`), "cursor"},
			{"another list's key", "cursor=" + cursor(list.name+`:{"Sort":"-score","ClientID":3,"Priority":5,"ID":3,"Size":3}`), "cursor"},
			{"a page size of none", "limit=0", "limit"},
			{"a page size too large", "limit=201", "limit"},
		} {
			a := c.get(list.path + "?" + tt.query)
			if a.Status != http.StatusBadRequest || a.field() != tt.field {
				t.Errorf("%s, %s: %d naming %q, want 400 naming %q: %s", list.name, tt.name, a.Status, a.field(), tt.field, a.Body)
			}
		}
	}

	// A warnings cursor is of its order: with another sort it is refused.
	var first struct {
		NextCursor *string `json:"next_cursor"`
	}
	a := clients[riskLogin].get("/api/v1/warnings?limit=2")
	if err := json.Unmarshal(a.Body, &first); err != nil || first.NextCursor == nil {
		t.Fatalf("warnings' first page: %v %s", err, a.Body)
	}
	a = clients[riskLogin].get("/api/v1/warnings?limit=2&sort=name&cursor=" + url.QueryEscape(*first.NextCursor))
	if a.Status != http.StatusBadRequest || a.field() != "cursor" {
		t.Errorf("a -score cursor with sort=name: %d naming %q, want 400 naming cursor: %s", a.Status, a.field(), a.Body)
	}
}
