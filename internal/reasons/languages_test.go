package reasons_test

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/relaycrm/relay/internal/i18n"
	"github.com/relaycrm/relay/internal/reasons"
)

// everyKey has figures for every message key, and for each branch of a
// message (a segment learned elsewhere, a take-up factor, a weight, evidence
// or none, one day or many, a key product, a later closure).
var everyKey = []struct{ key, args string }{
	{"trigger.ideal-set", `{"product": "Acquiring", "segment": "Bank North / Varna", "adoption": 0.125, "best_holders": 1, "best_clients": 8, "own_segment": null, "own_best": 3, "product_value": 12345, "profit_months": 12, "expected_value": 148140, "priority": 18518, "income_weight": 1, "takeup_factor": 1, "win_months": 6, "takeup_triggers": null, "takeup_taken": null, "base_clients": null, "base_taken": null}`},
	{"trigger.ideal-set", `{"product": "FX", "segment": "Group (EUR) / Retail", "adoption": 0.375, "best_holders": 3, "best_clients": 8, "own_segment": "Bank North / R1 / Retail", "own_best": 1, "product_value": 123456789, "profit_months": 9, "expected_value": 1481481468, "priority": 555555551, "income_weight": 0.5, "takeup_factor": 2.5, "win_months": 6, "takeup_triggers": 1234, "takeup_taken": 617, "base_clients": 16000, "base_taken": 1}`},
	{"trigger.ideal-set", `{"product": "Leasing", "segment": "S", "adoption": 0.625, "best_holders": 5, "best_clients": 8, "own_segment": "Own", "own_best": 22, "product_value": -250, "profit_months": 12, "expected_value": -3000, "priority": -3000, "income_weight": 0.05, "takeup_factor": 0.2, "win_months": 3, "takeup_triggers": 3, "takeup_taken": 1, "base_clients": 8, "base_taken": 1}`},
	{"trigger.takeup-model", `{"product": "ACQ", "probability": 0.12345, "win_months": 6, "model_id": 4242, "evidence": "turnover rose 40% (odds × 1.8)", "segment": "S", "adoption": 0.45, "best_holders": 9, "best_clients": 20, "product_value": 999, "expected_value": 11988, "priority": 1480, "income_weight": 0.5}`},
	{"trigger.takeup-model", `{"product": "FX", "probability": 0.00049, "win_months": 1, "model_id": 7, "evidence": "", "segment": "S", "adoption": 0, "best_holders": 0, "best_clients": 20, "product_value": 50, "expected_value": 600, "priority": 0, "income_weight": 1}`},
	{"trigger.demo-history", `{"product": "Acquiring", "adoption": 0.625, "segment": "Bank North / Varna"}`},
	{"trigger.expired.inactive", `{"as_of": "2026-10-01"}`},
	{"trigger.expired.held", `{"as_of": "2026-01-01"}`},
	{"trigger.expired.family-left-out", `{"as_of": "2026-02-01"}`},
	{"trigger.expired.model-ranks", `{"as_of": "2026-03-01"}`},
	{"trigger.expired.rule-ranks", `{"as_of": "2026-04-01"}`},
	{"trigger.expired.not-ideal", `{"as_of": "2025-12-01"}`},
	{"signal.turnover", `{"recent_months": 3, "recent": 1234567, "base_months": 9, "base": 2000000, "fall": 0.3827}`},
	{"signal.turnover", `{"recent_months": 3, "recent": 100, "base_months": 9, "base": 100, "fall": -0.5}`},
	{"signal.turnover.unknown", `{}`},
	{"signal.balance", `{"recent_months": 1, "recent": 5, "base_months": 1, "base": 1, "fall": 0.125}`},
	{"signal.balance.unknown", `{}`},
	{"signal.transactions", `{"recent_months": 3, "recent": 1234.25, "base_months": 9, "base": 0.05, "fall": 0.135}`},
	{"signal.transactions.unknown", `{}`},
	{"signal.product-closed.none", `{"days": 180}`},
	{"signal.product-closed", `{"product": "Payroll", "key_product": true, "days": 1, "closed_on": "2026-09-30", "latest_days": 1}`},
	{"signal.product-closed", `{"product": "FX", "key_product": false, "days": 122, "closed_on": "2026-06-03", "latest_days": 21}`},
	{"signal.income-falling", `{"months": 1, "from": 100050, "to": 99950, "fall": 0.000999}`},
	{"signal.income-falling", `{"months": 3, "from": 5000000, "to": 1, "fall": 0.9999998}`},
	{"signal.income-falling.none", `{}`},
	{"signal.lifetime", `{"tenure": 25, "typical": 12.25, "leavers": 1234, "where": "Bank North / Varna / Retail"}`},
	{"signal.lifetime.unknown", `{}`},
	{"signal.no-contact.never", `{"days": 1}`},
	{"signal.no-contact", `{"days": 3652, "last": "2016-10-01"}`},
	{"signal.no-contact", `{"days": 95, "last": "2026-07-03"}`},
}

