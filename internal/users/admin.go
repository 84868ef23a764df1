package users

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/relaycrm/relay/internal/access"
	"github.com/relaycrm/relay/internal/audit"
	"github.com/relaycrm/relay/internal/db"
	"github.com/relaycrm/relay/internal/i18n"
	"github.com/relaycrm/relay/internal/input"
)

// This file is the administrators' side of users: the list, and creating,
// editing, deactivating and reactivating users and resetting their passwords.
// Every change is written to the audit log in its own transaction, and works
// only on users of the administrator's banking group.

// Branch is a branch a manager or branch head may work in.
type Branch struct {
	ID               int64
	Code, Name, Bank string
}

// Branches lists the branches of the group, by bank and name.
func (s *Store) Branches(ctx context.Context, groupID int64) ([]Branch, error) {
	return Branches(ctx, s.pool, groupID)
}

// Branches lists the branches of the group, by bank and name.
func Branches(ctx context.Context, q db.Querier, groupID int64) ([]Branch, error) {
	rows, err := q.Query(ctx, queries.Get("branches"), groupID)
	if err != nil {
		return nil, fmt.Errorf("branches: %w", err)
	}
	out, err := pgx.CollectRows(rows, scanBranch)
	if err != nil {
		return nil, fmt.Errorf("branches: %w", err)
	}
	return out, nil
}

func scanBranch(row pgx.CollectableRow) (Branch, error) {
	var b Branch
	err := row.Scan(&b.ID, &b.Code, &b.Name, &b.Bank)
	return b, err
}

// Filter narrows the administrators' list of users. Zero values mean "any".
type Filter struct {
	Query  string // part of the login or the name
	Role   string // a role
	Branch string // a branch code
	Status string // active or inactive
	Page   int    // from 1
}

// PerPage is the user list's page size, and MaxPage bounds its offset.
const (
	PerPage = 25
	MaxPage = 400
)

// Statuses are the values of Filter.Status.
var Statuses = []string{"active", "inactive"}

// Validate normalises f and reports every value it cannot use, by parameter.
func (f *Filter) Validate(ctx context.Context) error {
	errs := input.Errors{}
	f.Query = strings.TrimSpace(f.Query)
	if utf8.RuneCountInString(f.Query) > 100 {
		errs.Add("q", i18n.T(ctx, "users.problem.filter.q"))
	}
	if f.Role != "" && !access.Role(f.Role).Valid() {
		errs.Add("role", i18n.T(ctx, "users.problem.filter.role", "Role", f.Role))
	}
	f.Branch = strings.ToUpper(strings.TrimSpace(f.Branch))
	if f.Status != "" && f.Status != "active" && f.Status != "inactive" {
		errs.Add("status", i18n.T(ctx, "users.problem.filter.status", "Status", f.Status))
	}
	switch {
	case f.Page == 0:
		f.Page = 1
	case f.Page < 1 || f.Page > MaxPage:
		errs.Add("page", i18n.T(ctx, "users.problem.filter.page", "Max", MaxPage))
	}
	return errs.Err()
}

// Listed is a user as the administrators' pages show them: with their
// branch, and how many clients they manage.
type Listed struct {
	User
	BranchCode, BranchName string
	// Clients counts the clients whose manager they are, ActiveClients those
	// of them that have not left.
	Clients, ActiveClients int
}

// Page is a page of the user list.
type Page struct {
	Rows        []Listed
	Total, Page int
}

// Pages is the number of pages of the list.
func (p Page) Pages() int { return (p.Total + PerPage - 1) / PerPage }

// List returns the page of the group's users that f selects, by name.
func (s *Store) List(ctx context.Context, groupID int64, f Filter) (Page, error) {
	return List(ctx, s.pool, groupID, f)
}

