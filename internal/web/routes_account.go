package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/relaycrm/relay/internal/i18n"
	"github.com/relaycrm/relay/internal/input"
	"github.com/relaycrm/relay/internal/tokens"
	"github.com/relaycrm/relay/views/pages"
)

// accountRoutes registers the signed-in user's own page: their personal
// access tokens of the API, made and revoked by themselves only.
func (s *server) accountRoutes(g *echo.Group) {
	g.GET("/account", s.account)
	g.POST("/account/tokens", s.accountTokenCreate)
	g.POST("/account/locale", s.accountLocale)
	g.POST("/account/tokens/:id/revoke", s.accountTokenRevoke)
}

func (s *server) account(c echo.Context) error {
	vm, err := s.accountView(c)
	if err != nil {
		return err
	}
	vm.FormDays = strconv.Itoa(tokens.DefaultDays)
	return render(c, http.StatusOK, pages.AccountPage(s.layout(c, viewer(c), i18n.T(ctxOf(c), "account.title"), ""), vm))
}

// accountView is the account page with the user's tokens.
func (s *server) accountView(c echo.Context) (pages.Account, error) {
	v := viewer(c)
	list, err := tokens.List(ctxOf(c), s.Pool, v.UserID)
	if err != nil {
		return pages.Account{}, err
	}
	now := s.Now()
	u, err := s.Users.Get(ctxOf(c), v.UserID)
	if err != nil {
		return pages.Account{}, err
	}
	ctx := ctxOf(c)
	vm := pages.Account{Name: v.Name, Login: v.Login, Role: roleLabel(ctx, v.Role), CSRF: s.csrfToken(c), Flash: s.popFlash(c)}
	if u.Locale != nil {
		vm.Locale = *u.Locale
	}
	for _, t := range list {
		at := pages.AccountToken{ID: t.ID, Prefix: t.Prefix, Name: t.Name, Created: i18n.Date(ctx, t.CreatedAt),
			Expires: i18n.Date(ctx, t.ExpiresAt), LastUsed: i18n.T(ctx, "account.token.never"),
			State: i18n.T(ctx, "account.token.live"), Live: t.Live(now)}
		if t.LastUsedAt != nil {
			at.LastUsed = i18n.DateTime(ctx, *t.LastUsedAt)
		}
		switch {
		case t.RevokedAt != nil:
			at.State = i18n.T(ctx, "account.token.revoked", "On", i18n.Date(ctx, *t.RevokedAt))
		case !at.Live:
			at.State = i18n.T(ctx, "account.token.expired")
		}
		vm.Tokens = append(vm.Tokens, at)
	}
	return vm, nil
}

// accountTokenCreate makes a token for the signed-in user and shows it once.
func (s *server) accountTokenCreate(c echo.Context) error {
	v := viewer(c)
	name, daysText := c.FormValue("name"), strings.TrimSpace(c.FormValue("days"))
	n := tokens.New{Name: name}
	var errs input.Errors
	if daysText != "" {
		d, err := strconv.Atoi(daysText)
		if err != nil {
			errs = input.Errors{"days": i18n.T(ctxOf(c), "account.token.notdays", "Text", fmt.Sprintf("%q", daysText))}
		}
		n.Days = d
	}
	var secret string
	var made tokens.Token
	if errs == nil {
		var err error
		made, secret, err = tokens.Create(ctxOf(c), s.Pool, actor(c), v.UserID, n, s.Now())
		if fe, ok := fieldErrors(err); ok {
			errs = fe
		} else if err != nil {
			return err
		}
	}
	vm, err := s.accountView(c)
	if err != nil {
		return err
	}
	if errs != nil {
		vm.FormName, vm.FormDays, vm.Errors = name, daysText, errs
		return render(c, statusInvalid, pages.AccountPage(s.layout(c, v, i18n.T(ctxOf(c), "account.title"), ""), vm))
	}
	// The token is in this answer only: it is not put in the session or a
	// redirect, so it is shown once.
	vm.NewToken, vm.NewTokenName, vm.FormDays = secret, made.Name, strconv.Itoa(tokens.DefaultDays)
	return render(c, http.StatusOK, pages.AccountPage(s.layout(c, v, i18n.T(ctxOf(c), "account.title"), ""), vm))
}

// accountTokenRevoke revokes one of the signed-in user's tokens; another
// user's token is not found.
func (s *server) accountTokenRevoke(c echo.Context) error {
	v := viewer(c)
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	if err := tokens.Revoke(ctxOf(c), s.Pool, actor(c), v.UserID, id, s.Now()); err != nil {
		return err
	}
	s.setFlash(c, i18n.T(ctxOf(c), "account.token.revokedflash"))
	return c.Redirect(http.StatusSeeOther, "/account")
}
