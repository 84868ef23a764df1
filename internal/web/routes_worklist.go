package web

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/relaycrm/relay/internal/access"
	"github.com/relaycrm/relay/internal/contacts"
	"github.com/relaycrm/relay/internal/input"
	"github.com/relaycrm/relay/internal/nightly"
	"github.com/relaycrm/relay/internal/triggers"
	"github.com/relaycrm/relay/internal/warnings"
	"github.com/relaycrm/relay/views/components"
	"github.com/relaycrm/relay/views/pages"
)

// worklistPerPage is how many triggers the worklist shows at a time.
const worklistPerPage = 25

func (s *server) worklistRoutes(g *echo.Group) {
	g.GET("/worklist", s.worklist, requireRole(access.Manager))
}

// worklist is the personal manager's home: open triggers by priority,
// warnings by score, contacts due.
func (s *server) worklist(c echo.Context) error {
	ctx := c.Request().Context()
	v := viewer(c)
	errs := input.Errors{}
	page := pageParam(c.QueryParams(), errs)
	if err := errs.Err(); err != nil {
		return err
	}
	cfg, err := s.Settings.Load(ctx)
	if err != nil {
		return err
	}
	open, err := triggers.ListOpen(ctx, s.Pool, v, triggers.ListFilter{Page: page, PerPage: worklistPerPage})
	if err != nil {
		return err
	}
	warned, err := warnings.List(ctx, s.Pool, v, warnings.ListFilter{PerPage: 20})
	if err != nil {
		return err
	}
	today := s.Now()
	limit := cfg.Int("contact.max_proactive_per_month")
	due, err := s.Contacts.DueContacts(ctx, v, today, today.AddDate(0, 0, 7), limit, 50)
	if err != nil {
		return err
	}
	asOf, err := nightly.LastScoredMonth(ctx, s.Pool)
	if err != nil {
		return err
	}
	vm := pages.Worklist{Name: v.Name, Flash: s.popFlash(c), NoRun: asOf.IsZero(), TriggersTotal: open.Total,
		Page: page, Pages: (open.Total + worklistPerPage - 1) / worklistPerPage, WarningsTotal: warned.Total,
		ContactLimit: limit}
	if !asOf.IsZero() {
		vm.AsOf = components.Month(asOf)
	}
	for _, t := range open.Triggers {
		vm.Triggers = append(vm.Triggers, s.triggerRow(c, v, t))
	}
	for _, w := range warned.Warnings {
		vm.Warnings = append(vm.Warnings, workWarning(w))
	}
	for _, d := range due {
		vm.Due = append(vm.Due, workDue(d, today))
	}
	return render(c, http.StatusOK, pages.WorklistPage(s.layout(c, v, "Worklist", "worklist"), vm))
}

func workWarning(w warnings.Warning) pages.WorkWarning {
	ww := pages.WorkWarning{ClientID: w.ClientID, Client: w.ClientName, Score: strconv.Itoa(w.Score),
		Level: string(w.Level), LevelTone: levelTone(w.Level), Since: components.Month(w.Since), LastContact: "never"}
	if !w.LastContact.IsZero() {
		ww.LastContact = components.Date(w.LastContact)
	}
	for _, sg := range w.Fired() {
		ww.Signals = append(ww.Signals, pages.WorkSignal{Label: sg.Name.Label(), Figures: sg.Figures,
			Share: fmt.Sprintf("%.0f%%", sg.Share*100)})
	}
	return ww
}

func levelTone(l warnings.Level) string {
	if l == warnings.High {
		return "bad"
	}
	return "warn"
}

func workDue(d contacts.Due, today time.Time) pages.WorkDue {
	return pages.WorkDue{ClientID: d.ClientID, Client: d.LegalName, Planned: components.Date(d.PlannedOn),
		Last: components.Date(d.LastContact), LastKind: d.LastKind,
		Overdue: d.PlannedOn.Before(today.Truncate(24 * time.Hour)), Blocked: d.AllowedFrom.After(today),
		AllowedFrom: components.Date(d.AllowedFrom)}
}
