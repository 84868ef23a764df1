package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/relaycrm/relay/internal/dbtest"
	"github.com/relaycrm/relay/internal/webtest"
	"github.com/relaycrm/relay/seeds"
)

// demoClients is the size of the demo bank web tests run on; the e2e tests
// use the same size, so both clone one template.
const demoClients = 2000

const (
	managerLogin = "mgr.bn-sof-1.01"
	headLogin    = "head.bn-sof-1"
	riskLogin    = "risk"
	adminLogin   = "admin"
)

func start(t *testing.T) *webtest.Server {
	t.Helper()
	return webtest.Start(t, dbtest.NewDemo(t, demoClients), webtest.Options{Now: func() time.Time { return dbtest.DemoNow }})
}

func countAudit(t *testing.T, srv *webtest.Server, action, login string) int {
	t.Helper()
	var n int
	if err := srv.Pool.QueryRow(context.Background(), `SELECT count(*) FROM audit_log WHERE action = $1 AND login = $2`,
		action, login).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestSignInAndOut(t *testing.T) {
	t.Parallel()
	srv := start(t)
	c := srv.NewClient(t)

	r := c.Get("/clients")
	if r.Status != http.StatusSeeOther || r.Location != "/login" {
		t.Fatalf("signed out /clients: %d %q, want a redirect to /login", r.Status, r.Location)
	}
	c.Get("/login")
	preLogin := sessionCookie(t, c, srv)
	r = c.Post("/login", url.Values{"login": {managerLogin}, "password": {seeds.DemoPassword}})
	if r.Status != http.StatusSeeOther || r.Location != "/" {
		t.Fatalf("login: %d %q", r.Status, r.Location)
	}
	if sessionCookie(t, c, srv) == preLogin {
		t.Error("the session id did not change at sign-in")
	}
	if n := countAudit(t, srv, "auth.login", managerLogin); n != 1 {
		t.Errorf("audit has %d sign-ins, want 1", n)
	}
	if r := c.Get("/"); r.Location != "/worklist" {
		t.Errorf("a manager's home goes to %q, want /worklist", r.Location)
	}
	if r := c.Get("/clients"); r.Status != http.StatusOK || !strings.Contains(r.Body, `data-testid="client-table"`) {
		t.Fatalf("signed-in /clients: %d", r.Status)
	}
	token := sessionCookie(t, c, srv)

	r = c.Post("/logout", nil)
	if r.Status != http.StatusSeeOther || r.Location != "/login" {
		t.Fatalf("logout: %d %q", r.Status, r.Location)
	}
	var left int
	if err := srv.Pool.QueryRow(context.Background(), `SELECT count(*) FROM sessions WHERE token = $1`, token).Scan(&left); err != nil {
		t.Fatal(err)
	}
	if left != 0 {
		t.Error("logout left the session in the store")
	}
	// The old cookie, replayed, no longer opens anything.
	replay := srv.NewClient(t)
	u, _ := url.Parse(srv.URL)
	replay.HTTP.Jar.SetCookies(u, []*http.Cookie{{Name: "relay_session", Value: token}})
	if r := replay.Get("/clients"); r.Status != http.StatusSeeOther {
		t.Errorf("a destroyed session still opens /clients: %d", r.Status)
	}
}

func sessionCookie(t *testing.T, c *webtest.Client, srv *webtest.Server) string {
	t.Helper()
	u, _ := url.Parse(srv.URL)
	for _, k := range c.HTTP.Jar.Cookies(u) {
		if k.Name == "relay_session" {
			return k.Value
		}
	}
	return ""
}

func TestSessionCookieIsLockedDown(t *testing.T) {
	t.Parallel()
	srv := start(t)
	c := srv.NewClient(t)
	c.Get("/login")
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/login", strings.NewReader(url.Values{
		"login": {managerLogin}, "password": {seeds.DemoPassword}, "_csrf": {c.CSRF}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := c.HTTP.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	var found bool
	for _, k := range res.Cookies() {
		if k.Name != "relay_session" {
			continue
		}
		found = true
		if !k.HttpOnly {
			t.Error("session cookie is readable by scripts (not HttpOnly)")
		}
		if k.SameSite != http.SameSiteLaxMode {
			t.Errorf("session cookie SameSite = %v, want Lax", k.SameSite)
		}
		if k.MaxAge != 0 || !k.Expires.IsZero() {
			t.Error("session cookie outlives the browser")
		}
	}
	if !found {
		t.Fatal("no session cookie at sign-in")
	}
	// The store keeps the session for the idle timeout (30 minutes by default).
	var left time.Duration
	var secs float64
	if err := srv.Pool.QueryRow(context.Background(), `SELECT extract(epoch FROM max(expiry) - now()) FROM sessions`).Scan(&secs); err != nil {
		t.Fatal(err)
	}
	left = time.Duration(secs) * time.Second
	if left < 29*time.Minute || left > 31*time.Minute {
		t.Errorf("a fresh session expires in %v, want the 30-minute idle timeout", left)
	}
}

func TestWrongPasswordsAreAuditedAndSlowedDown(t *testing.T) {
	t.Parallel()
	srv := start(t)
	c := srv.NewClient(t)
	c.Get("/login")
	for i := 1; i <= 5; i++ {
		r := c.Post("/login", url.Values{"login": {managerLogin}, "password": {"wrong-password"}})
		if r.Status != http.StatusUnauthorized || !strings.Contains(r.Body, "The login or password is not right.") {
			t.Fatalf("attempt %d: %d", i, r.Status)
		}
	}
	if n := countAudit(t, srv, "auth.login_failed", managerLogin); n != 5 {
		t.Errorf("audit has %d failed sign-ins, want 5", n)
	}
	// The sixth attempt waits, even with the right password.
	r := c.Post("/login", url.Values{"login": {managerLogin}, "password": {seeds.DemoPassword}})
	if r.Status != http.StatusTooManyRequests || !strings.Contains(r.Body, "Too many failed sign-ins") {
		t.Fatalf("after 5 failures: %d, want 429", r.Status)
	}
	// Another login is not held back by this one's failures.
	other := srv.NewClient(t)
	other.Login(headLogin, seeds.DemoPassword)
	other.Get("/clients") // a page with a form, for the session's CSRF token
	// An unknown login is refused with the same words as a wrong password.
	r = other.Post("/login", url.Values{"login": {"nobody"}, "password": {"whatever-1234"}})
	if r.Status != http.StatusUnauthorized || !strings.Contains(r.Body, "The login or password is not right.") {
		t.Errorf("unknown login: %d", r.Status)
	}
}

func TestDeactivatedUserIsSignedOut(t *testing.T) {
	t.Parallel()
	srv := start(t)
	c := srv.NewClient(t)
	c.Login(managerLogin, seeds.DemoPassword)
	if _, err := srv.Pool.Exec(context.Background(), `UPDATE app_user SET active = false WHERE login = $1`, managerLogin); err != nil {
		t.Fatal(err)
	}
	if r := c.Get("/clients"); r.Status != http.StatusSeeOther || r.Location != "/login" {
		t.Errorf("deactivated user: %d %q, want a redirect to sign-in", r.Status, r.Location)
	}
	fresh := srv.NewClient(t)
	fresh.Get("/login")
	if r := fresh.Post("/login", url.Values{"login": {managerLogin}, "password": {seeds.DemoPassword}}); r.Status != http.StatusUnauthorized {
		t.Errorf("deactivated user signs in: %d", r.Status)
	}
}

func TestCSRFIsRefused(t *testing.T) {
	t.Parallel()
	srv := start(t)
	c := srv.NewClient(t)
	c.Login(managerLogin, seeds.DemoPassword)
	id := clientOf(t, srv, managerLogin)
	form := url.Values{"kind": {"call"}, "happened_at": {"2026-11-19T10:00"}, "outcome": {"reached"}}
	for _, tc := range []struct {
		name  string
		token string
	}{{"no token", ""}, {"a wrong token", "not-the-token"}} {
		t.Run(tc.name, func(t *testing.T) {
			f := url.Values{}
			for k, v := range form {
				f[k] = v
			}
			f.Set("_csrf", tc.token)
			r := c.Post("/clients/"+id+"/contacts", f)
			if r.Status != http.StatusForbidden || !strings.Contains(r.Body, "did not come from Relay") {
				t.Fatalf("%d, want 403", r.Status)
			}
		})
	}
	var n int
	if err := srv.Pool.QueryRow(context.Background(), `SELECT count(*) FROM contact WHERE client_id = $1::bigint AND happened_at = '2026-11-19 10:00'`, id).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Error("a refused request wrote a contact")
	}
	// Sign-out without the token is refused too: it changes state.
	if r := c.Post("/logout", url.Values{"_csrf": {""}}); r.Status != http.StatusForbidden {
		t.Errorf("logout without token: %d", r.Status)
	}
	// With the token in the htmx header it goes through.
	if r := c.PostHTMX("/clients/"+id+"/contacts", form); r.Status != http.StatusOK {
		t.Errorf("htmx post with header token: %d", r.Status)
	}
}

