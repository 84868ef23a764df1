package nightly

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/relaycrm/relay/internal/summary"
)

// The segments step's clients (nightly_w_client) read what they take from the
// facts from the client summary (internal/summary, migration 00032), which
// the import keeps, rather than from a pass over twelve months of facts. In
// one transaction, holding the imports' lock (no import or other writer of
// monthly_fact commits meanwhile): a summary that is not trusted (the demo
// loader or a hand-made write to monthly_fact since it was whole, a month
// attached outside the import, or none yet) is cleared; the run's clients
// whose row is not current for its as-of month and windows (all of them
// then, after a change of a window's setting or a run as of another month;
// else those the import did not write, such as a client with no fact in the
// new month) are rewritten from their facts (summary.write, the same sums as
// segments.client's pass), each of them (the lock keeps any other writer of
// the summary out); the summary is marked trusted; and
// nightly_w_client is built from it (segments.client-summary). A replay, as
// of past months, still runs the pass (segments.client).

// clientsFromSummary builds nightly_w_client from the client summary, first
// rewriting its rows that are not current from the facts; it records how
// many it rewrote in rc.fromFacts.
func (rc *runContext) clientsFromSummary(ctx context.Context, b build) (int64, error) {
	var rows int64
	p := rc.params
	err := pgx.BeginFunc(ctx, rc.s.conn, func(tx pgx.Tx) error {
		for _, name := range b.local {
			if _, err := tx.Exec(ctx, queries.Get(name)); err != nil {
				return err
			}
		}
		if err := summary.Lock(ctx, tx); err != nil {
			return err
		}
		trusted, err := summary.Trusted(ctx, tx)
		if err != nil {
			return err
		}
		if !trusted {
			if err := summary.Clear(ctx, tx); err != nil {
				return err
			}
		}
		todo, err := tx.Exec(ctx, queries.Get("segments.client-todo"), p.factArgs()...)
		if err != nil {
			return fmt.Errorf("segments.client-todo: %w", err)
		}
		w := summary.Windows{AsOf: p.AsOf, ScanFrom: p.ScanFrom, ProfitFrom: p.ProfitFrom, RecentFrom: p.RecentFrom,
			BaseFrom: p.BaseFrom, InputFrom: p.InputFrom}
		if rc.fromFacts, err = summary.Write(ctx, tx, w); err != nil {
			return err
		}
		// Every client of the list has its row written (inserted or
		// updated), and no one else writes the summary while the lock is
		// held: every client of the run now has a current row.
		if rc.fromFacts != todo.RowsAffected() {
			return fmt.Errorf("segments: %d clients' summary was to be rewritten, %d were", todo.RowsAffected(), rc.fromFacts)
		}
		if err := summary.Trust(ctx, tx); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "DROP TABLE IF EXISTS nightly_w_client"); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, queries.Get(b.query))
		if err != nil {
			return err
		}
		rows = tag.RowsAffected()
		_, err = tx.Exec(ctx, "ANALYZE nightly_w_client")
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("%s: %w", b.query, err)
	}
	rc.log.Debug("nightly client summary", "from_facts", rc.fromFacts, "clients", rows)
	return rows, nil
}

// withSummaryCount adds to a full run's segments step the number of clients
// whose summary it rewrote from their facts (summary_from_facts).
func withSummaryCount(run func(context.Context, *runContext) ([]Count, error)) func(context.Context, *runContext) ([]Count, error) {
	return func(ctx context.Context, rc *runContext) ([]Count, error) {
		counts, err := run(ctx, rc)
		if err == nil && !rc.quick {
			counts = append(counts, Count{Name: "summary_from_facts", Value: rc.fromFacts})
		}
		return counts, err
	}
}
