package takeup

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/relaycrm/relay/internal/i18n"
)

// TestWhyWordForWord: a take-up card's verdicts, kept as a key and figures,
// read in English word for word as the words the fit stored before (kept
// here), through the card's JSON; in Bulgarian and Russian with no English
// word but the fit's own error, which stays English.
func TestWhyWordForWord(t *testing.T) {
	cases := []struct {
		key  string
		args WhyArgs
		old  string
	}{
		{whyNothingLearned, WhyArgs{}, "no product had takers enough to learn from: the ideal-set rule stays"},
		{whyNoCandidates, WhyArgs{}, "no candidate of this bank in the test months"},
		{whyBeats, WhyArgs{}, "beats " + RuleName + " on this bank's test months"},
		{whyNotBeats, WhyArgs{}, "does not beat " + RuleName + " on this bank's test months"},
		{whyFewGroup, WhyArgs{Takers: 1}, fmt.Sprintf("only %d takers in this bank's test months: judged on the whole group's test", 1)},
		{whyFewGroup, WhyArgs{Takers: 5}, fmt.Sprintf("only %d takers in this bank's test months: judged on the whole group's test", 5)},
		{whyFew, WhyArgs{}, fmt.Sprintf("only %d takers in the test months: too few to judge", 0)},
		{whyFew, WhyArgs{Takers: 3}, fmt.Sprintf("only %d takers in the test months: too few to judge", 3)},
		{whyAllHold, WhyArgs{}, "every client holds it: nothing to offer"},
		{whyPopularity, WhyArgs{Error: "only 12 positives"}, "keeps its popularity: " + "only 12 positives"},
		{whyLearned, WhyArgs{}, "learned from its takers"},
	}
	latin := regexp.MustCompile(`[A-Za-z]{2,}`)
	for _, c := range cases {
		var b BankResult
		b.setWhy(c.key, c.args)
		var p ProductCard
		p.setWhy(c.key, c.args)
		if b.Why != c.old || p.Why != c.old {
			t.Errorf("%s: %q / %q, before %q", c.key, b.Why, p.Why, c.old)
		}
		buf, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		var back BankResult
		if err := json.Unmarshal(buf, &back); err != nil {
			t.Fatal(err)
		}
		if got := back.WhyIn(i18n.English); got != c.old {
			t.Errorf("%s read back: %q, before %q", c.key, got, c.old)
		}
		for _, l := range []i18n.Locale{i18n.Bulgarian, i18n.Russian} {
			s := back.WhyIn(l)
			if w := latin.FindString(strings.ReplaceAll(s, c.args.Error, "")); w != "" || s == c.old {
				t.Errorf("%s in %s: English word %q in %q", c.key, l, w, s)
			}
			if c.args.Takers > 0 && !strings.Contains(s, fmt.Sprint(c.args.Takers)) {
				t.Errorf("%s in %s lacks its figure: %q", c.key, l, s)
			}
		}
	}
	if got := (ProductCard{Why: "old words"}).WhyIn(i18n.Russian); got != "old words" {
		t.Errorf("a verdict with no key reads %q", got)
	}
}