// List returns the page of the group's users that f selects, by name.
func List(ctx context.Context, q db.Querier, groupID int64, f Filter) (Page, error) {
	if err := f.Validate(ctx); err != nil {
		return Page{}, err
	}
	pattern := ""
	if f.Query != "" {
		pattern = "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(f.Query) + "%"
	}
	var active *bool
	if f.Status != "" {
		a := f.Status == "active"
		active = &a
	}
	filters := []any{groupID, pattern, f.Role, f.Branch, active}
	rows, err := q.Query(ctx, queries.Get("list"), append(filters, PerPage, (f.Page-1)*PerPage)...)
	if err != nil {
		return Page{}, fmt.Errorf("list users: %w", err)
	}
	p := Page{Page: f.Page}
	p.Rows, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (Listed, error) {
		return scanListed(row, &p.Total)
	})
	if err != nil {
		return Page{}, fmt.Errorf("list users: %w", err)
	}
	if len(p.Rows) == 0 && f.Page > 1 {
		// past the last page: count what there is, for the pager
		if err := q.QueryRow(ctx, queries.Get("count"), filters...).Scan(&p.Total); err != nil {
			return Page{}, fmt.Errorf("count users: %w", err)
		}
	}
	return p, nil
}

// scanListed reads a row of the queries list and describe, the last column
// into total.
func scanListed(row pgx.Row, total *int) (Listed, error) {
	var l Listed
	err := row.Scan(&l.ID, &l.GroupID, &l.Login, &l.Name, &l.Role, &l.BranchID, &l.Active, &l.CreatedAt, &l.UpdatedAt,
		&l.BranchCode, &l.BranchName, &l.Clients, &l.ActiveClients, total)
	return l, err
}

// Describe returns the group's user id with their branch and clients.
func (s *Store) Describe(ctx context.Context, groupID, id int64) (Listed, error) {
	return Describe(ctx, s.pool, groupID, id)
}

// Describe returns the group's user id with their branch and clients.
func Describe(ctx context.Context, q db.Querier, groupID, id int64) (Listed, error) {
	var total int
	l, err := scanListed(q.QueryRow(ctx, queries.Get("describe"), id, groupID), &total)
	if errors.Is(err, pgx.ErrNoRows) {
		return Listed{}, fmt.Errorf("user %d: %w", id, db.ErrNotFound)
	}
	if err != nil {
		return Listed{}, fmt.Errorf("user %d: %w", id, err)
	}
	return l, nil
}

// describeLocked is Describe in tx, the user's row locked until tx ends: a
// client being given to them (which checks the row through the foreign key)
// waits until this change is done.
func describeLocked(ctx context.Context, tx pgx.Tx, groupID, id int64) (Listed, error) {
	if _, err := tx.Exec(ctx, queries.Get("lock"), id, groupID); err != nil {
		return Listed{}, fmt.Errorf("user %d: %w", id, err)
	}
	return Describe(ctx, tx, groupID, id)
}

// Form is a new user as the administrator types them: text, so that the form
// re-renders with what was typed.
type Form struct {
	Login, Name, Role, Branch string
	Password, Confirm         string
}

// Edit is a change to a user's name, role and branch, as typed.
type Edit struct {
	Name, Role, Branch string
}

// MaxNameLength bounds a user's name.
const MaxNameLength = 200

// placement checks a name, role and branch code and returns the role and the
// branch (nil for the roles without one), adding what is wrong to errs.
func placement(ctx context.Context, q db.Querier, groupID int64, name, role, branch string, errs input.Errors) (string, access.Role, *Branch, error) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		errs.Add("name", i18n.T(ctx, "users.problem.name.empty"))
	case utf8.RuneCountInString(name) > MaxNameLength:
		errs.Add("name", i18n.T(ctx, "users.problem.name.long", "Length", utf8.RuneCountInString(name), "Max", MaxNameLength))
	}
	r := access.Role(role)
	if !r.Valid() {
		errs.Add("role", i18n.T(ctx, "users.problem.role"))
		return name, r, nil, nil
	}
	code := strings.ToUpper(strings.TrimSpace(branch))
	needsBranch := r == access.Manager || r == access.BranchHead
	switch {
	case needsBranch && code == "":
		errs.Add("branch", i18n.T(ctx, "users.problem.branch.needed."+string(r)))
		return name, r, nil, nil
	case !needsBranch && code != "":
		errs.Add("branch", i18n.T(ctx, "users.problem.branch.none."+string(r)))
		return name, r, nil, nil
	case !needsBranch:
		return name, r, nil, nil
	}
	var b Branch
	err := q.QueryRow(ctx, queries.Get("branch"), code, groupID).Scan(&b.ID, &b.Code, &b.Name, &b.Bank)
	if errors.Is(err, pgx.ErrNoRows) {
		errs.Add("branch", i18n.T(ctx, "users.problem.branch.unknown", "Code", code))
		return name, r, nil, nil
	}
	if err != nil {
		return name, r, nil, fmt.Errorf("find branch %s: %w", code, err)
	}
	return name, r, &b, nil
}

