// Package web is Relay's HTTP layer and the only package that knows HTTP: the
// routes (one file per area), the middleware (sessions, CSRF, sign-in, roles)
// and thin handlers that bind, validate, call one domain function and render
// one component. Echo stays inside this package.
package web

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/alexedwards/scs/v2"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/relaycrm/relay/internal/access"
	"github.com/relaycrm/relay/internal/clients"
	"github.com/relaycrm/relay/internal/contacts"
	"github.com/relaycrm/relay/internal/db"
	"github.com/relaycrm/relay/internal/i18n"
	"github.com/relaycrm/relay/internal/input"
	"github.com/relaycrm/relay/internal/logs"
	"github.com/relaycrm/relay/internal/metrics"
	"github.com/relaycrm/relay/internal/nightly"
	"github.com/relaycrm/relay/internal/products"
	"github.com/relaycrm/relay/internal/settings"
	"github.com/relaycrm/relay/internal/sso"
	"github.com/relaycrm/relay/internal/users"
	"github.com/relaycrm/relay/static"
	"github.com/relaycrm/relay/views/layouts"
	"github.com/relaycrm/relay/views/pages"
)

// Config is what the web layer is built from.
type Config struct {
	// Pool serves the pages: in production it connects as the application's
	// role (db.AppRole), which owns no table and sees client rows only
	// through row-level security keyed on the signed-in viewer.
	Pool *pgxpool.Pool
	// Jobs is the owner's pool, for the work that changes the schema
	// (a feed uploaded through the browser); nil: Pool.
	Jobs *pgxpool.Pool
	// SessionPool stores the sessions; nil: Pool. A handler that reads from
	// a replica keeps its sessions on the primary (see Split).
	SessionPool *pgxpool.Pool
	Users       *users.Store
	Clients     *clients.Store
	Contacts    *contacts.Store
	Settings    *settings.Store
	Products    *products.Store
	// SSO signs users in with the identity provider of the sso.* settings;
	// nil: one without a client secret (RELAY_OIDC_CLIENT_SECRET).
	SSO *sso.Client
	// Nightly runs the nightly chain when an admin starts it.
	Nightly *nightly.Runner
	Log     *slog.Logger
	// SecureCookies marks the session cookie Secure; set it when Relay is
	// served over TLS (directly or behind a proxy).
	SecureCookies bool
	// TrustProxy is kept for RELAY_TRUST_PROXY=1: X-Forwarded-For is now
	// believed only from the proxies of the setting security.trusted_proxies.
	TrustProxy bool
	// IdleTimeout and Lifetime bound a session; zero takes the settings'
	// session.idle_minutes and session.lifetime_hours.
	IdleTimeout, Lifetime time.Duration
	// ThrottleFirstDelay is the sign-in throttle's first wait once a login's
	// failures reach login.max_failures; zero: 5 seconds (tests lengthen it,
	// so a slow machine cannot let the wait run out between two attempts).
	ThrottleFirstDelay time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// UploadLimit bounds a feed uploaded through the browser; zero means
	// maxUpload (512 MB).
	UploadLimit int64
	// InboxRoot is the directory the feed inbox lives under, fixed at start
	// (RELAY_INBOX_ROOT); empty: no inbox.
	InboxRoot string
	// Metrics records requests, sign-ins and imports and serves /metrics;
	// nil records nothing.
	Metrics *metrics.Set
	// MetricsFromAnywhere serves /metrics to any address; otherwise only to
	// a connection from this machine (the metrics have a listener of their
	// own when RELAY_METRICS_ADDR is set).
	MetricsFromAnywhere bool
}

// server holds the handlers' dependencies.
type server struct {
	Config
	sessions *scs.SessionManager
	proxies  *trustedProxies
}

