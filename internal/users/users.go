// Package users owns Relay's users: who they are, their role and branch, and
// their passwords (argon2id). Sign-in checks and the CLI's `relay user add`
// come through here.
package users

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"gorm.io/gorm"

	"github.com/relaycrm/relay/internal/access"
	"github.com/relaycrm/relay/internal/db"
	"github.com/relaycrm/relay/internal/input"
)

// User is a row of app_user.
type User struct {
	ID           int64 `gorm:"primaryKey"`
	GroupID      int64
	Login        string
	Name         string
	Role         access.Role
	BranchID     *int64
	PasswordHash string
	Active       bool
	// Locale is the language the user chose (en, bg, ru); nil follows the
	// browser.
	Locale *string
	// PasswordChangedAt closes sessions signed in before it.
	PasswordChangedAt time.Time `gorm:"default:now()"`
	CreatedAt         time.Time
	UpdatedAt         time.Time
}

// TableName maps User to its table.
func (User) TableName() string { return "app_user" }

// Viewer is the user as access sees them.
func (u User) Viewer() access.Viewer {
	v := access.Viewer{UserID: u.ID, Login: u.Login, Name: u.Name, Role: u.Role, GroupID: u.GroupID}
	if u.BranchID != nil {
		v.BranchID = *u.BranchID
	}
	return v
}

// Store reads and writes users: its queries are the package's named queries
// over the pool, and gorm does the record work on User over the same pool.
type Store struct {
	pool *pgxpool.Pool
	g    *gorm.DB
	// hashing bounds the argon2 computations under way at once: each takes
	// 64 MiB, so parallel sign-ins must not multiply it.
	hashing chan struct{}
	busy    atomic.Int64 // computations under way
	peak    atomic.Int64 // the most under way at once
}

// HashSlots is how many password hashes a Store computes at once (64 MiB each).
const HashSlots = 2

// NewStore returns a Store over pool, and g, gorm over the same pool
// (db.Gorm(pool)).
func NewStore(pool *pgxpool.Pool, g *gorm.DB) *Store {
	return &Store{pool: pool, g: g, hashing: make(chan struct{}, HashSlots)}
}

// ErrBusy is returned when a password could not be checked in time because
// others are being checked; the caller asks the user to try again.
var ErrBusy = errors.New("too many sign-ins at once; try again in a moment")

// hashWait is how long a password check waits for a free slot.
const hashWait = 10 * time.Second

// withHashSlot runs fn, an argon2 computation, when a slot is free.
func (s *Store) withHashSlot(ctx context.Context, fn func()) error {
	wait, cancel := context.WithTimeout(ctx, hashWait)
	defer cancel()
	select {
	case s.hashing <- struct{}{}:
	case <-wait.Done():
		return ErrBusy
	}
	n := s.busy.Add(1)
	for p := s.peak.Load(); n > p && !s.peak.CompareAndSwap(p, n); p = s.peak.Load() {
	}
	defer func() {
		s.busy.Add(-1)
		<-s.hashing
	}()
	fn()
	return nil
}

// Hashing returns the password hashes under way now and the most there have
// been at once.
func (s *Store) Hashing() (now, peak int64) { return s.busy.Load(), s.peak.Load() }

// hash hashes a new password within the bound of withHashSlot.
func (s *Store) hash(ctx context.Context, password string) (string, error) {
	var (
		h   string
		err error
	)
	if serr := s.withHashSlot(ctx, func() { h, err = HashPassword(password) }); serr != nil {
		return "", serr
	}
	if err != nil {
		return "", input.Errors{"password": err.Error()}
	}
	return h, nil
}

var loginPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{1,62}$`)

// NewUser is what it takes to create a user.
type NewUser struct {
	Login, Name, Password string
	Role                  access.Role
	BranchCode            string // required for managers and branch heads
	GroupCode             string // empty: the only group
}

// Create validates nu and stores the new user.
func (s *Store) Create(ctx context.Context, nu NewUser) (User, error) {
	nu.Login = NormalizeLogin(nu.Login)
	if !loginPattern.MatchString(nu.Login) {
		return User{}, input.Errors{"login": "use 2-63 lower-case letters, digits, dots, dashes or underscores, starting with a letter or digit"}
	}
	if !nu.Role.Valid() {
		return User{}, input.Errors{"role": fmt.Sprintf("%q is not a role; use manager, branch_head, risk or admin", nu.Role)}
	}
	if strings.TrimSpace(nu.Name) == "" {
		nu.Name = nu.Login
	}
	if p := PasswordProblem(nu.Password, nu.Login); p != "" {
		return User{}, input.Errors{"password": p}
	}
	var (
		hash string
		err  error
	)
	if serr := s.withHashSlot(ctx, func() { hash, err = HashPassword(nu.Password) }); serr != nil {
		return User{}, serr
	}
	if err != nil {
		return User{}, input.Errors{"password": err.Error()}
	}
	u := User{Login: nu.Login, Name: strings.TrimSpace(nu.Name), Role: nu.Role, PasswordHash: hash, Active: true}
	needsBranch := nu.Role == access.Manager || nu.Role == access.BranchHead
	switch {
	case needsBranch && nu.BranchCode == "":
		return User{}, input.Errors{"branch": "a " + nu.Role.Label() + " works in a branch; give its code"}
	case !needsBranch && nu.BranchCode != "":
		return User{}, input.Errors{"branch": "only managers and branch heads belong to a branch"}
	case needsBranch:
		var id, group int64
		err := s.pool.QueryRow(ctx, queries.Get("group-branch"), strings.ToUpper(nu.BranchCode)).Scan(&id, &group)
		if errors.Is(err, pgx.ErrNoRows) {
			return User{}, input.Errors{"branch": fmt.Sprintf("no branch has the code %q", nu.BranchCode)}
		}
		if err != nil {
			return User{}, fmt.Errorf("find branch: %w", err)
		}
		u.BranchID, u.GroupID = &id, group
	default:
		rows, err := s.pool.Query(ctx, queries.Get("groups"), nu.GroupCode)
		if err != nil {
			return User{}, fmt.Errorf("find group: %w", err)
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			return User{}, fmt.Errorf("find group: %w", err)
		}
		switch {
		case len(ids) == 0:
			return User{}, input.Errors{"group": "no banking group exists yet; load reference data or the demo first"}
		case len(ids) > 1:
			return User{}, input.Errors{"group": "several banking groups exist; name one"}
		}
		u.GroupID = ids[0]
	}
	if err := s.g.WithContext(ctx).Create(&u).Error; err != nil {
		if errors.Is(err, gorm.ErrDuplicatedKey) {
			return User{}, input.Errors{"login": fmt.Sprintf("%q is taken", nu.Login)}
		}
		return User{}, fmt.Errorf("create user: %w", err)
	}
	return u, nil
}

// Get returns the user with id.
func (s *Store) Get(ctx context.Context, id int64) (User, error) {
	var u User
	err := s.g.WithContext(ctx).First(&u, id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return u, fmt.Errorf("user %d: %w", id, db.ErrNotFound)
	}
	return u, err
}

// ErrBadCredentials is returned for an unknown login, a wrong password or a
// deactivated user alike, so that sign-in does not tell which.
var ErrBadCredentials = errors.New("the login or password is not right")

// Authenticate returns the active user whose login and password match.
func (s *Store) Authenticate(ctx context.Context, login, password string) (User, error) {
	var u User
	if len(password) > 4*MaxPasswordLength {
		password = password[:4*MaxPasswordLength] // no password is longer; argon2 need not read a megabyte
	}
	err := s.g.WithContext(ctx).Where("login = ?", NormalizeLogin(login)).First(&u).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		// Spend the same time as a real check so that timing does not reveal logins.
		if serr := s.withHashSlot(ctx, func() { _, _ = CheckPassword(dummyHash(), password) }); serr != nil {
			return u, serr
		}
		return u, ErrBadCredentials
	}
	if err != nil {
		return u, fmt.Errorf("find user: %w", err)
	}
	var ok bool
	if serr := s.withHashSlot(ctx, func() { ok, err = CheckPassword(u.PasswordHash, password) }); serr != nil {
		return u, serr
	}
	if err != nil {
		return u, fmt.Errorf("check password of %s: %w", u.Login, err)
	}
	if !ok || !u.Active {
		return u, ErrBadCredentials
	}
	return u, nil
}

// dummyHash is checked against when a login does not exist. It is made on
// first use, not when the package loads: every process that imports users
// (each nightly run, import and command, each test binary) paid a hash at the
// production cost when it started (64 MiB and about half a CPU second) for a
// check only sign-in makes. `relay serve` makes it before it listens
// (PrepareSignIn), so that no unknown login's first check takes longer.
var dummyHash = sync.OnceValue(func() string {
	h, err := HashPassword("not-a-real-password")
	if err != nil {
		panic(err)
	}
	return h
})

// PrepareSignIn makes the hash an unknown login is checked against, so that
// the first such sign-in costs what every later one does.
func PrepareSignIn() { dummyHash() }
