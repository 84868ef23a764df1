package web_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/relaycrm/relay/internal/webtest"
	"github.com/relaycrm/relay/seeds"
)

// TestAdminRoutesAreForAdminsOnly checks every administration route, GET and
// POST, for every role: the admin gets the page (or the change), the other
// roles 403 and nothing changes, a signed-out visitor the sign-in page.
func TestAdminRoutesAreForAdminsOnly(t *testing.T) {
	t.Parallel()
	srv := start(t)
	mgr := strconv.FormatInt(idOfUser(t, srv, managerLogin), 10)
	product := strconv.FormatInt(dbValue[int64](t, srv, `SELECT id FROM product ORDER BY id LIMIT 1`), 10)
	routes := []struct {
		method, path string
		form         url.Values
		adminGets    int
	}{
		{"GET", "/admin/users", nil, 200},
		{"GET", "/admin/users/new", nil, 200},
		{"GET", "/admin/users/" + mgr, nil, 200},
		{"GET", "/admin/products", nil, 200},
		{"GET", "/admin/products/new", nil, 200},
		{"GET", "/admin/products/" + product, nil, 200},
		{"GET", "/admin/settings", nil, 200},
		{"GET", "/admin/audit", nil, 200},
		{"GET", "/admin/reference", nil, 200},
		{"POST", "/admin/users", url.Values{"login": {"intruder"}, "name": {"I"}, "role": {"admin"}, "password": {"a-fine-long-passphrase"}, "confirm": {"a-fine-long-passphrase"}}, 303},
		{"POST", "/admin/users/" + mgr, url.Values{"name": {"Renamed"}, "role": {"manager"}, "branch": {"BN-SOF-1"}}, 303},
		{"POST", "/admin/users/" + mgr + "/password", url.Values{"password": {"a-fine-long-passphrase"}, "confirm": {"a-fine-long-passphrase"}}, 303},
		{"POST", "/admin/users/" + mgr + "/deactivate", nil, 303},
		{"POST", "/admin/users/" + mgr + "/reactivate", nil, 303},
		{"POST", "/admin/products", url.Values{"code": {"X1"}, "name": {"X"}, "family": {"cash"}, "income_kind": {"fee"}}, 303},
		{"POST", "/admin/products/" + product, url.Values{"name": {"Renamed"}, "family": {"cash"}, "income_kind": {"fee"}}, 303},
		{"POST", "/admin/settings/segment.min_clients", url.Values{"value": {"31"}}, 303},
		{"POST", "/admin/settings/segment.min_clients/reset", nil, 303},
		{"POST", "/admin/reference/group", url.Values{"name": {"Renamed Group"}}, 303},
		{"POST", "/admin/reference/banks", url.Values{"code": {"ZB"}, "name": {"Z Bank"}, "currency": {"EUR"}, "minor_digits": {"2"}}, 303},
		{"POST", "/admin/reference/regions", url.Values{"code": {"ZZ-1"}, "name": {"Zed"}}, 303},
		{"POST", "/admin/reference/industries", url.Values{"code": {"Z9"}, "name": {"Zed works"}, "nace": {"C"}}, 303},
		{"GET", "/admin/webhooks", nil, 200},
		{"POST", "/admin/webhooks", url.Values{"url": {"https://hooks.bank.example/relay"}, "events": {"trigger.moved"}}, 303},
		{"POST", "/admin/webhooks/1/disable", nil, 303},
		{"POST", "/admin/webhooks/1/enable", nil, 303},
		{"POST", "/admin/webhooks/1/delete", nil, 303},
	}
	snapshot := func() string {
		return dbValue[string](t, srv, `SELECT concat_ws('|',
			(SELECT md5(string_agg(concat_ws(',', id, login, name, role, branch_id, active, password_hash), ';' ORDER BY id)) FROM app_user),
			(SELECT md5(string_agg(concat_ws(',', id, code, name, family, income_kind, active), ';' ORDER BY id)) FROM product),
			(SELECT md5(string_agg(concat_ws(',', key, value), ';' ORDER BY key)) FROM setting),
			(SELECT md5(string_agg(concat_ws(',', code, name), ';' ORDER BY code)) FROM banking_group),
			(SELECT md5(string_agg(concat_ws(',', code, name, currency), ';' ORDER BY code)) FROM bank),
			(SELECT md5(string_agg(concat_ws(',', code, name), ';' ORDER BY code)) FROM region),
			(SELECT md5(string_agg(concat_ws(',', code, name, nace_section), ';' ORDER BY code)) FROM industry),
			(SELECT md5(string_agg(concat_ws(',', id, url, enabled), ';' ORDER BY id)) FROM webhook_endpoint),
			(SELECT count(*) FROM audit_log WHERE action NOT LIKE 'auth.%'))`)
	}
	before := snapshot()
	for _, login := range []string{managerLogin, headLogin, riskLogin, ""} {
		name := login
		if name == "" {
			name = "signed out"
		}
		t.Run(name, func(t *testing.T) {
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
					res = c.Post(r.path, r.form)
				}
				switch {
				case login == "" && r.method == "POST" && res.Status != http.StatusForbidden:
					// no session, so no CSRF token to match
					t.Errorf("%s %s: %d, want 403", r.method, r.path, res.Status)
				case login == "" && r.method == "GET" && (res.Status != http.StatusSeeOther || res.Location != "/login"):
					t.Errorf("%s %s: %d to %q, want a redirect to /login", r.method, r.path, res.Status, res.Location)
				case login != "" && res.Status != http.StatusForbidden:
					t.Errorf("%s %s: %d, want 403", r.method, r.path, res.Status)
				}
			}
			// htmx requests are refused the same way
			if login != "" {
				if res := c.PostHTMX("/admin/settings/segment.min_clients", url.Values{"value": {"31"}}); res.Status != http.StatusForbidden {
					t.Errorf("htmx POST: %d, want 403", res.Status)
				}
			}
		})
	}
	if after := snapshot(); after != before {
		t.Fatal("a refused request changed users, products, settings or the audit log")
	}

	t.Run("admin", func(t *testing.T) {
		c := srv.NewClient(t)
		c.Login(adminLogin, seeds.DemoPassword)
		for _, r := range routes {
			var res webtest.Response
			if r.method == "GET" {
				res = c.Get(r.path)
			} else {
				res = c.Post(r.path, r.form)
			}
			if res.Status != r.adminGets {
				t.Errorf("%s %s: %d, want %d: %.300s", r.method, r.path, res.Status, r.adminGets, problem(res.Body))
			}
		}
	})
	t.Run("the admin's navigation", func(t *testing.T) {
		c := srv.NewClient(t)
		c.Login(adminLogin, seeds.DemoPassword)
		if r := c.Get("/"); r.Location != "/admin/users" {
			t.Errorf("the admin's home is %q, want /admin/users", r.Location)
		}
		r := c.Get("/admin/audit")
		var got []string
		for _, key := range []string{"users", "products", "settings", "audit"} {
			for _, a := range elementsByTestID(t, r.Body, "nav-"+key) {
				got = append(got, nodeText(a)+" "+nodeAttr(a, "href")+" "+nodeAttr(a, "aria-current"))
			}
		}
		want := "Users /admin/users |Products /admin/products |Settings /admin/settings |Audit log /admin/audit page"
		if strings.Join(got, "|") != want {
			t.Errorf("navigation %q, want %q", strings.Join(got, "|"), want)
		}
		if len(elementsByTestID(t, r.Body, "nav-clients")) != 0 {
			t.Error("the admin is offered the client list")
		}
	})
}