var (
	digitRuns = regexp.MustCompile(`[0-9]+`)
	// grouping: a comma (English) or a no-break space between digits
	grouping = regexp.MustCompile(`([0-9])[,\x{00a0}]([0-9]{3})`)
	latin    = regexp.MustCompile(`[A-Za-z]{3,}`)
	// a hyphen before a figure, where the locale writes a minus sign
	hyphenMinus = regexp.MustCompile(`(^|[^0-9])-[0-9]`)
)

// digits are the runs of digits of s once thousands are ungrouped: the
// figures, whatever the separators and the order of a date's parts.
func digits(s string) []string {
	for grouping.MatchString(s) {
		s = grouping.ReplaceAllString(s, "$1$2")
	}
	out := digitRuns.FindAllString(s, -1)
	slices.Sort(out)
	return out
}

// TestEveryKeyInEveryLanguage: every key renders in Bulgarian and Russian
// from its message files (no id missing, no English word left but the names
// the figures carry), with the same figures as English written the locale's
// way.
func TestEveryKeyInEveryLanguage(t *testing.T) {
	cur := reasons.Currency{Code: "EUR", MinorDigits: 2}
	keys := map[string]bool{}
	for _, c := range everyKey {
		keys[c.key] = true
		var names map[string]any
		if err := json.Unmarshal([]byte(c.args), &names); err != nil {
			t.Fatal(err)
		}
		// the Latin words the figures themselves carry: names, the evidence
		allowed := map[string]bool{"EUR": true}
		for _, v := range names {
			if s, ok := v.(string); ok {
				for _, w := range latin.FindAllString(s, -1) {
					allowed[w] = true
				}
			}
		}
		en, err := reasons.Text(i18n.English, reasons.Reason{Key: c.key, Args: []byte(c.args)}, cur)
		if err != nil {
			t.Fatalf("%s in English: %v", c.key, err)
		}
		for _, l := range []i18n.Locale{i18n.Bulgarian, i18n.Russian} {
			got, err := reasons.Text(l, reasons.Reason{Key: c.key, Args: []byte(c.args)}, cur)
			if err != nil {
				t.Errorf("%s in %s: %v", c.key, l, err)
				continue
			}
			if got == en {
				t.Errorf("%s in %s is the English: %q", c.key, l, got)
			}
			for _, w := range latin.FindAllString(got, -1) {
				if !allowed[w] {
					t.Errorf("%s in %s leaves the English word %q: %q", c.key, l, w, got)
				}
			}
			want := digits(en)
			if strings.HasPrefix(c.key, "trigger.expired.") {
				// the month reads "2026-10" in English, "окт 2026" here
				asOf, _ := time.Parse(time.DateOnly, names["as_of"].(string))
				want = digits(asOf.Format("2006"))
				if !strings.Contains(got, l.Month(asOf)) {
					t.Errorf("%s in %s lacks the month %q: %q", c.key, l, l.Month(asOf), got)
				}
			}
			if have := digits(got); !slices.Equal(have, want) {
				t.Errorf("%s in %s: figures %v, English has %v:\n%s\n%s", c.key, l, have, want, got, en)
			}
			if hyphenMinus.MatchString(got) && !hyphenMinus.MatchString(c.args) {
				t.Errorf("%s in %s writes a hyphen for a minus: %q", c.key, l, got)
			}
		}
	}
	for _, m := range i18n.Missing() {
		if strings.Contains(m, ":reasons.") || strings.Contains(m, ":signals.") {
			t.Errorf("message missing: %s", m)
		}
	}
	for _, k := range append(reasons.Keys(), "") {
		if k != "" && !keys[k] {
			t.Errorf("key %s has no case here", k)
		}
	}
}

