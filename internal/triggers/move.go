package triggers

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/relaycrm/relay/internal/access"
	"github.com/relaycrm/relay/internal/audit"
	"github.com/relaycrm/relay/internal/db"
	"github.com/relaycrm/relay/internal/i18n"
	"github.com/relaycrm/relay/internal/input"
	"github.com/relaycrm/relay/internal/webhooks"
)

// Change is a manager's move of a trigger to a new status.
type Change struct {
	TriggerID int64
	// From is the status the page showed when the move was asked for; a move
	// from a page that is no longer current is refused (*StaleError). Empty:
	// not checked.
	From   Status
	To     Status
	Reason string // required when To is lost or dismissed, at most 1000 characters
	IP     string // where the request came from, for the audit log
}

// ErrReadOnly is returned when the viewer's role reads clients but does not
// record work on them (the risk team).
var ErrReadOnly = access.Forbidden("your role reads triggers but does not move them")

// TransitionError is a move the trigger's status does not allow.
type TransitionError struct{ From, To Status }

func (e *TransitionError) Error() string { return e.Message(context.Background()) }

// Message is the error in ctx's language.
func (e *TransitionError) Message(ctx context.Context) string {
	from := lower(ctx, e.From)
	if len(e.From.Next()) == 0 {
		return i18n.T(ctx, "triggers.error.final", "Status", from)
	}
	names := make([]string, 0, len(e.From.Next()))
	for _, s := range e.From.Next() {
		names = append(names, lower(ctx, s))
	}
	return i18n.T(ctx, "triggers.error.transition", "From", from, "Next", strings.Join(names, ", "), "To", lower(ctx, e.To))
}

// StaleError is a move asked for from a page that showed the trigger in
// another status than it now has.
type StaleError struct{ Shown, Now Status }

func (e *StaleError) Error() string { return e.Message(context.Background()) }

// Message is the error in ctx's language.
func (e *StaleError) Message(ctx context.Context) string {
	return i18n.T(ctx, "triggers.error.stale", "Now", lower(ctx, e.Now), "Shown", lower(ctx, e.Shown))
}

// lower is a status's name inside a sentence.
func lower(ctx context.Context, s Status) string { return strings.ToLower(s.Text(ctx)) }

// Move moves a trigger v sees to c.To, in one transaction with its audit
// entry, and returns it as it now stands. It returns db.ErrNotFound for a
// trigger v may not see (control-group triggers included), ErrReadOnly for a
// role that does not change clients, a *StaleError when c.From is not the
// status any more, a *TransitionError for a move the status does not allow and input.Errors for a missing or overlong reason.
func Move(ctx context.Context, pool *pgxpool.Pool, v access.Viewer, c Change) (Trigger, error) {
	if !v.WritesClients() {
		if v.SeesClients() {
			return Trigger{}, ErrReadOnly
		}
		return Trigger{}, fmt.Errorf("trigger %d: %w", c.TriggerID, db.ErrNotFound)
	}
	valid := false
	for _, s := range Statuses {
		valid = valid || s == c.To
	}
	if !valid {
		return Trigger{}, input.Errors{"status": i18n.T(ctx, "triggers.error.not_status", "Value", string(c.To))}
	}
	reason := strings.TrimSpace(c.Reason)
	if c.To.NeedsReason() && reason == "" {
		return Trigger{}, input.Errors{"reason": i18n.T(ctx, "triggers.error.reason_required", "Status", lower(ctx, c.To))}
	}
	if n := utf8.RuneCountInString(reason); n > 1000 {
		return Trigger{}, input.Errors{"reason": i18n.T(ctx, "triggers.error.reason_long", "Length", n)}
	}
	var moved Trigger
	err := db.InTx(ctx, pool, func(tx pgx.Tx) error {
		var args db.Args
		args.Add(c.TriggerID)
		var from Status
		var clientID int64
		var product string
		err := tx.QueryRow(ctx, access.Scoped(queries.Get("lock"), v, &args), args.Values()...).Scan(&from, &clientID, &product)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("trigger %d: %w", c.TriggerID, db.ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("trigger %d: %w", c.TriggerID, err)
		}
		if c.From != "" && c.From != from {
			return &StaleError{Shown: c.From, Now: from}
		}
		if !from.CanMoveTo(c.To) {
			return &TransitionError{From: from, To: c.To}
		}
		if _, err := tx.Exec(ctx, queries.Get("move"), c.TriggerID, string(c.To), reason, v.UserID); err != nil {
			return fmt.Errorf("move trigger %d: %w", c.TriggerID, err)
		}
		if err := audit.Record(ctx, tx, audit.Entry{
			UserID: v.UserID, Login: v.Login, IP: c.IP, Action: "trigger.move",
			Object: fmt.Sprintf("trigger:%d", c.TriggerID),
			Details: map[string]any{
				"client_id": clientID, "product": product, "from": string(from), "to": string(c.To), "reason": reason,
			},
		}); err != nil {
			return err
		}
		// webhooks: trigger.moved, in the move's transaction (a rolled-back move sends nothing)
		if err := webhooks.EnqueueTriggerMove(ctx, tx, c.TriggerID, string(from), v.Login); err != nil {
			return err
		}
		moved, err = Get(ctx, tx, v, c.TriggerID)
		return err
	})
	if err != nil {
		return Trigger{}, err
	}
	return moved, nil
}
