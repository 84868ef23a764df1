// Package access turns the signed-in user into the SQL condition that scopes
// client data to what their role may see. Every query that returns client data
// takes a Viewer and calls ClientScope; nothing filters clients in Go.
package access

import (
	"context"
	"errors"
	"fmt"

	"github.com/relaycrm/relay/internal/db"
)

// ErrForbidden is a role asking for something it may not do. Every refusal
// of a role is this error (errors.Is holds), each in its own words
// (Forbidden), and the web error handler answers all of them with 403.
var ErrForbidden = errors.New("your role may not do this")

// Forbidden returns a refusal that is ErrForbidden and says why in words a
// person reads.
func Forbidden(why string) error { return forbidden(why) }

type forbidden string

func (f forbidden) Error() string        { return string(f) }
func (f forbidden) Is(target error) bool { return target == ErrForbidden }

// Role is what a user does at the bank, and so what they may see.
type Role string

// The roles of MISSION.md.
const (
	Manager    Role = "manager"     // their own clients
	BranchHead Role = "branch_head" // their branch's clients
	Risk       Role = "risk"        // every client of the group, read-only
	Admin      Role = "admin"       // users, catalogue, settings, imports, jobs; no client records
)

// Roles lists every role in the order screens show them.
var Roles = []Role{Manager, BranchHead, Risk, Admin}

// Valid tells whether r is a known role.
func (r Role) Valid() bool {
	for _, k := range Roles {
		if r == k {
			return true
		}
	}
	return false
}

// Label is the role's name as users read it.
func (r Role) Label() string {
	switch r {
	case Manager:
		return "Personal manager"
	case BranchHead:
		return "Branch head"
	case Risk:
		return "Risk team"
	case Admin:
		return "Administrator"
	}
	return string(r)
}

// Viewer is the signed-in user as far as scoping is concerned.
type Viewer struct {
	UserID   int64
	Login    string
	Name     string
	Role     Role
	GroupID  int64
	BranchID int64 // managers and branch heads only
}

// SeesClients tells whether the role reads client records at all.
func (v Viewer) SeesClients() bool {
	return v.Role == Manager || v.Role == BranchHead || v.Role == Risk
}

// WritesClients tells whether the role records work on clients (contacts,
// triggers); the risk team reads only.
func (v Viewer) WritesClients() bool { return v.Role == Manager || v.Role == BranchHead }

// ClientScope returns the condition, over the client table aliased as alias,
// that keeps only the clients v may see, adding its parameters to args. A role
// that sees no clients gets a condition that is always false.
func ClientScope(v Viewer, alias string, args *db.Args) string {
	switch v.Role {
	case Manager:
		return fmt.Sprintf("%s.manager_id = %s", alias, args.Add(v.UserID))
	case BranchHead:
		return fmt.Sprintf("%s.branch_id = %s", alias, args.Add(v.BranchID))
	case Risk:
		return fmt.Sprintf("%s.group_id = %s", alias, args.Add(v.GroupID))
	default:
		return "false"
	}
}

// Scoped fills each {{scope:alias}} marker of a stored query with v's
// condition over that alias, adding its parameters to args. A query meant to
// be scoped that has no marker is a programming error and panics.
func Scoped(query string, v Viewer, args *db.Args) string {
	if !db.ScopeMarker.MatchString(query) {
		panic("access: the query has no {{scope:alias}} marker")
	}
	return db.ScopeMarker.ReplaceAllStringFunc(query, func(m string) string {
		return "(" + ClientScope(v, db.ScopeMarker.FindStringSubmatch(m)[1], args) + ")"
	})
}

// UserScope returns the condition, over the app_user table aliased as alias,
// that keeps the users v may pick as a client's manager or filter by.
func UserScope(v Viewer, alias string, args *db.Args) string {
	switch v.Role {
	case Manager:
		return fmt.Sprintf("%s.id = %s", alias, args.Add(v.UserID))
	case BranchHead:
		return fmt.Sprintf("%s.branch_id = %s", alias, args.Add(v.BranchID))
	case Risk, Admin:
		return fmt.Sprintf("%s.group_id = %s", alias, args.Add(v.GroupID))
	default:
		return "false"
	}
}

// WithViewer returns ctx carrying v for PostgreSQL's row-level security, the
// net under ClientScope: every query under ctx, through a pool opened by
// db.Open, sees only v's clients even if it forgot its scope. (The owner's
// connections, used by migrations, the nightly run and imports, are not
// subject to it.)
func WithViewer(ctx context.Context, v Viewer) context.Context {
	var s db.RowScope
	switch v.Role {
	case Manager:
		s.User = v.UserID
	case BranchHead:
		s.Branch = v.BranchID
	case Risk, Admin:
		// An admin sees no client record (ClientScope is false) but counts
		// the clients of the group's managers.
		s.Group = v.GroupID
	}
	return db.WithRowScope(ctx, s)
}