// TestSignalReadsOldRows: a warning written before migration 00024 keeps its
// sentence as {"text": ...}, shown as it is in every language.
func TestSignalReadsOldRows(t *testing.T) {
	cur := reasons.Currency{Code: "EUR", MinorDigits: 2}
	old := "turnover: too few months to compare"
	for _, l := range i18n.Locales {
		if s, err := reasons.Signal(l, []byte(`{"text": "`+old+`"}`), cur); err != nil || s != old {
			t.Errorf("%s: an old row reads %q, %v", l, s, err)
		}
	}
	if s, err := reasons.Signal(i18n.Russian, []byte(`{"key": "signal.no-contact", "days": 2, "last": "2026-10-03"}`), cur); err != nil ||
		s != "последний контакт 2 дня назад, 03.10.2026" {
		t.Errorf("a signal in Russian reads %q, %v", s, err)
	}
	if s, err := reasons.Signal(i18n.Bulgarian, []byte(`{"key": "signal.income-falling", "months": 1, "from": 100000, "to": 90000, "fall": 0.1}`), cur); err != nil ||
		s != "приходът намалява 1 месец подред: от 1\u00a0000 EUR на 900 EUR на месец (−10\u00a0%)" {
		t.Errorf("a signal in Bulgarian reads %q, %v", s, err)
	}
	if _, err := reasons.Signal(i18n.English, []byte(`{"key": "signal.no-contact"}`), cur); err == nil ||
		!strings.Contains(err.Error(), `"days"`) {
		t.Errorf("a missing figure: %v", err)
	}
}

// TestSignalCarriesNothingOver: Signal decodes each signal's figures into a
// map it uses again; a figure of one signal never reaches the next, whether
// the figures before were read by decodeFlat or by encoding/json (an
// escape), or failed, and from several goroutines at once.
func TestSignalCarriesNothingOver(t *testing.T) {
	cur := reasons.Currency{Code: "EUR", MinorDigits: 2}
	full := []byte(`{"key": "signal.no-contact", "days": 2, "last": "2026-10-03"}`)
	escaped := []byte(`{"key": "signal.no-contact", "days": 2, "last": "2026-10-03", "note": "a \"quoted\" word"}`)
	missing := []byte(`{"key": "signal.no-contact"}`)
	want, err := reasons.Signal(i18n.English, full, cur)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	for range 4 {
		go func() {
			for range 200 {
				for _, f := range [][]byte{full, missing, escaped, missing, []byte(`{"key": 1}`), missing} {
					s, err := reasons.Signal(i18n.English, f, cur)
					switch {
					case string(f) == string(missing) && (err == nil || !strings.Contains(err.Error(), `"days"`)):
						done <- fmt.Errorf("figures without days after others read %q, %v", s, err)
						return
					case string(f) != string(missing) && f[len(f)-2] != '1' && (err != nil || s != want):
						done <- fmt.Errorf("%s read %q, %v; want %q", f, s, err, want)
						return
					}
				}
			}
			done <- nil
		}()
	}
	for range 4 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}
