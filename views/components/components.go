// Package components holds the small pieces pages are built from: money,
// dates, badges, a pager, sortable headers, form fields with their errors, and
// the inline SVG income chart.
package components

import (
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/relaycrm/relay/internal/money"
)

// Money formats minor units in the currency, rounded to whole units.
func Money(minor int64, currency string, digits int) string {
	return money.Whole(minor, currency, digits)
}

// MoneyExact formats minor units in the currency with its minor digits.
func MoneyExact(minor int64, currency string, digits int) string {
	return money.Format(minor, currency, digits)
}

// Date formats a day as 2006-01-02.
func Date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format("2006-01-02")
}

// Month formats a month as Jan 2006.
func Month(t time.Time) string { return t.Format("Jan 2006") }

// DateTime formats a moment as 2006-01-02 15:04.
func DateTime(t time.Time) string { return t.Format("2006-01-02 15:04") }

// Int formats a count with thousands separators.
func Int(n int) string { return money.Plain(int64(n), 0) }

// Pct formats a percentage with a sign, e.g. +12.5%.
func Pct(p float64) string { return fmt.Sprintf("%+.1f%%", p) }

// Itoa is strconv.Itoa for attribute values.
func Itoa(n int64) string { return strconv.FormatInt(n, 10) }

// Href builds path?query from values, leaving out empty ones.
func Href(path string, q url.Values) string {
	clean := url.Values{}
	for k, vs := range q {
		for _, v := range vs {
			if v != "" {
				clean.Add(k, v)
			}
		}
	}
	if len(clean) == 0 {
		return path
	}
	return path + "?" + clean.Encode()
}

// With returns a copy of q with key set to value (or removed when empty).
func With(q url.Values, kv ...string) url.Values {
	out := url.Values{}
	for k, vs := range q {
		out[k] = append([]string(nil), vs...)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			out.Del(kv[i])
		} else {
			out.Set(kv[i], kv[i+1])
		}
	}
	return out
}
