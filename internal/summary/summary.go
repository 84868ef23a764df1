// Package summary owns client_summary (migration 00032): one row per client
// holding what the nightly run's segments step takes from the client's months
// of facts (window sums and counts, the income and transactions of the last
// months, the 12-month and 3-month sums), with the as-of month and windows it
// was built for. The import keeps it, in the transaction that loads the
// facts, for the clients of those facts; the nightly run reads the rows that
// are current for its as-of month and windows and rewrites the others from the
// facts, so that an ordinary night reads one row per client instead of twelve
// months of facts. A statement that writes monthly_fact outside the import
// makes the whole summary untrusted (its state row deleted by a trigger), and
// the next run rebuilds it: the summary is never stale silently.
package summary

import (
	"context"
	"embed"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/relaycrm/relay/internal/db"
)

//go:embed *.sql
var sqlFS embed.FS

// SQL is the package's named queries, for the check at start. write.sql reads
// the temporary table its caller fills in its transaction, so it cannot be
// prepared at start; the package's tests run it.
var SQL = []db.File{
	db.MustLoadFile(sqlFS, "internal/summary", "summary.sql"),
	{Path: "internal/summary/write.sql", Queries: db.MustLoadQueries(sqlFS, "write.sql"),
		Unprepared: "it reads client_summary_todo, a temporary table its caller creates"},
}

var (
	queries = SQL[0].Queries
	writes  = SQL[1].Queries
)

// Querier is what the summary's statements run on: a transaction.
type Querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Windows are what a summary row is current for: the run's as-of month and
// the first months of the windows it reads (nightly_w_param's columns of the
// same names).
type Windows struct {
	AsOf, ScanFrom, ProfitFrom, RecentFrom, BaseFrom, InputFrom time.Time
}

// Lock takes the imports' lock for the rest of the transaction: the import,
// a run writing the summary and any other writer of monthly_fact take it.
func Lock(ctx context.Context, q Querier) error {
	if _, err := q.Exec(ctx, queries.Get("lock")); err != nil {
		return fmt.Errorf("summary lock: %w", err)
	}
	return nil
}

// Trusted reports whether the summary can be trusted: nothing but the import
// has written monthly_fact since it was last whole, and the partitions of
// monthly_fact are those it was kept for.
func Trusted(ctx context.Context, q Querier) (bool, error) {
	var ok bool
	if err := q.QueryRow(ctx, queries.Get("trusted")).Scan(&ok); err != nil {
		return false, fmt.Errorf("summary trusted: %w", err)
	}
	return ok, nil
}

// Trust records the summary as whole for the partitions of now (a run that
// has just made every row it needs current).
func Trust(ctx context.Context, q Querier) error { return exec(ctx, q, "trust") }

// Restamp keeps a trusted summary trusted over the partitions of now (an
// import that attached months and kept the summary of their clients); an
// untrusted one stays untrusted.
func Restamp(ctx context.Context, q Querier) error { return exec(ctx, q, "restamp") }

// Distrust makes the next run rebuild the whole summary from the facts.
func Distrust(ctx context.Context, q Querier) error { return exec(ctx, q, "distrust") }

// Clear deletes every row, before a run rebuilds the summary whole.
func Clear(ctx context.Context, q Querier) error { return exec(ctx, q, "clear") }

func exec(ctx context.Context, q Querier, name string) error {
	if _, err := q.Exec(ctx, queries.Get(name)); err != nil {
		return fmt.Errorf("summary %s: %w", name, err)
	}
	return nil
}

// Write rewrites, from their facts, the rows of the clients in the temporary
// table client_summary_todo (client_id), which the caller has created and
// filled in its transaction, for windows w; it returns the number of rows
// written.
func Write(ctx context.Context, q Querier, w Windows) (int64, error) {
	if _, err := q.Exec(ctx, "ANALYZE client_summary_todo"); err != nil {
		return 0, fmt.Errorf("summary analyze todo: %w", err)
	}
	tag, err := q.Exec(ctx, writes.Get("write"), w.ScanFrom, w.ProfitFrom, w.RecentFrom, w.BaseFrom, w.AsOf, w.InputFrom)
	if err != nil {
		return 0, fmt.Errorf("summary write: %w", err)
	}
	return tag.RowsAffected(), nil
}

// Latest gives the windows of a run as of the latest month of facts with the
// settings of now, as the next nightly run will build them; ok is false when
// there is no fact. A setting the run reads that is unusable fails it, as it
// fails the run: run it in a savepoint when that must not end the
// transaction.
func Latest(ctx context.Context, q Querier) (w Windows, ok bool, err error) {
	var month *time.Time
	if err := q.QueryRow(ctx, queries.Get("latest-month")).Scan(&month); err != nil {
		return Windows{}, false, fmt.Errorf("summary latest month: %w", err)
	}
	if month == nil {
		return Windows{}, false, nil
	}
	var paramSQL string
	if err := q.QueryRow(ctx, queries.Get("windows"), *month).Scan(&paramSQL); err != nil {
		return Windows{}, false, fmt.Errorf("summary windows: %w", err)
	}
	err = q.QueryRow(ctx, `SELECT as_of, scan_from, profit_from, recent_from, base_from, input_from FROM (`+paramSQL+`) p`).
		Scan(&w.AsOf, &w.ScanFrom, &w.ProfitFrom, &w.RecentFrom, &w.BaseFrom, &w.InputFrom)
	if err != nil {
		return Windows{}, false, fmt.Errorf("summary windows: %w", err)
	}
	return w, true, nil
}
