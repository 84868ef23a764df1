package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// churnRoutes registers the churn pages. PLACEHOLDER while they are built: replace this file.
func (s *server) churnRoutes(g *echo.Group) {
	g.GET("/churn", func(c echo.Context) error { return c.String(http.StatusOK, "being built") })
}
