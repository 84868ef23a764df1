package web

import (
	"github.com/labstack/echo/v4"

	"github.com/relaycrm/relay/internal/i18n"
)

// apiEnglish keeps the JSON API in English whatever the client's
// Accept-Language: its sentences (a trigger's reason, a signal's figures)
// are read by programs, which match them as they were (docs/i18n.md).
func apiEnglish(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		c.SetRequest(r.WithContext(i18n.With(r.Context(), i18n.English)))
		return next(c)
	}
}