// checkPassword adds what is wrong with a new password for login and its
// confirmation.
func checkPassword(ctx context.Context, password, confirm, login string, errs input.Errors) {
	switch {
	case password == "":
		errs.Add("password", i18n.Plural(ctx, "users.problem.password.empty", int64(MinPasswordLength)))
	case passwordProblem(ctx, password, login) != "":
		errs.Add("password", passwordProblem(ctx, password, login))
	case confirm != password:
		errs.Add("confirm", i18n.T(ctx, "users.problem.password.confirm"))
	}
}

// Add creates the user f describes in the group, as by, and writes
// user.create to the audit log. Bad input returns input.Errors by field, and
// nothing is written.
func (s *Store) Add(ctx context.Context, by audit.Actor, groupID int64, f Form) (User, error) {
	var u User
	err := db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		errs := input.Errors{}
		login := strings.ToLower(strings.TrimSpace(f.Login))
		if !loginPattern.MatchString(login) {
			errs.Add("login", i18n.T(ctx, "users.problem.login.pattern"))
		} else {
			var owner string
			switch err := tx.QueryRow(ctx, queries.Get("login-owner"), login).Scan(&owner); {
			case err == nil:
				errs.Add("login", i18n.T(ctx, "users.problem.login.owner", "Login", login, "Owner", owner))
			case !errors.Is(err, pgx.ErrNoRows):
				return fmt.Errorf("check login: %w", err)
			}
		}
		name, role, branch, err := placement(ctx, tx, groupID, f.Name, f.Role, f.Branch, errs)
		if err != nil {
			return err
		}
		checkPassword(ctx, f.Password, f.Confirm, login, errs)
		if len(errs) > 0 {
			return errs
		}
		hash, err := s.hash(ctx, f.Password)
		if err != nil {
			return err
		}
		u = User{GroupID: groupID, Login: login, Name: name, Role: role, PasswordHash: hash, Active: true}
		details := map[string]any{"login": login, "name": name, "role": string(role)}
		if branch != nil {
			u.BranchID = &branch.ID
			details["branch"] = branch.Code
		}
		err = tx.QueryRow(ctx, queries.Get("insert"), u.GroupID, u.Login, u.Name, u.Role, u.BranchID, u.PasswordHash).
			Scan(&u.ID, &u.PasswordChangedAt, &u.CreatedAt, &u.UpdatedAt)
		if _, dup := db.IsUniqueViolation(err); dup {
			return input.Errors{"login": i18n.T(ctx, "users.problem.login.taken", "Login", login)}
		}
		if err != nil {
			return fmt.Errorf("create user %s: %w", login, err)
		}
		return audit.Record(ctx, tx, by.Entry("user.create", userObject(u.ID), details))
	})
	return u, err
}

func userObject(id int64) string { return fmt.Sprintf("user:%d", id) }

