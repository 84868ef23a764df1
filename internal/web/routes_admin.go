package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/relaycrm/relay/internal/access"
	"github.com/relaycrm/relay/views/pages"
)

func (s *server) adminRoutes(g *echo.Group) {
	ag := g.Group("/admin", requireRole(access.Admin))
	ag.GET("/settings", s.settingsList)
}

func (s *server) settingsList(c echo.Context) error {
	all, err := s.Settings.All(c.Request().Context())
	if err != nil {
		return err
	}
	vm := pages.Settings{}
	for _, st := range all {
		vm.Items = append(vm.Items, pages.SettingItem{Key: st.Key, Label: st.Label, Value: st.Value,
			Default: st.DefaultValue, Area: st.Area, Description: st.Description, Changed: st.Value != st.DefaultValue})
	}
	return render(c, http.StatusOK, pages.SettingsPage(s.layout(c, viewer(c), "Settings", "settings"), vm))
}
