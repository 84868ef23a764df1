package reasons

import (
	"fmt"
	"strings"
)

// english is the English catalogue: every key's message.
var english = map[string]func(*args) string{
	// Raised by the ideal-set rule: the segment's best clients hold the
	// product, this client does not.
	"trigger.ideal-set": func(a *args) string {
		var b strings.Builder
		fmt.Fprintf(&b, "%s is held by %s%% of the best clients in %s (%d of %d)", a.Text("product"),
			wholePercent(a.Float("adoption")), a.Text("segment"), a.Int("best_holders"), a.Int("best_clients"))
		if !a.null("own_segment") {
			word := "clients"
			if a.Int("own_best") == 1 {
				word = "client"
			}
			fmt.Fprintf(&b, ", learned there because its own segment, %s, has %d best %s, too few to learn from",
				a.Text("own_segment"), a.Int("own_best"), word)
		}
		fmt.Fprintf(&b, "; this client has none. The segment's clients that hold it bring %s a month (median of "+
			"their average over the last %d months): %s a year. ",
			a.Money("product_value"), a.Int("profit_months"), a.Money("expected_value"))
		fmt.Fprintf(&b, "Priority %s = %s a year × %s%% adoption", a.Money("priority"), a.Money("expected_value"),
			wholePercent(a.Float("adoption")))
		if w := a.Float("income_weight"); w != 1 {
			fmt.Fprintf(&b, " × %s for interest income (fee income counts in full)", number(w))
		}
		if f := a.Float("takeup_factor"); f != 1 {
			taken, triggers := a.Int("takeup_taken"), a.Int("takeup_triggers")
			baseTaken, base := a.Int("base_taken"), a.Int("base_clients")
			fmt.Fprintf(&b, " × %s take-up: %d of %d past triggers for it were taken within %d months (%s%%), "+
				"against %d of %d clients without one (%s%%)", trimmed(f, 2), taken, triggers, a.Int("win_months"),
				ratioPercent(taken, triggers), baseTaken, base, ratioPercent(baseTaken, base))
		}
		b.WriteString(".")
		return b.String()
	},
	// Raised by the bank's take-up model: the client's own chance.
	"trigger.takeup-model": func(a *args) string {
		var b strings.Builder
		chance := fixed(100*a.Float("probability"), 1)
		fmt.Fprintf(&b, "%s: a %s%% chance that this client takes it within %d months (take-up model %d, learned "+
			"from the bank's own history). ", a.Text("product"), chance, a.Int("win_months"), a.Int("model_id"))
		if e := a.Text("evidence"); e != "" {
			fmt.Fprintf(&b, "The client's own evidence: %s. ", e)
		} else {
			b.WriteString("No model of its own for this product: its chance is how often clients took it. ")
		}
		if a.Int("best_holders") > 0 {
			fmt.Fprintf(&b, "Peers: held by %s%% of the best clients in %s (%d of %d). ",
				wholePercent(a.Float("adoption")), a.Text("segment"), a.Int("best_holders"), a.Int("best_clients"))
		}
		fmt.Fprintf(&b, "Clients that hold it bring %s a month: %s a year. ", a.Money("product_value"),
			a.Money("expected_value"))
		fmt.Fprintf(&b, "Priority %s = %s a year × %s%% chance", a.Money("priority"), a.Money("expected_value"), chance)
		if w := a.Float("income_weight"); w != 1 {
			fmt.Fprintf(&b, " × %s for interest income (fee income counts in full)", number(w))
		}
		b.WriteString(".")
		return b.String()
	},
	"trigger.expired.inactive":        expired("The client is no longer active"),
	"trigger.expired.held":            expired("The client holds the product"),
	"trigger.expired.family-left-out": expired("The product's family is left out of triggers"),
	"trigger.expired.model-ranks":     expired("The bank's offers are now ranked by its take-up model"),
	"trigger.expired.rule-ranks":      expired("The bank's offers are ranked by the ideal-set rule again"),
	"trigger.expired.not-ideal":       expired("The product is no longer in the ideal set of the client's segment"),
}

// expired is the message of an expiry: why, and the month of the data.
func expired(why string) func(*args) string {
	return func(a *args) string {
		return fmt.Sprintf("%s (as of %s).", why, a.Date("as_of").Format("2006-01"))
	}
}
