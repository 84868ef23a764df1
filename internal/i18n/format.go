package i18n

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/relaycrm/relay/internal/money"
)

// separators returns the locale's thousands and decimal separators. Bulgarian
// and Russian group with a no-break space and write a decimal comma.
func (l Locale) separators() (group, decimal string) {
	switch l {
	case Bulgarian, Russian:
		return "\u00a0", ","
	}
	return ",", "."
}

// localNumber rewrites an English-formatted number ("-1,234.56") in l's
// separators.
func (l Locale) localNumber(s string) string {
	if l == English || l == "" {
		return s
	}
	group, decimal := l.separators()
	var b strings.Builder
	for _, r := range s {
		switch r {
		case ',':
			b.WriteString(group)
		case '.':
			b.WriteString(decimal)
		case '-':
			b.WriteString("−")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Int writes a whole number with the locale's grouping.
func (l Locale) Int(n int64) string { return l.localNumber(money.Plain(n, 0)) }

// Decimal writes f with digits decimals and the locale's separators.
func (l Locale) Decimal(f float64, digits int) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "–"
	}
	scale := math.Pow(10, float64(digits))
	return l.localNumber(money.Plain(int64(math.Round(f*scale)), digits))
}

// Percent writes a share (0.123) as a percentage with digits decimals: "12.3%"
// in English, "12,3 %" in Bulgarian and Russian.
func (l Locale) Percent(share float64, digits int) string {
	s := l.Decimal(100*share, digits)
	if l == English {
		return s + "%"
	}
	return s + "\u00a0%"
}

// Money writes minor units of currency with digits decimals.
func (l Locale) Money(minor int64, currency string, digits int) string {
	return l.localNumber(money.Format(minor, currency, digits))
}

// MoneyWhole writes minor units rounded to whole currency units.
func (l Locale) MoneyWhole(minor int64, currency string, digits int) string {
	return l.localNumber(money.Whole(minor, currency, digits))
}

var monthNames = map[Locale][12]string{
	English:   {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"},
	Bulgarian: {"яну", "фев", "март", "апр", "май", "юни", "юли", "авг", "сеп", "окт", "ное", "дек"},
	Russian:   {"янв", "фев", "март", "апр", "май", "июнь", "июль", "авг", "сен", "окт", "ноя", "дек"},
}

// Date writes a day: 2026-12-05 in English (as Relay always has), 05.12.2026
// in Bulgarian and Russian.
func (l Locale) Date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	switch l {
	case Bulgarian, Russian:
		return t.Format("02.01.2006")
	}
	return t.Format("2006-01-02")
}

// DateTime writes a moment to the minute.
func (l Locale) DateTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return l.Date(t) + " " + t.Format("15:04")
}

// Month writes a month: "Dec 2026", "дек 2026".
func (l Locale) Month(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	names, ok := monthNames[l]
	if !ok {
		names = monthNames[English]
	}
	return names[t.Month()-1] + " " + strconv.Itoa(t.Year())
}

// durationUnits are the abbreviations of milliseconds, seconds, minutes and
// hours: SI's in English, the Cyrillic ones in Bulgarian and Russian.
var durationUnits = map[Locale][4]string{
	English:   {"ms", "s", "min", "h"},
	Bulgarian: {"мс", "с", "мин", "ч"},
	Russian:   {"мс", "с", "мин", "ч"},
}

// Duration writes how long something took, to the precision a person reads:
// "430 ms", "4.28 s", "13.1 s", "4 min 12 s", "1 h 03 min", with the locale's
// decimal separator and a no-break space before each unit.
func (l Locale) Duration(d time.Duration) string {
	u, ok := durationUnits[l]
	if !ok {
		u = durationUnits[English]
	}
	const nb = "\u00a0"
	switch {
	case d < 0:
		return "–"
	case d < time.Second:
		return strconv.FormatInt(d.Round(time.Millisecond).Milliseconds(), 10) + nb + u[0]
	case d < 10*time.Second:
		return l.Decimal(d.Seconds(), 2) + nb + u[1]
	case d < time.Minute-50*time.Millisecond:
		return l.Decimal(d.Seconds(), 1) + nb + u[1]
	case d < time.Hour-500*time.Millisecond:
		s := int64(d.Round(time.Second).Seconds())
		return strconv.FormatInt(s/60, 10) + nb + u[2] + " " + strconv.FormatInt(s%60, 10) + nb + u[1]
	}
	m := int64(d.Round(time.Minute).Minutes())
	return strconv.FormatInt(m/60, 10) + nb + u[3] + " " + fmt.Sprintf("%02d", m%60) + nb + u[2]
}

// Int writes n in ctx's locale; see Locale.Int. The other context forms below
// likewise call the Locale method of the same name.
func Int(ctx context.Context, n int64) string { return From(ctx).Int(n) }

// Decimal writes f in ctx's locale.
func Decimal(ctx context.Context, f float64, digits int) string { return From(ctx).Decimal(f, digits) }

// Percent writes a share as a percentage in ctx's locale.
func Percent(ctx context.Context, share float64, digits int) string {
	return From(ctx).Percent(share, digits)
}

// Money writes minor units in ctx's locale.
func Money(ctx context.Context, minor int64, currency string, digits int) string {
	return From(ctx).Money(minor, currency, digits)
}

// MoneyWhole writes minor units rounded to whole units in ctx's locale.
func MoneyWhole(ctx context.Context, minor int64, currency string, digits int) string {
	return From(ctx).MoneyWhole(minor, currency, digits)
}

// Date writes a day in ctx's locale.
func Date(ctx context.Context, t time.Time) string { return From(ctx).Date(t) }

// DateTime writes a moment in ctx's locale.
func DateTime(ctx context.Context, t time.Time) string { return From(ctx).DateTime(t) }

// Duration writes how long something took in ctx's locale.
func Duration(ctx context.Context, d time.Duration) string { return From(ctx).Duration(d) }

// Month writes a month in ctx's locale.
func Month(ctx context.Context, t time.Time) string { return From(ctx).Month(t) }
