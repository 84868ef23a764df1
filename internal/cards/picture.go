package cards

import (
	"context"
	"errors"

	"github.com/relaycrm/relay/internal/access"
	"github.com/relaycrm/relay/internal/db"
	"github.com/relaycrm/relay/internal/segments"
	"github.com/relaycrm/relay/internal/triggers"
	"github.com/relaycrm/relay/internal/warnings"
)

// ClientPicture is everything the nightly run says about one client, for its
// card: its standing in its segment, its triggers and its warning.
type ClientPicture struct {
	segments.Standing
	// Triggers are open ones first, by priority, then past ones; the control
	// group's are left out for managers and branch heads.
	Triggers []triggers.Trigger
	// Potential is the sum of the expected values of the open triggers shown.
	Potential int64
	// Warning is nil when the client has none.
	Warning *warnings.Warning
	// Churn is the client's churn score and what drives it, warned or not;
	// nil when no run has scored it.
	Churn *warnings.Churn
	// HeldBack counts the client's open triggers held back for the control
	// group, which v does not see (always zero for the risk team, who sees
	// them).
	HeldBack int
}

// Picture returns a client's nightly picture, or db.ErrNotFound when v may
// not see the client.
func Picture(ctx context.Context, q db.Querier, v access.Viewer, clientID int64) (ClientPicture, error) {
	st, err := segments.ClientStanding(ctx, q, v, clientID)
	if err != nil {
		return ClientPicture{}, err
	}
	p := ClientPicture{Standing: st}
	if p.Triggers, err = triggers.ForClient(ctx, q, v, clientID); err != nil {
		return ClientPicture{}, err
	}
	for _, t := range p.Triggers {
		if t.Status.Open() {
			p.Potential += t.ExpectedValue
		}
	}
	if !triggers.SeesHidden(v) {
		if p.HeldBack, err = triggers.HeldBack(ctx, q, v, clientID); err != nil {
			return ClientPicture{}, err
		}
	}
	w, err := warnings.ForClient(ctx, q, v, clientID)
	switch {
	case errors.Is(err, db.ErrNotFound):
	case err != nil:
		return ClientPicture{}, err
	default:
		p.Warning = &w
	}
	ch, err := warnings.ChurnOf(ctx, q, v, clientID)
	switch {
	case errors.Is(err, db.ErrNotFound):
	case err != nil:
		return ClientPicture{}, err
	default:
		p.Churn = &ch
	}
	return p, nil
}
