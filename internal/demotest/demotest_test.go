package demotest_test

import (
	"context"
	"testing"

	"github.com/relaycrm/relay/internal/demotest"
)

// TestScoredHoldsTheRunsResults checks the scored template: every active
// client has a score and some have triggers and warnings.
func TestScoredHoldsTheRunsResults(t *testing.T) {
	t.Parallel()
	pool := demotest.Scored(t, 2000)
	var active, scores, triggers, warnings int
	if err := pool.QueryRow(context.Background(), `SELECT (SELECT count(*) FROM client WHERE left_on IS NULL),
		(SELECT count(*) FROM client_score), (SELECT count(*) FROM cross_sell_trigger), (SELECT count(*) FROM client_warning)`).
		Scan(&active, &scores, &triggers, &warnings); err != nil {
		t.Fatal(err)
	}
	if scores != active || triggers == 0 || warnings == 0 {
		t.Errorf("%d active clients, %d scores, %d triggers, %d warnings", active, scores, triggers, warnings)
	}
	t.Logf("%d active clients, %d triggers, %d warnings", active, triggers, warnings)
}
