// Package audit owns the audit log: who did what, to what, when and from
// where. Sign-ins (and failed ones), changes to clients, triggers, users and
// settings, imports and every export are written here.
package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"time"

	"github.com/relaycrm/relay/internal/db"
)

// Entry is one line of the audit log.
type Entry struct {
	ID      int64
	At      time.Time
	UserID  int64 // zero when no user is signed in (a failed sign-in)
	Login   string
	IP      string
	Action  string // e.g. auth.login, contact.create, export.churn
	Object  string // e.g. client:123
	Details map[string]any
}

// Record writes e through q, which may be a transaction so that the entry
// lands or fails with the change it describes.
func Record(ctx context.Context, q db.Querier, e Entry) error {
	details, err := json.Marshal(e.Details)
	if err != nil {
		return fmt.Errorf("audit details: %w", err)
	}
	if e.Details == nil {
		details = []byte("{}")
	}
	var user *int64
	if e.UserID != 0 {
		user = &e.UserID
	}
	var ip *netip.Addr
	if a, err := netip.ParseAddr(e.IP); err == nil {
		ip = &a
	}
	if _, err := q.Exec(ctx,
		`INSERT INTO audit_log (user_id, login, ip, action, object, details) VALUES ($1, $2, $3, $4, $5, $6)`,
		user, e.Login, ip, e.Action, e.Object, details); err != nil {
		return fmt.Errorf("audit %s: %w", e.Action, err)
	}
	return nil
}

// FailedLogins counts failed sign-ins for login, and from ip, since since.
func FailedLogins(ctx context.Context, q db.Querier, login, ip string, since time.Time) (byLogin, byIP int, err error) {
	var addr *netip.Addr
	if a, perr := netip.ParseAddr(ip); perr == nil {
		addr = &a
	}
	err = q.QueryRow(ctx, `
		SELECT (SELECT count(*) FROM audit_log WHERE action = 'auth.login_failed' AND login = $1 AND at >= $3),
		       (SELECT count(*) FROM audit_log WHERE action = 'auth.login_failed' AND ip = $2 AND at >= $3)`,
		login, addr, since).Scan(&byLogin, &byIP)
	if err != nil {
		return 0, 0, fmt.Errorf("count failed logins: %w", err)
	}
	return byLogin, byIP, nil
}
