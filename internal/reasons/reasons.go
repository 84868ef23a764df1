// Package reasons writes the sentences that say why: why the nightly run
// raised a trigger, why it expired one. The run stores a reason as data, a
// message key and its figures (a JSON object of named arguments: amounts in
// minor units, shares as fractions, counts, dates, and the names the run
// saw); this package is the one place that turns them into words, for every
// reader (the card, the worklist, the pipeline, the exports, the API).
//
// The same data says why a churn warning's signals fired (signals.go; migration
// 00024): each signal's key and figures.
//
// A message is put together from the message files of internal/i18n (areas
// "reasons" and "signals"), in the reader's language: English, Bulgarian or
// Russian. The figures are written by this package, as the locale writes
// them. In English they are written the way the nightly SQL used to write
// them, so that the sentences are word for word those it stored before
// migrations 00014 (triggers) and 00024 (signals); in Bulgarian and Russian
// the same digits with the locale's separators, and amounts by
// i18n.MoneyWhole.
package reasons

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/relaycrm/relay/internal/i18n"
)

// Reason is why, as data: a message key and its named figures.
type Reason struct {
	Key  string
	Args json.RawMessage
}

// Currency is what an amount among the figures is in.
type Currency struct {
	Code        string
	MinorDigits int
}

// Text writes r in locale l (an unknown one gets English) with its amounts
// in cur. An unknown key or a missing or malformed figure is an error naming
// it.
func Text(l i18n.Locale, r Reason, cur Currency) (string, error) {
	if _, ok := i18n.Parse(string(l)); !ok {
		l = i18n.English
	}
	if _, ok := catalogue[r.Key]; !ok {
		return "", fmt.Errorf("reasons: no message for key %q", r.Key)
	}
	var m map[string]any
	if len(r.Args) > 0 {
		var err error
		if m, err = decodeFigures(r.Args); err != nil {
			return "", fmt.Errorf("reasons: %s: figures: %w", r.Key, err)
		}
	}
	return text(l, r.Key, m, cur)
}

// text writes the message key with its decoded figures m in locale l (a
// known one).
func text(l i18n.Locale, key string, m map[string]any, cur Currency) (string, error) {
	msg, ok := catalogue[key]
	if !ok {
		return "", fmt.Errorf("reasons: no message for key %q", key)
	}
	a := args{m: m, l: l, cur: cur}
	s := msg(&a)
	if a.err != nil {
		return "", fmt.Errorf("reasons: %s: %w", key, a.err)
	}
	return s, nil
}

// decodeFigures reads a JSON object of figures, numbers kept as written.
func decodeFigures(raw []byte) (map[string]any, error) {
	if m, ok := decodeFlat(raw); ok {
		return m, nil
	}
	return decodeJSON(raw)
}

// decodeJSON is decodeFigures through encoding/json, for what decodeFlat
// does not read.
func decodeJSON(raw []byte) (map[string]any, error) {
	var m map[string]any
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	if err := d.Decode(&m); err != nil {
		return nil, err
	}
	return m, nil
}

// Stored is what a row keeps: the sentence written before migration 00014
// (text, with no key), or a key and its figures. It returns the sentence to
// show either way.
func Stored(l i18n.Locale, text string, key *string, figures []byte, cur Currency) (string, error) {
	if key == nil || *key == "" {
		return text, nil
	}
	return Text(l, Reason{Key: *key, Args: figures}, cur)
}

// Legacy is a sentence the nightly run stored in English with no key (a
// trigger raised or expired before migration 00014), in locale l: as it is
// in English; in Bulgarian and Russian after a note saying it was recorded
// in English, since its figures cannot be read back reliably (amounts were
// rounded to whole units and names are free text) and the trigger is still
// a manager's work, not to be expired for the sake of a language.
func Legacy(l i18n.Locale, text string) string {
	if text == "" || l == i18n.English {
		return text
	}
	if _, ok := i18n.Parse(string(l)); !ok {
		return text
	}
	return l.T("reasons.legacy", "Text", text)
}

// args reads the named figures of one message and writes them in its
// locale; the first missing or malformed one is kept in err and the
// message's text is then discarded.
type args struct {
	m   map[string]any
	l   i18n.Locale
	cur Currency
	err error
}

// t is the message id in the locale, with the named values of kv.
func (a *args) t(id string, kv ...any) string { return a.l.T(id, kv...) }

// plural is the message id in the locale in the plural form for n.
func (a *args) plural(id string, n int64, kv ...any) string { return a.l.Plural(id, n, kv...) }

// english tells whether the figures are written the old SQL's way.
func (a *args) english() bool { return a.l == i18n.English }

// fig writes a figure written the English way in the locale; see Figure.
func (a *args) fig(s string) string { return Figure(a.l, s) }

