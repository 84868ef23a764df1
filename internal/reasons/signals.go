package reasons

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"

	"github.com/relaycrm/relay/internal/i18n"
)

// Signal writes the figures of a churn warning's signal, as the warning
// keeps them (migration 00024: a jsonb object of the message key, "key", and
// its named figures), in locale l with amounts in cur. A row written before
// that migration keeps its English sentence as {"text": ...}, shown as it is.
func Signal(l i18n.Locale, figures []byte, cur Currency) (string, error) {
	// One decoding serves both the key and the figures: an export writes
	// seven of these a row, so the map is used again (nothing keeps it once
	// the sentence is written).
	pooled := figureMaps.Get().(map[string]any)
	defer func() {
		clear(pooled)
		figureMaps.Put(pooled)
	}()
	m := pooled
	if !decodeFlatInto(pooled, figures) {
		clear(pooled)
		var err error
		if m, err = decodeJSON(figures); err != nil {
			return "", fmt.Errorf("reasons: signal figures: %w", err)
		}
	}
	switch key := m["key"].(type) {
	case nil:
		old, ok := m["text"].(string)
		if !ok && m["text"] != nil {
			return "", fmt.Errorf("reasons: signal figures: \"text\" is not text")
		}
		return old, nil
	case string:
		if _, ok := i18n.Parse(string(l)); !ok {
			l = i18n.English
		}
		return text(l, key, m, cur)
	default:
		return "", fmt.Errorf("reasons: signal figures: \"key\" is not text")
	}
}

// figureMaps are maps for Signal to decode figures into.
var figureMaps = sync.Pool{New: func() any { return make(map[string]any, 8) }}

// signals are the messages of a warning's signals; each key is the signal's
// and, when it cannot be measured, a variant of it.
var signals = map[string]func(*args) string{
	"signal.turnover":             window("signals.turnover", (*args).Money),
	"signal.turnover.unknown":     fixedText("signals.turnover_unknown"),
	"signal.balance":              window("signals.balance", (*args).Money),
	"signal.balance.unknown":      fixedText("signals.balance_unknown"),
	"signal.transactions":         window("signals.transactions", (*args).perMonth),
	"signal.transactions.unknown": fixedText("signals.transactions_unknown"),
	"signal.product-closed.none": func(a *args) string {
		days, n := a.Days("days")
		return a.plural("signals.closed.none", n, "Days", days)
	},
	"signal.product-closed": func(a *args) string {
		var b strings.Builder
		key := ""
		if a.Bool("key_product") {
			key = a.t("signals.closed.key")
		}
		days, n := a.Days("days")
		b.WriteString(a.plural("signals.closed.closed", n, "Product", a.Text("product"), "Key", key, "Days", days,
			"On", a.Day("closed_on")))
		if a.Float("latest_days") < a.Float("days") {
			latest, n := a.Days("latest_days")
			b.WriteString(a.plural("signals.closed.latest", n, "Days", latest))
		}
		return b.String()
	},
	"signal.income-falling": func(a *args) string {
		return a.plural("signals.income", a.Int("months"), "Months", a.Count("months"), "From", a.Money("from"),
			"To", a.Money("to"), "Change", a.change("fall"))
	},
	"signal.income-falling.none": fixedText("signals.income_none"),
	"signal.lifetime": func(a *args) string {
		return a.t("signals.lifetime", "Tenure", a.Count("tenure"), "Typical", a.fig(picture(a.Float("typical"), 4, false)),
			"Leavers", a.Count("leavers"), "Where", a.Text("where"))
	},
	"signal.lifetime.unknown": fixedText("signals.lifetime_unknown"),
	"signal.no-contact.never": func(a *args) string {
		days, n := a.Days("days")
		return a.plural("signals.contact.never", n, "Days", days)
	},
	"signal.no-contact": func(a *args) string {
		days, n := a.Days("days")
		return a.plural("signals.contact.last", n, "Days", days, "On", a.Day("last"))
	},
}

func init() {
	for k, m := range signals {
		catalogue[k] = m
	}
}

// window is the message of a fall between two windows: the recent months'
// level against the months' before, and the change in percent.
func window(id string, level func(*args, string) string) func(*args) string {
	return func(a *args) string {
		return a.t(id, "Recent", a.Count("recent_months"), "RecentLevel", level(a, "recent"),
			"Base", a.Count("base_months"), "BaseLevel", level(a, "base"), "Change", a.change("fall"))
	}
}

func fixedText(id string) func(*args) string { return func(a *args) string { return a.t(id) } }

// perMonth is a monthly average of a count, with one decimal and grouped
// ("1,234.5"; to_char's FM999,999,990.0).
func (a *args) perMonth(name string) string { return a.fig(picture(a.Float(name), 9, true)) }

// change is a fall (0.4: 40% less) as the signed change in whole percent
// ("-40", "+5"; to_char(round(-100 * fall), 'FMS9990'), which writes a
// rounded -0 as "-0" and more than four digits as "####").
func (a *args) change(name string) string {
	v := math.RoundToEven(-100 * a.Float(name))
	sign := "+"
	if math.Signbit(v) {
		sign = "-"
	}
	digits := strconv.FormatFloat(math.Abs(v), 'f', 0, 64)
	if len(digits) > 4 {
		digits = "####"
	}
	return a.fig(sign + digits)
}

// Bool is a yes or no figure.
func (a *args) Bool(name string) bool {
	v, ok := a.m[name]
	if !ok || v == nil {
		a.fail(name, "is missing")
		return false
	}
	b, ok := v.(bool)
	if !ok {
		a.fail(name, "is not true or false")
	}
	return b
}

// Days is a number of days, written as the old SQL wrote a float8 in
// English and as a grouped whole number in the locale, with the whole
// number that picks a plural form.
func (a *args) Days(name string) (string, int64) {
	f := a.Float(name)
	n := int64(f)
	if a.english() || f != math.Trunc(f) {
		return a.fig(number(f)), n
	}
	return a.l.Int(n), n
}

// picture writes f as to_char writes a float8 with the picture FM9990.0
// (intDigits 4) or FM999,999,990.0 (intDigits 9, grouped): one decimal,
// rounded as printf rounds, and #s when the whole part has more digits than
// the picture.
func picture(f float64, intDigits int, grouped bool) string {
	s := fixed(f, 1)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, _ := strings.Cut(s, ".")
	if len(whole) > intDigits {
		whole, frac = strings.Repeat("#", intDigits), "#"
	}
	if grouped {
		var b strings.Builder
		for i, r := range whole {
			if i > 0 && (len(whole)-i)%3 == 0 {
				b.WriteByte(',')
			}
			b.WriteRune(r)
		}
		whole = b.String()
	}
	if neg {
		whole = "-" + whole
	}
	return whole + "." + frac
}
