package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/relaycrm/relay/internal/access"
	"github.com/relaycrm/relay/internal/audit"
	"github.com/relaycrm/relay/internal/db"
	"github.com/relaycrm/relay/internal/users"
)

func runUser(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 || args[0] != "add" {
		return errors.New("user: use `relay user add --login L --role manager|branch_head|risk|admin [--branch CODE] [--name NAME] --password-stdin`")
	}
	fs := newFlags(e, "user add")
	login := fs.String("login", "", "login (lower-case letters, digits, . _ -)")
	role := fs.String("role", "", "manager, branch_head, risk or admin")
	branch := fs.String("branch", "", "branch code (managers and branch heads)")
	name := fs.String("name", "", "full name (default: the login)")
	group := fs.String("group", "", "banking group code, when there are several")
	fromStdin := fs.Bool("password-stdin", false, "read the password from the first line of standard input")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if !*fromStdin {
		return errors.New("user add: give --password-stdin and the password on standard input; passwords are never taken as arguments")
	}
	password, err := passwordFromStdin(e)
	if err != nil {
		return fmt.Errorf("user add: %w", err)
	}
	pool, err := e.open(ctx)
	if err != nil {
		return err
	}
	defer pool.Close()
	g, err := db.Gorm(pool)
	if err != nil {
		return err
	}
	u, err := users.NewStore(pool, g).Create(ctx, users.NewUser{Login: *login, Name: *name, Password: password,
		Role: access.Role(*role), BranchCode: *branch, GroupCode: *group})
	if err != nil {
		return fmt.Errorf("user add: %w", err)
	}
	if err := audit.Record(ctx, pool, audit.Entry{Login: "cli", Action: "user.create", Object: fmt.Sprintf("user:%d", u.ID),
		Details: map[string]any{"login": u.Login, "role": string(u.Role), "via": "relay user add"}}); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "user %s created: %s (%s)\n", u.Login, u.Name, u.Role.Label())
	return nil
}

// passwordFromStdin reads a password from the first line of standard input.
func passwordFromStdin(e *env) (string, error) {
	line, err := bufio.NewReader(e.stdin).ReadString('\n')
	if err != nil && line == "" {
		return "", errors.New("no password on standard input")
	}
	return strings.TrimRight(line, "\r\n"), nil
}
