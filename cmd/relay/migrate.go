package main

import (
	"context"

	"github.com/relaycrm/relay/internal/db"
)

func runMigrate(ctx context.Context, e *env, args []string) error {
	if err := newFlags(e, "migrate").Parse(args); err != nil {
		return err
	}
	pool, err := e.open(ctx)
	if err != nil {
		return err
	}
	defer pool.Close()
	return db.Migrate(ctx, db.SQLDB(pool), e.log)
}
