package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/relaycrm/relay/internal/audit"
	"github.com/relaycrm/relay/internal/db"
	"github.com/relaycrm/relay/internal/tokens"
)

const tokenUsage = "token create --login L --name N [--days D] | token list --login L | token revoke --id ID"

// runToken makes, lists and revokes personal access tokens of the API.
func runToken(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return errors.New("token: use `relay " + tokenUsage + "`")
	}
	fs := newFlags(e, "token "+args[0])
	login := fs.String("login", "", "the user the token acts as")
	name := fs.String("name", "", "what the token is for (e.g. data warehouse)")
	days := fs.Int("days", tokens.DefaultDays, "days until the token expires (at most 366)")
	id := fs.Int64("id", 0, "the token to revoke (see relay token list)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	pool, err := e.open(ctx)
	if err != nil {
		return err
	}
	defer pool.Close()
	by := audit.Actor{Login: "cli"}
	userID := func() (int64, error) {
		var uid int64
		var active bool
		err := pool.QueryRow(ctx, `SELECT id, active FROM app_user WHERE login = $1`, *login).Scan(&uid, &active)
		if errors.Is(err, pgx.ErrNoRows) {
			return 0, fmt.Errorf("login: no user has the login %q", *login)
		}
		if err == nil && !active {
			return 0, fmt.Errorf("login: %q is deactivated", *login)
		}
		return uid, err
	}
	now := time.Now()
	switch args[0] {
	case "create":
		uid, err := userID()
		if err != nil {
			return fmt.Errorf("token create: %w", err)
		}
		t, secret, err := tokens.Create(ctx, pool, by, uid, tokens.New{Name: *name, Days: *days}, now)
		if err != nil {
			return fmt.Errorf("token create: %w", err)
		}
		fmt.Fprintf(e.stdout, "token %d for %s (%s), expires %s; it is shown this once:\n%s\n",
			t.ID, *login, t.Name, t.ExpiresAt.Format(time.DateOnly), secret)
	case "list":
		uid, err := userID()
		if err != nil {
			return fmt.Errorf("token list: %w", err)
		}
		list, err := tokens.List(ctx, pool, uid)
		if err != nil {
			return err
		}
		for _, t := range list {
			state := "live"
			switch {
			case t.RevokedAt != nil:
				state = "revoked " + t.RevokedAt.Format(time.DateOnly)
			case !t.Live(now):
				state = "expired"
			}
			used := "never used"
			if t.LastUsedAt != nil {
				used = "last used " + t.LastUsedAt.Format(time.DateTime)
			}
			fmt.Fprintf(e.stdout, "%d\t%s…\t%s\texpires %s\t%s\t%s\n", t.ID, t.Prefix, t.Name,
				t.ExpiresAt.Format(time.DateOnly), used, state)
		}
	case "revoke":
		if *id < 1 {
			return errors.New("token revoke: give --id, from relay token list")
		}
		if err := tokens.Revoke(ctx, pool, by, 0, *id, now); err != nil {
			if errors.Is(err, db.ErrNotFound) {
				return fmt.Errorf("token revoke: no live token has the id %s", strconv.FormatInt(*id, 10))
			}
			return fmt.Errorf("token revoke: %w", err)
		}
		fmt.Fprintf(e.stdout, "token %d revoked\n", *id)
	default:
		return errors.New("token: use `relay " + tokenUsage + "`")
	}
	return nil
}
