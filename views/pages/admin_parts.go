package pages

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/a-h/templ"
)

// invalidAttrs ties a control to its error message for screen readers.
func invalidAttrs(id string, errs map[string]string) templ.Attributes {
	if errs[id] == "" {
		return templ.Attributes{}
	}
	return templ.Attributes{"aria-invalid": "true", "aria-describedby": id + "-error"}
}

// firstError is the first of fields, in form order, that has an error: the
// control that takes the focus when the form comes back.
func firstError(errs map[string]string, fields ...string) string {
	for _, f := range fields {
		if errs[f] != "" {
			return f
		}
	}
	return ""
}

// managesText says how many clients a manager has.
func managesText(all, active int) string {
	s := fmt.Sprintf("Manages %d active %s", active, clientsWord(active))
	switch left := all - active; {
	case left == 1:
		s += " and 1 that has left"
	case left > 1:
		s += fmt.Sprintf(" and %d that have left", left)
	}
	return s + "."
}

func clientsWord(n int) string {
	if n == 1 {
		return "client"
	}
	return "clients"
}

// settingID is the element id of a setting's row.
func settingID(key string) string { return "setting-" + strings.ReplaceAll(key, ".", "-") }

// displayValue shows an empty value as such.
func displayValue(v string) string {
	if v == "" {
		return "(empty)"
	}
	return v
}

// settingHint says what a setting accepts.
func settingHint(s SettingItem) string {
	bounds := ""
	switch {
	case s.Min != "" && s.Max != "":
		bounds = " from " + s.Min + " to " + s.Max
	case s.Min != "":
		bounds = ", at least " + s.Min
	case s.Max != "":
		bounds = ", at most " + s.Max
	}
	switch s.Kind {
	case "int":
		return "a whole number" + bounds
	case "ratio":
		// a share lies between 0 and 1; other ratios (weights) are plain numbers
		lo, errLo := strconv.ParseFloat(s.Min, 64)
		hi, errHi := strconv.ParseFloat(s.Max, 64)
		if errLo == nil && errHi == nil && lo >= 0 && hi <= 1 {
			return "a share" + bounds + "; a percentage such as 30% works too"
		}
		return "a number" + bounds
	case "cron":
		return "minute hour day month weekday, e.g. 0 2 * * * for 02:00 daily"
	case "path":
		return "a directory on the server; leave it empty for none"
	case "families":
		return "product families, comma-separated (" + strings.Join(s.Choices, ", ") + "); empty for none"
	}
	return ""
}
