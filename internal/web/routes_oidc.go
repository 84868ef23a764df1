package web

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/relaycrm/relay/internal/access"
	"github.com/relaycrm/relay/internal/audit"
	"github.com/relaycrm/relay/internal/i18n"
	"github.com/relaycrm/relay/internal/settings"
	"github.com/relaycrm/relay/internal/sso"
	"github.com/relaycrm/relay/internal/users"
	"github.com/relaycrm/relay/views/pages"
)

// Single sign-on with OpenID Connect (docs/sso.md): /login/oidc sends the
// browser to the identity provider with a state, a nonce and a PKCE
// challenge kept in the session; /login/oidc/callback checks them, verifies
// the ID token, maps the user's groups to a role and branch, creates or
// updates the user and signs them in. Every sign-in and every refusal is
// audited.

const (
	sessionOIDCState    = "oidc_state"
	sessionOIDCNonce    = "oidc_nonce"
	sessionOIDCVerifier = "oidc_verifier"
)

func (s *server) oidcRoutes(g *echo.Group) {
	g.GET("/login/oidc", s.oidcBegin)
	g.GET("/login/oidc/callback", s.oidcCallback)
}

// ssoConfig reads the sso.* settings.
func ssoConfig(v settings.Values, client *sso.Client) (sso.Config, error) {
	groups, err := sso.ParseGroupMap(v.String("sso.group_roles"))
	if err != nil {
		return sso.Config{}, fmt.Errorf("setting sso.group_roles: %w", err)
	}
	return sso.Config{Issuer: v.String("sso.issuer"), ClientID: v.String("sso.client_id"),
		ClientSecret: client.Secret(), RedirectURL: v.String("sso.redirect_url"),
		ProviderName: v.String("sso.provider_name"), GroupsClaim: v.String("sso.groups_claim"), Groups: groups,
		Passwords: v.On("sso.passwords"), BreakGlass: v.String("sso.break_glass_login")}, nil
}

func (s *server) loadSSO(c echo.Context) (sso.Config, error) {
	v, err := s.Settings.Load(c.Request().Context())
	if err != nil {
		return sso.Config{}, err
	}
	return ssoConfig(v, s.SSO)
}

// enabledSSO is the single sign-on's configuration, or not found when it is
// not configured: its routes exist only then.
func (s *server) enabledSSO(c echo.Context) (sso.Config, error) {
	cfg, err := s.loadSSO(c)
	if err == nil && !cfg.Enabled() {
		err = echo.ErrNotFound
	}
	return cfg, err
}

// loginView is the sign-in page's view model, with the provider's button
// when single sign-on is configured.
func loginView(cfg sso.Config, csrf, login string) pages.Login {
	vm := pages.Login{CSRF: csrf, Login: login, PasswordsOff: !cfg.Passwords}
	if cfg.Enabled() {
		vm.SSOName = cfg.ProviderName
	}
	return vm
}

