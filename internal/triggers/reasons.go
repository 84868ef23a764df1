package triggers

import (
	"context"
	"strings"

	"github.com/relaycrm/relay/internal/i18n"
	"github.com/relaycrm/relay/internal/input"
)

// Reasons a manager gives when a trigger is lost or dismissed, as the form
// offers them. Keeping them to a list lets the branch and the bank count why
// offers fail. The English text is what the form sends and the trigger
// stores; ReasonText shows it in the viewer's language.
var (
	LostReasons = []string{
		"Price or fees too high",
		"Went with another bank",
		"No need at the moment",
		"Bad timing for the client",
		"Client did not qualify",
		"Other",
	}
	DismissReasons = []string{
		"Not relevant for this client",
		"Already has it with another bank",
		"Client is leaving the bank",
		"Contact plan: client contacted too often",
		"Other",
	}
)

// reasonKeys are the message ids of the reasons, by status and stored text.
var reasonKeys = map[Status]map[string]string{
	Lost: {
		"Price or fees too high":    "triggers.lost.price",
		"Went with another bank":    "triggers.lost.other_bank",
		"No need at the moment":     "triggers.lost.no_need",
		"Bad timing for the client": "triggers.lost.timing",
		"Client did not qualify":    "triggers.lost.not_qualified",
		"Other":                     "triggers.lost.other_reason",
	},
	Dismissed: {
		"Not relevant for this client":             "triggers.dismissed.not_relevant",
		"Already has it with another bank":         "triggers.dismissed.has_elsewhere",
		"Client is leaving the bank":               "triggers.dismissed.leaving",
		"Contact plan: client contacted too often": "triggers.dismissed.contact_plan",
		"Other": "triggers.dismissed.other_reason",
	},
}

// ReasonLabel is the form's reason r for moving to s in ctx's language; a
// text that is not one of the list is shown as it is.
func ReasonLabel(ctx context.Context, s Status, r string) string {
	if id, ok := reasonKeys[s][r]; ok {
		return i18n.T(ctx, id)
	}
	return r
}

// ReasonText is a stored status reason of a trigger in s ("Went with another
// bank: chose their payroll offer") in ctx's language: the reason from the
// list is translated, the manager's note after it is kept as written.
func ReasonText(ctx context.Context, s Status, stored string) string {
	for r, id := range reasonKeys[s] {
		if stored == r {
			return i18n.T(ctx, id)
		}
		if rest, ok := strings.CutPrefix(stored, r+": "); ok {
			return i18n.T(ctx, id) + ": " + rest
		}
	}
	return stored
}

// ReasonsFor lists the reasons to choose from when moving a trigger to s.
func ReasonsFor(s Status) []string {
	switch s {
	case Lost:
		return LostReasons
	case Dismissed:
		return DismissReasons
	}
	return nil
}

// ComposeReason is ComposeReasonIn with its messages in English, for the
// API and the command line.
func ComposeReason(to Status, choice, note string) (string, error) {
	return ComposeReasonIn(context.Background(), to, choice, note)
}

// ComposeReasonIn checks that choice is one of the reasons for moving to s
// and joins it with the optional note: "Other" needs a note that says what.
// Its messages are in ctx's language.
func ComposeReasonIn(ctx context.Context, to Status, choice, note string) (string, error) {
	note = strings.TrimSpace(note)
	list := ReasonsFor(to)
	if list == nil {
		return note, nil
	}
	for _, r := range list {
		if r != choice {
			continue
		}
		if r == "Other" && note == "" {
			return "", input.Errors{"reason": i18n.T(ctx, "triggers.error.reason_note", "Status", lower(ctx, to))}
		}
		if note == "" {
			return r, nil
		}
		return r + ": " + note, nil
	}
	if choice == "" {
		return "", input.Errors{"reason": i18n.T(ctx, "triggers.error.reason_choose", "Status", lower(ctx, to))}
	}
	return "", input.Errors{"reason": i18n.T(ctx, "triggers.error.reason_unknown", "Value", choice, "Status", lower(ctx, to))}
}
