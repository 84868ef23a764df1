package reasons_test

import (
	"strings"
	"testing"

	"github.com/relaycrm/relay/internal/reasons"
)

// TestReasonsSayWhatIsWrong: an unknown key or a missing figure is an error
// naming it, never a sentence with a hole.
func TestReasonsSayWhatIsWrong(t *testing.T) {
	cur := reasons.Currency{Code: "EUR", MinorDigits: 2}
	if _, err := reasons.Text("en", reasons.Reason{Key: "trigger.nonsense"}, cur); err == nil {
		t.Error("an unknown key rendered")
	}
	_, err := reasons.Text("en", reasons.Reason{Key: "trigger.expired.held", Args: []byte(`{}`)}, cur)
	if err == nil || !strings.Contains(err.Error(), `"as_of"`) {
		t.Errorf("a missing figure: %v", err)
	}
	old := "Sentence written before migration 00014."
	if s, err := reasons.Stored("en", old, nil, nil, cur); err != nil || s != old {
		t.Errorf("a stored sentence reads back as %q, %v", s, err)
	}
}
