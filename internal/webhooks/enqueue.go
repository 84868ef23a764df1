package webhooks

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/relaycrm/relay/internal/db"
)

// Enqueue writes event with payload as one delivery for every enabled
// endpoint subscribed to it, on q: called in the transaction of what it
// reports, the deliveries exist exactly when that commits. It returns the
// number of deliveries written.
func Enqueue(ctx context.Context, q db.Execer, event Event, payload any, items int) (int64, error) {
	body, err := json.Marshal(payload)
	if err != nil {
		return 0, fmt.Errorf("webhook %s: %w", event, err)
	}
	tag, err := q.Exec(ctx, queries["enqueue"], string(event), body, items)
	if err != nil {
		return 0, fmt.Errorf("webhook %s: %w", event, err)
	}
	return tag.RowsAffected(), nil
}

// EnqueueTriggerMove enqueues trigger.moved for trigger id, moved from from by
// login, on the move's transaction q.
func EnqueueTriggerMove(ctx context.Context, q db.Execer, id int64, from, login string) error {
	if _, err := q.Exec(ctx, queries["trigger-moved"], id, from, login); err != nil {
		return fmt.Errorf("webhook trigger.moved %d: %w", id, err)
	}
	return nil
}

// EnqueueNightlyEvents enqueues the run's batched events (warning.raised,
// warning.level_changed, warning.cleared, trigger.raised, trigger.won) in one
// set-based statement: called in the publish transaction after the triggers
// are raised and confirmed and before the new warnings are switched in (it
// compares the run's working levels with the published warnings), so that
// the events commit with the results they report or not at all. It returns
// the number of deliveries.
func EnqueueNightlyEvents(ctx context.Context, q db.Execer) (int64, error) {
	tag, err := q.Exec(ctx, queries["nightly-events"])
	if err != nil {
		return 0, fmt.Errorf("webhook nightly events: %w", err)
	}
	return tag.RowsAffected(), nil
}

// EnqueueNightlyFinished enqueues nightly.finished for run, as it is recorded on q:
// succeeded, in the publish transaction after the success is recorded, or
// failed, with the failure.
func EnqueueNightlyFinished(ctx context.Context, q db.Execer, run int64) error {
	if _, err := q.Exec(ctx, queries["nightly-finished"], run); err != nil {
		return fmt.Errorf("webhook nightly.finished %d: %w", run, err)
	}
	return nil
}

// EnqueueImportFinished enqueues import.finished for the recorded import id.
func EnqueueImportFinished(ctx context.Context, q db.Execer, id int64) error {
	if _, err := q.Exec(ctx, queries["import-finished"], id); err != nil {
		return fmt.Errorf("webhook import.finished %d: %w", id, err)
	}
	return nil
}
