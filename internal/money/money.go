// Package money formats amounts held as integer minor units of a currency.
// Relay never holds money in a float.
package money

import (
	"strconv"
	"strings"
)

// Format writes minor units as a grouped decimal amount with its currency,
// e.g. Format(1234567, "EUR", 2) is "12,345.67 EUR".
func Format(minor int64, currency string, digits int) string {
	s := Plain(minor, digits)
	if currency == "" {
		return s
	}
	return s + " " + currency
}

// Plain is Format without the currency.
func Plain(minor int64, digits int) string {
	neg := minor < 0
	u := uint64(minor)
	if neg {
		u = uint64(-minor)
	}
	var scale uint64 = 1
	for i := 0; i < digits; i++ {
		scale *= 10
	}
	whole, frac := u/scale, u%scale
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	b.WriteString(group(strconv.FormatUint(whole, 10)))
	if digits > 0 {
		f := strconv.FormatUint(frac, 10)
		b.WriteByte('.')
		b.WriteString(strings.Repeat("0", digits-len(f)))
		b.WriteString(f)
	}
	return b.String()
}

// Whole formats minor units rounded to whole currency units, for tables and
// charts where cents are noise: Whole(1234567, "EUR", 2) is "12,346 EUR".
func Whole(minor int64, currency string, digits int) string {
	var scale int64 = 1
	for i := 0; i < digits; i++ {
		scale *= 10
	}
	half := scale / 2
	if minor < 0 {
		half = -half
	}
	return Format((minor+half)/scale, currency, 0)
}

func group(s string) string {
	if len(s) <= 3 {
		return s
	}
	var b strings.Builder
	lead := len(s) % 3
	if lead > 0 {
		b.WriteString(s[:lead])
	}
	for i := lead; i < len(s); i += 3 {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(s[i : i+3])
	}
	return b.String()
}

// Decimal writes minor units as a plain decimal for files that machines read
// (CSV): no thousands separator, no currency, every decimal: Decimal(-1234567,
// 2) is "-12345.67".
func Decimal(minor int64, digits int) string {
	sign := ""
	if minor < 0 {
		sign, minor = "-", -minor
	}
	s := strconv.FormatInt(minor, 10)
	if digits <= 0 {
		return sign + s
	}
	if len(s) <= digits {
		s = strings.Repeat("0", digits-len(s)+1) + s
	}
	return sign + s[:len(s)-digits] + "." + s[len(s)-digits:]
}
