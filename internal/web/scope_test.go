package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"testing"

	"github.com/relaycrm/relay/internal/webtest"
	"github.com/relaycrm/relay/seeds"
)

// clientOf returns the id of an active client of the manager with login.
func clientOf(t *testing.T, srv *webtest.Server, login string) string {
	t.Helper()
	var id int64
	if err := srv.Pool.QueryRow(context.Background(), `SELECT c.id FROM client c JOIN app_user u ON u.id = c.manager_id
		WHERE u.login = $1 AND c.left_on IS NULL ORDER BY c.id LIMIT 1`, login).Scan(&id); err != nil {
		t.Fatalf("a client of %s: %v", login, err)
	}
	return strconv.FormatInt(id, 10)
}

// otherBranchClient returns a client outside the manager's branch and bank.
func otherBranchClient(t *testing.T, srv *webtest.Server, login string) string {
	t.Helper()
	var id int64
	if err := srv.Pool.QueryRow(context.Background(), `SELECT c.id FROM client c, app_user u
		WHERE u.login = $1 AND c.branch_id <> u.branch_id ORDER BY c.id DESC LIMIT 1`, login).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return strconv.FormatInt(id, 10)
}

// colleagueClient adds a second manager to the manager's branch, gives them
// one of the branch's clients, and returns that client's id.
func colleagueClient(t *testing.T, srv *webtest.Server, login string) string {
	t.Helper()
	var id int64
	err := srv.Pool.QueryRow(context.Background(), `
		WITH m AS (
		    INSERT INTO app_user (group_id, login, name, role, branch_id, password_hash)
		    SELECT group_id, 'colleague', 'Colleague', 'manager', branch_id, password_hash FROM app_user WHERE login = $1
		    RETURNING id, branch_id)
		UPDATE client c SET manager_id = m.id FROM m
		WHERE c.id = (SELECT max(c2.id) FROM client c2 JOIN app_user u ON u.id = c2.manager_id WHERE u.login = $1)
		RETURNING c.id`, login).Scan(&id)
	if err != nil {
		t.Fatal(err)
	}
	return strconv.FormatInt(id, 10)
}

// TestEveryRouteForEveryRole checks, for each route and each role, what
// answers and what is refused: a client outside the viewer's scope answers
// 404, never its data; a page the role may not open answers 403.
func TestEveryRouteForEveryRole(t *testing.T) {
	t.Parallel()
	srv := start(t)
	own := clientOf(t, srv, managerLogin)
	colleague := colleagueClient(t, srv, managerLogin)
	elsewhere := otherBranchClient(t, srv, managerLogin)
	contact := url.Values{"kind": {"call"}, "happened_at": {"2026-11-19T10:00"}, "outcome": {"reached"}}

	type route struct {
		name   string
		method string
		path   string
	}
	routes := []route{
		{"home", "GET", "/"},
		{"client list", "GET", "/clients"},
		{"own client's card", "GET", "/clients/" + own},
		{"colleague's client's card", "GET", "/clients/" + colleague},
		{"other branch's client's card", "GET", "/clients/" + elsewhere},
		{"no such client", "GET", "/clients/99999999"},
		{"contact on own client", "POST", "/clients/" + own + "/contacts"},
		{"contact on colleague's client", "POST", "/clients/" + colleague + "/contacts"},
		{"contact on other branch's client", "POST", "/clients/" + elsewhere + "/contacts"},
		{"settings", "GET", "/admin/settings"},
		{"worklist", "GET", "/worklist"},
		{"segments", "GET", "/segments"},
		{"nightly runs", "GET", "/admin/runs"},
		{"churn models", "GET", "/models"},
		{"no such model", "GET", "/models/99999999"},
		{"warning backtest", "GET", "/backtest"},
		{"choose a bank's model", "POST", "/admin/models/use"},
		{"effectiveness", "GET", "/effectiveness"},
		{"effectiveness export", "GET", "/effectiveness/export.csv"},
		{"take-up models", "GET", "/takeup"},
		{"no such take-up model", "GET", "/takeup?model=99999999"},
		{"a take-up model that is no number", "GET", "/takeup?model=x"},
		{"webhooks", "GET", "/admin/webhooks"},
		{"re-send no such delivery", "POST", "/admin/webhooks/deliveries/99999999/resend"},
	}
	// Signed out, a POST has no session and so no CSRF token to match: 403.
	want := map[string][]int{ // per route, in the order manager, branch head, risk, admin, signed out
		"home":                              {303, 303, 303, 303, 303},
		"client list":                       {200, 200, 200, 403, 303},
		"own client's card":                 {200, 200, 200, 403, 303},
		"colleague's client's card":         {404, 200, 200, 403, 303},
		"other branch's client's card":      {404, 404, 200, 403, 303},
		"no such client":                    {404, 404, 404, 403, 303},
		"contact on own client":             {303, 303, 403, 403, 403},
		"contact on colleague's client":     {404, 303, 403, 403, 403},
		"contact on other branch's client":  {404, 404, 403, 403, 403},
		"settings":                          {403, 403, 403, 200, 303},
		"worklist":                          {200, 403, 403, 403, 303},
		"segments":                          {200, 200, 200, 200, 303},
		"nightly runs":                      {403, 403, 403, 200, 303},
		"churn models":                      {403, 403, 200, 200, 303},
		"no such model":                     {404, 404, 404, 404, 303},
		"warning backtest":                  {403, 403, 200, 200, 303},
		"choose a bank's model":             {403, 403, 403, 400, 403},
		"effectiveness":                     {403, 200, 200, 200, 303},
		"effectiveness export":              {403, 200, 200, 200, 303},
		"take-up models":                    {403, 200, 200, 200, 303},
		"no such take-up model":             {403, 404, 404, 404, 303},
		"a take-up model that is no number": {403, 400, 400, 400, 303},
		"webhooks":                          {403, 403, 403, 200, 303},
		"re-send no such delivery":          {403, 403, 403, 404, 403},
	}
	logins := []string{managerLogin, headLogin, riskLogin, adminLogin, ""}
	for i, login := range logins {
		c := srv.NewClient(t)
		if login != "" {
			c.Login(login, seeds.DemoPassword)
		} else {
			c.Get("/login")
		}
		for _, r := range routes {
			var res webtest.Response
			if r.method == "GET" {
				res = c.Get(r.path)
			} else {
				res = c.Post(r.path, contact)
			}
			if got := res.Status; got != want[r.name][i] {
				t.Errorf("%s as %q: %d, want %d: %.300s", r.name, login, got, want[r.name][i], problem(res.Body))
			}
			if res.Status == http.StatusNotFound && r.method == "GET" {
				// a 404 must not leak the client's name
				var name string
				_ = srv.Pool.QueryRow(context.Background(), `SELECT legal_name FROM client WHERE id = $1::bigint`, r.path[len("/clients/"):]).Scan(&name)
				if name != "" && contains(res.Body, name) {
					t.Errorf("%s as %q: the 404 page shows the client's name", r.name, login)
				}
			}
		}
	}
}

func contains(body, s string) bool { return len(s) > 0 && len(body) >= len(s) && indexOf(body, s) >= 0 }

func indexOf(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}

// problem extracts the message of an error page, for failure messages.
func problem(body string) string {
	if i := indexOf(body, `data-testid="problem"`); i >= 0 {
		return body[i:]
	}
	return ""
}
