package web

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/relaycrm/relay/internal/access"
	"github.com/relaycrm/relay/internal/contacts"
	"github.com/relaycrm/relay/internal/i18n"
	"github.com/relaycrm/relay/internal/input"
	"github.com/relaycrm/relay/internal/warnings"
	"github.com/relaycrm/relay/internal/worklist"
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
		vm.AsOf = i18n.Month(ctx, asOf)
	}
	for _, a := range today.Actions {
		switch {
		case a.Retention != nil:
			vm.Actions = append(vm.Actions, pages.WorkAction{Retention: workRetention(ctx, *a.Retention)})
		case a.Offer != nil:
			row := s.triggerRow(c, v, a.Offer.Trigger)
			if a.Offer.WarningLevel == string(warnings.Watch) {
				row.Note = watchNote(ctx, today.WatchFactor, a.Offer.WarningScore)
				row.NoteTone = "warn"
			}
			vm.Actions = append(vm.Actions, pages.WorkAction{Offer: &row})
		}
	}
	for _, w := range today.Warnings.Warnings {
		vm.Warnings = append(vm.Warnings, workWarning(ctx, w))
	}
	for _, d := range today.Due {
		vm.Due = append(vm.Due, workDue(ctx, d, now))
	}
	return render(c, http.StatusOK, pages.WorklistPage(s.layout(c, v, i18n.T(ctx, "nav.worklist"), "worklist"), vm))
}

// watchNote says why an offer ranks lower: its client's watch warning.
func watchNote(ctx context.Context, factor float64, score int) string {
	return i18n.T(ctx, "worklist.retention.watch", "Factor", i18n.From(ctx).Decimal(factor, decimals(factor)),
		"Score", i18n.Int(ctx, int64(score)))
}

// decimals is how many decimals f needs, up to 3 (a factor of 0.5 is "0.5").
func decimals(f float64) int {
	for d := 0; d < 3; d++ {
		s := strconv.FormatFloat(f, 'f', d, 64)
		if v, _ := strconv.ParseFloat(s, 64); v == f {
			return d
		}
	}
	return 3
}

// waitNote says why an offer waits: its client's high warning.
func waitNote(ctx context.Context, score int) string {
	return i18n.T(ctx, "worklist.retention.wait", "Score", i18n.Int(ctx, int64(score)))
}

func workRetention(ctx context.Context, r worklist.Retention) *pages.WorkRetention {
	w := r.Warning
	out := &pages.WorkRetention{ClientID: w.ClientID, Client: w.ClientName, Score: i18n.Int(ctx, int64(w.Score)),
		IncomeAtRisk: i18n.MoneyWhole(ctx, r.IncomeAtRisk, w.Currency, w.MinorDigits), CLV: i18n.T(ctx, "worklist.notknown")}
	if w.CLV != nil {
		out.CLV = i18n.MoneyWhole(ctx, *w.CLV, w.Currency, w.MinorDigits)
	}
	for _, rs := range r.Reasons {
		out.Reasons = append(out.Reasons, pages.WorkSignal{Label: rs.Label, Figures: rs.Figures, Share: i18n.Percent(ctx, rs.Share, 0)})
	}
	var waiting []string
	for _, t := range r.Waiting {
		waiting = append(waiting, t.ProductName)
	}
	out.Waiting = listAnd(ctx, waiting)
	return out
}

// listAnd lists words as people do, in ctx's language: a, b and c.
func listAnd(ctx context.Context, words []string) string {
	switch len(words) {
	case 0:
		return ""
	case 1:
		return words[0]
	}
	return strings.Join(words[:len(words)-1], ", ") + " " + i18n.T(ctx, "worklist.retention.and") + " " + words[len(words)-1]
}

// warningLevel names a churn warning's level in ctx's language.
func warningLevel(ctx context.Context, l warnings.Level) string {
	switch l {
	case warnings.Watch, warnings.High:
		return i18n.T(ctx, "card.level."+string(l))
	}
	return string(l)
}

func workWarning(ctx context.Context, w warnings.Warning) pages.WorkWarning {
	ww := pages.WorkWarning{ClientID: w.ClientID, Client: w.ClientName, Score: i18n.Int(ctx, int64(w.Score)),
		Level: warningLevel(ctx, w.Level), LevelTone: levelTone(w.Level), Since: i18n.Month(ctx, w.Since),
		LastContact: i18n.T(ctx, "worklist.nocontact")}
	if !w.LastContact.IsZero() {
		ww.LastContact = i18n.Date(ctx, w.LastContact)
	}
	for _, sg := range w.Fired() {
		ww.Signals = append(ww.Signals, pages.WorkSignal{Label: sg.Label, Figures: sg.Figures,
			Share: i18n.Percent(ctx, sg.Share, 0)})
	}
	return ww
}

func levelTone(l warnings.Level) string {
	if l == warnings.High {
		return "bad"
	}
	return "warn"
}

func workDue(ctx context.Context, d contacts.Due, today time.Time) pages.WorkDue {
	return pages.WorkDue{ClientID: d.ClientID, Client: d.LegalName, Planned: i18n.Date(ctx, d.PlannedOn),
		Last: i18n.Date(ctx, d.LastContact), LastKind: contactKind(ctx, d.LastKind),
		Overdue: d.PlannedOn.Before(today.Truncate(24 * time.Hour)), Blocked: d.AllowedFrom.After(today),
		AllowedFrom: i18n.Date(ctx, d.AllowedFrom)}
}

// contactKind names a kind of contact in ctx's language, lower case as a
// sentence has it ("last call 2026-11-02").
func contactKind(ctx context.Context, kind string) string {
	if !input.IsChoice(contacts.Kinds, kind) {
		return kind
	}
	return i18n.T(ctx, "card.kindword."+kind)
}
