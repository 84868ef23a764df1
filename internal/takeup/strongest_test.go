package takeup_test

import (
	"testing"

	"github.com/relaycrm/relay/internal/i18n"
	"github.com/relaycrm/relay/internal/takeup"
)

// A card's strongest inputs are said in the reader's language from the codes
// it keeps; an older card that kept only codes is named too, and one that kept
// words says them as they are.
func TestStrongestInEachLanguage(t *testing.T) {
	kept := takeup.ProductCard{Strongest: []string{"holds Payroll", "tenure"},
		StrongestInputs: []takeup.InputRef{{Input: "holds:PAYROLL", Product: "Payroll"}, {Input: takeup.InTenure}}}
	codes := takeup.ProductCard{Strongest: []string{takeup.InTenure, "holds:PAYROLL"}}
	words := takeup.ProductCard{Strongest: []string{"tenure", "holds Payroll"}}
	for _, c := range []struct {
		name string
		card takeup.ProductCard
		l    i18n.Locale
		want string
	}{
		{"kept, English", kept, i18n.English, "holds Payroll, tenure"},
		{"kept, Bulgarian", kept, i18n.Bulgarian, "има Payroll, време като клиент"},
		{"kept, Russian", kept, i18n.Russian, "имеет Payroll, срок обслуживания"},
		{"codes, English", codes, i18n.English, "tenure, holds PAYROLL"},
		{"codes, Bulgarian", codes, i18n.Bulgarian, "време като клиент, има PAYROLL"},
		{"words, Bulgarian", words, i18n.Bulgarian, "tenure, holds Payroll"},
	} {
		if got := c.card.StrongestIn(c.l); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}
