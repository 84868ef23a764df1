// Package cards owns the client card's read model: everything the card
// shows about one client (its record, the nightly run's picture, its
// contacts and contact plan) in one call, as the viewer may see it. The card
// page and the API's client endpoint both call Card; neither assembles the
// card from its parts.
package cards

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/relaycrm/relay/internal/access"
	"github.com/relaycrm/relay/internal/clients"
	"github.com/relaycrm/relay/internal/contacts"
	"github.com/relaycrm/relay/internal/db"
)

// ContactsShown is how many past contacts the card lists.
const ContactsShown = 50

// Options are what a card is read with besides the client: the clock and
// the settings it depends on.
type Options struct {
	Now time.Time
	// MaxProactive is contact.max_proactive_per_month, for the contact plan.
	MaxProactive int
	// WatchFactor is trigger.watch_factor, for the note on an offer of a
	// client under a watch warning.
	WatchFactor float64
}

// View is the client card: the record, the nightly picture, the contacts.
type View struct {
	Client   clients.Card
	Picture  ClientPicture
	Contacts Contacts
	// WatchFactor is Options.WatchFactor, carried for the card's notes.
	WatchFactor float64
}

// Contacts is the card's contact section: the latest contacts, newest first,
// and the contact plan.
type Contacts struct {
	Items []contacts.Contact
	Plan  contacts.Plan
}

// Card returns client clientID's card as v may see it, or db.ErrNotFound
// when v may not see the client. Every part is read in one read-only
// transaction, so the card is one consistent snapshot (and one connection
// from the pool rather than one per query).
func Card(ctx context.Context, pool *pgxpool.Pool, v access.Viewer, clientID int64, o Options) (View, error) {
	var out View
	err := db.ReadOnly(ctx, pool, func(q db.Querier) error {
		var err error
		if out.Client, err = clients.CardOf(ctx, q, v, clientID, o.Now); err != nil {
			return err
		}
		if out.Picture, err = Picture(ctx, q, v, clientID); err != nil {
			return err
		}
		out.Contacts, err = contactsOf(ctx, q, v, clientID, o)
		return err
	})
	out.WatchFactor = o.WatchFactor
	return out, err
}

// ContactsOf returns the card's contact section alone, for the panel that
// answers a contact form.
func ContactsOf(ctx context.Context, q db.Querier, v access.Viewer, clientID int64, o Options) (Contacts, error) {
	return contactsOf(ctx, q, v, clientID, o)
}

func contactsOf(ctx context.Context, q db.Querier, v access.Viewer, clientID int64, o Options) (Contacts, error) {
	var out Contacts
	var err error
	if out.Items, err = contacts.History(ctx, q, v, clientID, ContactsShown); err != nil {
		return Contacts{}, err
	}
	if out.Plan, err = contacts.PlanOf(ctx, q, v, clientID, o.Now, o.MaxProactive); err != nil {
		return Contacts{}, err
	}
	return out, nil
}
