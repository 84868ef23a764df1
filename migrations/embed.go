// Package migrations holds Relay's numbered, forward-only SQL migrations,
// embedded in the binary and applied by `relay migrate` and at start.
package migrations

import "embed"

// FS holds the migration files, named NNNNN_what.sql.
//
//go:embed *.sql
var FS embed.FS
