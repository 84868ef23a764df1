package web

import (
	"net/http/httptest"
	"testing"
)

// The pages that write as they are read stay on the primary; the single
// sign-on's callback creates or updates the user.
func TestReadsFromReplica(t *testing.T) {
	t.Parallel()
	for path, want := range map[string]bool{
		"/clients": true, "/worklist": true,
		"/login": false, "/login/oidc": false, "/login/oidc/callback": false, "/admin/users": false, "/healthz": false,
	} {
		if got := readsFromReplica(httptest.NewRequest("GET", path, nil)); got != want {
			t.Errorf("GET %s from the replica: %v, want %v", path, got, want)
		}
	}
	if readsFromReplica(httptest.NewRequest("POST", "/clients", nil)) {
		t.Error("a POST went to the replica")
	}
}
