package web

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/relaycrm/relay/internal/audit"
	"github.com/relaycrm/relay/internal/i18n"
	"github.com/relaycrm/relay/internal/input"
	"github.com/relaycrm/relay/views/components"
	"github.com/relaycrm/relay/views/pages"
)

func (s *server) auditLog(c echo.Context) error {
	ctx := c.Request().Context()
	q := c.QueryParams()
	errs := input.Errors{}
	f := audit.Filter{Action: strings.TrimSpace(q.Get("action")), Login: strings.TrimSpace(q.Get("login")),
		Object: strings.TrimSpace(q.Get("object"))}
	for name, s := range map[string]string{"action": f.Action, "login": f.Login, "object": f.Object} {
		if utf8.RuneCountInString(s) > 200 {
			errs.Add(name, i18n.T(ctx, "audit.problem.long"))
		}
	}
	day := func(name string) time.Time {
		v := strings.TrimSpace(q.Get(name))
		if v == "" {
			return time.Time{}
		}
		d, err := time.ParseInLocation("2006-01-02", v, time.Local)
		if err != nil {
			errs.Add(name, i18n.T(ctx, "audit.problem.date", "Value", v))
		}
		return d
	}
	from, to := day("from"), day("to")
	if !from.IsZero() && !to.IsZero() && to.Before(from) {
		errs.Add("to", i18n.T(ctx, "audit.problem.order"))
	}
	f.From = from
	if !to.IsZero() {
		f.Until = to.AddDate(0, 0, 1) // to the end of that day
	}
	f.Before = int64Query(q, "before", errs)
	f.After = int64Query(q, "after", errs)

	vm := pages.AdminAudit{Action: f.Action, Login: f.Login, Object: f.Object, From: q.Get("from"), To: q.Get("to"),
		Filtered: f.Action != "" || f.Login != "" || f.Object != "" || !from.IsZero() || !to.IsZero(), Errors: errs}
	var summary []string
	for _, k := range []string{"action", "login", "object", "from", "to"} {
		if v := strings.TrimSpace(q.Get(k)); v != "" {
			summary = append(summary, i18n.T(ctx, "audit.filter."+k)+" "+v)
		}
	}
	if len(summary) > 0 {
		vm.Summary = i18n.T(ctx, "audit.summary", "Filters", strings.Join(summary, ", "))
	}
	actions, err := audit.Actions(ctx, s.Pool)
	if err != nil {
		return err
	}
	for _, a := range actions {
		vm.Actions = append(vm.Actions, components.Option{Value: a, Label: a})
	}
	status := http.StatusOK
	if len(errs) == 0 {
		page, err := audit.List(ctx, s.Pool, f)
		if err != nil {
			return err
		}
		vm.Rows = auditRowsOf(ctx, page.Entries)
		base := url.Values{}
		for _, k := range []string{"action", "login", "object", "from", "to"} {
			if v := q.Get(k); v != "" {
				base.Set(k, v)
			}
		}
		if page.HasNewer && len(vm.Rows) > 0 {
			vm.NewestHref = components.Href("/admin/audit", base)
			vm.NewerHref = components.Href("/admin/audit", components.With(base, "after", components.Itoa(vm.Rows[0].ID)))
		}
		if page.HasOlder && len(vm.Rows) > 0 {
			vm.OlderHref = components.Href("/admin/audit", components.With(base, "before", components.Itoa(vm.Rows[len(vm.Rows)-1].ID)))
		}
	} else {
		status = http.StatusBadRequest
	}
	if isHTMX(c) {
		return render(c, status, pages.AdminAuditResults(vm))
	}
	return render(c, status, pages.AdminAuditPage(s.layout(c, viewer(c), i18n.T(ctx, "audit.title"), "audit"), vm))
}

// auditRows reads the entries f selects, shaped for a table.
func (s *server) auditRows(c echo.Context, f audit.Filter) ([]pages.AuditRow, error) {
	page, err := audit.List(c.Request().Context(), s.Pool, f)
	if err != nil {
		return nil, err
	}
	return auditRowsOf(ctxOf(c), page.Entries), nil
}

func auditRowsOf(ctx context.Context, entries []audit.Entry) []pages.AuditRow {
	out := make([]pages.AuditRow, 0, len(entries))
	for _, e := range entries {
		r := pages.AuditRow{ID: e.ID, At: i18n.Date(ctx, e.At.Local()) + " " + e.At.Local().Format("15:04:05"), Login: e.Login, IP: e.IP,
			Action: e.Action, Object: e.Object, ObjectHref: objectHref(e.Object)}
		if e.UserID != 0 {
			r.UserHref = userPath(e.UserID)
		}
		details := e.Details
		if from, ok := details["from"]; ok {
			// a change of one value (a setting) reads as "value: from → to"
			if to, ok := details["to"]; ok {
				r.Details = append(r.Details, pages.AuditDetail{Key: i18n.T(ctx, "audit.value"), Value: detailText(ctx, from) + " → " + detailText(ctx, to)})
				details = maps.Clone(details)
				delete(details, "from")
				delete(details, "to")
			}
		}
		for _, k := range slices.Sorted(maps.Keys(details)) {
			r.Details = append(r.Details, pages.AuditDetail{Key: strings.ReplaceAll(k, "_", " "), Value: detailText(ctx, details[k])})
		}
		out = append(out, r)
	}
	return out
}

// objectHref links an entry's object to the administrators' page about it.
func objectHref(object string) string {
	kind, id, ok := strings.Cut(object, ":")
	if !ok || id == "" {
		return ""
	}
	switch kind {
	case "user":
		return "/admin/users/" + url.PathEscape(id)
	case "product":
		return "/admin/products/" + url.PathEscape(id)
	case "setting":
		return "/admin/settings#setting-" + strings.ReplaceAll(id, ".", "-")
	}
	return ""
}

// detailText reads a detail's value as a person would say it: a change as
// "from → to", yes or no for flags, lists joined by commas.
func detailText(ctx context.Context, v any) string {
	switch x := v.(type) {
	case nil:
		return i18n.T(ctx, "audit.none")
	case string:
		if x == "" {
			return i18n.T(ctx, "audit.empty.value")
		}
		return x
	case bool:
		if x {
			return i18n.T(ctx, "audit.yes")
		}
		return i18n.T(ctx, "audit.no")
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case map[string]any:
		from, hasFrom := x["from"]
		to, hasTo := x["to"]
		if hasFrom && hasTo && len(x) == 2 {
			return detailText(ctx, from) + " → " + detailText(ctx, to)
		}
	case []any:
		parts := make([]string, len(x))
		for i, p := range x {
			parts[i] = detailText(ctx, p)
		}
		return strings.Join(parts, ", ")
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
