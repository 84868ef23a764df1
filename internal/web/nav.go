package web

import (
	"context"

	"github.com/relaycrm/relay/internal/access"
	"github.com/relaycrm/relay/internal/i18n"
	"github.com/relaycrm/relay/views/layouts"
)

// navFor lists the top-bar links of a role, labelled in ctx's language.
func navFor(ctx context.Context, v access.Viewer) []layouts.NavItem {
	var keys []string
	// Each role's own page comes first: it is where they land.
	switch v.Role {
	case access.Manager:
		keys = append(keys, "worklist", "churn")
	case access.BranchHead:
		keys = append(keys, "pipeline", "churn")
	case access.Risk:
		keys = append(keys, "churn", "backtest", "models")
	}
	if v.SeesClients() {
		keys = append(keys, "clients", "segments")
	}
	if v.Role == access.BranchHead || v.Role == access.Risk {
		keys = append(keys, "effectiveness")
	}
	if v.Role == access.Admin {
		keys = append(keys, "users", "reference", "products", "settings", "imports", "runs", "webhooks", "models",
			"backtest", "segments", "effectiveness", "audit")
	}
	nav := make([]layouts.NavItem, len(keys))
	for i, k := range keys {
		nav[i] = layouts.NavItem{Key: k, Label: i18n.T(ctx, "nav."+k), Href: navHref[k]}
	}
	return nav
}

// navHref is where each top-bar link goes.
var navHref = map[string]string{
	"worklist": "/worklist", "churn": "/churn", "pipeline": "/pipeline", "backtest": "/backtest", "models": "/models",
	"clients": "/clients", "segments": "/segments", "effectiveness": "/effectiveness", "users": "/admin/users",
	"reference": "/admin/reference", "products": "/admin/products", "settings": "/admin/settings",
	"imports": "/admin/imports", "runs": "/admin/runs", "webhooks": "/admin/webhooks", "audit": "/admin/audit",
}

// roleLabel names a role in ctx's language.
func roleLabel(ctx context.Context, r access.Role) string {
	switch r {
	case access.Manager, access.BranchHead, access.Risk, access.Admin:
		return i18n.T(ctx, "common.role."+string(r))
	}
	return string(r)
}
