package web

import "github.com/labstack/echo/v4"

// segmentRoutes registers the segments pages (being built).
func (s *server) segmentRoutes(g *echo.Group) {}
