package web

import (
	"github.com/relaycrm/relay/internal/access"
	"github.com/relaycrm/relay/views/layouts"
)

// navFor lists the top-bar links of a role.
func navFor(v access.Viewer) []layouts.NavItem {
	var nav []layouts.NavItem
	if v.SeesClients() {
		nav = append(nav, layouts.NavItem{Key: "clients", Label: "Clients", Href: "/clients"})
	}
	if v.Role == access.Admin {
		nav = append(nav, layouts.NavItem{Key: "settings", Label: "Settings", Href: "/admin/settings"})
	}
	return nav
}
