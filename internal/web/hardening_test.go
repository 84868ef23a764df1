package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/relaycrm/relay/internal/dbtest"
	"github.com/relaycrm/relay/internal/money"
	"github.com/relaycrm/relay/internal/webtest"
	"github.com/relaycrm/relay/seeds"
)

// Pages are never cached, /static/ lists no directory, HSTS comes with
// secure cookies, and showing the sign-in form stores no session.
func TestPagesAreNotCachedAndAnonymousVisitsStoreNothing(t *testing.T) {
	t.Parallel()
	srv := start(t)
	sessions := func() int {
		return count(t, srv, `SELECT count(*) FROM sessions`)
	}
	before := sessions()
	c := srv.NewClient(t)
	r := c.Get("/login")
	if r.Status != http.StatusOK || c.CSRF == "" {
		t.Fatalf("sign-in form: %d", r.Status)
	}
	if n := sessions(); n != before {
		t.Errorf("an anonymous GET /login stored %d sessions", n-before)
	}
	if got := r.Header.Get("Strict-Transport-Security"); got != "" {
		t.Errorf("served over plain HTTP with HSTS: %q", got)
	}
	secure := webtest.Start(t, dbtest.NewDemo(t, demoClients), webtest.Options{SecureCookies: true})
	if got := secure.NewClient(t).Get("/login").Header.Get("Strict-Transport-Security"); !strings.Contains(got, "max-age=") {
		t.Errorf("served securely without HSTS: %q", got)
	}
	c.Login(managerLogin, seeds.DemoPassword)
	for _, p := range []string{"/clients", "/worklist", "/clients/" + clientOf(t, srv, managerLogin)} {
		if r := c.Get(p); r.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: Cache-Control %q, want no-store", p, r.Header.Get("Cache-Control"))
		}
	}
	for _, p := range []string{"/static/", "/static/css/", "/static/js/"} {
		if r := c.Get(p); r.Status != http.StatusNotFound {
			t.Errorf("%s: %d, want 404 (no directory listing)", p, r.Status)
		}
	}
}

// A segment page shows a figure learned from fewer than five clients to the
// risk team only, who see every client of the group.
func TestSmallFiguresOfSegmentsAreWithheld(t *testing.T) {
	t.Parallel()
	srv := startScored(t)
	var seg, value int64
	var currency string
	var digits int
	if err := srv.Pool.QueryRow(context.Background(), `
		SELECT sp.segment_id, sp.value, sn.currency, sn.minor_digits
		FROM segment_product sp JOIN segment_named sn ON sn.id = sp.segment_id
		WHERE sp.value_holders BETWEEN 1 AND 4 AND sp.value >= 10000
		ORDER BY sp.value DESC LIMIT 1`).Scan(&seg, &value, &currency, &digits); err != nil {
		t.Fatalf("no product value learned from fewer than 5 clients in the demo bank: %v", err)
	}
	figure := money.Whole(value, currency, digits)
	path := "/segments/" + itoa(seg)
	for _, tc := range []struct {
		login string
		shown bool
	}{{riskLogin, true}, {managerLogin, false}, {headLogin, false}, {adminLogin, false}} {
		c := srv.NewClient(t)
		c.Login(tc.login, seeds.DemoPassword)
		r := c.Get(path)
		if r.Status != http.StatusOK {
			t.Fatalf("%s %s: %d", tc.login, path, r.Status)
		}
		if strings.Contains(r.Body, figure) != tc.shown {
			t.Errorf("%s sees %s (learned from fewer than 5 clients): %v, want %v", tc.login, figure, !tc.shown, tc.shown)
		}
		if !tc.shown && !strings.Contains(r.Body, "fewer than 5 clients") {
			t.Errorf("%s is not told why a figure is missing", tc.login)
		}
	}
}

// With one stage of a segment withheld, the segment's average and the other
// stages would give it away: the smallest other stage is withheld too.
func TestAWithheldStageCannotBeWorkedOut(t *testing.T) {
	t.Parallel()
	srv := startScored(t)
	var seg, other int64
	var currency string
	var digits int
	err := srv.Pool.QueryRow(context.Background(), `
		SELECT s.segment_id, big.avg_income, sn.currency, sn.minor_digits
		FROM segment_stage s
		JOIN segment_named sn ON sn.id = s.segment_id
		JOIN LATERAL (SELECT avg_income FROM segment_stage o WHERE o.segment_id = s.segment_id AND o.clients >= 5
		              ORDER BY o.clients LIMIT 1) big ON true
		WHERE s.clients < 5 AND big.avg_income >= 10000
		  AND (SELECT count(*) FROM segment_stage o WHERE o.segment_id = s.segment_id AND o.clients < 5) = 1
		LIMIT 1`).Scan(&seg, &other, &currency, &digits)
	if err != nil {
		t.Fatalf("no segment with one small stage in the demo bank: %v", err)
	}
	c := srv.NewClient(t)
	c.Login(managerLogin, seeds.DemoPassword)
	r := c.Get("/segments/" + itoa(seg))
	if figure := money.Whole(other, currency, digits); r.Status != http.StatusOK || strings.Contains(r.Body, figure) {
		t.Errorf("a manager reads %s, the stage that would give away the withheld one (%d)", figure, r.Status)
	}
}
