package warnings

import (
	"context"

	"github.com/relaycrm/relay/internal/access"
	"github.com/relaycrm/relay/internal/db"
)

// EachWithStatement is Each with list, a statement of list's parameters,
// markers and columns, in place of list: for a test that compares list with
// a statement it replaced.
func EachWithStatement(ctx context.Context, q db.Querier, v access.Viewer, f ListFilter, list string,
	fn func(*Warning) error) (int64, error) {
	if err := f.Validate(); err != nil {
		return 0, err
	}
	return eachExport(ctx, q, v, f, list, fn)
}

// ListStatement is the statement Each runs for v and f, with its arguments.
func ListStatement(v access.Viewer, f ListFilter) (string, []any, error) {
	if err := f.Validate(); err != nil {
		return "", nil, err
	}
	stmt, args := listStatement(v, f, queries.Get("list"))
	return stmt, args, nil
}
