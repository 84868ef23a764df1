// Package tokens owns personal access tokens: the bearer tokens of the read
// API. A token acts as the user who made it, with that user's role and scope;
// it is shown once when it is made and kept only as its SHA-256 (a token is
// 32 random bytes, so a fast hash loses nothing to guessing, unlike a
// password, and a lookup is one index probe). Making and revoking one is
// audited; its last use is written at most once a minute.
package tokens

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/relaycrm/relay/internal/audit"
	"github.com/relaycrm/relay/internal/db"
	"github.com/relaycrm/relay/internal/i18n"
	"github.com/relaycrm/relay/internal/input"
)

//go:embed tokens.sql
var sqlFS embed.FS

// SQL is the package's named queries, for the check at start.
var SQL = []db.File{db.MustLoadFile(sqlFS, "internal/tokens", "tokens.sql")}

var queries = SQL[0].Queries

// Prefix starts every token, so that a leaked one is recognisable (secret
// scanners, logs).
const Prefix = "relay_"

// Bounds of a token's life in days.
const (
	DefaultDays = 90
	MaxDays     = 366
)

// ErrInvalid is a bearer token that is unknown, revoked or expired. The API
// answers it with 401 and never says which.
var ErrInvalid = errors.New("the token is not valid: unknown, revoked or expired")

// Token is a token as listed: never the token itself.
type Token struct {
	ID         int64
	UserID     int64
	Name       string
	Prefix     string // the token's first characters
	CreatedAt  time.Time
	ExpiresAt  time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
}

// Live tells whether t authenticates at now.
func (t Token) Live(now time.Time) bool { return t.RevokedAt == nil && now.Before(t.ExpiresAt) }

// New is a token to make: its name and life.
type New struct {
	Name string
	Days int // zero: DefaultDays
}

// Validate checks n, naming each bad field in ctx's language.
func (n *New) Validate(ctx context.Context) error {
	errs := input.Errors{}
	n.Name = strings.TrimSpace(n.Name)
	switch l := utf8.RuneCountInString(n.Name); {
	case l == 0:
		errs.Add("name", i18n.T(ctx, "account.token.noname"))
	case l > 100:
		errs.Add("name", i18n.T(ctx, "account.token.longname", "Length", i18n.Int(ctx, int64(l)), "Max", 100))
	}
	if n.Days == 0 {
		n.Days = DefaultDays
	}
	if n.Days < 1 || n.Days > MaxDays {
		errs.Add("days", i18n.T(ctx, "account.token.baddays", "Days", i18n.Int(ctx, int64(n.Days)), "Max", MaxDays))
	}
	return errs.Err()
}

// Create makes a token for user userID, audited as by, and returns it with
// the token itself, which is never shown again.
func Create(ctx context.Context, pool *pgxpool.Pool, by audit.Actor, userID int64, n New, now time.Time) (Token, string, error) {
	if err := n.Validate(ctx); err != nil {
		return Token{}, "", err
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return Token{}, "", fmt.Errorf("token: %w", err)
	}
	secret := Prefix + base64.RawURLEncoding.EncodeToString(raw)
	t := Token{UserID: userID, Name: n.Name, Prefix: secret[:len(Prefix)+6], CreatedAt: now,
		ExpiresAt: now.AddDate(0, 0, n.Days)}
	err := db.InTx(ctx, pool, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, queries.Get("create"), userID, t.Name, hash(secret), t.Prefix, now, t.ExpiresAt).
			Scan(&t.ID); err != nil {
			return fmt.Errorf("create token: %w", err)
		}
		return audit.Record(ctx, tx, by.Entry("token.create", fmt.Sprintf("api_token:%d", t.ID),
			map[string]any{"user_id": userID, "name": t.Name, "expires_at": t.ExpiresAt.Format(time.RFC3339)}))
	})
	if err != nil {
		return Token{}, "", err
	}
	return t, secret, nil
}

// Authenticate returns the id of the user whose live token secret is, or
// ErrInvalid, and writes the token's last use when it is a minute old.
func Authenticate(ctx context.Context, q db.Querier, secret string, now time.Time) (userID int64, err error) {
	if !strings.HasPrefix(secret, Prefix) {
		return 0, ErrInvalid
	}
	var id int64
	err = q.QueryRow(ctx, queries.Get("authenticate"), hash(secret), now).Scan(&id, &userID)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, ErrInvalid
	}
	if err != nil {
		return 0, fmt.Errorf("authenticate token: %w", err)
	}
	return userID, nil
}

// Revoke revokes token id of user owner (of any user when owner is 0: the
// command line), audited as by; db.ErrNotFound when there is no such live
// token.
func Revoke(ctx context.Context, pool *pgxpool.Pool, by audit.Actor, owner, id int64, now time.Time) error {
	return db.InTx(ctx, pool, func(tx pgx.Tx) error {
		var userID int64
		var name string
		err := tx.QueryRow(ctx, queries.Get("revoke"), id, owner, now).Scan(&userID, &name)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("token %d: %w", id, db.ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("revoke token %d: %w", id, err)
		}
		return audit.Record(ctx, tx, by.Entry("token.revoke", fmt.Sprintf("api_token:%d", id),
			map[string]any{"user_id": userID, "name": name}))
	})
}

// List returns user userID's tokens, newest first.
func List(ctx context.Context, q db.Querier, userID int64) ([]Token, error) {
	rows, err := q.Query(ctx, queries.Get("list"), userID)
	if err != nil {
		return nil, fmt.Errorf("tokens of user %d: %w", userID, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Token, error) {
		var t Token
		return t, r.Scan(&t.ID, &t.UserID, &t.Name, &t.Prefix, &t.CreatedAt, &t.ExpiresAt, &t.LastUsedAt, &t.RevokedAt)
	})
	if err != nil {
		return nil, fmt.Errorf("tokens of user %d: %w", userID, err)
	}
	return out, nil
}

func hash(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}
