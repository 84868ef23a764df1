package takeup

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/relaycrm/relay/internal/i18n"
	"github.com/relaycrm/relay/internal/money"
	"github.com/relaycrm/relay/internal/reasons"
)

// The evidence as the nightly run wrote it in words before migration 00025
// (Layout.Evidence and describe), kept here only to hold the stored data and
// its renderer (internal/reasons) to it word for word.

// oldEvidence says in words the inputs that raise the product's chance most
// (up to n, each with the factor it multiplies the odds by); amounts are
// formatted with money.
func oldEvidence(l *Layout, x, contribs []float64, n int, money func(int64) string) string {
	type part struct {
		k int
		c float64
	}
	var parts []part
	for k, c := range contribs {
		if c > 0.05 {
			parts = append(parts, part{k, c})
		}
	}
	slices.SortFunc(parts, func(a, b part) int {
		if a.c != b.c {
			if a.c > b.c {
				return -1
			}
			return 1
		}
		return a.k - b.k
	})
	if len(parts) > n {
		parts = parts[:n]
	}
	var out []string
	for _, p := range parts {
		out = append(out, fmt.Sprintf("%s (odds ×%.1f)", oldDescribe(l, p.k, x[p.k], money), math.Exp(p.c)))
	}
	return strings.Join(out, ", ")
}

// oldDescribe names input k at value v in words.
func oldDescribe(l *Layout, k int, v float64, money func(int64) string) string {
	if k < l.client {
		name := l.Products[k].Name
		if v >= 0.5 {
			return "holds " + name
		}
		return "does not hold " + name
	}
	missing := math.IsNaN(v)
	num := func(format string) string {
		if missing {
			return "no figure"
		}
		return fmt.Sprintf(format, v)
	}
	amount := func() string {
		if missing {
			return "no figure"
		}
		if money == nil {
			return fmt.Sprintf("%.0f (minor units)", v)
		}
		return money(int64(math.Round(v)))
	}
	switch l.Codes[k] {
	case InHeld:
		return oldCount(v, "product") + " held"
	case InOpened12:
		return oldCount(v, "product") + " opened in the last 12 months"
	case InOpened3:
		return oldCount(v, "product") + " opened in the last 3 months"
	case InOpenRate:
		return fmt.Sprintf("opens %.1f products a year", v)
	case InSinceOpen:
		switch {
		case missing:
			return "no product opened yet"
		case v < 1:
			return "a product opened this month"
		}
		return "last product opened " + oldCount(v, "month") + " ago"
	case InTenure:
		return "a client for " + oldCount(v, "month")
	case InIncome:
		return "income of " + amount() + " a month (last 3 months)"
	case InTurnover:
		return "turnover of " + amount() + " a month"
	case InBalance:
		return "average balance of " + amount()
	case InTx:
		return num("%.0f") + " transactions a month"
	case InControl:
		if v >= 0.5 {
			return "in the control group"
		}
		return "not in the control group"
	case InCellAdoption:
		return fmt.Sprintf("held by %.0f%% of similar clients", 100*v)
	case InBestAdoption:
		return fmt.Sprintf("held by %.0f%% of the best similar clients", 100*v)
	case InIdeal:
		if v >= 0.5 {
			return "in the ideal set of similar clients"
		}
		return "not in the ideal set of similar clients"
	case InRefused:
		if v >= 0.5 {
			return "refused it before"
		}
		return "never refused it"
	case InOffered:
		if v >= 0.5 {
			return "was offered it before"
		}
		return "never offered it"
	}
	return l.Codes[k]
}

// oldCount says n things, n rounded, with the plural where it takes one.
func oldCount(n float64, thing string) string {
	r := math.Round(n)
	if r == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%.0f %ss", r, thing)
}

