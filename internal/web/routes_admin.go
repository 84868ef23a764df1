package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/relaycrm/relay/internal/access"
	"github.com/relaycrm/relay/internal/audit"
	"github.com/relaycrm/relay/internal/input"
)

// adminRoutes are the administrators' pages: users, the product catalogue,
// settings, the audit log and the feed imports. Every other role gets 403.
func (s *server) adminRoutes(g *echo.Group) {
	ag := g.Group("/admin", requireRole(access.Admin))

	ag.GET("/users", s.adminUsers)
	ag.GET("/users/new", s.adminUserNew)
	ag.POST("/users", s.adminUserCreate)
	ag.GET("/users/:id", s.adminUser)
	ag.POST("/users/:id", s.adminUserUpdate)
	ag.POST("/users/:id/password", s.adminUserPassword)
	ag.POST("/users/:id/deactivate", s.adminUserDeactivate)
	ag.POST("/users/:id/reactivate", s.adminUserReactivate)

	ag.GET("/products", s.adminProducts)
	ag.GET("/products/new", s.adminProductNew)
	ag.POST("/products", s.adminProductCreate)
	ag.GET("/products/:id", s.adminProduct)
	ag.POST("/products/:id", s.adminProductUpdate)

	ag.GET("/settings", s.settingsList)
	ag.POST("/settings/:key", s.settingUpdate)
	ag.POST("/settings/:key/reset", s.settingReset)

	ag.GET("/audit", s.auditLog)

	ag.GET("/reference", s.adminReference)
	ag.POST("/reference/group", s.adminGroupSave)
	ag.POST("/reference/banks", s.adminBankSave)
	ag.POST("/reference/regions", s.adminRegionSave)
	ag.POST("/reference/industries", s.adminIndustrySave)

	ag.GET("/imports", s.adminImports)
	ag.POST("/imports", s.adminImportUpload)
	ag.GET("/imports/templates.zip", s.adminImportTemplates)
	ag.GET("/imports/templates/:name", s.adminImportTemplate)
	ag.GET("/imports/:id", s.adminImport)

	ag.GET("/runs", s.adminRuns)
	ag.POST("/runs", s.adminRunStart)

	s.webhookRoutes(ag) // webhooks: routes_admin_webhooks.go
}

// actor is the signed-in user as the audit log records them.
func actor(c echo.Context) audit.Actor {
	v := viewer(c)
	return audit.Actor{UserID: v.UserID, Login: v.Login, IP: c.RealIP()}
}

// sessionFlash holds a message for the next page the user sees: what their
// last change did.
const sessionFlash = "flash"

func (s *server) setFlash(c echo.Context, msg string) {
	s.sessions.Put(c.Request().Context(), sessionFlash, msg)
}

func (s *server) popFlash(c echo.Context) string {
	return s.sessions.PopString(c.Request().Context(), sessionFlash)
}

// seeOther ends a successful change: 303 to path, or for htmx a client-side
// redirect, so the browser's back button and reload never repeat a post.
func seeOther(c echo.Context, path string) error {
	if isHTMX(c) {
		c.Response().Header().Set("HX-Redirect", path)
		return c.NoContent(http.StatusOK)
	}
	return c.Redirect(http.StatusSeeOther, path)
}

// fieldErrors tells whether err is bad input, by field.
func fieldErrors(err error) (input.Errors, bool) {
	var errs input.Errors
	if errors.As(err, &errs) {
		return errs, true
	}
	return nil, false
}

// statusInvalid is the status of a form that comes back with errors, for a
// browser and for htmx alike: the layout's htmx-config swaps 422 answers in.
const statusInvalid = http.StatusUnprocessableEntity

// offsetParam reads the optional offset of a list paged newest first.
func offsetParam(c echo.Context) (int, error) {
	p := c.QueryParam("offset")
	if p == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(p)
	if err != nil || n < 0 || n > maxListOffset {
		return 0, input.Errors{"offset": fmt.Sprintf("%q is not a position in the list", p)}
	}
	return n, nil
}
