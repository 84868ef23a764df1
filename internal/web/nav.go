package web

import (
	"github.com/relaycrm/relay/internal/access"
	"github.com/relaycrm/relay/views/layouts"
)

// navFor lists the top-bar links of a role.
func navFor(v access.Viewer) []layouts.NavItem {
	var nav []layouts.NavItem
	// Each role's own page comes first: it is where they land.
	switch v.Role {
	case access.Manager:
		nav = append(nav, layouts.NavItem{Key: "worklist", Label: "Worklist", Href: "/worklist"},
			layouts.NavItem{Key: "churn", Label: "Churn list", Href: "/churn"})
	case access.BranchHead:
		nav = append(nav, layouts.NavItem{Key: "pipeline", Label: "Pipeline", Href: "/pipeline"},
			layouts.NavItem{Key: "churn", Label: "Churn list", Href: "/churn"})
	case access.Risk:
		nav = append(nav, layouts.NavItem{Key: "churn", Label: "Churn list", Href: "/churn"},
			layouts.NavItem{Key: "backtest", Label: "Backtest", Href: "/backtest"},
			layouts.NavItem{Key: "models", Label: "Churn models", Href: "/models"})
	}
	if v.SeesClients() {
		nav = append(nav, layouts.NavItem{Key: "clients", Label: "Clients", Href: "/clients"},
			layouts.NavItem{Key: "segments", Label: "Segments", Href: "/segments"})
	}
	if v.Role == access.BranchHead || v.Role == access.Risk {
		nav = append(nav, layouts.NavItem{Key: "effectiveness", Label: "Effectiveness", Href: "/effectiveness"})
	}
	if v.Role == access.Admin {
		nav = append(nav,
			layouts.NavItem{Key: "users", Label: "Users", Href: "/admin/users"},
			layouts.NavItem{Key: "reference", Label: "Reference", Href: "/admin/reference"},
			layouts.NavItem{Key: "products", Label: "Products", Href: "/admin/products"},
			layouts.NavItem{Key: "settings", Label: "Settings", Href: "/admin/settings"},
			layouts.NavItem{Key: "imports", Label: "Imports", Href: "/admin/imports"},
			layouts.NavItem{Key: "runs", Label: "Nightly runs", Href: "/admin/runs"},
			layouts.NavItem{Key: "webhooks", Label: "Webhooks", Href: "/admin/webhooks"},
			layouts.NavItem{Key: "models", Label: "Churn models", Href: "/models"},
			layouts.NavItem{Key: "backtest", Label: "Backtest", Href: "/backtest"},
			layouts.NavItem{Key: "segments", Label: "Segments", Href: "/segments"},
			layouts.NavItem{Key: "effectiveness", Label: "Effectiveness", Href: "/effectiveness"},
			layouts.NavItem{Key: "audit", Label: "Audit log", Href: "/admin/audit"},
		)
	}
	return nav
}
