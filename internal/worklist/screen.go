package worklist

import (
	"context"
	"fmt"
	"time"

	"github.com/relaycrm/relay/internal/access"
	"github.com/relaycrm/relay/internal/contacts"
	"github.com/relaycrm/relay/internal/db"
	"github.com/relaycrm/relay/internal/warnings"
)

// Screen is the worklist screen's read model: a page of today's next best
// actions, the warnings by score, the contacts due this week and what it is
// all as of. The page and the API's worklist endpoint both read it with
// ForToday.
type Screen struct {
	Today
	Warnings warnings.Page
	Due      []contacts.Due
	// AsOf is the month of the latest successful nightly run; zero before
	// the first.
	AsOf time.Time
	// ContactLimit is contact.max_proactive_per_month.
	ContactLimit int
}

// ScreenOptions select the page of actions and carry the settings and clock
// the screen is read with.
type ScreenOptions struct {
	Options
	Now time.Time
	// MaxProactive is contact.max_proactive_per_month.
	MaxProactive int
}

// Shown bounds of the screen's side lists.
const (
	warningsShown = 20
	dueShown      = 50
	dueWithin     = 7 // days ahead a planned contact counts as due
)

// ForToday returns v's worklist screen.
func ForToday(ctx context.Context, q db.Querier, v access.Viewer, o ScreenOptions) (Screen, error) {
	var out Screen
	var err error
	if out.Today, err = Load(ctx, q, v, o.Options); err != nil {
		return Screen{}, err
	}
	if out.Warnings, err = warnings.List(ctx, q, v, warnings.ListFilter{PerPage: warningsShown}); err != nil {
		return Screen{}, err
	}
	if out.Due, err = contacts.DueOf(ctx, q, v, o.Now, o.Now.AddDate(0, 0, dueWithin), o.MaxProactive, dueShown); err != nil {
		return Screen{}, err
	}
	var asOf *time.Time
	if err := q.QueryRow(ctx, queries.Get("as-of")).Scan(&asOf); err != nil {
		return Screen{}, fmt.Errorf("worklist as of: %w", err)
	}
	if asOf != nil {
		out.AsOf = *asOf
	}
	out.ContactLimit = o.MaxProactive
	return out, nil
}