// Update changes the name, role and branch of the group's user id, as by, and
// writes user.update with what changed to the audit log. It returns the names
// of the fields that changed (none when e changes nothing). A manager who
// still manages clients keeps their branch and role: the error says how many
// clients to reassign first.
func (s *Store) Update(ctx context.Context, by audit.Actor, groupID, id int64, e Edit) ([]string, error) {
	var changed []string
	err := db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		cur, err := describeLocked(ctx, tx, groupID, id)
		if err != nil {
			return err
		}
		errs := input.Errors{}
		name, role, branch, err := placement(ctx, tx, groupID, e.Name, e.Role, e.Branch, errs)
		if err != nil {
			return err
		}
		if id == by.UserID && cur.Role == access.Admin && role != access.Admin && role.Valid() {
			errs.Add("role", i18n.T(ctx, "users.problem.role.self"))
		}
		if len(errs) > 0 {
			return errs
		}
		var branchID *int64
		branchCode := ""
		if branch != nil {
			branchID, branchCode = &branch.ID, branch.Code
		}
		details := map[string]any{"login": cur.Login}
		if name != cur.Name {
			changed = append(changed, "name")
			details["name"] = audit.Change{From: cur.Name, To: name}
		}
		if role != cur.Role {
			changed = append(changed, "role")
			details["role"] = audit.Change{From: string(cur.Role), To: string(role)}
		}
		if branchCode != cur.BranchCode {
			changed = append(changed, "branch")
			details["branch"] = audit.Change{From: nullable(cur.BranchCode), To: nullable(branchCode)}
		}
		if len(changed) == 0 {
			return nil
		}
		movesBranch := branchCode != cur.BranchCode
		leavesManaging := cur.Role == access.Manager && role != access.Manager
		if cur.Clients > 0 && (movesBranch || leavesManaging) {
			field := "role"
			if movesBranch {
				field = "branch"
			}
			return input.Errors{field: stillManages(ctx, cur, field)}
		}
		_, err = tx.Exec(ctx, queries.Get("place"), id, name, role, branchID)
		if db.IsForeignKeyViolation(err) {
			// a client was given to them between the check and the update
			return input.Errors{"branch": i18n.T(ctx, "users.problem.justgiven", "Name", cur.Name, "Branch", cur.BranchName)}
		}
		if err != nil {
			return fmt.Errorf("update user %d: %w", id, err)
		}
		return audit.Record(ctx, tx, by.Entry("user.update", userObject(id), details))
	})
	if err != nil {
		return nil, err
	}
	return changed, nil
}

// stillManages says why a manager cannot move yet (field: their role or
// branch), and what to do.
func stillManages(ctx context.Context, u Listed, field string) string {
	what := i18n.Plural(ctx, "users.problem.clients", int64(u.Clients))
	if left := u.Clients - u.ActiveClients; left > 0 {
		what += i18n.Plural(ctx, "users.problem.clients.left", int64(left))
	}
	return i18n.T(ctx, "users.problem.stillmanages."+field, "Name", u.Name, "Clients", what, "Branch", u.BranchName)
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// SetActive deactivates (active false) or reactivates the group's user id, as
// by, and writes user.deactivate or user.reactivate to the audit log. A
// deactivated user cannot sign in, and is signed out at their next request.
// It tells whether anything changed; administrators cannot deactivate
// themselves.
func (s *Store) SetActive(ctx context.Context, by audit.Actor, groupID, id int64, active bool) (bool, error) {
	if !active && id == by.UserID {
		return false, input.Errors{"status": i18n.T(ctx, "users.problem.status.self")}
	}
	changed := false
	err := db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		cur, err := describeLocked(ctx, tx, groupID, id)
		if err != nil {
			return err
		}
		if cur.Active == active {
			return nil
		}
		if _, err := tx.Exec(ctx, queries.Get("set-active"), id, active); err != nil {
			return fmt.Errorf("update user %d: %w", id, err)
		}
		changed = true
		action, details := "user.reactivate", map[string]any{"login": cur.Login}
		if !active {
			action = "user.deactivate"
			if cur.ActiveClients > 0 {
				details["active_clients"] = cur.ActiveClients
			}
		}
		return audit.Record(ctx, tx, by.Entry(action, userObject(id), details))
	})
	return changed, err
}

// ResetPassword sets a new password for the group's user id, as by, and
// writes user.password_reset (never the password) to the audit log.
func (s *Store) ResetPassword(ctx context.Context, by audit.Actor, groupID, id int64, password, confirm string) error {
	return db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		cur, err := describeLocked(ctx, tx, groupID, id)
		if err != nil {
			return err
		}
		errs := input.Errors{}
		checkPassword(ctx, password, confirm, cur.Login, errs)
		if len(errs) > 0 {
			return errs
		}
		hash, err := s.hash(ctx, password)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, queries.Get("set-password"), id, hash, time.Now()); err != nil {
			return fmt.Errorf("reset password of user %d: %w", id, err)
		}
		return audit.Record(ctx, tx, by.Entry("user.password_reset", userObject(id), map[string]any{"login": cur.Login}))
	})
}
