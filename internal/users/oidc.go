package users

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/relaycrm/relay/internal/access"
	"github.com/relaycrm/relay/internal/audit"
	"github.com/relaycrm/relay/internal/db"
	"github.com/relaycrm/relay/internal/i18n"
)

// This file is the users' side of single sign-on: the identity provider is
// the source of truth for the people it knows, so each sign-in creates the
// user or brings their name, role and branch up to date.

// External is a user as the identity provider describes them at sign-in, the
// role and branch already read from their groups (internal/sso).
type External struct {
	Issuer, Subject string
	Login, Name     string
	Role            access.Role
	BranchCode      string // managers and branch heads
	// BreakGlass is the login of the break-glass administrator, whom no
	// provider's user is ever linked to.
	BreakGlass string
	// IP is where the sign-in came from, for the audit log.
	IP string
}

// Refusal is a sign-in refused for a reason the user may read: a message id
// (area auth) and its named values, said in the user's language where it is
// shown. It is access.ErrForbidden; Error says it in English, for the audit
// log.
type Refusal struct {
	ID   string
	Args []any
}

func refused(id string, kv ...any) *Refusal { return &Refusal{ID: id, Args: kv} }

func (r *Refusal) Error() string        { return i18n.English.T(r.ID, r.Args...) }
func (r *Refusal) Is(target error) bool { return target == access.ErrForbidden }

// SignInExternal returns the user the provider's subject is, creating them
// or updating their name, role and branch (and writing user.create or
// user.update, by the user themselves, to the audit log, in the same
// transaction). A local user with the same login whom no provider knows yet
// is linked to the subject. A refusal (a deactivated user, a branch Relay does
// not know, a manager who would leave clients behind) is a *Refusal, which is
// access.ErrForbidden.
func (s *Store) SignInExternal(ctx context.Context, e External) (User, error) {
	if e.Issuer == "" || e.Subject == "" {
		return User{}, errors.New("sign in: the provider named no subject")
	}
	var branchID *int64
	var groupID int64
	if e.BranchCode != "" {
		var id int64
		err := s.pool.QueryRow(ctx, queries.Get("group-branch"), strings.ToUpper(e.BranchCode)).Scan(&id, &groupID)
		if errors.Is(err, pgx.ErrNoRows) {
			return User{}, refused("auth.sso.unknownbranch", "Branch", e.BranchCode)
		}
		if err != nil {
			return User{}, fmt.Errorf("find branch: %w", err)
		}
		branchID = &id
	} else {
		rows, err := s.pool.Query(ctx, queries.Get("groups"), "")
		if err != nil {
			return User{}, fmt.Errorf("find group: %w", err)
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			return User{}, fmt.Errorf("find group: %w", err)
		}
		if len(ids) != 1 {
			return User{}, refused("auth.sso.nogroup")
		}
		groupID = ids[0]
	}
	var u User
	err := db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		by := audit.Actor{Login: e.Login, IP: e.IP}
		cur, found, err := s.external(ctx, tx, e)
		if err != nil {
			return err
		}
		if !found {
			// A password no one knows: the user signs in through the provider
			// (an administrator can still reset it for them).
			hash, err := s.hash(ctx, random())
			if err != nil {
				return err
			}
			u = User{GroupID: groupID, Login: e.Login, Name: e.Name, Role: e.Role, BranchID: branchID, Active: true}
			err = tx.QueryRow(ctx, oidcQueries.Get("insert-external"), groupID, e.Login, e.Name, e.Role, branchID, hash,
				e.Issuer, e.Subject).Scan(&u.ID)
			if _, dup := db.IsUniqueViolation(err); dup {
				return refused("auth.sso.logintaken", "Login", strconv.Quote(e.Login))
			}
			if err != nil {
				return fmt.Errorf("create user %s: %w", e.Login, err)
			}
			by.UserID = u.ID
			details := map[string]any{"login": e.Login, "name": e.Name, "role": string(e.Role), "via": "oidc"}
			if e.BranchCode != "" {
				details["branch"] = strings.ToUpper(e.BranchCode)
			}
			return audit.Record(ctx, tx, by.Entry("user.create", userObject(u.ID), details))
		}
		if !cur.Active {
			return refused("auth.sso.deactivated")
		}
		u = User{ID: cur.ID, GroupID: groupID, Login: cur.Login, Name: e.Name, Role: e.Role, BranchID: branchID, Active: true}
		by.UserID, by.Login = cur.ID, cur.Login
		details := map[string]any{"login": cur.Login, "via": "oidc"}
		if cur.Name != e.Name {
			details["name"] = audit.Change{From: cur.Name, To: e.Name}
		}
		if cur.Role != e.Role {
			details["role"] = audit.Change{From: string(cur.Role), To: string(e.Role)}
		}
		if !sameBranch(cur.BranchID, branchID) {
			details["branch"] = audit.Change{From: cur.BranchID, To: branchID}
		}
		if !cur.linked {
			details["linked"] = e.Issuer
		}
		if len(details) == 2 {
			return nil // nothing changed
		}
		_, err = tx.Exec(ctx, oidcQueries.Get("place-external"), cur.ID, e.Name, e.Role, branchID, groupID, e.Issuer, e.Subject)
		if db.IsForeignKeyViolation(err) {
			return refused("auth.sso.leavesclients")
		}
		if err != nil {
			return fmt.Errorf("update user %d: %w", cur.ID, err)
		}
		return audit.Record(ctx, tx, by.Entry("user.update", userObject(cur.ID), details))
	})
	return u, err
}

// externalUser is the user a sign-in is about, as it stands before it.
type externalUser struct {
	ID       int64
	Login    string
	Name     string
	Role     access.Role
	BranchID *int64
	GroupID  int64
	Active   bool
	linked   bool // known by the provider's subject already
}

// external finds (and locks) the user e is: by the provider's subject, or a
// local user with e's login not linked yet (never the break-glass admin).
func (s *Store) external(ctx context.Context, tx pgx.Tx, e External) (externalUser, bool, error) {
	var u externalUser
	scan := func(row pgx.Row) (bool, error) {
		err := row.Scan(&u.ID, &u.Login, &u.Name, &u.Role, &u.BranchID, &u.GroupID, &u.Active)
		if errors.Is(err, pgx.ErrNoRows) {
			return false, nil
		}
		return err == nil, err
	}
	found, err := scan(tx.QueryRow(ctx, oidcQueries.Get("by-subject"), e.Issuer, e.Subject))
	if err != nil || found {
		u.linked = true
		return u, found, err
	}
	if e.BreakGlass != "" && strings.EqualFold(e.Login, e.BreakGlass) {
		return u, false, nil
	}
	found, err = scan(tx.QueryRow(ctx, oidcQueries.Get("by-login"), e.Login))
	return u, found, err
}

func sameBranch(a, b *int64) bool {
	return (a == nil && b == nil) || (a != nil && b != nil && *a == *b)
}

func random() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // the system's randomness failed: nothing is safe to do
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
