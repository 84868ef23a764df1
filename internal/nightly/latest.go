package nightly

import (
	"context"
	"fmt"
	"time"

	"github.com/relaycrm/relay/internal/db"
)

// LastScoredMonth is the as-of month of the latest successful run: what the
// triggers, warnings and scores on every page are as of. Zero before the
// first run.
func LastScoredMonth(ctx context.Context, q db.Querier) (time.Time, error) {
	var m *time.Time
	if err := q.QueryRow(ctx, `SELECT max(as_of) FROM nightly_run WHERE status = 'succeeded'`).Scan(&m); err != nil {
		return time.Time{}, fmt.Errorf("last scored month: %w", err)
	}
	if m == nil {
		return time.Time{}, nil
	}
	return *m, nil
}