// Figure writes a figure written the English way ("-1,234.5") in locale l:
// the same digits with its separators and minus sign ("−1 234,5").
func Figure(l i18n.Locale, s string) string {
	if l == i18n.English {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch r {
		case ',':
			b.WriteString("\u00a0")
		case '.':
			b.WriteString(",")
		case '-':
			b.WriteString("−")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Count is a whole figure as the message shows it: plain digits in English
// (as PostgreSQL's format wrote a bigint), grouped in the locale otherwise.
func (a *args) Count(name string) string {
	n := a.Int(name)
	if a.english() {
		return strconv.FormatInt(n, 10)
	}
	return a.l.Int(n)
}

// ID is a number that names something (a model): plain digits in every
// language.
func (a *args) ID(name string) string { return strconv.FormatInt(a.Int(name), 10) }

// Month is the month of a date figure: 2026-10 in English (as the old SQL
// wrote it), the locale's month otherwise.
func (a *args) Month(name string) string {
	d := a.Date(name)
	if a.english() {
		return d.Format("2006-01")
	}
	return a.l.Month(d)
}

// Day is a date figure: 2026-10-05 in English, 05.10.2026 in Bulgarian and
// Russian.
func (a *args) Day(name string) string { return a.l.Date(a.Date(name)) }

func (a *args) fail(name, what string) {
	if a.err == nil {
		a.err = fmt.Errorf("figure %q %s", name, what)
	}
}

// null tells whether the figure is absent or null.
func (a *args) null(name string) bool {
	v, ok := a.m[name]
	return !ok || v == nil
}

func (a *args) number(name string) json.Number {
	v, ok := a.m[name]
	if !ok || v == nil {
		a.fail(name, "is missing")
		return "0"
	}
	n, ok := v.(json.Number)
	if !ok {
		a.fail(name, "is not a number")
		return "0"
	}
	return n
}

// Int is a whole figure: a count, a number of months, an amount.
func (a *args) Int(name string) int64 {
	n := a.number(name)
	i, err := strconv.ParseInt(n.String(), 10, 64)
	if err != nil {
		// a whole number written with a fraction (1.0)
		f, ferr := strconv.ParseFloat(n.String(), 64)
		if ferr != nil || f != math.Trunc(f) {
			a.fail(name, "is not a whole number")
			return 0
		}
		return int64(f)
	}
	return i
}

// Float is a fraction or a factor, exactly as the run computed it.
func (a *args) Float(name string) float64 {
	f, err := strconv.ParseFloat(a.number(name).String(), 64)
	if err != nil {
		a.fail(name, "is not a number")
	}
	return f
}

// Text is a name (a product, a segment) or words the run was given.
func (a *args) Text(name string) string {
	v, ok := a.m[name]
	if !ok || v == nil {
		a.fail(name, "is missing")
		return ""
	}
	s, ok := v.(string)
	if !ok {
		a.fail(name, "is not text")
	}
	return s
}

// Date is a day (YYYY-MM-DD).
func (a *args) Date(name string) time.Time {
	d, err := time.Parse("2006-01-02", a.Text(name))
	if err != nil && a.err == nil {
		a.fail(name, "is not a date")
	}
	return d
}

// Money is an amount in minor units, in whole units of the currency
// ("112,400 EUR", "112 400 EUR").
func (a *args) Money(name string) string {
	return a.l.MoneyWhole(a.Int(name), a.cur.Code, a.cur.MinorDigits)
}

// number formats a float as PostgreSQL writes a float8 (shortest exact
// digits, an exponent below 1e-4 and from 1e15): 0.1, 12, 1e+16.
func number(f float64) string {
	if f == 0 || math.IsInf(f, 0) || math.IsNaN(f) {
		return strconv.FormatFloat(f, 'g', -1, 64)
	}
	if e := math.Floor(math.Log10(math.Abs(f))); e < -4 || e >= 15 {
		s := strconv.FormatFloat(f, 'e', -1, 64)
		return s
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// fixed writes f with the given decimals, rounded as C's printf rounds (as
// to_char does a float8): fixed(12.345, 1) is "12.3".
func fixed(f float64, decimals int) string {
	return strconv.FormatFloat(f, 'f', decimals, 64)
}

// trimmed is fixed without trailing zeros or a bare point (to_char's FM with
// 9s after the point): trimmed(2.50, 2) is "2.5", trimmed(2, 2) is "2".
func trimmed(f float64, decimals int) string {
	s := fixed(f, decimals)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// wholePercent is a fraction as a whole percentage, rounded half to even as
// PostgreSQL rounds a float8: 0.125 is "12" (12.5 rounds to 12).
func wholePercent(fraction float64) string {
	return number(math.RoundToEven(fraction * 100))
}

// ratioPercent is part of whole as a percentage with one decimal, rounded
// half away from zero as PostgreSQL rounds a numeric: 1 of 3 is "33.3".
func ratioPercent(part, whole int64) string {
	if whole == 0 {
		return ""
	}
	// tenths of a percent, rounded half up on exact integers
	n := 1000 * part
	t := (2*n + whole) / (2 * whole)
	if n < 0 {
		t = -((-2*n + whole) / (2 * whole))
	}
	return fmt.Sprintf("%d.%d", t/10, abs(t%10))
}

func abs(i int64) int64 {
	if i < 0 {
		return -i
	}
	return i
}
