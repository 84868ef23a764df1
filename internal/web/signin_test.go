package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/relaycrm/relay/internal/webtest"
	"github.com/relaycrm/relay/seeds"
)

// postLoginFrom signs in as from the address ip behind the test's proxy.
func postLoginFrom(t *testing.T, c *webtest.Client, srv *webtest.Server, ip, login, password string) int {
	t.Helper()
	c.Get("/login")
	form := url.Values{"login": {login}, "password": {password}, "_csrf": {c.CSRF}}
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if ip != "" {
		req.Header.Set("X-Forwarded-For", ip)
	}
	res, err := c.HTTP.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

func setSetting(t *testing.T, srv *webtest.Server, key, value string) {
	t.Helper()
	if _, err := srv.Pool.Exec(context.Background(), `UPDATE setting SET value = $2 WHERE key = $1`, key, value); err != nil {
		t.Fatal(err)
	}
}

// Failures count against the login as it is stored, trimmed and in lower
// case: typing it another way does not start a new count.
func TestSignInThrottleCountsTheNormalisedLogin(t *testing.T) {
	t.Parallel()
	srv := start(t)
	c := srv.NewClient(t)
	// each way of typing it right after five failures of its stored form
	// (webtest makes the first delay a minute, so the attempt follows within it
	// however slow the machine)
	for _, l := range []struct{ stored, typed string }{
		{"head.bn-sof-2", " HEAD.BN-SOF-2 "}, {"head.bn-sof-1", "Head.Bn-Sof-1"},
	} {
		for i := 1; i <= 5; i++ {
			if st := postLoginFrom(t, c, srv, "", l.stored, "wrong-password-1"); st != http.StatusUnauthorized {
				t.Fatalf("%s: failure %d: %d", l.stored, i, st)
			}
		}
		if st := postLoginFrom(t, c, srv, "", l.typed, seeds.DemoPassword); st != http.StatusTooManyRequests {
			t.Errorf("%q after five failures of %s: %d, want 429", l.typed, l.stored, st)
		}
	}
}

// Forty guesses at once are counted one by one: only the first few reach
// the password check.
func TestParallelGuessesAreCountedOneByOne(t *testing.T) {
	t.Parallel()
	srv := start(t)
	const n = 40
	clients := make([]*webtest.Client, n)
	for i := range clients {
		clients[i] = srv.NewClient(t)
		clients[i].Get("/login")
	}
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i := range clients {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			form := url.Values{"login": {"head.bn-sof-2"}, "password": {"wrong-password-1"}, "_csrf": {clients[i].CSRF}}
			req, _ := http.NewRequest(http.MethodPost, srv.URL+"/login", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			res, err := clients[i].HTTP.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			res.Body.Close()
			statuses[i] = res.StatusCode
		}(i)
	}
	wg.Wait()
	var checked, refused int
	for _, st := range statuses {
		switch st {
		case http.StatusUnauthorized:
			checked++
		case http.StatusTooManyRequests:
			refused++
		}
	}
	if audited := countAudit(t, srv, "auth.login_failed", "head.bn-sof-2"); audited != checked || checked > 7 || refused < n-7 {
		t.Errorf("%d parallel guesses: %d checked (%d audited), %d refused; want at most 7 checked", n, checked, audited, refused)
	}
}

// X-Forwarded-For is believed only from the proxies of the setting; behind
// one, an attacker's failures slow the attacker's address, not the user's.
func TestAnAttackerIsSlowedDownNotTheUser(t *testing.T) {
	t.Parallel()
	srv := start(t)
	c := srv.NewClient(t)

	// No proxy trusted: the header is ignored, the address is the connection's.
	if st := postLoginFrom(t, c, srv, "198.51.100.7", "nobody-at-all", "wrong-password-1"); st != http.StatusUnauthorized {
		t.Fatalf("sign-in: %d", st)
	}
	var ip string
	if err := srv.Pool.QueryRow(context.Background(),
		`SELECT host(ip) FROM audit_log WHERE login = 'nobody-at-all' ORDER BY id DESC LIMIT 1`).Scan(&ip); err != nil || ip != "127.0.0.1" {
		t.Errorf("with no trusted proxy the failure is audited from %q (%v), want 127.0.0.1", ip, err)
	}

	setSetting(t, srv, "security.trusted_proxies", "127.0.0.1/32")
	admin := srv.NewClient(t) // an admin's change takes effect at once
	admin.Login(adminLogin, seeds.DemoPassword)
	admin.Get("/admin/settings")
	if r := admin.Post("/admin/settings/security.trusted_proxies", url.Values{"value": {"127.0.0.1, 10.0.0.0/8"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("save trusted proxies: %d", r.Status)
	}
	if r := admin.Post("/admin/settings/security.trusted_proxies", url.Values{"value": {"10.0.0.0/33"}}); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("a range that is not one was saved: %d", r.Status)
	}

	for i := 1; i <= 5; i++ {
		postLoginFrom(t, c, srv, "198.51.100.7", managerLogin, "wrong-password-1")
	}
	if st := postLoginFrom(t, c, srv, "198.51.100.7", managerLogin, seeds.DemoPassword); st != http.StatusTooManyRequests {
		t.Errorf("the attacker's address after five failures: %d, want 429", st)
	}
	// A spoofed hop before the proxy's own is not believed: the address the
	// trusted proxy saw is the attacker's.
	if st := postLoginFrom(t, c, srv, "203.0.113.20, 198.51.100.7", managerLogin, seeds.DemoPassword); st != http.StatusTooManyRequests {
		t.Errorf("the attacker spoofing the user's address: %d, want 429", st)
	}
	user := srv.NewClient(t)
	if st := postLoginFrom(t, user, srv, "203.0.113.20", managerLogin, seeds.DemoPassword); st != http.StatusSeeOther {
		t.Errorf("the user from their own address: %d, want 303 (signed in)", st)
	}
	if err := srv.Pool.QueryRow(context.Background(),
		`SELECT host(ip) FROM audit_log WHERE action = 'auth.login' AND login = $1 ORDER BY id DESC LIMIT 1`, managerLogin).Scan(&ip); err != nil || ip != "203.0.113.20" {
		t.Errorf("the user's sign-in is audited from %q (%v), want 203.0.113.20", ip, err)
	}
}
