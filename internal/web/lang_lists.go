package web

import (
	"context"
	"net/url"
	"strconv"

	"github.com/relaycrm/relay/internal/clients"
	"github.com/relaycrm/relay/internal/i18n"
	"github.com/relaycrm/relay/internal/input"
	"github.com/relaycrm/relay/internal/warnings"
)

// The client and churn lists' words that come from codes: tenure bands,
// size bands, client states, warning levels, lifecycle stages; and their
// filters' errors in the viewer's language.

// tenureBandKeys are the message ids of clients.TenureBands by code.
var tenureBandKeys = map[string]string{
	"0-6": "clients.band.m0_6", "6-12": "clients.band.m6_12", "12-24": "clients.band.y1_2",
	"24-36": "clients.band.y2_3", "36+": "clients.band.y3",
}

// tenureBandLabel names a tenure band in ctx's language.
func tenureBandLabel(ctx context.Context, b clients.TenureBand) string {
	if id, ok := tenureBandKeys[b.Code]; ok {
		return i18n.T(ctx, id)
	}
	return b.Label
}

// sizeLabel names a client's size band (micro, small, medium) in ctx's
// language; an unknown band shows its code.
func sizeLabel(ctx context.Context, code string) string {
	switch code {
	case "micro", "small", "medium":
		return i18n.T(ctx, "clients.size_band."+code)
	}
	return code
}

// tenureIn says a tenure in months the way people say it, in ctx's
// language: "2 years 3 months", "2 години и 3 месеца".
func tenureIn(ctx context.Context, months int) string {
	y, m := int64(months/12), int64(months%12)
	switch {
	case y == 0:
		return i18n.Plural(ctx, "clients.months", m)
	case m == 0:
		return i18n.Plural(ctx, "clients.years", y)
	}
	return i18n.T(ctx, "clients.years_months", "Years", i18n.Plural(ctx, "clients.years", y),
		"Months", i18n.Plural(ctx, "clients.months", m))
}

// levelLabel names a warning level in ctx's language.
func levelLabel(ctx context.Context, l warnings.Level) string {
	switch l {
	case warnings.High, warnings.Watch:
		return i18n.T(ctx, "churn.levels."+string(l))
	}
	return string(l)
}

// localFilterErrors puts a list's filter errors in ctx's language. The
// checks of the lists (clients.Filter, warnings.ListFilter) write English;
// in another language each field's message is said again from the value the
// user gave: a page out of range, an overlong search, or a value that is not
// one of the filter's choices. The field stays the parameter's name.
func localFilterErrors(ctx context.Context, errs input.Errors, q url.Values, maxPage int) {
	if i18n.From(ctx) == i18n.English {
		return
	}
	for field := range errs {
		value := q.Get(field)
		switch field {
		case "q":
			errs[field] = i18n.T(ctx, "clients.error.q_long")
		case "page":
			if n, err := strconv.Atoi(value); err == nil && n > 0 {
				errs[field] = i18n.T(ctx, "clients.error.page_far", "Max", i18n.Int(ctx, int64(maxPage)))
			} else {
				errs[field] = i18n.T(ctx, "clients.error.page", "Value", value, "Max", i18n.Int(ctx, int64(maxPage)))
			}
		default:
			errs[field] = i18n.T(ctx, "clients.error.choice", "Value", value)
		}
	}
}
