// Package queries is the one list of Relay's named SQL: the embedded .sql
// files of every package that runs named queries. `relay serve` and the web
// tests' harness prepare all of them at start (Check), so that a broken query
// stops the server at once rather than failing a user at 2 a.m.; a test fails
// when an embedded .sql file is in no list.
//
// It sits beside cmd/relay at the top of the layers (it imports the packages
// whose queries it lists); cmd/relay is a main package, which the test
// harness cannot import.
package queries

import (
	"context"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/relaycrm/relay/internal/banks"
	"github.com/relaycrm/relay/internal/churn"
	"github.com/relaycrm/relay/internal/clients"
	"github.com/relaycrm/relay/internal/db"
	"github.com/relaycrm/relay/internal/exports"
	"github.com/relaycrm/relay/internal/imports"
	"github.com/relaycrm/relay/internal/nightly"
	"github.com/relaycrm/relay/internal/pipeline"
	"github.com/relaycrm/relay/internal/products"
	"github.com/relaycrm/relay/internal/reference"
	"github.com/relaycrm/relay/internal/segments"
	"github.com/relaycrm/relay/internal/settings"
	"github.com/relaycrm/relay/internal/summary"
	"github.com/relaycrm/relay/internal/takeup"
	"github.com/relaycrm/relay/internal/tokens"
	"github.com/relaycrm/relay/internal/triggers"
	"github.com/relaycrm/relay/internal/users"
	"github.com/relaycrm/relay/internal/warnings"
	"github.com/relaycrm/relay/internal/webhooks"
	"github.com/relaycrm/relay/internal/worklist"
	"github.com/relaycrm/relay/seeds"
)

// All is every package's files of named queries. A package that embeds a new
// .sql file exports it in its SQL and, if the package is new, joins this list.
var All = [][]db.File{
	clients.SQL, users.SQL, settings.SQL, products.SQL, reference.SQL, imports.SQL,
	segments.SQL, triggers.SQL, warnings.SQL, pipeline.SQL,
	nightly.SQL, exports.SQL, worklist.SQL, churn.SQL, takeup.SQL, banks.SQL, tokens.SQL,
	seeds.SQL, webhooks.SQL, summary.SQL,
}

// Check prepares every statement of All on pool.
func Check(ctx context.Context, pool *pgxpool.Pool) error {
	return db.CheckAll(ctx, pool, All...)
}
