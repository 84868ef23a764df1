package web

import (
	"net/http"
	"strings"
)

// primaryCookie pins a browser to the primary for primaryPinSeconds after it
// changed something, so that it reads its own writes.
const (
	primaryCookie     = "relay_primary"
	primaryPinSeconds = 10
)

// Split serves reads from a handler built on a PostgreSQL streaming replica
// and everything else from the primary's: GET and HEAD go to replica, except
// the pages that write as they are read (the admin pages, which reconcile
// runs and imports; exports, which are audited; sign-in; health and
// metrics; the single sign-on's callback, which creates or updates the
// user), and except for a browser that changed something in the last
// seconds. The replica's handler keeps its sessions on the primary
// (Config.SessionPool).
func Split(primary, replica http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if readsFromReplica(r) {
			replica.ServeHTTP(w, r)
			return
		}
		primary.ServeHTTP(w, r)
	})
}

func readsFromReplica(r *http.Request) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return false
	}
	p := r.URL.Path
	switch {
	case p == "/login", strings.HasPrefix(p, "/login/"), p == "/healthz", p == "/metrics", strings.HasPrefix(p, "/admin/"),
		strings.HasPrefix(p, "/churn/export"):
		return false
	}
	if _, err := r.Cookie(primaryCookie); err == nil {
		return false
	}
	return true
}
