package clients

import (
	"context"
	"fmt"
	"time"

	"github.com/relaycrm/relay/internal/access"
	"github.com/relaycrm/relay/internal/input"
)

// ListQuery is what the client list is asked for: its filters and either a
// numbered page of PerPage (Filter.Page: the screen) or, when Limit is set, up
// to Limit clients by id after the id After (the API's keyset, whose page
// costs the same however deep).
type ListQuery struct {
	Filter Filter
	After  int64
	Limit  int // 1 to MaxAfter for the keyset; 0 for a numbered page
	// Options asks for the filters' choices as well, for the screen's form.
	Options bool
}

// ListView is the client list as the screen and the API show it: the one
// read model of both.
type ListView struct {
	Filter Filter // as validated: its defaults filled in
	Rows   []Row  // each with its tenure as of now
	// Total counts the matching clients up to a cap (a numbered page only);
	// Capped says there are more, Partial that a text search with more is
	// ordered within its first matches.
	Total           int
	Capped, Partial bool
	// Next is the id to continue after when more clients follow (the
	// keyset only); 0 on the last page.
	Next    int64
	Options Options
}

// Pages is the number of pages the total fills.
func (l ListView) Pages() int { return Page{Total: l.Total}.Pages() }

// ListView returns the client list v sees for q as of now. A filter it
// cannot use is an input.Errors naming each parameter; the view is returned
// beside it, with the filters' choices when asked for, so that the screen can
// show the form again with its errors.
func (s *Store) ListView(ctx context.Context, v access.Viewer, q ListQuery, now time.Time) (ListView, error) {
	view := ListView{Filter: q.Filter}
	if q.Options {
		var err error
		if view.Options, err = s.FilterOptions(ctx, v, q.Filter.BranchID); err != nil {
			return view, err
		}
	}
	if q.Limit != 0 {
		// the keyset is by id: the sort and the page number do not apply
		f := q.Filter
		f.Sort, f.Page = "", 0
		errs := input.Errors{}
		if err := errs.Merge(f.Validate()); err != nil {
			return view, err
		}
		view.Filter = f
		if q.Limit < 1 || q.Limit > MaxAfter {
			errs.Add("limit", fmt.Sprintf("%d: give a page size from 1 to %d", q.Limit, MaxAfter))
		}
		if err := errs.Err(); err != nil {
			return view, err
		}
		rows, err := s.after(ctx, v, f, q.After, q.Limit+1, now)
		if err != nil {
			return view, err
		}
		if len(rows) > q.Limit {
			rows = rows[:q.Limit]
			view.Next = rows[q.Limit-1].ID
		}
		view.Rows = withTenure(rows, now)
		return view, nil
	}
	page, err := s.List(ctx, v, q.Filter, now)
	view.Filter = page.Filter
	if err != nil {
		return view, err
	}
	view.Rows, view.Total, view.Capped, view.Partial = withTenure(page.Rows, now), page.Total, page.Capped, page.Partial
	return view, nil
}

// withTenure fills each row's tenure: to the day it left, or to now.
func withTenure(rows []Row, now time.Time) []Row {
	for i, r := range rows {
		end := now
		if r.LeftOn != nil {
			end = *r.LeftOn
		}
		rows[i].TenureMonths = MonthsBetween(r.Since, end)
	}
	return rows
}