// New builds the HTTP handler.
func New(ctx context.Context, cfg Config) (http.Handler, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.IdleTimeout == 0 || cfg.Lifetime == 0 {
		v, err := cfg.Settings.Load(ctx)
		if err != nil {
			return nil, err
		}
		if cfg.IdleTimeout == 0 {
			cfg.IdleTimeout = time.Duration(v.Int("session.idle_minutes")) * time.Minute
		}
		if cfg.Lifetime == 0 {
			cfg.Lifetime = time.Duration(v.Int("session.lifetime_hours")) * time.Hour
		}
	}
	if cfg.Jobs == nil {
		cfg.Jobs = cfg.Pool
	}
	if cfg.SSO == nil {
		cfg.SSO = sso.NewClient("")
	}
	if cfg.SessionPool == nil {
		cfg.SessionPool = cfg.Pool
	}
	s := &server{Config: cfg}
	s.sessions = scs.New()
	s.sessions.Store = newSessionStore(cfg.SessionPool, s.sessions.Codec, cfg.IdleTimeout)
	s.sessions.IdleTimeout = cfg.IdleTimeout
	s.sessions.Lifetime = cfg.Lifetime
	s.sessions.Cookie.Name = "relay_session"
	s.sessions.Cookie.HttpOnly = true
	s.sessions.Cookie.SameSite = http.SameSiteLaxMode
	s.sessions.Cookie.Secure = cfg.SecureCookies
	s.sessions.Cookie.Persist = false // gone when the browser closes

	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.handleError
	// Client addresses (for the audit log and sign-in throttling) come from the
	// connection, or from X-Forwarded-For as far as trusted proxies vouch.
	s.proxies = &trustedProxies{settings: cfg.Settings}
	e.IPExtractor = s.proxies.clientIP
	if cfg.TrustProxy && len(s.proxies.current()) == 0 && cfg.Log != nil {
		cfg.Log.Warn("RELAY_TRUST_PROXY is set but the setting security.trusted_proxies is empty: X-Forwarded-For is ignored")
	}
	e.Use(removeTempFiles)
	e.Use(middleware.Recover())
	e.Use(middleware.RequestID())
	e.Use(s.logRequests)
	e.Use(s.securityHeaders)
	e.Use(browserLocale)

	assets, err := fs.Sub(static.FS, ".")
	if err != nil {
		return nil, err
	}
	e.GET("/static/*", echo.WrapHandler(http.StripPrefix("/static/", cacheForever(http.FileServer(filesOnly{http.FS(assets)})))))
	e.GET("/healthz", s.health)
	if cfg.Metrics != nil {
		e.GET("/metrics", s.metrics)
	}

	s.apiRoutes(e)

	app := e.Group("", echo.WrapMiddleware(func(h http.Handler) http.Handler { return trackSessionRead(s.sessions.LoadAndSave(h)) }), handleErrorsInside, s.limitBody, checkText, s.checkCSRF)
	s.authRoutes(app)
	signedIn := app.Group("", s.requireViewer)
	signedIn.GET("/", s.home)
	s.accountRoutes(signedIn)
	s.clientRoutes(signedIn)
	s.worklistRoutes(signedIn)
	s.triggerRoutes(signedIn)
	s.pipelineRoutes(signedIn)
	s.churnRoutes(signedIn)
	s.segmentRoutes(signedIn)
	s.modelRoutes(signedIn)
	s.effectivenessRoutes(signedIn)
	s.adminRoutes(signedIn)
	return e, nil
}

// handleErrorsInside renders a handler's error before the session middleware
// finishes, so that the response and the session cookie are written once.
func handleErrorsInside(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if err := next(c); err != nil {
			c.Error(err)
		}
		return nil
	}
}

// filesOnly serves files and answers 404 for a directory, so that /static/
// lists nothing.
type filesOnly struct{ fs http.FileSystem }

func (f filesOnly) Open(name string) (http.File, error) {
	file, err := f.fs.Open(name)
	if err != nil {
		return nil, err
	}
	if fi, err := file.Stat(); err != nil || fi.IsDir() {
		_ = file.Close()
		return nil, fs.ErrNotExist
	}
	return file, nil
}

func cacheForever(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=86400")
		h.ServeHTTP(w, r)
	})
}

func (s *server) securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		if s.SecureCookies {
			// Served over TLS: browsers keep to it for a year.
			h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
		}
		if !strings.HasPrefix(c.Request().URL.Path, "/static/") {
			// Pages carry client data: no browser or proxy keeps a copy.
			h.Set("Cache-Control", "no-store")
		}
		// (The API sets no cookie: its callers keep none.)
		if m := c.Request().Method; m != http.MethodGet && m != http.MethodHead && !strings.HasPrefix(c.Request().URL.Path, "/api/") {
			// The pages that follow a change read it from the primary
			// for a few seconds, not from a replica that may lag (Split).
			c.SetCookie(&http.Cookie{Name: primaryCookie, Value: "1", Path: "/", MaxAge: primaryPinSeconds,
				HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.SecureCookies})
		}
		return next(c)
	}
}

// logRequests puts the request id in the request's context, so that every
// line logged while answering carries it, then logs the request and records
// it in the metrics by its route's pattern.
func (s *server) logRequests(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		c.SetRequest(c.Request().WithContext(logs.WithRequestID(c.Request().Context(),
			c.Response().Header().Get(echo.HeaderXRequestID))))
		err := next(c)
		if err != nil {
			c.Error(err)
		}
		req, res := c.Request(), c.Response()
		took := time.Since(start)
		route := c.Path()
		if route == "" || res.Status == http.StatusNotFound && strings.HasSuffix(route, "*") {
			route = "unmatched"
		}
		s.Metrics.Request(route, req.Method, strconv.Itoa(res.Status), took)
		attrs := []any{"method", req.Method, "path", req.URL.Path, "route", route, "status", res.Status,
			"ms", took.Milliseconds()}
		if v, ok := c.Get(viewerKey).(access.Viewer); ok {
			attrs = append(attrs, "user", v.Login)
		}
		if s.Log != nil && req.URL.Path != "/healthz" && req.URL.Path != "/metrics" && !strings.HasPrefix(req.URL.Path, "/static/") {
			s.Log.InfoContext(req.Context(), "request", attrs...)
		}
		return nil
	}
}

