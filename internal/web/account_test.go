package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/relaycrm/relay/seeds"
)

var newTokenRe = regexp.MustCompile(`data-testid="new-token-value">(relay_[A-Za-z0-9_-]{43})<`)

var tokenRowRe = regexp.MustCompile(`data-testid="token" data-token-id="(\d+)"`)

// TestAccountTokens makes, uses and revokes a token on the user's own page:
// shown once, scoped as its maker, revoked only by its maker.
func TestAccountTokens(t *testing.T) {
	t.Parallel()
	srv := start(t)
	router := specRouter(t, srv)
	c := srv.NewClient(t)
	c.Login(managerLogin, seeds.DemoPassword)
	if r := c.Get("/account"); r.Status != http.StatusOK || !strings.Contains(r.Body, `data-testid="no-tokens"`) {
		t.Fatalf("account: %d, want the page with no tokens", r.Status)
	}
	bad := c.Post("/account/tokens", url.Values{"name": {""}, "days": {"400"}})
	if bad.Status != http.StatusUnprocessableEntity || !strings.Contains(bad.Body, `data-testid="error-name"`) ||
		!strings.Contains(bad.Body, `data-testid="error-days"`) {
		t.Errorf("a token without a name for 400 days: %d, want 422 with errors beside name and days", bad.Status)
	}
	made := c.Post("/account/tokens", url.Values{"name": {"my scripts"}, "days": {"30"}})
	m := newTokenRe.FindStringSubmatch(made.Body)
	if made.Status != http.StatusOK || m == nil {
		t.Fatalf("make a token: %d, no token shown", made.Status)
	}
	if r := c.Get("/account"); strings.Contains(r.Body, m[1]) || !strings.Contains(r.Body, "my scripts") {
		t.Error("the account page shows the token again, or does not list it")
	}
	api := newAPIClient(t, srv, router, m[1])
	own := clientOf(t, srv, managerLogin)
	elsewhere := otherBranchClient(t, srv, managerLogin)
	if a := api.get("/api/v1/clients/" + own); a.Status != http.StatusOK {
		t.Errorf("the new token reads the manager's client: %d", a.Status)
	}
	if a := api.get("/api/v1/clients/" + elsewhere); a.Status != http.StatusNotFound {
		t.Errorf("the new token reads another branch's client: %d, want 404", a.Status)
	}
	id := tokenRowRe.FindStringSubmatch(c.Get("/account").Body)
	if id == nil {
		t.Fatal("no token row")
	}

	other := srv.NewClient(t)
	other.Login(headLogin, seeds.DemoPassword)
	other.Get("/account")
	if r := other.Post("/account/tokens/"+id[1]+"/revoke", nil); r.Status != http.StatusNotFound {
		t.Errorf("the branch head revokes the manager's token: %d, want 404", r.Status)
	}
	if a := api.get("/api/v1/clients?limit=1"); a.Status != http.StatusOK {
		t.Errorf("after another user's refused revoke: %d, want 200", a.Status)
	}

	if r := c.Post("/account/tokens/"+id[1]+"/revoke", nil); r.Status != http.StatusSeeOther {
		t.Errorf("revoke: %d, want 303", r.Status)
	}
	if a := api.get("/api/v1/clients?limit=1"); a.Status != http.StatusUnauthorized {
		t.Errorf("a revoked token: %d, want 401", a.Status)
	}
	if n := count(t, srv, `SELECT count(*) FROM audit_log WHERE action IN ('token.create', 'token.revoke') AND login = $1`, managerLogin); n != 2 {
		t.Errorf("%d token changes audited, want 2", n)
	}
}
