package dbtest

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
)

// TestChainBuildsEachStepOnceOnTheOneBefore: a chain's clone holds the schema
// and what each step wrote, in order; a chain that starts with the same step
// shares its template, so that step's Build runs at most once for both.
func TestChainBuildsEachStepOnceOnTheOneBefore(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var firstRuns, secondRuns atomic.Int32
	first := Step{Name: "chain-check-bank", Build: func(ctx context.Context, pool *pgxpool.Pool) error {
		firstRuns.Add(1)
		_, err := pool.Exec(ctx, `CREATE TABLE chained (step text); INSERT INTO chained VALUES ('bank')`)
		return err
	}}
	second := Step{Name: "chain-check-fit", Build: func(ctx context.Context, pool *pgxpool.Pool) error {
		secondRuns.Add(1)
		_, err := pool.Exec(ctx, `INSERT INTO chained VALUES ('fit')`)
		return err
	}}
	steps := func(pool *pgxpool.Pool) []string {
		t.Helper()
		rows, err := pool.Query(ctx, `SELECT step FROM chained ORDER BY step`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			out = append(out, s)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return out
	}
	fitted := NewChain(t, first, second)
	loaded := NewChain(t, first)
	if got := steps(fitted); len(got) != 2 || got[0] != "bank" || got[1] != "fit" {
		t.Errorf("the two-step chain holds %v, want [bank fit]", got)
	}
	if got := steps(loaded); len(got) != 1 || got[0] != "bank" {
		t.Errorf("the one-step chain holds %v, want [bank]", got)
	}
	// once each when this binary built the templates, not at all when an
	// earlier run of it did
	if f, s := firstRuns.Load(), secondRuns.Load(); f > 1 || s > 1 {
		t.Errorf("the first step ran %d times and the second %d, want at most once each", f, s)
	}
	// a copy of the migrated schema: the tables of every migration are there
	var version int64
	if err := loaded.QueryRow(ctx, `SELECT max(version_id) FROM goose_db_version`).Scan(&version); err != nil || version < 33 {
		t.Errorf("the chain's schema is at version %d (%v), want every migration", version, err)
	}
}
