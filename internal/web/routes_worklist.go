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
	"github.com/relaycrm/relay/internal/money"
	"github.com/relaycrm/relay/internal/warnings"
	"github.com/relaycrm/relay/internal/worklist"
	"github.com/relaycrm/relay/views/components"
	"github.com/relaycrm/relay/views/pages"
)

func (s *server) worklistRoutes(g *echo.Group) {
	g.GET("/worklist", s.worklist, requireRole(access.Manager))
}

// worklist is the personal manager's home: today's next best actions
// (retention calls first, then offers by priority), warnings by score,
// contacts due.
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
	now := s.Now()
	limit := cfg.Int("contact.max_proactive_per_month")
	today, err := worklist.ForToday(ctx, s.Pool, v, worklist.ScreenOptions{Now: now, MaxProactive: limit,
		Options: worklist.Options{Page: page, PerPage: cfg.Int("worklist.daily_actions"), WatchFactor: cfg.Ratio("trigger.watch_factor")}})
	if err != nil {
		return err
	}
	asOf := today.AsOf
	vm := pages.Worklist{Name: v.Name, Flash: s.popFlash(c), NoRun: asOf.IsZero(), ActionsTotal: today.Total,
		DailyActions: today.PerPage, Retentions: today.Retentions, Waiting: today.Waiting, Page: page,
		Pages: today.Pages(), WarningsTotal: today.Warnings.Total, ContactLimit: limit}
	if !asOf.IsZero() {
		vm.AsOf = components.Month(asOf)
	}
	for _, a := range today.Actions {
		switch {
		case a.Retention != nil:
			vm.Actions = append(vm.Actions, pages.WorkAction{Retention: workRetention(*a.Retention)})
		case a.Offer != nil:
			row := s.triggerRow(c, v, a.Offer.Trigger)
			if a.Offer.WarningLevel == string(warnings.Watch) {
				row.Note = watchNote(today.WatchFactor, a.Offer.WarningScore)
				row.NoteTone = "warn"
			}
			vm.Actions = append(vm.Actions, pages.WorkAction{Offer: &row})
		}
	}
	for _, w := range today.Warnings.Warnings {
		vm.Warnings = append(vm.Warnings, workWarning(w))
	}
	for _, d := range today.Due {
		vm.Due = append(vm.Due, workDue(d, now))
	}
	return render(c, http.StatusOK, pages.WorklistPage(s.layout(c, v, "Worklist", "worklist"), vm))
}

// watchNote says why an offer ranks lower: its client's watch warning.
func watchNote(factor float64, score int) string {
	return fmt.Sprintf("Priority × %s while the client has a watch-level churn warning (score %d).", strconv.FormatFloat(factor, 'f', -1, 64), score)
}

// waitNote says why an offer waits: its client's high warning.
func waitNote(score int) string {
	return fmt.Sprintf("Waits: high churn warning (score %d). Call to keep the client first; the offer returns when the warning clears.", score)
}

func workRetention(r worklist.Retention) *pages.WorkRetention {
	w := r.Warning
	out := &pages.WorkRetention{ClientID: w.ClientID, Client: w.ClientName, Score: strconv.Itoa(w.Score),
		IncomeAtRisk: money.Whole(r.IncomeAtRisk, w.Currency, w.MinorDigits), CLV: "not known"}
	if w.CLV != nil {
		out.CLV = money.Whole(*w.CLV, w.Currency, w.MinorDigits)
	}
	for _, rs := range r.Reasons {
		out.Reasons = append(out.Reasons, pages.WorkSignal{Label: rs.Label, Figures: rs.Figures, Share: fmt.Sprintf("%.0f%%", rs.Share*100)})
	}
	var waiting []string
	for _, t := range r.Waiting {
		waiting = append(waiting, t.ProductName)
	}
	out.Waiting = joinAnd(waiting)
	return out
}

func workWarning(w warnings.Warning) pages.WorkWarning {
	ww := pages.WorkWarning{ClientID: w.ClientID, Client: w.ClientName, Score: strconv.Itoa(w.Score),
		Level: string(w.Level), LevelTone: levelTone(w.Level), Since: components.Month(w.Since), LastContact: "never"}
	if !w.LastContact.IsZero() {
		ww.LastContact = components.Date(w.LastContact)
	}
	for _, sg := range w.Fired() {
		ww.Signals = append(ww.Signals, pages.WorkSignal{Label: sg.Label, Figures: sg.Figures,
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
