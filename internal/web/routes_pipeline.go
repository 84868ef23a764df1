package web

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/relaycrm/relay/internal/access"
	"github.com/relaycrm/relay/internal/clients"
	"github.com/relaycrm/relay/internal/i18n"
	"github.com/relaycrm/relay/internal/input"
	"github.com/relaycrm/relay/internal/pipeline"
	"github.com/relaycrm/relay/internal/triggers"
	"github.com/relaycrm/relay/views/components"
	"github.com/relaycrm/relay/views/pages"
)

// pipelineRoutes registers the branch head's pipeline: the branch per
// manager, one manager's book, and the reassignment of clients.
func (s *server) pipelineRoutes(g *echo.Group) {
	pg := g.Group("/pipeline", requireRole(access.BranchHead))
	pg.GET("", s.pipeline)
	pg.GET("/managers/:id", s.pipelineManager)
	pg.POST("/reassign", s.pipelineReassign)
}

// bookTriggersShown is how many open triggers a manager's book lists before
// "show all": enough to review, few enough to reach the clients below.
const bookTriggersShown = 20

// untouchedDays is pipeline.UntouchedAfter in days, as the pages say it.
var untouchedDays = int(pipeline.UntouchedAfter / (24 * time.Hour))

func (s *server) pipeline(c echo.Context) error {
	ctx := c.Request().Context()
	v := viewer(c)
	now := s.Now()
	p, err := pipeline.ForBranch(ctx, s.Pool, v, now)
	if err != nil {
		return err
	}
	vm := pages.Pipeline{
		Branch: p.BranchName, BranchCode: p.BranchCode, Bank: p.BankName, Currency: p.Currency,
		Period: pipelinePeriod(ctx, p.Heading), Today: i18n.Date(ctx, now), UntouchedDays: untouchedDays,
		Flash: s.popFlash(c), Total: pipelineRow(ctx, p.Heading, pipeline.ManagerFigures{Figures: p.Total}),
		TrendTick: func(v int64) string { return i18n.MoneyWhole(ctx, v, "", p.MinorDigits) },
	}
	for _, m := range p.Managers {
		r := pipelineRow(ctx, p.Heading, m)
		if m.ManagerID == 0 {
			r.Name = i18n.T(ctx, "pipeline.no-manager") // the branch's clients without one
		}
		vm.Rows = append(vm.Rows, r)
	}
	for _, st := range p.Total.Funnel() {
		vm.Funnel = append(vm.Funnel, components.FunnelStage{Label: i18n.T(ctx, "pipeline.status."+strings.ToLower(st.Name)), Count: st.Count})
	}
	for _, m := range p.WonTrend {
		vm.Trend = append(vm.Trend, components.BarPoint{Month: m.Month, Value: m.Value,
			Title: i18n.T(ctx, "pipeline.trend-bar", "Month", i18n.Month(ctx, m.Month),
				"Value", i18n.MoneyWhole(ctx, m.Value, p.Currency, p.MinorDigits),
				"Wins", i18n.Plural(ctx, "pipeline.confirmed-wins", int64(m.Count)))})
	}
	vm.TrendTotal = i18n.MoneyWhole(ctx, p.Total.WonValue, p.Currency, p.MinorDigits)
	return render(c, http.StatusOK, pages.PipelinePage(s.layout(c, v, i18n.T(ctx, "pipeline.title"), "pipeline"), vm))
}

// pipelinePeriod names the period's first and last months.
func pipelinePeriod(ctx context.Context, p pipeline.Heading) string {
	return i18n.T(ctx, "pipeline.period", "From", i18n.Month(ctx, p.From), "Until", i18n.Month(ctx, p.Until.AddDate(0, 0, -1)))
}

// pipelineRow shapes a manager's figures (or the branch's) for the table.
func pipelineRow(ctx context.Context, p pipeline.Heading, m pipeline.ManagerFigures) pages.PipelineRow {
	f := m.Figures
	r := pages.PipelineRow{
		ManagerID: m.ManagerID, Name: m.Name, Login: m.Login, Inactive: m.ManagerID != 0 && !m.Active,
		Clients: f.Clients, ActiveClients: f.ActiveClients,
		Raised: f.Raised, New: f.New, Contacted: f.Contacted, Offered: f.Offered, Won: f.Won, Lost: f.Lost,
		Dismissed: f.Dismissed, Expired: f.Expired, WonConfirmed: f.WonConfirmed, Decided: f.Decided(),
		Open: f.Open, OpenValue: i18n.MoneyWhole(ctx, f.OpenValue, "", p.MinorDigits), OpenValueMinor: f.OpenValue,
		Untouched: f.Untouched, WonValue: i18n.MoneyWhole(ctx, f.WonValue, "", p.MinorDigits), WonValueMinor: f.WonValue,
		WonCount: f.WonCount, High: f.HighWarnings, HighNoContact: f.HighNoContact, Conversion: i18n.T(ctx, "pipeline.no-conversion"),
	}
	if rate, ok := f.Conversion(); ok {
		r.Conversion = i18n.Percent(ctx, rate, 0)
		r.ConversionValue = strconv.FormatFloat(rate, 'f', 4, 64)
	}
	if m.ManagerID != 0 {
		r.Href = pipelineManagerPath(m.ManagerID)
	}
	return r
}

