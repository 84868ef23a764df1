package churn

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/relaycrm/relay/internal/i18n"
)

// TestVerdictWordForWord: a verdict's why, kept as a key and figures, reads
// in English word for word as the words the fit stored before (the old
// fmt.Sprintf calls, kept here), survives the card's JSON, and reads in
// Bulgarian and Russian with the same figures in the locale's format and no
// English word.
func TestVerdictWordForWord(t *testing.T) {
	months := []time.Time{time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)}
	one := months[:1]
	withFigs := func(ms []time.Time, leavers int, mauc, fauc, mlift, flift float64) WhyArgs {
		a := spanArgs(ms)
		a.Leavers, a.ModelAUC, a.FixedAUC, a.ModelLift, a.FixedLift = leavers, mauc, fauc, mlift, flift
		return a
	}
	cases := []struct {
		key  string
		args WhyArgs
		old  string
	}{
		{whyNoClients, WhyArgs{}, "no client of this bank in the test months"},
		{whyBeats, WhyArgs{}, "beats the fixed weights on this bank's test months"},
		{whyNotBeats, WhyArgs{}, "does not beat the fixed weights on this bank's test months"},
		{whyFewGroup, WhyArgs{Leavers: 1}, fmt.Sprintf("only %d leavers in this bank's test months: judged on the whole group's test", 1)},
		{whyFewGroup, WhyArgs{Leavers: 7}, fmt.Sprintf("only %d leavers in this bank's test months: judged on the whole group's test", 7)},
		{whyFew, WhyArgs{}, fmt.Sprintf("only %d leavers in the test months: too few to judge", 0)},
		{whyFew, WhyArgs{Leavers: 9}, fmt.Sprintf("only %d leavers in the test months: too few to judge", 9)},
		{whyShort, WhyArgs{}, "the bank's own history is too short to judge it: it scores the bank from the next run"},
		{whyImportFew, withFigs(months, 3, 0, 0, 0, 0), fmt.Sprintf("only %d leavers in the bank's latest months (%s): too few to judge, it scores the bank from the next run", 3, monthRange(months))},
		{whyImportFew, withFigs(one, 1, 0, 0, 0, 0), fmt.Sprintf("only %d leavers in the bank's latest months (%s): too few to judge, it scores the bank from the next run", 1, monthRange(one))},
		{whyImportLose, withFigs(months, 40, 0.6125, 0.71249, 1.005, 2.3), fmt.Sprintf("loses to the fixed weights on the bank's latest months (%s): AUC %.3f against %.3f, top-10%% lift %.2f against %.2f; the fixed weights stay",
			monthRange(months), 0.6125, 0.71249, 1.005, 2.3)},
		{whyImportHold, withFigs(one, 40, 0.8, 0.7999, 3, 2.999), fmt.Sprintf("holds up on the bank's latest months (%s): AUC %.3f against %.3f, top-10%% lift %.2f against %.2f",
			monthRange(one), 0.8, 0.7999, 3.0, 2.999)},
	}
	latin := regexp.MustCompile(`[A-Za-z]{2,}`)
	for _, c := range cases {
		var v BankVerdict
		v.setWhy(c.key, c.args)
		if v.Why != c.old {
			t.Errorf("%s: %q, before %q", c.key, v.Why, c.old)
		}
		// as the card stores it and the models page reads it back
		buf, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var back BankVerdict
		if err := json.Unmarshal(buf, &back); err != nil {
			t.Fatal(err)
		}
		if got := back.WhyIn(i18n.English); got != c.old {
			t.Errorf("%s read back: %q, before %q", c.key, got, c.old)
		}
		for _, l := range []i18n.Locale{i18n.Bulgarian, i18n.Russian} {
			s := back.WhyIn(l)
			if w := latin.FindString(strings.ReplaceAll(s, "AUC", "")); w != "" {
				t.Errorf("%s in %s: English word %q in %q", c.key, l, w, s)
			}
			for _, f := range regexp.MustCompile(`\d+\.\d+`).FindAllString(c.old, -1) {
				if !strings.Contains(s, strings.ReplaceAll(f, ".", ",")) {
					t.Errorf("%s in %s: %q lacks %s", c.key, l, s, f)
				}
			}
		}
	}
	// a card stored before keys reads as its words
	if got := (BankVerdict{Why: "old words"}).WhyIn(i18n.Bulgarian); got != "old words" {
		t.Errorf("a verdict with no key reads %q", got)
	}
}
