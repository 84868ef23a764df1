package web

import (
	"context"
	"errors"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/relaycrm/relay/internal/audit"
	"github.com/relaycrm/relay/internal/i18n"
	"github.com/relaycrm/relay/internal/users"
	"github.com/relaycrm/relay/views/pages"
)

func (s *server) authRoutes(g *echo.Group) {
	g.GET("/login", s.loginForm)
	g.POST("/login", s.login)
	g.POST("/logout", s.logout)
	s.oidcRoutes(g)
}

func (s *server) loginForm(c echo.Context) error {
	if s.sessions.GetInt64(c.Request().Context(), sessionUser) != 0 {
		return c.Redirect(http.StatusSeeOther, "/")
	}
	cfg, err := s.loadSSO(c)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, pages.LoginPage(loginView(cfg, s.loginCSRF(c), "")))
}

// failedLoginDelay slows every failed sign-in a little, on top of the
// throttle's growing delay.
const failedLoginDelay = 400 * time.Millisecond

func (s *server) login(c echo.Context) error {
	ctx := c.Request().Context()
	login, password := c.FormValue("login"), c.FormValue("password")
	ip := c.RealIP()
	cfg, err := s.Settings.Load(ctx)
	if err != nil {
		return err
	}
	sc, err := ssoConfig(cfg, s.SSO)
	if err != nil {
		return err
	}
	vm := loginView(sc, s.loginCSRF(c), login)
	rules := users.ThrottleRules{MaxFailures: cfg.Int("login.max_failures"),
		Window: time.Duration(cfg.Int("login.lockout_minutes")) * time.Minute, FirstDelay: s.ThrottleFirstDelay}
	attempt := users.Attempt{Login: login, IP: ip}
	// The attempt is counted before its password is checked, so parallel
	// guesses cannot all pass a count read before any of them is written.
	wait, err := users.Begin(ctx, s.Pool, attempt, rules)
	if err != nil {
		return err
	}
	if wait > 0 {
		s.Metrics.SignInThrottled()
		secs := int(math.Ceil(time.Duration(wait).Seconds()))
		c.Response().Header().Set("Retry-After", strconv.Itoa(secs))
		vm.Error = i18n.T(ctx, "auth.throttled", "Wait", waitText(ctx, secs))
		return render(c, http.StatusTooManyRequests, pages.LoginPage(vm))
	}
	// Refused when passwords are off, before the password is checked; counted
	// by the throttle like a failure, so that refusals cannot flood the
	// audit log.
	if why, err := s.passwordRefused(c, sc, login); err != nil || why != "" {
		if err != nil {
			return err
		}
		s.Metrics.SignInFailed()
		vm.Error = why
		return render(c, http.StatusForbidden, pages.LoginPage(vm))
	}

	u, err := s.Users.Authenticate(ctx, login, password)
	switch {
	case errors.Is(err, users.ErrBadCredentials):
		if err := audit.Record(ctx, s.Pool, audit.Entry{UserID: u.ID, Login: login, IP: ip, Action: "auth.login_failed"}); err != nil {
			return err
		}
		s.Metrics.SignInFailed()
		time.Sleep(failedLoginDelay)
		vm.Error = i18n.T(ctx, "auth.bad")
		return render(c, http.StatusUnauthorized, pages.LoginPage(vm))
	case errors.Is(err, users.ErrBusy):
		c.Response().Header().Set("Retry-After", "5")
		vm.Error = i18n.T(ctx, "auth.busy")
		return render(c, http.StatusServiceUnavailable, pages.LoginPage(vm))
	case err != nil:
		return err
	}
	if err := users.Succeeded(ctx, s.Pool, attempt, rules); err != nil {
		return err
	}
	if err := s.startSession(ctx, u.ID); err != nil {
		return err
	}
	if err := audit.Record(ctx, s.Pool, audit.Entry{UserID: u.ID, Login: u.Login, IP: ip, Action: "auth.login"}); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/")
}

// waitText says a wait of secs seconds in words.
func waitText(ctx context.Context, secs int) string {
	switch {
	case secs <= 1:
		return i18n.T(ctx, "auth.wait.second")
	case secs < 120:
		return i18n.Plural(ctx, "auth.wait.seconds", int64(secs))
	default:
		return i18n.Plural(ctx, "auth.wait.minutes", int64((secs+59)/60))
	}
}

func (s *server) logout(c echo.Context) error {
	ctx := c.Request().Context()
	id := s.sessions.GetInt64(ctx, sessionUser)
	if id != 0 {
		u, err := s.Users.Get(ctx, id)
		if err == nil {
			if err := audit.Record(ctx, s.Pool, audit.Entry{UserID: u.ID, Login: u.Login, IP: c.RealIP(), Action: "auth.logout"}); err != nil {
				return err
			}
		}
	}
	if err := s.sessions.Destroy(ctx); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/login")
}
