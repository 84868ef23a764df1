package nightly

import (
	"context"
	"embed"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/relaycrm/relay/internal/db"
	"github.com/relaycrm/relay/internal/warnings"
)

//go:embed *.sql
var sqlFS embed.FS

// sqlFiles are the run's statements, one file per step; a statement is named
// "file.name", e.g. "segments.fact".
var sqlFiles = []string{"segments", "profiles", "triggers", "warnings", "ltv", "publish", "runs"}

var queries = loadQueries()

func loadQueries() db.Queries {
	all := db.Queries{}
	for _, f := range sqlFiles {
		for name, stmt := range db.MustLoadQueries(sqlFS, f+".sql") {
			all[f+"."+name] = stmt
		}
	}
	// the churn model's inputs, one expression each, from their registry
	all["warnings.input"] = strings.Replace(all["warnings.input"], "{{inputs}}", warnings.InputsSQL(), 1)
	return all
}

// Check prepares every statement of the run, so that a broken one fails when
// Relay starts rather than at 2 a.m.
func Check(ctx context.Context, pool *pgxpool.Pool) error {
	return queries.Check(ctx, pool)
}
