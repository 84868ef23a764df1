package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/relaycrm/relay/internal/sso"
)

// ssoClient reads the identity provider's client secret from
// RELAY_OIDC_CLIENT_SECRET or the file RELAY_OIDC_CLIENT_SECRET_FILE (a
// mounted secret): like the database password, it lives with the process, not
// in the database, so that it is never shown on the settings page, written
// to the audit log of a settings change, or carried in a backup.
func ssoClient() (*sso.Client, error) {
	secret := os.Getenv("RELAY_OIDC_CLIENT_SECRET")
	if file := os.Getenv("RELAY_OIDC_CLIENT_SECRET_FILE"); file != "" {
		if secret != "" {
			return nil, fmt.Errorf("set RELAY_OIDC_CLIENT_SECRET or RELAY_OIDC_CLIENT_SECRET_FILE, not both")
		}
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("RELAY_OIDC_CLIENT_SECRET_FILE: %w", err)
		}
		secret = strings.TrimSpace(string(b))
	}
	return sso.NewClient(secret), nil
}
