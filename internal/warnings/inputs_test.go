package warnings_test

import (
	"math"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/relaycrm/relay/internal/i18n"
	"github.com/relaycrm/relay/internal/warnings"
)

var digitRuns = regexp.MustCompile(`[0-9]+`)

// TestInputsInEveryLanguage: every input of the registry is named in
// Bulgarian and Russian from the message files (English word for word its
// Label), and its figures read with the same digits in each language.
func TestInputsInEveryLanguage(t *testing.T) {
	for _, in := range warnings.Inputs {
		if got := in.LabelIn(i18n.English); got != in.Label {
			t.Errorf("%s in English is %q, the registry says %q", in.Code, got, in.Label)
		}
		for _, l := range []i18n.Locale{i18n.Bulgarian, i18n.Russian} {
			got := in.LabelIn(l)
			if got == in.Label || got == "inputs."+in.Code || !strings.ContainsAny(got, "абвгдежзиклмнопрстуфхцчшщъьюя") {
				t.Errorf("%s in %s reads %q", in.Code, l, got)
			}
		}
		for _, v := range []float64{0, 1, 2.5, 3, 12, 1234.56, 0.375, math.NaN()} {
			en := in.Format(v, "EUR", 2)
			for _, l := range []i18n.Locale{i18n.Bulgarian, i18n.Russian} {
				got := in.FormatIn(l, v, "EUR", 2)
				if !slices.Equal(digitRuns.FindAllString(strings.ReplaceAll(strings.ReplaceAll(en, ",", ""), ".", " "), -1),
					digitRuns.FindAllString(strings.ReplaceAll(strings.ReplaceAll(got, "\u00a0", ""), ",", " "), -1)) {
					t.Errorf("%s at %v: %s %q, English %q", in.Code, v, l, got, en)
				}
				if got == en && strings.ContainsAny(en, "abcdefghijklmnopqrstuvwxyz") {
					t.Errorf("%s at %v in %s is the English %q", in.Code, v, l, en)
				}
			}
		}
	}
	for _, m := range i18n.Missing() {
		if strings.Contains(m, ":inputs.") {
			t.Errorf("message missing: %s", m)
		}
	}
	// English reads as it always has
	for _, c := range []struct {
		unit warnings.Unit
		v    float64
		want string
	}{
		{warnings.Strength, 0.375, "38%"}, {warnings.Money, 123456, "1,234.56 EUR"}, {warnings.Ratio, 1.5, "×1.50"},
		{warnings.Months, 1, "1 months"}, {warnings.Months, 2.5, "2.5 months"}, {warnings.Days, 91, "91 days"},
		{warnings.Count, 3, "3"}, {warnings.Count, math.NaN(), "no figure"},
	} {
		in := warnings.Input{Code: "x", Label: "x", Unit: c.unit}
		if got := in.Format(c.v, "EUR", 2); got != c.want {
			t.Errorf("%s %v reads %q, want %q", c.unit, c.v, got, c.want)
		}
	}
	if got := (warnings.Input{Unit: warnings.Days}).FormatIn(i18n.Russian, 22, "EUR", 2); got != "22 дня" {
		t.Errorf("22 days in Russian: %q", got)
	}
}
