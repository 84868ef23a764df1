// Package webtest starts Relay's web server on a test database and gives
// tests a browser-like HTTP client: a cookie jar, sign-in, and the CSRF token
// read from the page, as a browser would have it.
package webtest

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/relaycrm/relay/internal/clients"
	"github.com/relaycrm/relay/internal/contacts"
	"github.com/relaycrm/relay/internal/db"
	"github.com/relaycrm/relay/internal/dbtest"
	"github.com/relaycrm/relay/internal/metrics"
	"github.com/relaycrm/relay/internal/nightly"
	"github.com/relaycrm/relay/internal/products"
	"github.com/relaycrm/relay/internal/queries"
	"github.com/relaycrm/relay/internal/settings"
	"github.com/relaycrm/relay/internal/sso"
	"github.com/relaycrm/relay/internal/users"
	"github.com/relaycrm/relay/internal/web"
)

// Server is a running Relay on a test database.
type Server struct {
	URL string
	// Pool is the owner's pool, for the test's own checks; the server serves
	// pages as the application's role, as in production.
	Pool *pgxpool.Pool
}

// Options tune the server for a test.
type Options struct {
	Now                   func() time.Time
	IdleTimeout, Lifetime time.Duration
	// UploadLimit bounds the admin's feed upload; zero: the server's default.
	UploadLimit int64
	// SecureCookies serves as behind TLS (Secure cookies, HSTS).
	SecureCookies bool
	// Metrics and Log, when set, record and log as `relay serve` does.
	Metrics *metrics.Set
	Log     *slog.Logger
	// SSO signs in with the identity provider of the sso.* settings (with
	// its client secret); nil: one without a secret.
	SSO *sso.Client
}

// checkQueries prepares every named query as `relay serve` does at start,
// once per test binary: every test database has the same schema.
var checkQueries struct {
	sync.Once
	err error
}

// Start serves Relay over pool until the test ends.
func Start(t testing.TB, pool *pgxpool.Pool, o Options) *Server {
	t.Helper()
	ctx := context.Background()
	g, err := db.Gorm(pool)
	if err != nil {
		t.Fatal(err)
	}
	checkQueries.Do(func() { checkQueries.err = queries.Check(ctx, pool) })
	if checkQueries.err != nil {
		t.Fatalf("queries: %v", checkQueries.err)
	}
	runner := nightly.New(pool, nightly.Options{Settings: settings.NewStore(pool, g)})
	t.Cleanup(runner.Close)
	app := dbtest.AppPool(t, pool.Config().ConnString())
	ag, err := db.Gorm(app)
	if err != nil {
		t.Fatal(err)
	}
	h, err := web.New(ctx, web.Config{Nightly: runner, Pool: app, Jobs: pool, Users: users.NewStore(app, ag), Clients: clients.NewStore(app),
		Contacts: contacts.NewStore(app), Settings: settings.NewStore(app, ag), Products: products.NewStore(app, ag), Now: o.Now, IdleTimeout: o.IdleTimeout, ThrottleFirstDelay: time.Minute, Lifetime: o.Lifetime, UploadLimit: o.UploadLimit, SecureCookies: o.SecureCookies,
		Metrics: o.Metrics, Log: o.Log, SSO: o.SSO})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &Server{URL: srv.URL, Pool: pool}
}

// Client is a browser-like client of a Server.
type Client struct {
	t    testing.TB
	srv  *Server
	HTTP *http.Client
	CSRF string
	// Lang, when set, is sent as Accept-Language.
	Lang string
}

// NewClient returns a client with an empty cookie jar that does not follow
// redirects, so tests see them.
func (s *Server) NewClient(t testing.TB) *Client {
	jar, _ := cookiejar.New(nil)
	return &Client{t: t, srv: s, HTTP: &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// Response is a read response.
type Response struct {
	Status   int
	Body     string
	Location string
	Header   http.Header
}

var csrfInput = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

func (c *Client) do(req *http.Request) Response {
	c.t.Helper()
	if c.Lang != "" {
		req.Header.Set("Accept-Language", c.Lang)
	}
	res, err := c.HTTP.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	if m := csrfInput.FindStringSubmatch(string(b)); m != nil {
		c.CSRF = m[1]
	}
	return Response{Status: res.StatusCode, Body: string(b), Location: res.Header.Get("Location"), Header: res.Header}
}

// Get fetches path.
func (c *Client) Get(path string) Response {
	c.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, c.srv.URL+path, nil)
	return c.do(req)
}

// GetHTMX fetches path as htmx would.
func (c *Client) GetHTMX(path string) Response {
	c.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, c.srv.URL+path, nil)
	req.Header.Set("HX-Request", "true")
	return c.do(req)
}

// Post submits form to path with the page's CSRF token (unless the form sets
// _csrf itself).
func (c *Client) Post(path string, form url.Values) Response {
	c.t.Helper()
	form = copyValues(form)
	if _, ok := form["_csrf"]; !ok {
		form.Set("_csrf", c.CSRF)
	}
	req, _ := http.NewRequest(http.MethodPost, c.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(req)
}

// PostHTMX submits form as htmx does: the CSRF token in the header.
func (c *Client) PostHTMX(path string, form url.Values) Response {
	c.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, c.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("HX-Request", "true")
	req.Header.Set("X-CSRF-Token", c.CSRF)
	return c.do(req)
}

// Login signs in and fails the test unless it lands on a page.
func (c *Client) Login(login, password string) {
	c.t.Helper()
	c.Get("/login")
	r := c.Post("/login", url.Values{"login": {login}, "password": {password}})
	if r.Status != http.StatusSeeOther || r.Location != "/" {
		c.t.Fatalf("login %s: status %d, location %q", login, r.Status, r.Location)
	}
	c.Get("/") // pick up a CSRF token of the signed-in session
	home := c.Get(strings.TrimPrefix(c.Get("/").Location, c.srv.URL))
	if home.Status != http.StatusOK {
		c.t.Fatalf("login %s: home answered %d", login, home.Status)
	}
}

// URLValues is a shorthand for url.Values from pairs.
func URLValues(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return v
}

// copyValues copies v, so that adding the CSRF token never changes the
// caller's form.
func copyValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}
