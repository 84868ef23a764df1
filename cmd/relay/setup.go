package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/relaycrm/relay/internal/access"
	"github.com/relaycrm/relay/internal/audit"
	"github.com/relaycrm/relay/internal/db"
	"github.com/relaycrm/relay/internal/reference"
	"github.com/relaycrm/relay/internal/users"
)

// runSetup starts a new install: it migrates the database, creates the
// banking group (or renames it), gives it the NACE sections as industries,
// and with --admin creates the first administrator, who signs in and sets
// up the rest on the reference page or with the first feed.
func runSetup(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "setup")
	group := fs.String("group", "", "the banking group's code (capital letters, digits, - and _)")
	name := fs.String("name", "", "the banking group's name")
	noNACE := fs.Bool("no-nace", false, "do not load the NACE Rev.2 sections as the group's industries (the bank sends its own codes)")
	admin := fs.String("admin", "", "login of the first administrator to create (with --password-stdin)")
	fromStdin := fs.Bool("password-stdin", false, "read the administrator's password from the first line of standard input")
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, "usage: relay setup --group CODE --name NAME [--no-nace] [--admin LOGIN --password-stdin]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *group == "" || *name == "" {
		fs.Usage()
		return errors.New("setup: give the banking group's --group CODE and --name NAME")
	}
	var password string
	if *admin != "" {
		if !*fromStdin {
			return errors.New("setup: give --password-stdin and the administrator's password on standard input; passwords are never taken as arguments")
		}
		var err error
		if password, err = passwordFromStdin(e); err != nil {
			return fmt.Errorf("setup: %w", err)
		}
	}
	pool, err := e.open(ctx)
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := db.Migrate(ctx, db.SQLDB(pool), e.log); err != nil {
		return err
	}
	res, err := reference.Setup(ctx, pool, *group, *name, !*noNACE)
	if err != nil {
		return fmt.Errorf("setup: %w", err)
	}
	verb := "renamed"
	if res.Created {
		verb = "created"
	}
	fmt.Fprintf(e.stdout, "banking group %s %s: %s\n", res.Group.Code, verb, res.Group.Name)
	if res.Industries > 0 {
		fmt.Fprintf(e.stdout, "industries: the %d NACE Rev.2 sections\n", res.Industries)
	}
	if *admin != "" {
		g, err := db.Gorm(pool)
		if err != nil {
			return err
		}
		u, err := users.NewStore(pool, g).Create(ctx, users.NewUser{Login: *admin, Name: *admin, Password: password,
			Role: access.Admin, GroupCode: res.Group.Code})
		if err != nil {
			return fmt.Errorf("setup: administrator: %w", err)
		}
		if err := audit.Record(ctx, pool, audit.Entry{Login: "cli", Action: "user.create", Object: fmt.Sprintf("user:%d", u.ID),
			Details: map[string]any{"login": u.Login, "role": string(u.Role), "via": "relay setup"}}); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "administrator %s created\n", u.Login)
	}
	fmt.Fprintln(e.stdout, "next: sign in as an administrator and add the banks, regions and industries on the Reference page,\n"+
		"or send group.csv, banks.csv, regions.csv and industries.csv with the first feed (relay import DIR)")
	return nil
}