// TestEvidenceWordForWord: the evidence stored as data (input codes, values,
// contributions) reads in English word for word as the words the run stored
// before, for every input at values around each threshold and rounding tie,
// missing figures, amounts in a currency with and without minor units; in
// Bulgarian and Russian it has the same figures in the locale's format and
// no English word but the products' names.
func TestEvidenceWordForWord(t *testing.T) {
	l := NewLayout([]Product{{ID: 1, Code: "ACQ", Name: "Acquiring"}, {ID: 2, Code: "FX", Name: "FX \"Spot\", desk"}})
	values := map[string][]float64{
		InHeld: {0, 1, 1.4, 1.5, 2, 2.5, 12}, InOpened12: {0, 0.5, 1, 3}, InOpened3: {1, 2},
		InOpenRate: {0, 0.25, 0.35, 1.05, 12.5}, InSinceOpen: {math.NaN(), 0, 0.99, 1, 1.5, 2.5, 40},
		InTenure: {1, 6, 240.5, 1234}, InIncome: {math.NaN(), 0, 49, 50, 150, 123456789.5, -2500},
		InTurnover: {0.4, 1e9, 250}, InBalance: {math.NaN(), 99999949}, InTx: {math.NaN(), 0, 0.5, 1.5, 2.5, 1500},
		InControl: {0, 1}, InCellAdoption: {0, 0.005, 0.125, 0.45, 1}, InBestAdoption: {0.015, 0.999},
		InIdeal: {0, 0.49, 0.5, 1}, InRefused: {0, 1}, InOffered: {0, 1},
		"holds:ACQ": {0, 1}, "holds:FX": {1},
	}
	currencies := []reasons.Currency{{Code: "EUR", MinorDigits: 2}, {Code: "RSD", MinorDigits: 0}}
	cases := 0
	for code, vs := range values {
		k := slices.Index(l.Codes, code)
		if k < 0 {
			t.Fatalf("no input %s", code)
		}
		for _, v := range vs {
			for _, cur := range currencies {
				x := make([]float64, len(l.Codes))
				contribs := make([]float64, len(l.Codes))
				x[k], contribs[k] = v, 0.5878
				// a second input, to check the order and the separator
				other := slices.Index(l.Codes, InTenure)
				if other == k {
					other = slices.Index(l.Codes, InHeld)
				}
				x[other], contribs[other] = 7, 0.05+1e-9
				old := oldEvidence(l, x, contribs, 3, func(minor int64) string { return money.Whole(minor, cur.Code, cur.MinorDigits) })
				stored := l.Evidence(x, contribs, 3)
				if !json.Valid(stored) {
					t.Fatalf("%s at %v: not JSON: %s", code, v, stored)
				}
				en, err := reasons.Evidence(i18n.English, stored, cur)
				if err != nil {
					t.Fatal(err)
				}
				if en != old {
					t.Errorf("%s at %v (%s): %q, before %q (stored %s)", code, v, cur.Code, en, old, stored)
				}
				for _, loc := range []i18n.Locale{i18n.Bulgarian, i18n.Russian} {
					s, err := reasons.Evidence(loc, stored, cur)
					if err != nil {
						t.Fatal(err)
					}
					checkLocalEvidence(t, loc, s, en)
				}
				cases++
			}
		}
	}
	t.Logf("%d cases", cases)
	// nothing raises the chance: no evidence
	if s := l.Evidence(make([]float64, len(l.Codes)), make([]float64, len(l.Codes)), 3); string(s) != "[]" {
		t.Errorf("no evidence stored as %s", s)
	} else if en, _ := reasons.Evidence(i18n.English, s, currencies[0]); en != "" {
		t.Errorf("no evidence reads %q", en)
	}
}

var (
	latinWord = regexp.MustCompile(`[A-Za-z]{2,}`)
	figure    = regexp.MustCompile(`\d[\d,.]*`)
)

// checkLocalEvidence: s, the evidence in loc, has no English word but the
// products' names and currency codes, and each of en's figures in the
// locale's format, in the same order.
func checkLocalEvidence(t *testing.T, loc i18n.Locale, s, en string) {
	t.Helper()
	rest := strings.NewReplacer("Acquiring", "", `FX "Spot", desk`, "", "EUR", "", "RSD", "").Replace(s)
	if w := latinWord.FindString(rest); w != "" {
		t.Errorf("%s: English word %q left in %q", loc, w, s)
	}
	var want []string
	for _, f := range figure.FindAllString(strings.NewReplacer("FX \"Spot\", desk", "").Replace(en), -1) {
		f = strings.TrimRight(f, ",.")
		want = append(want, strings.NewReplacer(",", "", ".", ",").Replace(f))
	}
	var got []string
	for _, f := range regexp.MustCompile(`\d[\d\x{00a0},]*`).FindAllString(s, -1) {
		got = append(got, strings.TrimRight(strings.ReplaceAll(f, "\u00a0", ""), ","))
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("%s: figures %v, English %v: %q / %q", loc, got, want, s, en)
	}
}

// BenchmarkEvidence compares what the run does per kept offer: the words
// before migration 00025 (old) and the JSON array now (data).
func BenchmarkEvidence(b *testing.B) {
	l := NewLayout([]Product{{ID: 1, Code: "ACQ", Name: "Acquiring"}, {ID: 2, Code: "FX", Name: "FX"}})
	x := make([]float64, len(l.Codes))
	contribs := make([]float64, len(l.Codes))
	for k := range x {
		x[k], contribs[k] = float64(k)*1234.5, 0.06*float64(k%5)
	}
	eur := func(minor int64) string { return money.Whole(minor, "EUR", 2) }
	b.Run("old", func(b *testing.B) {
		for range b.N {
			_ = oldEvidence(l, x, contribs, 3, eur)
		}
	})
	b.Run("data", func(b *testing.B) {
		for range b.N {
			_ = l.Evidence(x, contribs, 3)
		}
	})
}
