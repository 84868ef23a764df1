package exports_test

import (
	"strings"
	"testing"

	"github.com/relaycrm/relay/internal/exports"
	"github.com/relaycrm/relay/internal/i18n"
	"github.com/relaycrm/relay/internal/warnings"
)

// TestChurnHeaderInEachLanguage: English keeps the column codes scripts read;
// Bulgarian and Russian name every column, none left as a message id or in
// English, each name once, with the same number of columns.
func TestChurnHeaderInEachLanguage(t *testing.T) {
	en := exports.ChurnHeaderIn(i18n.English)
	if strings.Join(en, ",") != strings.Join(exports.ChurnHeader, ",") {
		t.Fatal("ChurnHeader is not the English header")
	}
	for i, want := range map[int]string{0: "client_id", 1: "client_ref", 19: "turnover_fired", 20: "turnover_fall",
		len(en) - 1: warnings.Inputs[len(warnings.Inputs)-1].Code + "_contribution"} {
		if en[i] != want {
			t.Errorf("English column %d = %q, want %q", i, en[i], want)
		}
	}
	for _, l := range []i18n.Locale{i18n.Bulgarian, i18n.Russian} {
		h := exports.ChurnHeaderIn(l)
		if len(h) != len(en) {
			t.Fatalf("%s: %d columns, English %d", l, len(h), len(en))
		}
		seen := map[string]bool{}
		for i, name := range h {
			if strings.HasPrefix(name, "exports.") || name == en[i] || seen[name] {
				t.Errorf("%s column %d (%s) is %q", l, i, en[i], name)
			}
			seen[name] = true
		}
	}
	if want := "Оборот: спад (0–1)"; exports.ChurnHeaderIn(i18n.Bulgarian)[20] != want {
		t.Errorf("Bulgarian turnover_fall = %q, want %q", exports.ChurnHeaderIn(i18n.Bulgarian)[20], want)
	}
}
