package imports

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/relaycrm/relay/internal/reference"
)

// A date is a count of days since 1970-01-01 (civil, no time zone): compact
// to keep for a million clients and cheap to compare.
type date int32

// noDate marks an absent date (a client still with the bank, a holding still held).
const noDate date = math.MinInt32

// A month is year*12 + month-1.
type month int32

// daysFromCivil is Howard Hinnant's days_from_civil.
func daysFromCivil(y, m, d int) date {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era = (y - 399) / 400
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return date(era*146097 + doe - 719468)
}

// civil is the inverse of daysFromCivil.
func (d date) civil() (y, m, day int) {
	z := int(d) + 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era = (z - 146096) / 146097
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y = yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	day = doy - (153*mp+2)/5 + 1
	m = mp + 3
	if m > 12 {
		m -= 12
	}
	if m <= 2 {
		y++
	}
	return y, m, day
}

func (d date) month() month {
	y, m, _ := d.civil()
	return month(y*12 + m - 1)
}

func (d date) appendTo(b []byte) []byte {
	y, m, day := d.civil()
	b = append(b, byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-',
		byte('0'+m/10), byte('0'+m%10), '-', byte('0'+day/10), byte('0'+day%10))
	return b
}

func (d date) String() string { return string(d.appendTo(nil)) }

func (m month) first() date { return daysFromCivil(int(m)/12, int(m)%12+1, 1) }

func (m month) String() string { return fmt.Sprintf("%04d-%02d", int(m)/12, int(m)%12+1) }

var daysIn = [13]int{0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}

func digits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, len(s) > 0
}

// minYear and the day limits keep dates within what the bank can mean.
const minYear = 1900

// parseDate reads an ISO 8601 calendar date, YYYY-MM-DD.
func parseDate(s string) (date, problem) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return 0, says("notdate")
	}
	y, ok1 := digits(s[:4])
	m, ok2 := digits(s[5:7])
	d, ok3 := digits(s[8:])
	if !ok1 || !ok2 || !ok3 {
		return 0, says("notdate")
	}
	if m < 1 || m > 12 {
		return 0, says("nomonth", "Month", m)
	}
	limit := daysIn[m]
	if m == 2 && y%4 == 0 && (y%100 != 0 || y%400 == 0) {
		limit = 29
	}
	if d < 1 || d > limit {
		return 0, says("noday", "Month", fmt.Sprintf("%04d-%02d", y, m), "Day", d)
	}
	if y < minYear {
		return 0, says("beforeyear", "Year", minYear)
	}
	return daysFromCivil(y, m, d), problem{}
}

// parseMonth reads a month, YYYY-MM.
func parseMonth(s string) (month, problem) {
	if len(s) != 7 || s[4] != '-' {
		return 0, says("notmonth")
	}
	y, ok1 := digits(s[:4])
	m, ok2 := digits(s[5:])
	if !ok1 || !ok2 {
		return 0, says("notmonth")
	}
	if m < 1 || m > 12 {
		return 0, says("monthnomonth", "Month", m)
	}
	if y < minYear {
		return 0, says("beforeyear", "Year", minYear)
	}
	return month(y*12 + m - 1), problem{}
}

