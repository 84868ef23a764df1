// Package webhooks owns Relay's webhooks: the endpoints an admin registers
// (a URL, the events it wants, the secret that signs its deliveries), the
// outbox of deliveries kept in PostgreSQL (webhook_delivery), the statements
// that enqueue events in the transaction of what they report, and the worker
// of `relay serve` that posts them, signed, and tries again with backoff.
// docs/webhooks.md says what a receiver gets and how it checks a signature.
package webhooks

import (
	"context"
	"crypto/rand"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/relaycrm/relay/internal/audit"
	"github.com/relaycrm/relay/internal/db"
	"github.com/relaycrm/relay/internal/i18n"
	"github.com/relaycrm/relay/internal/input"
)

//go:embed webhooks.sql
var sqlFS embed.FS

// SQL is the package's named queries.
var SQL = []db.File{db.MustLoadFile(sqlFS, "internal/webhooks", "webhooks.sql")}

var queries = SQL[0].Queries

// Event is a kind of thing that happened that an endpoint can subscribe to.
type Event string

// The events, in the order the admin page lists them.
const (
	TriggerRaised       Event = "trigger.raised"
	TriggerMoved        Event = "trigger.moved"
	TriggerWon          Event = "trigger.won"
	WarningRaised       Event = "warning.raised"
	WarningLevelChanged Event = "warning.level_changed"
	WarningCleared      Event = "warning.cleared"
	ImportFinished      Event = "import.finished"
	NightlyFinished     Event = "nightly.finished"
)

// Events is every event, with what it means, for the admin page.
var Events = []struct {
	Event Event
	Label string
}{
	{TriggerRaised, "Trigger raised (nightly run, batched)"},
	{TriggerMoved, "Trigger moved by a user"},
	{TriggerWon, "Trigger won, confirmed by the data (nightly run, batched)"},
	{WarningRaised, "Warning raised (nightly run, batched)"},
	{WarningLevelChanged, "Warning level changed (nightly run, batched)"},
	{WarningCleared, "Warning cleared (nightly run, batched)"},
	{ImportFinished, "Import finished"},
	{NightlyFinished, "Nightly run finished"},
}

func knownEvent(e string) bool {
	for _, k := range Events {
		if string(k.Event) == e {
			return true
		}
	}
	return false
}

// Endpoint is a registered receiver of deliveries.
type Endpoint struct {
	ID              int64
	URL             string
	Description     string
	Events          []string
	Enabled         bool
	CreatedAt       time.Time
	Pending, Failed int64
}

// NewEndpoint is what an admin registers.
type NewEndpoint struct {
	URL         string
	Description string
	Events      []string
}

// Endpoints lists every endpoint with its pending and failed deliveries.
func Endpoints(ctx context.Context, q db.Querier) ([]Endpoint, error) {
	rows, err := q.Query(ctx, queries["endpoints"])
	if err != nil {
		return nil, fmt.Errorf("webhook endpoints: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Endpoint, error) {
		var e Endpoint
		err := r.Scan(&e.ID, &e.URL, &e.Description, &e.Events, &e.Enabled, &e.CreatedAt, &e.Pending, &e.Failed)
		return e, err
	})
}

// Create checks and registers an endpoint, audited, and returns its id and
// its secret: the only time the secret is shown.
func Create(ctx context.Context, q db.Querier, a audit.Actor, n NewEndpoint) (int64, string, error) {
	var allowHTTP bool
	if err := q.QueryRow(ctx, queries["allow-http"]).Scan(&allowHTTP); err != nil {
		return 0, "", fmt.Errorf("webhook setting: %w", err)
	}
	errs := input.Errors{}
	u := strings.TrimSpace(n.URL)
	if err := checkURL(ctx, u, allowHTTP); err != nil {
		errs["url"] = err.Error()
	}
	desc := strings.TrimSpace(n.Description)
	if c := utf8.RuneCountInString(desc); c > 200 {
		errs["description"] = i18n.T(ctx, "webhooks.problem.descr", "Length", c)
	}
	events := []string{}
	seen := map[string]bool{}
	for _, e := range n.Events {
		if !knownEvent(e) {
			errs["events"] = i18n.T(ctx, "webhooks.problem.event", "Event", e)
			break
		}
		if !seen[e] {
			seen[e] = true
			events = append(events, e)
		}
	}
	if len(events) == 0 && errs["events"] == "" {
		errs["events"] = i18n.T(ctx, "webhooks.problem.events")
	}
	if len(errs) > 0 {
		return 0, "", errs
	}
	secret, err := newSecret()
	if err != nil {
		return 0, "", err
	}
	var id int64
	if err := q.QueryRow(ctx, queries["endpoint-create"], u, desc, events, secret, a.UserID).Scan(&id); err != nil {
		return 0, "", fmt.Errorf("register webhook: %w", err)
	}
	if err := audit.Record(ctx, q, audit.Entry{UserID: a.UserID, Login: a.Login, IP: a.IP, Action: "webhook.create",
		Object: fmt.Sprintf("webhook_endpoint:%d", id), Details: map[string]any{"url": u, "events": events}}); err != nil {
		return 0, "", err
	}
	return id, secret, nil
}

