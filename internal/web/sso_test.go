package web_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/relaycrm/relay/internal/dbtest"
	"github.com/relaycrm/relay/internal/sso"
	"github.com/relaycrm/relay/internal/sso/ssotest"
	"github.com/relaycrm/relay/internal/webtest"
	"github.com/relaycrm/relay/seeds"
)

// ssoServer serves the demo bank with single sign-on through a provider the
// test runs on 127.0.0.1: heads of Sofia 1 come from one group, admins from
// another, and password sign-in is off except for the break-glass admin.
func ssoServer(t *testing.T) (*webtest.Server, *ssotest.Provider) {
	t.Helper()
	idp := ssotest.Start(t, "relay", "a-client-secret")
	srv := webtest.Start(t, dbtest.NewDemo(t, demoClients), webtest.Options{Now: func() time.Time { return dbtest.DemoNow },
		SSO: sso.NewClient("a-client-secret")})
	setSetting(t, srv, "sso.issuer", idp.URL)
	setSetting(t, srv, "sso.client_id", "relay")
	setSetting(t, srv, "sso.redirect_url", srv.URL+"/login/oidc/callback")
	setSetting(t, srv, "sso.provider_name", "Bank ID")
	setSetting(t, srv, "sso.group_roles", "relay-admins = admin; heads-sofia-1 = branch_head BN-SOF-1")
	setSetting(t, srv, "sso.passwords", "off")
	setSetting(t, srv, "sso.break_glass_login", "admin")
	return srv, idp
}

// ssoSignIn goes through the browser flow: the sign-in page's button, the
// provider's authorization, the callback, following each redirect with the
// client's cookies; rewrite, when set, may change the callback's URL (as an
// attacker would). It returns the last response.
func ssoSignIn(t *testing.T, c *webtest.Client, srv *webtest.Server, rewrite func(*url.URL)) webtest.Response {
	t.Helper()
	page := c.Get("/login")
	if !strings.Contains(page.Body, `data-testid="login-sso"`) || (c.Lang == "" && !strings.Contains(page.Body, "Sign in with Bank ID")) {
		t.Fatalf("the sign-in page offers no single sign-on:\n%s", page.Body)
	}
	next := srv.URL + "/login/oidc"
	for range 5 {
		u, err := url.Parse(next)
		if err != nil {
			t.Fatal(err)
		}
		if rewrite != nil && u.Path == "/login/oidc/callback" {
			rewrite(u)
		}
		req, _ := http.NewRequest(http.MethodGet, u.String(), nil)
		if c.Lang != "" {
			req.Header.Set("Accept-Language", c.Lang)
		}
		res, err := c.HTTP.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body := new(strings.Builder)
		_, _ = io.Copy(body, res.Body)
		res.Body.Close()
		r := webtest.Response{Status: res.StatusCode, Body: body.String(), Location: res.Header.Get("Location"), Header: res.Header}
		if r.Status != http.StatusSeeOther && r.Status != http.StatusFound || u.Path == "/login/oidc/callback" {
			return r
		}
		next = r.Location
		if strings.HasPrefix(next, "/") {
			next = srv.URL + next
		}
	}
	t.Fatal("too many redirects")
	return webtest.Response{}
}