// parseMoney reads a decimal amount in the bank's currency, e.g. -1234.5
// (or -1234,5 when the file's decimal separator sep is a comma), and returns
// it in minor units (cents for two minor digits), without floating point. At
// most minorDigits digits may follow the decimal separator.
func parseMoney(s string, minorDigits int, sep byte) (int64, problem) {
	if s == "" {
		return 0, says("noamount")
	}
	neg := false
	i := 0
	if s[0] == '-' {
		neg, i = true, 1
	}
	var whole int64
	nWhole := 0
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		if whole > (math.MaxInt64-9)/10 {
			return 0, says("toolarge")
		}
		whole = whole*10 + int64(s[i]-'0')
		nWhole++
	}
	var frac int64
	nFrac, extra := 0, false
	if i < len(s) && s[i] == sep {
		i++
		start := i
		for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
			if nFrac < minorDigits {
				frac = frac*10 + int64(s[i]-'0')
				nFrac++
			} else if s[i] != '0' {
				extra = true // trailing zeros beyond the minor unit are harmless
			}
		}
		if i == start {
			return 0, says("nodigits")
		}
	}
	switch {
	case i < len(s) && s[i] == ',' && sep == '.':
		return 0, says("usepoint")
	case i < len(s) && s[i] == '.' && sep == ',':
		return 0, says("usecomma")
	case i < len(s) || nWhole == 0:
		if sep == ',' {
			return 0, says("notamountcomma")
		}
		return 0, says("notamount")
	case extra && minorDigits == 0:
		return 0, says("nominor")
	case extra:
		return 0, says("decimals", "Digits", minorDigits)
	}
	for k := nFrac; k < minorDigits; k++ {
		frac *= 10
	}
	scale := int64(1)
	for k := 0; k < minorDigits; k++ {
		scale *= 10
	}
	if whole > (math.MaxInt64-frac)/scale {
		return 0, says("toolarge")
	}
	v := whole*scale + frac
	if neg {
		v = -v
	}
	return v, problem{}
}

// appendMoney writes minor units as a decimal string with exactly minorDigits
// decimals: the one format the export writes.
func appendMoney(b []byte, v int64, minorDigits int) []byte {
	if minorDigits == 0 {
		return strconv.AppendInt(b, v, 10)
	}
	u := uint64(v)
	if v < 0 {
		b = append(b, '-')
		u = uint64(-v)
	}
	scale := uint64(1)
	for k := 0; k < minorDigits; k++ {
		scale *= 10
	}
	b = strconv.AppendUint(b, u/scale, 10)
	b = append(b, '.')
	f := u % scale
	for s := scale / 10; s > 0; s /= 10 {
		b = append(b, byte('0'+f/s%10))
	}
	return b
}

// parseCount reads a whole, non-negative number that fits an integer column.
func parseCount(s string) (int32, problem) {
	n, ok := digits(s)
	if !ok || len(s) > 10 || n > math.MaxInt32 {
		if strings.HasPrefix(s, "-") {
			return 0, says("negcount")
		}
		return 0, says("notcount")
	}
	return int32(n), problem{}
}

// parseBool reads yes/no in the ways spreadsheets write it.
func parseBool(s string) (bool, problem) {
	switch strings.ToLower(s) {
	case "true", "yes", "y", "1", "t":
		return true, problem{}
	case "false", "no", "n", "0", "f":
		return false, problem{}
	}
	return false, says("notbool")
}

var (
	codePattern     = reference.CodePattern
	longCodePattern = regexp.MustCompile(`^[A-Z0-9][A-Z0-9_-]{0,29}$`)
	industryPattern = reference.IndustryPattern
	refPattern      = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._/-]{0,39}$`)
	taxPattern      = regexp.MustCompile(`^[A-Z0-9]{4,20}$`)
	loginPattern    = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{1,62}$`)
)

// checkText checks a name: not blank, not too long, printable on one line.
func checkText(s string, maxRunes int) problem {
	if strings.TrimSpace(s) == "" {
		return says("emptytext")
	}
	if n := utf8.RuneCountInString(s); n > maxRunes {
		return says("toolong", "Length", n, "Max", maxRunes)
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return says("control")
		}
	}
	return problem{}
}

// validFamily lists the product families of the catalogue.
var validFamily = map[string]bool{
	"accounts_payments": true, "cards": true, "acquiring": true, "payroll": true, "deposits": true, "fx": true,
	"cash": true, "lending": true, "guarantees_trade": true, "leasing_factoring": true, "insurance": true, "digital": true,
}

const familyList = "accounts_payments, cards, acquiring, payroll, deposits, fx, cash, lending, guarantees_trade, leasing_factoring, insurance or digital"

var validSize = map[string]bool{"micro": true, "small": true, "medium": true}