func pipelineManagerPath(id int64) string { return "/pipeline/managers/" + strconv.FormatInt(id, 10) }

func (s *server) pipelineManager(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	return s.renderBook(c, id, http.StatusOK, bookForms{})
}

// bookForms is what a reassignment form held when it came back with errors.
type bookForms struct {
	all       bool
	to        string
	selected  map[int64]bool
	errs      input.Errors
	errsOfAll input.Errors
}

// renderBook renders manager id's book, with a reassignment form as posted.
func (s *server) renderBook(c echo.Context, id int64, status int, forms bookForms) error {
	ctx := c.Request().Context()
	v := viewer(c)
	now := s.Now()
	book, err := pipeline.BookOf(ctx, s.Pool, v, id, now)
	if err != nil {
		return err
	}
	p := book.Heading
	figures := pipeline.ManagerFigures{Figures: book.Figures}
	m := book.Manager
	vm := pages.PipelineManager{
		ID: m.ID, Name: m.Name, Login: m.Login, Inactive: !m.Active, Branch: p.BranchName, Currency: p.Currency,
		Period: pipelinePeriod(ctx, p), UntouchedDays: untouchedDays, Flash: s.popFlash(c),
		Figures: pipelineRow(ctx, p, figures), OpenTotal: book.OpenTotal, ClientsTotal: book.ClientsTotal,
		CSRF: s.csrfToken(c), Errors: forms.errs, AllErrors: forms.errsOfAll,
	}
	vm.Figures.OpenValue = i18n.MoneyWhole(ctx, figures.OpenValue, p.Currency, p.MinorDigits)
	vm.Figures.WonValue = i18n.MoneyWhole(ctx, figures.WonValue, p.Currency, p.MinorDigits)
	vm.ClientsLeft = figures.Clients - figures.ActiveClients
	if forms.all {
		vm.AllTo = forms.to
	} else {
		vm.To = forms.to
	}
	for _, u := range book.Colleagues {
		vm.Colleagues = append(vm.Colleagues, components.Option{Value: strconv.FormatInt(u.ID, 10), Label: u.Name + " (" + u.Login + ")"})
	}
	open := book.Open
	if c.QueryParam("triggers") != "all" && len(open) > bookTriggersShown {
		open = open[:bookTriggersShown]
		vm.AllTriggersHref = pipelineManagerPath(id) + "?triggers=all#triggers"
	}
	for _, t := range open {
		vm.Open = append(vm.Open, pages.PipelineTrigger{
			ClientID: t.ClientID, Client: t.ClientName, Product: t.Product, ProductCode: t.ProductCode,
			Status: string(t.Status), StatusLabel: statusLabel(ctx, t.Status), StatusTone: bookStatusTone(t.Status),
			Value: i18n.MoneyWhole(ctx, t.ExpectedValue, "", p.MinorDigits), Priority: i18n.MoneyWhole(ctx, t.Priority, "", p.MinorDigits),
			Raised: i18n.Date(ctx, t.RaisedAt), Age: daysText(ctx, now.Sub(t.RaisedAt)),
			LastMove: lastMoveText(ctx, t, now), Untouched: t.Untouched(now),
		})
	}
	for _, w := range book.Warnings {
		pw := pages.PipelineWarning{ClientID: w.ClientID, Client: w.ClientName, Level: bookLevelLabel(ctx, w.Level),
			LevelTone: bookLevelTone(w.Level), Score: i18n.Int(ctx, int64(w.Score)), Since: i18n.Month(ctx, w.Since),
			LastContact: i18n.T(ctx, "pipeline.never"), NoContact: w.Level == "high" && !w.ContactedSince()}
		if !w.LastContact.IsZero() {
			pw.LastContact = i18n.Date(ctx, w.LastContact)
		}
		vm.Warnings = append(vm.Warnings, pw)
	}
	for _, cl := range book.Clients {
		pc := pages.PipelineClient{ID: cl.ID, Name: cl.LegalName, Ref: cl.Ref, Since: i18n.Date(ctx, cl.Since),
			Open: cl.OpenTriggers, OpenValue: i18n.MoneyWhole(ctx, cl.OpenValue, "", p.MinorDigits),
			Warning: bookLevelLabel(ctx, cl.WarningLevel), WarningTone: bookLevelTone(cl.WarningLevel), Checked: forms.selected[cl.ID]}
		if cl.LeftOn != nil {
			pc.LeftOn = i18n.Date(ctx, *cl.LeftOn)
		}
		if cl.OpenTriggers == 0 {
			pc.OpenValue = ""
		}
		vm.Clients = append(vm.Clients, pc)
	}
	return render(c, status, pages.PipelineManagerPage(s.layout(c, v, m.Name+" · "+i18n.T(ctx, "pipeline.title"), "pipeline"), vm))
}

