package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// pipelineRoutes registers the pipeline pages. PLACEHOLDER while they are built: replace this file.
func (s *server) pipelineRoutes(g *echo.Group) {
	g.GET("/pipeline", func(c echo.Context) error { return c.String(http.StatusOK, "being built") })
}