func (s *server) oidcBegin(c echo.Context) error {
	cfg, err := s.enabledSSO(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	st, err := s.SSO.Begin(ctx, cfg)
	if err != nil {
		if s.Log != nil {
			s.Log.Error("single sign-on: the identity provider does not answer", "err", err)
		}
		vm := loginView(cfg, s.loginCSRF(c), "")
		vm.Error = i18n.T(ctxOf(c), "auth.sso.down", "Provider", cfg.ProviderName)
		return render(c, http.StatusBadGateway, pages.LoginPage(vm))
	}
	s.sessions.Put(ctx, sessionOIDCState, st.State)
	s.sessions.Put(ctx, sessionOIDCNonce, st.Nonce)
	s.sessions.Put(ctx, sessionOIDCVerifier, st.Verifier)
	return c.Redirect(http.StatusSeeOther, st.URL)
}

func (s *server) oidcCallback(c echo.Context) error {
	cfg, err := s.enabledSSO(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	// Each sign-in's state, nonce and verifier are used once.
	state := s.sessions.PopString(ctx, sessionOIDCState)
	nonce := s.sessions.PopString(ctx, sessionOIDCNonce)
	verifier := s.sessions.PopString(ctx, sessionOIDCVerifier)
	// refuse audits the refusal in English and tells the user in their
	// language: the message id and its values, or shown as it is when id is
	// "" (why is then already a sentence).
	refuse := func(login, id string, kv []any, why string, details map[string]any) error {
		shown := why
		if id != "" {
			why, shown = i18n.English.T(id, kv...), i18n.T(ctx, id, kv...)
		}
		if details == nil {
			details = map[string]any{}
		}
		details["via"], details["reason"] = "oidc", why
		if err := audit.Record(ctx, s.Pool, audit.Entry{Login: login, IP: c.RealIP(), Action: "auth.login_refused", Details: details}); err != nil {
			return err
		}
		s.Metrics.SignInFailed()
		vm := loginView(cfg, s.loginCSRF(c), "")
		vm.Error = shown
		return render(c, http.StatusForbidden, pages.LoginPage(vm))
	}
	provider := []any{"Provider", cfg.ProviderName}
	if state == "" || subtle.ConstantTimeCompare([]byte(state), []byte(c.QueryParam("state"))) != 1 {
		return refuse("", "auth.sso.stale", nil, "", nil)
	}
	if e := c.QueryParam("error"); e != "" {
		return refuse("", "auth.sso.error", append(provider, "Error", clip(e+" "+c.QueryParam("error_description"), 200)), "", nil)
	}
	id, err := s.SSO.Finish(ctx, cfg, c.QueryParam("code"), verifier, nonce)
	if errors.Is(err, sso.ErrRefused) {
		if s.Log != nil {
			s.Log.Warn("single sign-on refused", "err", err)
		}
		return refuse("", "auth.sso.unverified", provider, "", map[string]any{"error": clip(err.Error(), 300)})
	}
	if err != nil {
		return err
	}
	rule, ok := cfg.Groups.Place(id.Groups)
	if !ok {
		return refuse(id.Login, "auth.sso.norole", provider, "", map[string]any{"subject": id.Subject, "groups": id.Groups})
	}
	u, err := s.Users.SignInExternal(ctx, users.External{Issuer: id.Issuer, Subject: id.Subject, Login: id.Login,
		Name: id.Name, Role: rule.Role, BranchCode: rule.Branch, BreakGlass: cfg.BreakGlass, IP: c.RealIP()})
	var refusal *users.Refusal
	if errors.As(err, &refusal) {
		return refuse(id.Login, refusal.ID, refusal.Args, "", map[string]any{"subject": id.Subject, "groups": id.Groups})
	}
	if errors.Is(err, access.ErrForbidden) {
		return refuse(id.Login, "", nil, err.Error(), map[string]any{"subject": id.Subject, "groups": id.Groups})
	}
	if err != nil {
		return err
	}
	if err := s.startSession(ctx, u.ID); err != nil {
		return err
	}
	if err := audit.Record(ctx, s.Pool, audit.Entry{UserID: u.ID, Login: u.Login, IP: c.RealIP(), Action: "auth.login",
		Details: map[string]any{"via": "oidc", "groups": id.Groups, "role": string(rule.Role), "branch": rule.Branch}}); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/")
}

// passwordRefused says why a password sign-in is refused when passwords are
// off, and audits it; "" when login may use a password.
func (s *server) passwordRefused(c echo.Context, cfg sso.Config, login string) (string, error) {
	if cfg.PasswordAllowed(login) {
		return "", nil
	}
	id, kv := "auth.passwords.breakglass", []any(nil)
	if cfg.Enabled() {
		id, kv = "auth.passwords.sso", []any{"Provider", cfg.ProviderName}
	}
	// The audit log keeps the reason in English; the user reads it in theirs.
	err := audit.Record(c.Request().Context(), s.Pool, audit.Entry{Login: clip(strings.TrimSpace(login), 100), IP: c.RealIP(),
		Action: "auth.login_refused", Details: map[string]any{"via": "password", "reason": i18n.English.T(id, kv...)}})
	return i18n.T(ctxOf(c), id, kv...), err
}

func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}
