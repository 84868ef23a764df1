package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/relaycrm/relay/seeds"
)

// Bad input of every kind answers 4xx with a message naming the field, on
// every page of every role: a NUL byte or bytes that are not UTF-8 in a query
// or a form, and page numbers and offsets past any list's end.
func TestBadInputIsAClientError(t *testing.T) {
	t.Parallel()
	srv := start(t)

	anon := srv.NewClient(t)
	anon.Get("/login")
	r := anon.Post("/login", url.Values{"login": {"mgr\x00"}, "password": {"x"}})
	if r.Status != http.StatusBadRequest || !strings.Contains(r.Body, "login") {
		t.Errorf("sign-in with a NUL byte: %d, want 400 naming login", r.Status)
	}

	pages := []string{"/clients", "/worklist", "/pipeline", "/churn", "/segments", "/admin/users", "/admin/audit",
		"/admin/imports", "/admin/runs", "/admin/products", "/admin/settings"}
	bad := []struct{ query, field string }{
		{"q=acme%00&login=%00&action=auth%00", "q"},
		{"q=%ff%fe", "q"},
		{"page=9223372036854775807", "page"},
		{"offset=9223372036854775807", "offset"},
	}
	for _, login := range []string{managerLogin, headLogin, riskLogin, adminLogin} {
		c := srv.NewClient(t)
		c.Login(login, seeds.DemoPassword)
		for _, p := range pages {
			for _, b := range bad {
				r := c.Get(p + "?" + b.query)
				if r.Status >= 500 {
					t.Errorf("%s GET %s?%s: %d", login, p, b.query, r.Status)
				}
				if r.Status == http.StatusBadRequest && !strings.Contains(r.Body, b.field) {
					t.Errorf("%s GET %s?%s: 400 without naming %s", login, p, b.query, b.field)
				}
			}
		}
	}

	c := srv.NewClient(t)
	c.Login(managerLogin, seeds.DemoPassword)
	id := clientOf(t, srv, managerLogin)
	r = c.PostHTMX("/clients/"+id+"/contacts", url.Values{"kind": {"call"}, "happened_at": {"2026-11-19T10:30"},
		"outcome": {"reached"}, "notes": {"a\x00b"}})
	if r.Status != http.StatusBadRequest || !strings.Contains(r.Body, "notes") {
		t.Errorf("a contact's notes with a NUL byte: %d, want 400 naming notes", r.Status)
	}
}
