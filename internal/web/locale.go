package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/relaycrm/relay/internal/i18n"
	"github.com/relaycrm/relay/views/pages"
)

// browserLocale puts the language of the browser's Accept-Language in the
// request's context; requireViewer replaces it with the user's own choice.
func browserLocale(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		l := i18n.Match(r.Header.Get("Accept-Language"))
		c.SetRequest(r.WithContext(i18n.With(r.Context(), l)))
		c.Response().Header().Add("Vary", "Accept-Language")
		return next(c)
	}
}

// userLocale is the language for a signed-in user: their choice, else the
// browser's (already in the context).
func userLocale(c echo.Context, chosen *string) {
	if chosen == nil {
		return
	}
	if l, ok := i18n.Parse(*chosen); ok {
		r := c.Request()
		c.SetRequest(r.WithContext(i18n.With(r.Context(), l)))
	}
}

// accountLocale saves the language the user chose on their account page ("" to
// follow the browser).
func (s *server) accountLocale(c echo.Context) error {
	v := viewer(c)
	code := c.FormValue("locale")
	err := s.Users.SetLocale(ctxOf(c), actor(c), v.UserID, code)
	if fe, ok := fieldErrors(err); ok {
		vm, err := s.accountView(c)
		if err != nil {
			return err
		}
		vm.Errors = fe
		return render(c, statusInvalid, pages.AccountPage(s.layout(c, v, i18n.T(ctxOf(c), "account.title"), ""), vm))
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/account")
}