// SetEnabled turns an endpoint's deliveries on or off, audited. A disabled
// endpoint gets no new deliveries, and its pending ones wait.
func SetEnabled(ctx context.Context, q db.Querier, a audit.Actor, id int64, enabled bool) error {
	var u string
	err := q.QueryRow(ctx, queries["endpoint-enable"], id, enabled).Scan(&u)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("webhook endpoint %d: %w", id, db.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("webhook endpoint %d: %w", id, err)
	}
	action := "webhook.disable"
	if enabled {
		action = "webhook.enable"
	}
	return audit.Record(ctx, q, audit.Entry{UserID: a.UserID, Login: a.Login, IP: a.IP, Action: action,
		Object: fmt.Sprintf("webhook_endpoint:%d", id), Details: map[string]any{"url": u}})
}

// Delete removes an endpoint and its deliveries, audited.
func Delete(ctx context.Context, q db.Querier, a audit.Actor, id int64) error {
	var u string
	err := q.QueryRow(ctx, queries["endpoint-delete"], id).Scan(&u)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("webhook endpoint %d: %w", id, db.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("webhook endpoint %d: %w", id, err)
	}
	return audit.Record(ctx, q, audit.Entry{UserID: a.UserID, Login: a.Login, IP: a.IP, Action: "webhook.delete",
		Object: fmt.Sprintf("webhook_endpoint:%d", id), Details: map[string]any{"url": u}})
}

// newSecret is 32 random bytes in hex, prefixed so that a leaked one is
// recognised for what it is.
func newSecret() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("webhook secret: %w", err)
	}
	return "whsec_" + hex.EncodeToString(b), nil
}

// CheckURL says what is wrong with u as an endpoint, or nil. It must be
// https; plain http only when allowHTTP (the setting
// webhook.allow_http_private) and its host is a loopback or private IP
// address written as such: a receiver on the bank's own network without TLS
// (and the tests' receiver). A name is not accepted for http, so what it
// resolves to cannot change after the check.
func CheckURL(u string, allowHTTP bool) error { return checkURL(context.Background(), u, allowHTTP) }

// checkURL is CheckURL saying what is wrong in the language of ctx.
func checkURL(ctx context.Context, u string, allowHTTP bool) error {
	if u == "" {
		return errors.New(i18n.T(ctx, "webhooks.problem.url.required"))
	}
	if len(u) > 2000 {
		return errors.New(i18n.T(ctx, "webhooks.problem.url.long"))
	}
	p, err := url.Parse(u)
	if err != nil || p.Host == "" || p.Opaque != "" {
		return errors.New(i18n.T(ctx, "webhooks.problem.url.absolute", "URL", u))
	}
	if p.User != nil {
		return errors.New(i18n.T(ctx, "webhooks.problem.url.user"))
	}
	if p.Fragment != "" {
		return errors.New(i18n.T(ctx, "webhooks.problem.url.fragment"))
	}
	switch p.Scheme {
	case "https":
		return nil
	case "http":
		if !allowHTTP {
			return errors.New(i18n.T(ctx, "webhooks.problem.url.https"))
		}
		addr, err := netip.ParseAddr(strings.Trim(p.Hostname(), "[]"))
		if err != nil {
			return errors.New(i18n.T(ctx, "webhooks.problem.url.httpname", "Host", p.Hostname()))
		}
		if !addr.IsLoopback() && !addr.IsPrivate() {
			return errors.New(i18n.T(ctx, "webhooks.problem.url.public", "Addr", addr.String()))
		}
		if port := p.Port(); port != "" {
			if _, err := net.LookupPort("tcp", port); err != nil {
				return errors.New(i18n.T(ctx, "webhooks.problem.url.port", "Port", port))
			}
		}
		return nil
	}
	return errors.New(i18n.T(ctx, "webhooks.problem.url.scheme", "Scheme", p.Scheme))
}
