package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/relaycrm/relay/internal/access"
	"github.com/relaycrm/relay/internal/clients"
	"github.com/relaycrm/relay/internal/input"
	"github.com/relaycrm/relay/internal/money"
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
	v := viewer(c)
	now := s.Now()
	p, err := pipeline.ForBranch(c.Request().Context(), s.Pool, v, now)
	if err != nil {
		return err
	}
	vm := pages.Pipeline{
		Branch: p.BranchName, BranchCode: p.BranchCode, Bank: p.BankName, Currency: p.Currency,
		Period: pipelinePeriod(p.Heading), Today: components.Date(now), UntouchedDays: untouchedDays,
		Flash: s.popFlash(c), Total: pipelineRow(p.Heading, pipeline.ManagerFigures{Figures: p.Total}),
		TrendTick: func(v int64) string { return money.Whole(v, "", p.MinorDigits) },
	}
	for _, m := range p.Managers {
		r := pipelineRow(p.Heading, m)
		if m.ManagerID == 0 {
			r.Name = "No manager" // the branch's clients without one
		}
		vm.Rows = append(vm.Rows, r)
	}
	for _, st := range p.Total.Funnel() {
		vm.Funnel = append(vm.Funnel, components.FunnelStage{Label: st.Name, Count: st.Count})
	}
	for _, m := range p.WonTrend {
		vm.Trend = append(vm.Trend, components.BarPoint{Month: m.Month, Value: m.Value,
			Title: fmt.Sprintf("%s: %s from %s", components.Month(m.Month), money.Whole(m.Value, p.Currency, p.MinorDigits),
				plural(m.Count, "confirmed win"))})
	}
	vm.TrendTotal = money.Whole(p.Total.WonValue, p.Currency, p.MinorDigits)
	return render(c, http.StatusOK, pages.PipelinePage(s.layout(c, v, "Pipeline", "pipeline"), vm))
}

// pipelinePeriod names the period's first and last months.
func pipelinePeriod(p pipeline.Heading) string {
	return components.Month(p.From) + " to " + components.Month(p.Until.AddDate(0, 0, -1))
}

// pipelineRow shapes a manager's figures (or the branch's) for the table.
func pipelineRow(p pipeline.Heading, m pipeline.ManagerFigures) pages.PipelineRow {
	f := m.Figures
	r := pages.PipelineRow{
		ManagerID: m.ManagerID, Name: m.Name, Login: m.Login, Inactive: m.ManagerID != 0 && !m.Active,
		Clients: f.Clients, ActiveClients: f.ActiveClients,
		Raised: f.Raised, New: f.New, Contacted: f.Contacted, Offered: f.Offered, Won: f.Won, Lost: f.Lost,
		Dismissed: f.Dismissed, Expired: f.Expired, WonConfirmed: f.WonConfirmed, Decided: f.Decided(),
		Open: f.Open, OpenValue: money.Whole(f.OpenValue, "", p.MinorDigits), OpenValueMinor: f.OpenValue,
		Untouched: f.Untouched, WonValue: money.Whole(f.WonValue, "", p.MinorDigits), WonValueMinor: f.WonValue,
		WonCount: f.WonCount, High: f.HighWarnings, HighNoContact: f.HighNoContact, Conversion: "–",
	}
	if rate, ok := f.Conversion(); ok {
		r.Conversion = fmt.Sprintf("%.0f%%", rate*100)
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
		Period: pipelinePeriod(p), UntouchedDays: untouchedDays, Flash: s.popFlash(c),
		Figures: pipelineRow(p, figures), OpenTotal: book.OpenTotal, ClientsTotal: book.ClientsTotal,
		CSRF: s.csrfToken(c), Errors: forms.errs, AllErrors: forms.errsOfAll,
	}
	vm.Figures.OpenValue = money.Whole(figures.OpenValue, p.Currency, p.MinorDigits)
	vm.Figures.WonValue = money.Whole(figures.WonValue, p.Currency, p.MinorDigits)
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
			Status: string(t.Status), StatusLabel: t.Status.Label(), StatusTone: bookStatusTone(t.Status),
			Value: money.Whole(t.ExpectedValue, "", p.MinorDigits), Priority: money.Whole(t.Priority, "", p.MinorDigits),
			Raised: components.Date(t.RaisedAt), Age: daysText(now.Sub(t.RaisedAt)),
			LastMove: lastMoveText(t, now), Untouched: t.Untouched(now),
		})
	}
	for _, w := range book.Warnings {
		pw := pages.PipelineWarning{ClientID: w.ClientID, Client: w.ClientName, Level: w.Level,
			LevelTone: bookLevelTone(w.Level), Score: strconv.Itoa(w.Score), Since: components.Month(w.Since),
			LastContact: "never", NoContact: w.Level == "high" && !w.ContactedSince()}
		if !w.LastContact.IsZero() {
			pw.LastContact = components.Date(w.LastContact)
		}
		vm.Warnings = append(vm.Warnings, pw)
	}
	for _, cl := range book.Clients {
		pc := pages.PipelineClient{ID: cl.ID, Name: cl.LegalName, Ref: cl.Ref, Since: components.Date(cl.Since),
			Open: cl.OpenTriggers, OpenValue: money.Whole(cl.OpenValue, "", p.MinorDigits),
			Warning: cl.WarningLevel, WarningTone: bookLevelTone(cl.WarningLevel), Checked: forms.selected[cl.ID]}
		if cl.LeftOn != nil {
			pc.LeftOn = components.Date(*cl.LeftOn)
		}
		if cl.OpenTriggers == 0 {
			pc.OpenValue = ""
		}
		vm.Clients = append(vm.Clients, pc)
	}
	return render(c, status, pages.PipelineManagerPage(s.layout(c, v, m.Name+" · Pipeline", "pipeline"), vm))
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
func daysText(d time.Duration) string {
	days := int(d / (24 * time.Hour))
	if days < 1 {
		return "less than a day"
	}
	return plural(days, "day")
}

// lastMoveText says when an open trigger last moved, or that it never did.
func lastMoveText(t pipeline.OpenItem, now time.Time) string {
	if !t.ChangedAt.After(t.RaisedAt) {
		return "never moved"
	}
	return t.Status.Label() + " " + daysText(now.Sub(t.ChangedAt)) + " ago"
}

func (s *server) pipelineReassign(c echo.Context) error {
	v := viewer(c)
	from, err := strconv.ParseInt(c.FormValue("from"), 10, 64)
	if err != nil || from < 1 {
		return input.Errors{"from": fmt.Sprintf("%q is not a valid manager id", c.FormValue("from"))}
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
				bad.Add("clients", fmt.Sprintf("%q is not a client id", raw))
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
	what := plural(len(done.ClientIDs), "client")
	if len(done.ClientNames) == 1 {
		what = done.ClientNames[0]
	}
	msg := fmt.Sprintf("Reassigned %s from %s to %s", what, done.From.Name, done.To.Name)
	switch {
	case done.Left == 1:
		msg += " (1 of them has left the bank)"
	case done.Left > 1:
		msg += fmt.Sprintf(" (%d of them have left the bank)", done.Left)
	}
	s.setFlash(c, msg+". Their open triggers and warnings went with them.")
	return seeOther(c, pipelineManagerPath(from))
}