// auditCount counts the entries of action whose details contain the JSON
// detail.
func auditCount(t *testing.T, srv *webtest.Server, action, detail string) int {
	t.Helper()
	var n int
	if err := srv.Pool.QueryRow(context.Background(),
		`SELECT count(*) FROM audit_log WHERE action = $1 AND details @> $2::jsonb`, action, detail).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// A user of the Sofia 1 heads' group signs in through the provider and
// becomes the branch head of Sofia 1, seeing that branch's clients; a second
// sign-in after the provider renames them updates the same user.
func TestSSOGroupMapsToBranchHead(t *testing.T) {
	t.Parallel()
	srv, idp := ssoServer(t)
	idp.SignInAs(ssotest.User{Subject: "s-1001", Name: "Vera Petrova", Username: "vera.petrova", Groups: []string{"staff", "heads-sofia-1"}})
	c := srv.NewClient(t)
	r := ssoSignIn(t, c, srv, nil)
	if r.Status != http.StatusSeeOther || r.Location != "/" {
		t.Fatalf("callback: %d to %q:\n%s", r.Status, r.Location, r.Body)
	}
	var role, branch, name string
	err := srv.Pool.QueryRow(context.Background(), `
		SELECT u.role, br.code, u.name FROM app_user u JOIN branch br ON br.id = u.branch_id
		WHERE u.oidc_issuer = $1 AND u.oidc_subject = 's-1001' AND u.login = 'vera.petrova'`, idp.URL).Scan(&role, &branch, &name)
	if err != nil {
		t.Fatal(err)
	}
	if role != "branch_head" || branch != "BN-SOF-1" || name != "Vera Petrova" {
		t.Fatalf("the user is %s of %s named %q, want branch_head of BN-SOF-1", role, branch, name)
	}
	// signed in, and scoped as the head of Sofia 1: a client of the branch
	// opens, one of another branch is not there
	var inside, outside int64
	if err := srv.Pool.QueryRow(context.Background(), `
		SELECT min(c.id) FILTER (WHERE br.code = 'BN-SOF-1'), min(c.id) FILTER (WHERE br.code <> 'BN-SOF-1')
		FROM client c JOIN branch br ON br.id = c.branch_id`).Scan(&inside, &outside); err != nil {
		t.Fatal(err)
	}
	if r := c.Get(fmt.Sprintf("/clients/%d", inside)); r.Status != http.StatusOK {
		t.Errorf("a client of Sofia 1 as its new head: %d, want 200", r.Status)
	}
	if r := c.Get(fmt.Sprintf("/clients/%d", outside)); r.Status != http.StatusNotFound {
		t.Errorf("a client of another branch as the head of Sofia 1: %d, want 404", r.Status)
	}
	if got := auditCount(t, srv, "auth.login", `{"via": "oidc", "role": "branch_head", "branch": "BN-SOF-1"}`); got != 1 {
		t.Errorf("%d auth.login entries via oidc, want 1", got)
	}
	// The provider renames her: the next sign-in updates the same user.
	idp.SignInAs(ssotest.User{Subject: "s-1001", Name: "Vera Ivanova", Username: "vera.petrova", Groups: []string{"heads-sofia-1"}})
	if r := ssoSignIn(t, srv.NewClient(t), srv, nil); r.Status != http.StatusSeeOther {
		t.Fatalf("second sign-in: %d:\n%s", r.Status, r.Body)
	}
	var users int
	if err := srv.Pool.QueryRow(context.Background(),
		`SELECT count(*) FROM app_user WHERE oidc_subject = 's-1001' AND name = 'Vera Ivanova'`).Scan(&users); err != nil || users != 1 {
		t.Fatalf("after the rename: %d users named Vera Ivanova (%v), want 1", users, err)
	}
	if got := auditCount(t, srv, "user.update", `{"name": {"to": "Vera Ivanova"}}`); got != 1 {
		t.Errorf("%d user.update entries for the rename, want 1", got)
	}
}

// A user whose groups map to no role is refused with a page that says so,
// audited, and no user is created.
func TestSSOUnmappedGroupIsRefused(t *testing.T) {
	t.Parallel()
	srv, idp := ssoServer(t)
	idp.SignInAs(ssotest.User{Subject: "s-2002", Name: "Ivo Ivanov", Username: "ivo.ivanov", Groups: []string{"staff", "marketing"}})
	c := srv.NewClient(t)
	r := ssoSignIn(t, c, srv, nil)
	if r.Status != http.StatusForbidden || !strings.Contains(r.Body, "give you no role in Relay") {
		t.Fatalf("unmapped groups: %d:\n%s", r.Status, r.Body)
	}
	var n int
	if err := srv.Pool.QueryRow(context.Background(), `SELECT count(*) FROM app_user WHERE login = 'ivo.ivanov'`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d users ivo.ivanov (%v), want none", n, err)
	}
	if got := auditCount(t, srv, "auth.login_refused", `{"groups": ["marketing"]}`); got != 1 {
		t.Errorf("%d auth.login_refused entries naming the groups, want 1", got)
	}
	if home := c.Get("/"); home.Status != http.StatusSeeOther {
		t.Errorf("after the refusal / answered %d, want a redirect to the sign-in page", home.Status)
	}
}

// A forged state, an ID token whose signature does not verify, and a replayed
// callback are refused, and nobody is signed in.
func TestSSOTamperedAnswersAreRefused(t *testing.T) {
	t.Parallel()
	srv, idp := ssoServer(t)
	idp.SignInAs(ssotest.User{Subject: "s-3003", Name: "Ana Koleva", Username: "ana.koleva", Groups: []string{"marketing"}})
	cases := []struct {
		name    string
		rewrite func(*url.URL)
		tamper  func(string) string
		want    string
	}{
		{name: "a state that is not the session's", want: "did not start here",
			rewrite: func(u *url.URL) { q := u.Query(); q.Set("state", "forged-"+q.Get("state")); u.RawQuery = q.Encode() }},
		{name: "no state", want: "did not start here",
			rewrite: func(u *url.URL) { q := u.Query(); q.Del("state"); u.RawQuery = q.Encode() }},
		{name: "an ID token whose groups were changed after signing", want: "could not be verified",
			tamper: func(tok string) string {
				parts := strings.Split(tok, ".")
				payload, err := base64.RawURLEncoding.DecodeString(parts[1])
				if err != nil {
					t.Fatal(err)
				}
				parts[1] = base64.RawURLEncoding.EncodeToString([]byte(strings.Replace(string(payload), "marketing", "relay-admins", 1)))
				return strings.Join(parts, ".")
			}},
		{name: "an ID token with its signature cut", want: "could not be verified",
			tamper: func(tok string) string { return tok[:strings.LastIndex(tok, ".")+1] }},
	}
	for _, tc := range cases {
		idp.Tamper(tc.tamper)
		c := srv.NewClient(t)
		r := ssoSignIn(t, c, srv, tc.rewrite)
		if r.Status != http.StatusForbidden || !strings.Contains(r.Body, tc.want) {
			t.Errorf("%s: %d, want 403 saying %q:\n%s", tc.name, r.Status, tc.want, r.Body)
		}
		if home := c.Get("/"); home.Status != http.StatusSeeOther {
			t.Errorf("%s: / answered %d after the refusal, want a redirect to sign in", tc.name, home.Status)
		}
	}
	idp.Tamper(nil)
	var n int
	if err := srv.Pool.QueryRow(context.Background(), `SELECT count(*) FROM app_user WHERE oidc_subject = 's-3003'`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d users of the refused sign-ins (%v), want none", n, err)
	}
	// a callback replayed after a good sign-in: its state was used once
	idp.SignInAs(ssotest.User{Subject: "s-3003", Name: "Ana Koleva", Username: "ana.koleva", Groups: []string{"relay-admins"}})
	c := srv.NewClient(t)
	var callback string
	r := ssoSignIn(t, c, srv, func(u *url.URL) { callback = u.String() })
	if r.Status != http.StatusSeeOther {
		t.Fatalf("the good sign-in: %d:\n%s", r.Status, r.Body)
	}
	if again := c.Get(strings.TrimPrefix(callback, srv.URL)); again.Status != http.StatusForbidden {
		t.Errorf("a replayed callback: %d, want 403", again.Status)
	}
}

// With password sign-in off, a password is refused (saying why, audited)
// for everyone but the break-glass administrator.
func TestSSOPasswordsOffExceptBreakGlass(t *testing.T) {
	t.Parallel()
	srv, _ := ssoServer(t)
	c := srv.NewClient(t)
	for _, login := range []string{"head.bn-sof-1", "risk"} {
		c.Get("/login")
		r := c.Post("/login", url.Values{"login": {login}, "password": {seeds.DemoPassword}})
		if r.Status != http.StatusForbidden || !strings.Contains(r.Body, "Password sign-in is turned off: sign in with Bank ID") {
			t.Errorf("%s with the right password: %d:\n%s", login, r.Status, r.Body)
		}
	}
	if got := auditCount(t, srv, "auth.login_refused", `{"via": "password"}`); got != 2 {
		t.Errorf("%d refused password sign-ins audited, want 2", got)
	}
	srv.NewClient(t).Login("admin", seeds.DemoPassword) // the break-glass admin still may
	// and with passwords back on, anyone may again
	setSetting(t, srv, "sso.passwords", "on")
	srv.NewClient(t).Login("head.bn-sof-1", seeds.DemoPassword)
}
