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

func (e *TransitionError) Error() string {
	if len(e.From.Next()) == 0 {
		return fmt.Sprintf("status: the trigger is %s and can no longer move", strings.ToLower(e.From.Label()))
	}
	names := make([]string, 0, len(e.From.Next()))
	for _, s := range e.From.Next() {
		names = append(names, string(s))
	}
	return fmt.Sprintf("status: a %s trigger can move to %s, not to %s",
		strings.ToLower(e.From.Label()), strings.Join(names, ", "), e.To)
}

// StaleError is a move asked for from a page that showed the trigger in
// another status than it now has.
type StaleError struct{ Shown, Now Status }

func (e *StaleError) Error() string {
	return fmt.Sprintf("status: the trigger is %s now, not %s as the page showed: it changed since the page was loaded, so nothing was saved; check it and choose again",
		strings.ToLower(e.Now.Label()), strings.ToLower(e.Shown.Label()))
}

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
		return Trigger{}, input.Errors{"status": fmt.Sprintf("%q is not a status; use contacted, offered, won, lost or dismissed", c.To)}
	}
	reason := strings.TrimSpace(c.Reason)
	if c.To.NeedsReason() && reason == "" {
		return Trigger{}, input.Errors{"reason": fmt.Sprintf("say why the trigger is %s", c.To)}
	}
	if n := utf8.RuneCountInString(reason); n > 1000 {
		return Trigger{}, input.Errors{"reason": fmt.Sprintf("is %d characters long; keep it to 1000", n)}
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
