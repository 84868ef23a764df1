package web_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/relaycrm/relay/seeds"
)

// A page view that changes nothing in the session does not write its row;
// one made when the stored expiry lags the idle timeout by more than a
// minute does, and so does one that changes the session (signing out).
func TestTheSessionRowIsWrittenOnlyWhenItChangesOrAtMostOnceAMinute(t *testing.T) {
	t.Parallel()
	srv := start(t)
	c := srv.NewClient(t)
	c.Login(managerLogin, seeds.DemoPassword)
	ctx := context.Background()
	type row struct {
		xmin   string
		expiry time.Time
	}
	read := func() row {
		t.Helper()
		var r row
		if err := srv.Pool.QueryRow(ctx, `SELECT xmin::text, expiry FROM sessions`).Scan(&r.xmin, &r.expiry); err != nil {
			t.Fatal(err)
		}
		return r
	}
	if r := c.Get("/clients"); r.Status != http.StatusOK {
		t.Fatalf("/clients: %d", r.Status)
	}
	before := read()
	for _, path := range []string{"/clients", "/worklist", "/churn"} {
		if r := c.Get(path); r.Status != http.StatusOK {
			t.Fatalf("%s: %d", path, r.Status)
		}
	}
	if after := read(); after != before {
		t.Errorf("page views that changed nothing wrote the session row: %+v, then %+v", before, after)
	}

	// Two minutes later (the stored expiry moved back), the next view pushes it on.
	if _, err := srv.Pool.Exec(ctx, `UPDATE sessions SET expiry = expiry - interval '2 minutes'`); err != nil {
		t.Fatal(err)
	}
	lagging := read()
	if r := c.Get("/clients"); r.Status != http.StatusOK {
		t.Fatalf("/clients: %d", r.Status)
	}
	if pushed := read(); pushed.expiry.Sub(lagging.expiry) < 110*time.Second {
		t.Errorf("a view two minutes on left the expiry at %v (was %v), want it pushed by the idle timeout",
			pushed.expiry, lagging.expiry)
	}

	// Signing out changes the session: it is gone from the store.
	c.Post("/logout", nil)
	var n int
	if err := srv.Pool.QueryRow(ctx, `SELECT count(*) FROM sessions`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("after signing out the store holds %d sessions, want 0", n)
	}
}