func TestExpiredSessionSendsBackToSignIn(t *testing.T) {
	t.Parallel()
	srv := start(t)
	c := srv.NewClient(t)
	c.Login(riskLogin, seeds.DemoPassword)
	// Whether by the idle timeout or the absolute lifetime, an expired
	// session is one whose expiry has passed in the store.
	if _, err := srv.Pool.Exec(context.Background(), `UPDATE sessions SET expiry = now() - interval '1 second'`); err != nil {
		t.Fatal(err)
	}
	if r := c.Get("/clients"); r.Status != http.StatusSeeOther || r.Location != "/login" {
		t.Errorf("expired session: %d %q", r.Status, r.Location)
	}
	if r := c.GetHTMX("/clients?q=a"); r.Status != http.StatusUnauthorized || r.Header.Get("HX-Redirect") != "/login" {
		t.Errorf("expired session, htmx: %d, HX-Redirect %q", r.Status, r.Header.Get("HX-Redirect"))
	}
}

func TestIdleAndAbsoluteTimeouts(t *testing.T) {
	t.Parallel()
	pool := dbtest.NewDemo(t, demoClients)
	srv := webtest.Start(t, pool, webtest.Options{Now: func() time.Time { return dbtest.DemoNow },
		IdleTimeout: time.Minute, Lifetime: 3 * time.Minute})
	c := srv.NewClient(t)
	c.Login(riskLogin, seeds.DemoPassword)
	var secs float64
	if err := pool.QueryRow(context.Background(), `SELECT extract(epoch FROM max(expiry) - now()) FROM sessions`).Scan(&secs); err != nil {
		t.Fatal(err)
	}
	if secs > 61 || secs < 55 {
		t.Errorf("with a 1-minute idle timeout the store keeps the session %.0fs", secs)
	}
}

