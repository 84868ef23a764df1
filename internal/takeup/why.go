package takeup

import (
	"strconv"

	"github.com/relaycrm/relay/internal/i18n"
)

// A take-up card's verdicts (a bank's, a product's) are kept as a key and
// figures (WhyKey, WhyArgs) beside their English words (Why, which the
// command line prints), and written in the reader's language on read
// (WhyIn, takeup.why.*). A card fitted before has only its words.
const (
	whyNothingLearned = "nothing_learned" // no product had takers enough: the rule stays
	whyNoCandidates   = "no_candidates"   // no candidate of the bank in the test months
	whyBeats          = "beats"           // beats the rule on the bank's test months
	whyNotBeats       = "not_beats"       // does not
	whyFewGroup       = "few_group"       // too few takers: judged on the group's test
	whyFew            = "few"             // too few takers to judge
	whyAllHold        = "all_hold"        // a product every client holds
	whyPopularity     = "popularity"      // a product that keeps its popularity (Error: why, in English)
	whyLearned        = "learned"         // a product learned from its takers
)

// WhyArgs are the figures of a take-up verdict.
type WhyArgs struct {
	Takers int    `json:"takers,omitempty"`
	Error  string `json:"error,omitempty"` // the fit's own words, in English
}

// whyIn writes a verdict's key and figures in locale l; words when there is
// no key.
func whyIn(l i18n.Locale, key string, a *WhyArgs, words string) string {
	if key == "" || a == nil {
		return words
	}
	id := "takeup.why." + key
	switch key {
	case whyFewGroup, whyFew:
		n := strconv.Itoa(a.Takers)
		if l != i18n.English {
			n = l.Int(int64(a.Takers))
		}
		return l.Plural(id, int64(a.Takers), "Takers", n)
	case whyPopularity:
		return l.T(id, "Error", a.Error)
	}
	return l.T(id)
}

// WhyIn is the bank's verdict in locale l.
func (r BankResult) WhyIn(l i18n.Locale) string { return whyIn(l, r.WhyKey, r.WhyArgs, r.Why) }

// WhyIn is why the product is learned or keeps its popularity, in locale l.
func (p ProductCard) WhyIn(l i18n.Locale) string { return whyIn(l, p.WhyKey, p.WhyArgs, p.Why) }

func (r *BankResult) setWhy(key string, a WhyArgs) {
	r.WhyKey, r.WhyArgs = key, &a
	r.Why = r.WhyIn(i18n.English)
}

func (p *ProductCard) setWhy(key string, a WhyArgs) {
	p.WhyKey, p.WhyArgs = key, &a
	p.Why = p.WhyIn(i18n.English)
}