// metrics serves the Prometheus metrics, to this machine only unless
// MetricsFromAnywhere.
func (s *server) metrics(c echo.Context) error {
	if !s.MetricsFromAnywhere {
		host, _, err := net.SplitHostPort(c.Request().RemoteAddr)
		if a, perr := netip.ParseAddr(host); err != nil || perr != nil || !a.Unmap().IsLoopback() {
			return echo.NewHTTPError(http.StatusForbidden, "Metrics are served to this machine only.")
		}
	}
	s.Metrics.Handler().ServeHTTP(c.Response(), c.Request())
	return nil
}

// render writes component with status.
func render(c echo.Context, status int, component templ.Component) error {
	c.Response().Header().Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
	c.Response().WriteHeader(status)
	return component.Render(c.Request().Context(), c.Response().Writer)
}

// isHTMX tells whether the request came from htmx and wants a fragment.
func isHTMX(c echo.Context) bool {
	return c.Request().Header.Get("HX-Request") == "true" && c.Request().Header.Get("HX-Boosted") != "true"
}

func (s *server) health(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	if err := s.Pool.Ping(ctx); err != nil {
		return c.String(http.StatusServiceUnavailable, "database does not answer\n")
	}
	return c.String(http.StatusOK, "ok\n")
}

// errForbidden is a role asking for a page it may not open.
var errForbidden = access.Forbidden("your role cannot open this page")

// handleError turns any error into a page, or a fragment for htmx, with a
// safe message; the internal error goes to the log with the request id.
func (s *server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	ctx := ctxOf(c)
	p := pages.Problem{Status: http.StatusInternalServerError, Title: i18n.T(ctx, "errors.failed.title"),
		Message:   i18n.T(ctx, "errors.failed.message"),
		RequestID: c.Response().Header().Get(echo.HeaderXRequestID)}
	var he *echo.HTTPError
	var fields input.Errors
	switch {
	case errors.As(err, &he):
		p.Status = he.Code
		p.Title = statusTitle(ctx, he.Code)
		p.Message = fmt.Sprint(he.Message)
		switch {
		case he.Code == http.StatusNotFound && p.Message == "Not Found":
			p.Message = i18n.T(ctx, "errors.nopage")
		case he == errCSRF:
			p.Message = i18n.T(ctx, "errors.csrf")
		case he == errBodyTooLarge:
			p.Message = i18n.T(ctx, "errors.toolarge")
		case p.Message == http.StatusText(he.Code):
			p.Message = p.Title
		}
	case errors.Is(err, db.ErrNotFound):
		p.Status, p.Title = http.StatusNotFound, i18n.T(ctx, "errors.notfound.title")
		p.Message = i18n.T(ctx, "errors.notfound.message")
	case errors.As(err, &fields):
		p.Status, p.Title = http.StatusBadRequest, statusTitle(ctx, http.StatusBadRequest)
		p.Message = fields.Error()
	case errors.Is(err, access.ErrForbidden):
		p.Status, p.Title, p.Message = http.StatusForbidden, statusTitle(ctx, http.StatusForbidden), sentence(err.Error())
		if i18n.From(ctx) != i18n.English {
			// The reasons of access.Forbidden are written in English where
			// the refusal is made; a translated page says it in general.
			p.Message = i18n.T(ctx, "errors.forbidden")
		}
	}
	if p.Status >= 500 && s.Log != nil {
		s.Log.ErrorContext(c.Request().Context(), "request failed", "err", err, "path", c.Request().URL.Path)
	}
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(p.Status)
		return
	}
	var out templ.Component
	v, signedIn := c.Get(viewerKey).(access.Viewer)
	switch {
	case isHTMX(c):
		out = pages.ProblemFragment(p)
	case signedIn:
		out = pages.ProblemPage(s.layout(c, v, p.Title, ""), p)
	default:
		out = pages.ProblemBare(p)
	}
	if rerr := render(c, p.Status, out); rerr != nil && s.Log != nil {
		s.Log.ErrorContext(c.Request().Context(), "render error page", "err", rerr)
	}
}

// statusTitle names an HTTP status in ctx's language.
func statusTitle(ctx context.Context, code int) string {
	switch code {
	case http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound,
		http.StatusMethodNotAllowed, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType,
		http.StatusUnprocessableEntity, http.StatusTooManyRequests, http.StatusInternalServerError,
		http.StatusServiceUnavailable:
		return i18n.T(ctx, "errors.status."+strconv.Itoa(code))
	}
	return http.StatusText(code)
}

// sentence makes an error's words a sentence for a page: a capital first
// letter and a full stop.
func sentence(s string) string {
	if s == "" {
		return s
	}
	s = strings.ToUpper(s[:1]) + s[1:]
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}

// layout is the frame of a signed-in page.
func (s *server) layout(c echo.Context, v access.Viewer, title, current string) layouts.Layout {
	ctx := ctxOf(c)
	return layouts.Layout{Title: title, UserName: v.Name, RoleName: roleLabel(ctx, v.Role), CSRF: s.csrfToken(c),
		Nav: navFor(ctx, v), Current: current}
}

func (s *server) home(c echo.Context) error {
	v := viewer(c)
	nav := navFor(ctxOf(c), v)
	if len(nav) == 0 {
		return errForbidden
	}
	return c.Redirect(http.StatusSeeOther, nav[0].Href)
}
