package triggers_test

import (
	"context"
	"testing"

	"github.com/relaycrm/relay/internal/i18n"
	"github.com/relaycrm/relay/internal/input"
	"github.com/relaycrm/relay/internal/triggers"
)

// TestReasonsInEachLanguage: a reason from the list is composed in English,
// whatever the viewer's language, so the bank counts reasons alike; it is
// shown in the viewer's language with the manager's note as written; every
// reason of the lists has its words in each language; the checks speak the
// viewer's language.
func TestReasonsInEachLanguage(t *testing.T) {
	bg := i18n.With(context.Background(), i18n.Bulgarian)
	got, err := triggers.ComposeReasonIn(bg, triggers.Lost, "Went with another bank", " по-добър курс ")
	if err != nil || got != "Went with another bank: по-добър курс" {
		t.Fatalf("composed %q, %v", got, err)
	}
	if s := triggers.ReasonText(bg, triggers.Lost, got); s != "Избра друга банка: по-добър курс" {
		t.Errorf("shown in Bulgarian as %q", s)
	}
	if s := triggers.ReasonText(bg, triggers.Dismissed, "Contact plan: client contacted too often"); s != "План за контакти: клиентът е търсен твърде често" {
		t.Errorf("a reason with a colon of its own shown as %q", s)
	}
	if s := triggers.ReasonText(bg, triggers.Expired, "the client took the product"); s != "the client took the product" {
		t.Errorf("a reason not from the lists is shown as %q", s)
	}
	for _, l := range i18n.Locales {
		ctx := i18n.With(context.Background(), l)
		for _, st := range []triggers.Status{triggers.Lost, triggers.Dismissed} {
			for _, r := range triggers.ReasonsFor(st) {
				if label := triggers.ReasonLabel(ctx, st, r); label == "" || (l == i18n.English) != (label == r) {
					t.Errorf("%s: reason %q for %s is shown as %q", l, r, st, label)
				}
			}
		}
	}

	ru := i18n.With(context.Background(), i18n.Russian)
	for _, tc := range []struct {
		name, choice, note, want string
	}{
		{"no choice", "", "", "выберите, почему возможность «проиграна»"},
		{"other without a note", "Other", "", "укажите в комментарии, почему возможность «проиграна»"},
		{"not on the list", "Moon phase", "", "«Moon phase» нет среди причин для статуса «проиграна»"},
	} {
		_, err := triggers.ComposeReasonIn(ru, triggers.Lost, tc.choice, tc.note)
		fe, ok := err.(input.Errors)
		if !ok || fe["reason"] != tc.want {
			t.Errorf("%s: %v, want reason: %q", tc.name, err, tc.want)
		}
	}
	if _, err := triggers.ComposeReason(triggers.Lost, "", ""); err == nil || err.Error() != "reason: choose why the trigger is lost" {
		t.Errorf("the API's message: %v", err)
	}
	stale := &triggers.StaleError{Shown: triggers.New, Now: triggers.Won}
	if got := stale.Message(bg); got[:len("статус: възможността вече е „спечелена“")] != "статус: възможността вече е „спечелена“" {
		t.Errorf("stale in Bulgarian: %q", got)
	}
	if got := (&triggers.TransitionError{From: triggers.Offered, To: triggers.New}).Message(ru); got !=
		"статус: возможность со статусом «предложена» можно перевести только в статусы выиграна, проиграна, отклонена, но не в «новая»" {
		t.Errorf("transition in Russian: %q", got)
	}
}
