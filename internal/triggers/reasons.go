package triggers

import (
	"fmt"
	"strings"

	"github.com/relaycrm/relay/internal/input"
)

// Reasons a manager gives when a trigger is lost or dismissed, as the form
// offers them. Keeping them to a list lets the branch and the bank count why
// offers fail.
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

// ComposeReason checks that choice is one of the reasons for moving to s and
// joins it with the optional note: "Other" needs a note that says what.
func ComposeReason(to Status, choice, note string) (string, error) {
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
			return "", input.Errors{"reason": "say in the note why the trigger is " + string(to)}
		}
		if note == "" {
			return r, nil
		}
		return r + ": " + note, nil
	}
	if choice == "" {
		return "", input.Errors{"reason": fmt.Sprintf("choose why the trigger is %s", to)}
	}
	return "", input.Errors{"reason": fmt.Sprintf("%q is not one of the reasons for %s", choice, to)}
}
