package pages

import (
	"context"
	"strconv"
	"strings"

	"github.com/a-h/templ"

	"github.com/relaycrm/relay/internal/i18n"
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
func managesText(ctx context.Context, all, active int) string {
	left := all - active
	if left > 0 {
		return i18n.Plural(ctx, "users.manages.left", int64(left),
			"Active", i18n.Plural(ctx, "users.manages.active", int64(active)))
	}
	return i18n.Plural(ctx, "users.manages.only", int64(active))
}

// settingID is the element id of a setting's row.
func settingID(key string) string { return "setting-" + strings.ReplaceAll(key, ".", "-") }

// displayValue shows an empty value as such.
func displayValue(ctx context.Context, v string) string {
	if v == "" {
		return i18n.T(ctx, "settings.empty")
	}
	return v
}

// settingHint says what a setting accepts.
func settingHint(ctx context.Context, s SettingItem) string {
	bounds := ""
	switch {
	case s.Min != "" && s.Max != "":
		bounds = i18n.T(ctx, "settings.hint.between", "Min", s.Min, "Max", s.Max)
	case s.Min != "":
		bounds = i18n.T(ctx, "settings.hint.atleast", "Min", s.Min)
	case s.Max != "":
		bounds = i18n.T(ctx, "settings.hint.atmost", "Max", s.Max)
	}
	switch s.Kind {
	case "int":
		return i18n.T(ctx, "settings.hint.int", "Bounds", bounds)
	case "ratio":
		// a share lies between 0 and 1; other ratios (weights) are plain numbers
		lo, errLo := strconv.ParseFloat(s.Min, 64)
		hi, errHi := strconv.ParseFloat(s.Max, 64)
		if errLo == nil && errHi == nil && lo >= 0 && hi <= 1 {
			return i18n.T(ctx, "settings.hint.share", "Bounds", bounds)
		}
		return i18n.T(ctx, "settings.hint.number", "Bounds", bounds)
	case "cron":
		return i18n.T(ctx, "settings.hint.cron")
	case "path":
		return i18n.T(ctx, "settings.hint.path")
	case "families":
		return i18n.T(ctx, "settings.hint.families")
	}
	return ""
}