func TestPasswordResetEndsOpenSessions(t *testing.T) {
	t.Parallel()
	srv := start(t)
	manager := srv.NewClient(t)
	manager.Login(managerLogin, seeds.DemoPassword)
	admin := srv.NewClient(t)
	admin.Login(adminLogin, seeds.DemoPassword)
	var id int64
	if err := srv.Pool.QueryRow(context.Background(), `SELECT id FROM app_user WHERE login = $1`, managerLogin).Scan(&id); err != nil {
		t.Fatal(err)
	}
	admin.Get("/admin/users/" + itoa(id))
	r := admin.Post("/admin/users/"+itoa(id)+"/password", url.Values{"password": {"a-brand-new-pass"}, "confirm": {"a-brand-new-pass"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("reset: %d", r.Status)
	}
	if r := manager.Get("/clients"); r.Status != http.StatusSeeOther || r.Location != "/login" {
		t.Errorf("the manager's session from before the reset still works: %d", r.Status)
	}
	fresh := srv.NewClient(t)
	fresh.Login(managerLogin, "a-brand-new-pass")
	if r := fresh.Get("/clients"); r.Status != http.StatusOK {
		t.Errorf("a session after the reset does not work: %d", r.Status)
	}
	// the admin's own session is untouched
	if r := admin.Get("/admin/users"); r.Status != http.StatusOK {
		t.Errorf("the admin was signed out: %d", r.Status)
	}
}
