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
// lands or fails with the change it describes: a pgx pool, connection or
// transaction. It is the one writer of the audit log.
func Record(ctx context.Context, q db.Execer, e Entry) error {
	vals, err := e.values()
	if err != nil {
		return err
	}
	if _, err := q.Exec(ctx,
		`INSERT INTO audit_log (user_id, login, ip, action, object, details) VALUES ($1, $2, $3, $4, $5, $6)`,
		vals...); err != nil {
		return fmt.Errorf("audit %s: %w", e.Action, err)
	}
	return nil
}

// values are e's columns user_id, login, ip, action, object and details.
func (e Entry) values() ([]any, error) {
	details := []byte("{}")
	if e.Details != nil {
		b, err := json.Marshal(e.Details)
		if err != nil {
			return nil, fmt.Errorf("audit details: %w", err)
		}
		details = b
	}
	var user *int64
	if e.UserID != 0 {
		user = &e.UserID
	}
	var ip *string
	if a, err := netip.ParseAddr(e.IP); err == nil {
		s := a.String()
		ip = &s
	}
	return []any{user, e.Login, ip, e.Action, e.Object, string(details)}, nil
}

// Actor is who makes a change, as the audit log records them.
type Actor struct {
	UserID int64
	Login  string
	IP     string
}

// Entry is the audit entry of a's action on object.
func (a Actor) Entry(action, object string, details map[string]any) Entry {
	return Entry{UserID: a.UserID, Login: a.Login, IP: a.IP, Action: action, Object: object, Details: details}
}

// Change is how a changed field reads in an entry's details.
type Change struct {
	From any `json:"from"`
	To   any `json:"to"`
}
