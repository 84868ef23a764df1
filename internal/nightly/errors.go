package nightly

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/relaycrm/relay/internal/i18n"
)

// A run and each of its steps keep why they failed twice: as an English
// sentence (error), for the command line and the log, and as a message key
// of the area runs with its values (error_key, error_args; migration
// 00026), which the runs page says in the reader's language (ErrorIn). An
// error that has no words of Relay's own (a database's) has no key and is
// shown as stored, as is every row written before the migration.

// SettingProblem is one setting the run reads whose value it cannot use.
type SettingProblem struct {
	Key     string `json:"key"`     // the setting's key
	Problem string `json:"problem"` // novalue, notint or notnumber
	Value   string `json:"value"`   // its value, as JSON
}

// SettingsError is ErrSettings naming every setting at fault.
type SettingsError struct {
	Problems []SettingProblem
}

func (e *SettingsError) Error() string        { return e.In(i18n.English) }
func (e *SettingsError) Is(target error) bool { return target == ErrSettings }

// In says what is wrong in l.
func (e *SettingsError) In(l i18n.Locale) string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = l.T("runs.error.setting."+p.Problem, "Key", p.Key, "Value", p.Value)
	}
	return l.T("runs.error.settings", "Problems", strings.Join(parts, "; "))
}

// settingsError turns the parameter check's refusal (nightly_param_check,
// SQLSTATE 22023) into a *SettingsError, read from the error's detail; any
// other error is returned as it is.
func settingsError(err error) error {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "22023" || !strings.HasPrefix(pe.Message, ErrSettings.Error()) {
		return err
	}
	var se SettingsError
	if json.Unmarshal([]byte(pe.Detail), &se.Problems) != nil || len(se.Problems) == 0 {
		return fmt.Errorf("%w%s", ErrSettings, strings.TrimPrefix(pe.Message, ErrSettings.Error()))
	}
	return &se
}

// errorArgs is what a run or step keeps of err besides its English: the key
// and values of the words it has, or "" and {} when it has none of Relay's.
// step names the step for a run's error ("" for a step's own).
func errorArgs(err error, step string) (string, []byte) {
	var se *SettingsError
	if !errors.As(err, &se) {
		return "", []byte("{}")
	}
	args := map[string]any{"problems": se.Problems}
	if step != "" {
		args["step"] = step
	}
	js, jerr := json.Marshal(args)
	if jerr != nil {
		return "", []byte("{}")
	}
	return "settings", js
}

// ErrorIn is a run's or step's error in l: from its key and values, or stored,
// the English sentence, when it has no key or its values do not read.
func ErrorIn(l i18n.Locale, key string, args []byte, stored string) string {
	switch key {
	case "":
		return stored
	case "interrupted", "interrupted-step":
		return l.T("runs.error." + key)
	case "settings":
		var a struct {
			Step     string           `json:"step"`
			Problems []SettingProblem `json:"problems"`
		}
		if json.Unmarshal(args, &a) != nil || len(a.Problems) == 0 {
			return stored
		}
		msg := (&SettingsError{Problems: a.Problems}).In(l)
		if a.Step != "" {
			msg = l.T("runs.error.step", "Step", l.T("runs.steps."+a.Step), "Error", msg)
		}
		return msg
	}
	return stored
}
