// Package worklist owns the personal manager's next best actions: one ranked
// list per manager, retention first (a client under a high churn warning:
// call it, with the income at risk and the warning's top reasons), then the
// offers by priority (lowered under a watch warning), while the offers of a
// client under a high warning wait until it clears. The worklist opens on
// today's share of it (worklist.daily_actions); the rest is a page away.
package worklist

import (
	"context"
	"embed"
	"fmt"
	"sort"

	"github.com/relaycrm/relay/internal/access"
	"github.com/relaycrm/relay/internal/db"
	"github.com/relaycrm/relay/internal/triggers"
	"github.com/relaycrm/relay/internal/warnings"
)

//go:embed worklist.sql
var sqlFS embed.FS

// SQL is the package's named queries, for the check at start.
var SQL = []db.File{db.MustLoadFile(sqlFS, "internal/worklist", "worklist.sql")}

var queries = SQL[0].Queries

// maxRetention bounds the retention actions read: a manager's high warnings
// are a handful.
const maxRetention = warnings.MaxPerPage

// Retention is the action for a client under a high churn warning: call it
// before offering anything.
type Retention struct {
	Warning warnings.Warning
	// IncomeAtRisk is the client's average monthly income x 12: what leaving
	// would cost a year.
	IncomeAtRisk int64
	Reasons      []Reason
	// Waiting are the client's offers, which wait until the warning clears.
	Waiting []triggers.Trigger
}

// Reason is one reason of a retention action, with its figures and its share
// of the churn score.
type Reason struct {
	Label, Figures string
	Share          float64
}

// maxReasons is how many reasons a retention action gives.
const maxReasons = 3

// retentionReasons are a retention action's reasons: the inputs that raise
// the client's churn score most, each with its figure and its share of what
// raises the score (the signals that fired, by share, when the score carries
// no inputs). This is the one place that picks them.
func retentionReasons(w warnings.Warning) []Reason {
	var out []Reason
	var raise float64
	for _, in := range w.Inputs {
		raise += max(in.Contribution, 0)
	}
	for _, in := range w.Reasons(maxReasons) {
		out = append(out, Reason{Label: in.Label, Figures: in.Figure, Share: in.Contribution / raise})
	}
	if len(out) > 0 {
		return out
	}
	fired := w.Fired()
	sort.SliceStable(fired, func(i, j int) bool { return fired[i].Share > fired[j].Share })
	for _, s := range fired {
		if len(out) == maxReasons {
			break
		}
		out = append(out, Reason{Label: s.Label, Figures: s.Figures, Share: s.Share})
	}
	return out
}

// Action is one entry of the ranked list: a retention action or an offer.
type Action struct {
	Position  int // from 1, in the whole list
	Retention *Retention
	Offer     *triggers.Ranked
}

// Today is a page of a manager's next best actions.
type Today struct {
	Actions []Action
	// Total counts every action: Retentions plus the offers not waiting.
	Total      int
	Retentions int
	// Waiting counts the offers that wait for a high warning to clear.
	Waiting       int
	Page, PerPage int
	WatchFactor   float64
}

// Pages is how many pages the list has.
func (t Today) Pages() int {
	if t.PerPage <= 0 {
		return 0
	}
	return (t.Total + t.PerPage - 1) / t.PerPage
}

// Options select a page of the list.
type Options struct {
	Page    int // from 1; page 1 is today's actions
	PerPage int // worklist.daily_actions
	// WatchFactor multiplies the priority of a client under a watch warning
	// (trigger.watch_factor).
	WatchFactor float64
}

// Load returns a page of the next best actions of the clients v sees:
// retention actions first, riskiest first, then offers by rank.
func Load(ctx context.Context, q db.Querier, v access.Viewer, o Options) (Today, error) {
	if o.Page < 1 {
		o.Page = 1
	}
	if o.PerPage < 1 {
		o.PerPage = 12
	}
	out := Today{Page: o.Page, PerPage: o.PerPage, WatchFactor: o.WatchFactor}
	high, err := warnings.List(ctx, q, v, warnings.ListFilter{Level: warnings.High, PerPage: maxRetention})
	if err != nil {
		return Today{}, err
	}
	waiting, err := triggers.ListWaiting(ctx, q, v)
	if err != nil {
		return Today{}, err
	}
	out.Retentions, out.Waiting = len(high.Warnings), len(waiting)
	start := (o.Page - 1) * o.PerPage
	var retentions []*Retention
	if start < len(high.Warnings) {
		ids := []int64{}
		for _, w := range high.Warnings[start:min(len(high.Warnings), start+o.PerPage)] {
			r := &Retention{Warning: w, Reasons: retentionReasons(w)}
			for _, t := range waiting {
				if t.ClientID == w.ClientID {
					r.Waiting = append(r.Waiting, t)
				}
			}
			retentions = append(retentions, r)
			ids = append(ids, w.ClientID)
		}
		if err := incomeAtRisk(ctx, q, v, ids, retentions); err != nil {
			return Today{}, err
		}
	}
	offerOffset := max(0, start-len(high.Warnings))
	offerLimit := o.PerPage - len(retentions)
	offers, offerTotal, err := triggers.ListRanked(ctx, q, v, o.WatchFactor, max(offerLimit, 1), offerOffset)
	if err != nil {
		return Today{}, err
	}
	if offerLimit == 0 {
		offers = nil
	}
	out.Total = len(high.Warnings) + offerTotal
	pos := start
	for _, r := range retentions {
		pos++
		out.Actions = append(out.Actions, Action{Position: pos, Retention: r})
	}
	for i := range offers {
		pos++
		out.Actions = append(out.Actions, Action{Position: pos, Offer: &offers[i]})
	}
	return out, nil
}

// incomeAtRisk fills each retention's income at risk.
func incomeAtRisk(ctx context.Context, q db.Querier, v access.Viewer, ids []int64, rs []*Retention) error {
	var args db.Args
	args.Add(ids)
	rows, err := q.Query(ctx, access.Scoped(queries.Get("income"), v, &args), args.Values()...)
	if err != nil {
		return fmt.Errorf("income at risk: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, income int64
		if err := rows.Scan(&id, &income); err != nil {
			return fmt.Errorf("income at risk: %w", err)
		}
		for _, r := range rs {
			if r.Warning.ClientID == id {
				r.IncomeAtRisk = income * 12
			}
		}
	}
	return rows.Err()
}
