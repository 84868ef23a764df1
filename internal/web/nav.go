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
		nav = append(nav,
			layouts.NavItem{Key: "users", Label: "Users", Href: "/admin/users"},
			layouts.NavItem{Key: "products", Label: "Products", Href: "/admin/products"},
			layouts.NavItem{Key: "settings", Label: "Settings", Href: "/admin/settings"},
			layouts.NavItem{Key: "imports", Label: "Imports", Href: "/admin/imports"},
			layouts.NavItem{Key: "audit", Label: "Audit log", Href: "/admin/audit"},
		)
	}
	return nav
}