// statusLabel names a trigger's status in the viewer's language.
func statusLabel(ctx context.Context, st triggers.Status) string {
	return i18n.T(ctx, "pipeline.status."+string(st))
}

// levelLabel names a warning level (watch or high) in the viewer's language;
// "" for none.
func bookLevelLabel(ctx context.Context, level string) string {
	if level == "" {
		return ""
	}
	return i18n.T(ctx, "pipeline.level."+level)
}

func bookStatusTone(st triggers.Status) string {
	switch st {
	case triggers.Contacted:
		return "info"
	case triggers.Offered:
		return "good"
	}
	return ""
}

func bookLevelTone(level string) string {
	switch level {
	case "high":
		return "bad"
	case "watch":
		return "warn"
	}
	return ""
}

// daysText says a duration in whole days.
func daysText(ctx context.Context, d time.Duration) string {
	days := int64(d / (24 * time.Hour))
	if days < 1 {
		return i18n.T(ctx, "pipeline.less-than-day")
	}
	return i18n.Plural(ctx, "pipeline.days", days)
}

// lastMoveText says when an open trigger last moved, or that it never did.
func lastMoveText(ctx context.Context, t pipeline.OpenItem, now time.Time) string {
	if !t.ChangedAt.After(t.RaisedAt) {
		return i18n.T(ctx, "pipeline.never-moved")
	}
	return i18n.T(ctx, "pipeline.last-move", "Status", statusLabel(ctx, t.Status), "Ago", daysText(ctx, now.Sub(t.ChangedAt)))
}

func (s *server) pipelineReassign(c echo.Context) error {
	v := viewer(c)
	from, err := strconv.ParseInt(c.FormValue("from"), 10, 64)
	if err != nil || from < 1 {
		return input.Errors{"from": i18n.T(ctxOf(c), "pipeline.refused.badfrom", "Value", fmt.Sprintf("%q", c.FormValue("from")))}
	}
	all := c.FormValue("all") == "1"
	toField := "to"
	if all {
		toField = "all-to"
	}
	forms := bookForms{all: all, to: c.FormValue(toField), selected: map[int64]bool{}}
	r := clients.Reassignment{From: from, All: all}
	bad := input.Errors{}
	if forms.to != "" {
		if r.To, err = strconv.ParseInt(forms.to, 10, 64); err != nil || r.To < 1 {
			r.To = -1 // not a manager of the branch: the domain says so
		}
	}
	if !all {
		form, err := c.FormParams()
		if err != nil {
			return err
		}
		for _, raw := range form["client"] {
			id, err := strconv.ParseInt(strings.TrimSpace(raw), 10, 64)
			if err != nil || id < 1 {
				bad.Add("clients", i18n.T(ctxOf(c), "pipeline.refused.badclient", "Value", fmt.Sprintf("%q", raw)))
				continue
			}
			r.ClientIDs = append(r.ClientIDs, id)
			forms.selected[id] = true
		}
	}
	var done clients.Reassigned
	if len(bad) == 0 {
		done, err = s.Clients.Reassign(c.Request().Context(), v, actor(c), r)
	} else {
		err = bad
	}
	if errs, ok := fieldErrors(err); ok {
		if all {
			forms.errsOfAll = errs
		} else {
			forms.errs = errs
		}
		return s.renderBook(c, from, statusInvalid, forms)
	}
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	what := i18n.Plural(ctx, "pipeline.clients", int64(len(done.ClientIDs)))
	if len(done.ClientNames) == 1 {
		what = done.ClientNames[0]
	}
	msg := i18n.T(ctx, "pipeline.reassigned", "What", what, "From", done.From.Name, "To", done.To.Name)
	if done.Left > 0 {
		msg += i18n.Plural(ctx, "pipeline.of-them-left", int64(done.Left))
	}
	s.setFlash(c, msg+". "+i18n.T(ctx, "pipeline.went-with"))
	return seeOther(c, pipelineManagerPath(from))
}
