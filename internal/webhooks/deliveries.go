package webhooks

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/relaycrm/relay/internal/audit"
	"github.com/relaycrm/relay/internal/db"
	"github.com/relaycrm/relay/internal/i18n"
	"github.com/relaycrm/relay/internal/input"
)

// Delivery is one row of the outbox, as the admin page lists it. It carries
// no client data: the payload stays in the database.
type Delivery struct {
	ID            int64
	UID           string
	EndpointID    int64
	URL           string
	Event         string
	Items         int
	Status        string
	Attempts      int
	LastStatus    *int
	LastError     string
	CreatedAt     time.Time
	LastAttemptAt *time.Time
	NextAttemptAt time.Time
	DeliveredAt   *time.Time
}

// Statuses are the statuses of a delivery.
var Statuses = []string{"pending", "delivered", "failed"}

// DeliveryPage is a page of deliveries, newest first.
type DeliveryPage struct {
	Deliveries []Delivery
	Total      int
}

// Deliveries lists deliveries newest first, of one status or ("") all.
func Deliveries(ctx context.Context, q db.Querier, status string, limit, offset int) (DeliveryPage, error) {
	if status != "" {
		ok := false
		for _, s := range Statuses {
			ok = ok || s == status
		}
		if !ok {
			return DeliveryPage{}, input.Errors{"status": i18n.T(ctx, "webhooks.problem.status", "Status", status)}
		}
	}
	rows, err := q.Query(ctx, queries["deliveries"], status, limit, offset)
	if err != nil {
		return DeliveryPage{}, fmt.Errorf("webhook deliveries: %w", err)
	}
	var page DeliveryPage
	page.Deliveries, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (Delivery, error) {
		var d Delivery
		err := r.Scan(&d.ID, &d.UID, &d.EndpointID, &d.URL, &d.Event, &d.Items, &d.Status, &d.Attempts,
			&d.LastStatus, &d.LastError, &d.CreatedAt, &d.LastAttemptAt, &d.NextAttemptAt, &d.DeliveredAt, &page.Total)
		return d, err
	})
	if err != nil {
		return DeliveryPage{}, fmt.Errorf("webhook deliveries: %w", err)
	}
	return page, nil
}

// ErrNotFailed is a re-send asked for a delivery that has not failed.
var ErrNotFailed = errors.New("only a failed delivery can be sent again")

// Resend makes a failed delivery due again with its attempts afresh,
// audited. It returns db.ErrNotFound for no such delivery and input.Errors
// for one that has not failed.
func Resend(ctx context.Context, q db.Querier, a audit.Actor, id int64) error {
	var endpoint int64
	err := q.QueryRow(ctx, queries["resend"], id).Scan(&endpoint)
	if errors.Is(err, pgx.ErrNoRows) {
		var n int
		if err := q.QueryRow(ctx, queries["delivery-exists"], id).Scan(&n); err != nil {
			return fmt.Errorf("webhook delivery %d: %w", id, err)
		}
		if n == 0 {
			return fmt.Errorf("webhook delivery %d: %w", id, db.ErrNotFound)
		}
		return input.Errors{"delivery": i18n.T(ctx, "webhooks.problem.notfailed", "ID", id)}
	}
	if err != nil {
		return fmt.Errorf("webhook delivery %d: %w", id, err)
	}
	return audit.Record(ctx, q, audit.Entry{UserID: a.UserID, Login: a.Login, IP: a.IP, Action: "webhook.resend",
		Object: fmt.Sprintf("webhook_delivery:%d", id), Details: map[string]any{"endpoint_id": endpoint}})
}
