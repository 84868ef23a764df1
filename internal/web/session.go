package web

import (
	"context"
	"time"

	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/relaycrm/relay/internal/access"
	"github.com/relaycrm/relay/internal/db"
)

const (
	viewerKey     = "viewer"  // echo context: the signed-in access.Viewer
	sessionUser   = "user_id" // session: the signed-in user's id
	sessionAuthAt = "auth_at" // session: when the user signed in (unix nanoseconds)
	sessionCSRF   = "csrf"    // session: the CSRF token of forms and htmx requests
	csrfHeader    = "X-CSRF-Token"
	csrfFormField = "_csrf"
	// loginCSRFCookie carries the sign-in form's CSRF token, so that showing
	// the form to someone not signed in stores no session.
	loginCSRFCookie = "relay_login_csrf"
)

// viewer returns the signed-in user; requireViewer guarantees there is one.
func viewer(c echo.Context) access.Viewer {
	v, _ := c.Get(viewerKey).(access.Viewer)
	return v
}

// csrfToken returns the session's CSRF token, creating it on first use.
func (s *server) csrfToken(c echo.Context) string {
	ctx := c.Request().Context()
	if t := s.sessions.GetString(ctx, sessionCSRF); t != "" {
		return t
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // the system's randomness failed: nothing is safe to do
	}
	t := base64.RawURLEncoding.EncodeToString(b)
	s.sessions.Put(ctx, sessionCSRF, t)
	return t
}

// loginCSRF returns the sign-in form's CSRF token from its cookie, setting a
// new one when there is none (the double-submit pattern: the form's hidden
// field must match the cookie, which another site can neither read nor set).
func (s *server) loginCSRF(c echo.Context) string {
	if k, err := c.Cookie(loginCSRFCookie); err == nil && len(k.Value) >= 40 {
		return k.Value
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // the system's randomness failed: nothing is safe to do
	}
	t := base64.RawURLEncoding.EncodeToString(b)
	c.SetCookie(&http.Cookie{Name: loginCSRFCookie, Value: t, Path: "/login", HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: s.SecureCookies})
	return t
}

// errCSRF is a state-changing request without the session's token.
var errCSRF = echo.NewHTTPError(http.StatusForbidden,
	"This form has expired or did not come from Relay. Reload the page and try again.")

// checkCSRF refuses any state-changing request that does not carry the
// session's token in the X-CSRF-Token header (htmx) or the _csrf form field.
func (s *server) checkCSRF(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		switch c.Request().Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			return next(c)
		}
		want := s.sessions.GetString(c.Request().Context(), sessionCSRF)
		got := c.Request().Header.Get(csrfHeader)
		if got == "" {
			if err := readForm(c); err != nil {
				return err
			}
			got = c.Request().PostFormValue(csrfFormField)
		}
		matches := func(want string) bool {
			return want != "" && subtle.ConstantTimeCompare([]byte(want), []byte(got)) == 1
		}
		ok := matches(want)
		if k, err := c.Cookie(loginCSRFCookie); err == nil && !ok && c.Request().URL.Path == "/login" {
			// The sign-in form's own token, for a visitor with no session.
			ok = matches(k.Value)
		}
		if !ok {
			return errCSRF
		}
		return next(c)
	}
}

// requireViewer lets only signed-in, active users through, and puts their
// Viewer in the context. Others go to the sign-in page.
func (s *server) requireViewer(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx := c.Request().Context()
		id := s.sessions.GetInt64(ctx, sessionUser)
		if id == 0 {
			return s.toLogin(c)
		}
		u, err := s.Users.Get(ctx, id)
		// A deactivated user, or a session from before the last password
		// change, is signed out.
		stale := err == nil && u.PasswordChangedAt.UnixNano() > s.sessions.GetInt64(ctx, sessionAuthAt)
		if errors.Is(err, db.ErrNotFound) || (err == nil && (!u.Active || stale)) {
			if err := s.sessions.Destroy(ctx); err != nil {
				return err
			}
			return s.toLogin(c)
		}
		if err != nil {
			return err
		}
		v := u.Viewer()
		c.Set(viewerKey, v)
		c.SetRequest(c.Request().WithContext(access.WithViewer(ctx, v)))
		userLocale(c, u.Locale)
		return next(c)
	}
}

func (s *server) toLogin(c echo.Context) error {
	if isHTMX(c) {
		c.Response().Header().Set("HX-Redirect", "/login")
		return c.NoContent(http.StatusUnauthorized)
	}
	return c.Redirect(http.StatusSeeOther, "/login")
}

// requireRole lets through only the given roles.
func requireRole(roles ...access.Role) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			v := viewer(c)
			for _, r := range roles {
				if v.Role == r {
					return next(c)
				}
			}
			return errForbidden
		}
	}
}

// startSession signs user id in on this session, by password or single
// sign-on alike: a new session id (so a token planted before it is
// worthless), the user and the time of sign-in, and no CSRF token of the
// signed-out page.
func (s *server) startSession(ctx context.Context, id int64) error {
	if err := s.sessions.RenewToken(ctx); err != nil {
		return err
	}
	s.sessions.Put(ctx, sessionUser, id)
	s.sessions.Put(ctx, sessionAuthAt, time.Now().UnixNano())
	s.sessions.Remove(ctx, sessionCSRF)
	return nil
}
