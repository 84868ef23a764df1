package reasons

import (
	"encoding/json"
	"sort"
	"strings"
)

// catalogue is every key's message: a function of the named figures that
// puts the sentence together from the message files (area "reasons" for
// triggers, "signals" for a warning's signals), in the figures' locale.
var catalogue = map[string]func(*args) string{
	// Raised by the ideal-set rule: the segment's best clients hold the
	// product, this client does not.
	"trigger.ideal-set": func(a *args) string {
		var b strings.Builder
		adoption := a.fig(wholePercent(a.Float("adoption")))
		b.WriteString(a.t("reasons.ideal_set.held", "Product", a.Text("product"), "Adoption", adoption,
			"Segment", a.Text("segment"), "Holders", a.Count("best_holders"), "Best", a.Count("best_clients")))
		if !a.null("own_segment") {
			b.WriteString(a.plural("reasons.ideal_set.elsewhere", a.Int("own_best"), "OwnSegment", a.Text("own_segment"),
				"OwnBest", a.Count("own_best")))
		}
		b.WriteString(a.t("reasons.ideal_set.value", "Value", a.Money("product_value"), "Months", a.Count("profit_months"),
			"Year", a.Money("expected_value")))
		b.WriteString(a.t("reasons.ideal_set.priority", "Priority", a.Money("priority"), "Year", a.Money("expected_value"),
			"Adoption", adoption))
		a.weight(&b)
		if f := a.Float("takeup_factor"); f != 1 {
			taken, triggers := a.Int("takeup_taken"), a.Int("takeup_triggers")
			baseTaken, base := a.Int("base_taken"), a.Int("base_clients")
			b.WriteString(a.t("reasons.ideal_set.takeup", "Factor", a.fig(trimmed(f, 2)), "Taken", a.Count("takeup_taken"),
				"Triggers", a.Count("takeup_triggers"), "Months", a.Count("win_months"),
				"TakenShare", a.fig(ratioPercent(taken, triggers)), "BaseTaken", a.Count("base_taken"),
				"Base", a.Count("base_clients"), "BaseShare", a.fig(ratioPercent(baseTaken, base))))
		}
		b.WriteString(a.t("reasons.end"))
		return b.String()
	},
	// Raised by the bank's take-up model: the client's own chance.
	"trigger.takeup-model": func(a *args) string {
		var b strings.Builder
		chance := a.fig(fixed(100*a.Float("probability"), 1))
		b.WriteString(a.t("reasons.takeup_model.chance", "Product", a.Text("product"), "Chance", chance,
			"Months", a.Count("win_months"), "Model", a.ID("model_id")))
		if e := a.evidence("evidence"); e != "" {
			b.WriteString(a.t("reasons.takeup_model.evidence", "Evidence", e))
		} else {
			b.WriteString(a.t("reasons.takeup_model.no_evidence"))
		}
		if a.Int("best_holders") > 0 {
			b.WriteString(a.t("reasons.takeup_model.peers", "Adoption", a.fig(wholePercent(a.Float("adoption"))),
				"Segment", a.Text("segment"), "Holders", a.Count("best_holders"), "Best", a.Count("best_clients")))
		}
		b.WriteString(a.t("reasons.takeup_model.value", "Value", a.Money("product_value"), "Year", a.Money("expected_value")))
		b.WriteString(a.t("reasons.takeup_model.priority", "Priority", a.Money("priority"), "Year", a.Money("expected_value"),
			"Chance", chance))
		a.weight(&b)
		b.WriteString(a.t("reasons.end"))
		return b.String()
	},
	// Written by the demo generator's year of trigger history (seeds/history.sql).
	"trigger.demo-history": func(a *args) string {
		return a.t("reasons.demo_history", "Product", a.Text("product"), "Adoption", a.fig(wholePercent(a.Float("adoption"))),
			"Segment", a.Text("segment"))
	},
	"trigger.expired.inactive":        expired("reasons.expired.inactive"),
	"trigger.expired.held":            expired("reasons.expired.held"),
	"trigger.expired.family-left-out": expired("reasons.expired.family_left_out"),
	"trigger.expired.model-ranks":     expired("reasons.expired.model_ranks"),
	"trigger.expired.rule-ranks":      expired("reasons.expired.rule_ranks"),
	"trigger.expired.not-ideal":       expired("reasons.expired.not_ideal"),
}

// weight writes the weight of interest income in the priority, when it is
// not 1.
func (a *args) weight(b *strings.Builder) {
	if w := a.Float("income_weight"); w != 1 {
		b.WriteString(a.t("reasons.weight", "Weight", a.fig(number(w))))
	}
}

// evidence is the take-up model's evidence among the figures, written in
// the locale (see Evidence): an array of inputs, or the English words a
// trigger raised before migration 00025 keeps.
func (a *args) evidence(name string) string {
	v, ok := a.m[name]
	if !ok {
		a.fail(name, "is missing")
		return ""
	}
	raw, err := json.Marshal(v)
	if err != nil {
		a.fail(name, "is not evidence")
		return ""
	}
	s, err := Evidence(a.l, raw, a.cur)
	if err != nil {
		a.fail(name, "is not evidence")
	}
	return s
}

// expired is the message of an expiry: why, and the month of the data.
func expired(id string) func(*args) string {
	return func(a *args) string { return a.t(id, "Month", a.Month("as_of")) }
}

// Keys lists every message key, sorted.
func Keys() []string {
	keys := make([]string, 0, len(catalogue))
	for k := range catalogue {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
