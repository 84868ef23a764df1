package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"sort"

	"github.com/labstack/echo/v4"

	"github.com/relaycrm/relay/internal/access"
	"github.com/relaycrm/relay/internal/exports"
	"github.com/relaycrm/relay/internal/i18n"
	"github.com/relaycrm/relay/internal/input"
	"github.com/relaycrm/relay/internal/nightly"
	"github.com/relaycrm/relay/internal/segments"
	"github.com/relaycrm/relay/internal/warnings"
	"github.com/relaycrm/relay/views/components"
	"github.com/relaycrm/relay/views/pages"
)

// churnPerPage is how many warned clients the churn list shows at a time.
const churnPerPage = 25

// churnRoutes registers the churn list: the risk team's, over the whole
// group, with its exports; managers and branch heads may open their own
// (their clients, their branch's), scoped in SQL like every list, but the
// exports are the risk team's.
func (s *server) churnRoutes(g *echo.Group) {
	g.GET("/churn", s.churnList, requireRole(access.Risk, access.BranchHead, access.Manager))
	g.GET("/churn/export.csv", s.churnExport(exports.CSV), requireRole(access.Risk))
	g.GET("/churn/export.xlsx", s.churnExport(exports.XLSX), requireRole(access.Risk))
}

// churnFilter reads the list's filters from the query string; each value it
// cannot use is an error named for its parameter.
func churnFilter(q url.Values) (warnings.ListFilter, input.Errors, error) {
	errs := input.Errors{}
	f := warnings.ListFilter{
		BankID: int64Query(q, "bank", errs), RegionID: int64Query(q, "region", errs),
		BranchID: int64Query(q, "branch", errs), IndustryID: int64Query(q, "industry", errs),
		ManagerID: int64Query(q, "manager", errs), Level: warnings.Level(q.Get("level")),
		Signal: warnings.SignalName(q.Get("signal")), Sort: q.Get("sort"), PerPage: churnPerPage,
	}
	if q.Get("page") != "" {
		f.Page = pageParam(q, errs)
	}
	return f, errs, errs.Merge(f.Validate())
}

func (s *server) churnList(c echo.Context) error {
	ctx := ctxOf(c)
	v := viewer(c)
	q := c.QueryParams()
	f, errs, err := churnFilter(q)
	if err != nil {
		return err
	}
	localFilterErrors(ctx, errs, q, maxListPage)
	var page warnings.Page
	if len(errs) == 0 {
		var err error
		if page, err = warnings.List(ctx, s.Pool, v, f); err != nil {
			return err
		}
	}
	opts, err := s.Clients.FilterOptions(ctx, v, f.BranchID)
	if err != nil {
		return err
	}
	asOf, err := nightly.LastScoredMonth(ctx, s.Pool)
	if err != nil {
		return err
	}
	filters := components.With(q, "page", "")
	vm := pages.Churn{
		Query: q, Bank: q.Get("bank"), Region: q.Get("region"), Branch: q.Get("branch"),
		Industry: q.Get("industry"), Manager: q.Get("manager"), Level: q.Get("level"), Signal: q.Get("signal"),
		Sort:  f.Sort,
		Banks: options(opts.Banks), Regions: options(opts.Regions), Branches: options(opts.Branches),
		Industries: options(opts.Industries), Managers: options(opts.Managers),
		Levels: []components.Option{{Value: string(warnings.High), Label: levelLabel(ctx, warnings.High)},
			{Value: string(warnings.Watch), Label: levelLabel(ctx, warnings.Watch)}},
		ShowBankFilter:    v.Role == access.Risk,
		ShowBranchFilter:  v.Role == access.Risk,
		ShowManagerFilter: v.Role != access.Manager,
		ManagerHint:       i18n.T(ctx, "churn.all_managers"),
		Scope:             i18n.T(ctx, "churn.sub_group"),
		Page:              page.Page, Pages: page.Pages(), Total: page.Total,
		CanExport:  v.Role == access.Risk,
		ExportCSV:  components.Href("/churn/export.csv", filters),
		ExportXLSX: components.Href("/churn/export.xlsx", filters),
		Errors:     errs,
	}
	switch v.Role {
	case access.Manager:
		vm.Scope = i18n.T(ctx, "churn.sub_mine")
	case access.BranchHead:
		vm.Scope = i18n.T(ctx, "churn.sub_branch")
	case access.Risk:
		if f.BranchID == 0 {
			vm.ManagerHint = i18n.T(ctx, "churn.choose_branch")
		}
	}
	if !asOf.IsZero() {
		vm.AsOf = i18n.Month(ctx, asOf)
	}
	for _, n := range warnings.SignalNames {
		vm.Signals = append(vm.Signals, components.Option{Value: string(n), Label: n.LabelIn(i18n.From(ctxOf(c)))})
	}
	for _, w := range page.Warnings {
		vm.Rows = append(vm.Rows, churnRow(ctx, w))
	}
	status := http.StatusOK
	if len(errs) > 0 {
		status = http.StatusBadRequest
	}
	if isHTMX(c) {
		return render(c, status, pages.ChurnResults(vm))
	}
	return render(c, status, pages.ChurnPage(s.layout(c, v, i18n.T(ctx, "churn.title"), "churn"), vm))
}

// churnRow shapes a warning for the list, in ctx's language.
func churnRow(ctx context.Context, w warnings.Warning) pages.ChurnRow {
	st := segments.Stage(w.Stage)
	r := pages.ChurnRow{ClientID: w.ClientID, Client: w.ClientName, Ref: w.ClientRef,
		Where:   w.BankCode + " · " + w.Branch + " · " + w.Region,
		Segment: w.Segment, Stage: stageLabel(ctx, st), StageTone: stageTone(st), Manager: w.ManagerName,
		Score: i18n.Int(ctx, int64(w.Score)), Level: levelLabel(ctx, w.Level), LevelTone: levelTone(w.Level),
		Since: i18n.Month(ctx, w.Since), ValueAtRisk: i18n.T(ctx, "churn.not_known")}
	if w.SegmentID != 0 {
		r.SegmentHref = fmt.Sprintf("/segments/%d", w.SegmentID)
	}
	if r.Manager == "" {
		r.Manager = i18n.T(ctx, "churn.no_manager")
	}
	if w.CLV != nil {
		r.ValueAtRisk = i18n.MoneyWhole(ctx, *w.CLV, w.Currency, w.MinorDigits)
	}
	r.Drivers = churnDrivers(w.Inputs)
	for _, d := range r.Drivers {
		if len(r.Reasons) < 3 && d.Share > 0 {
			r.Reasons = append(r.Reasons, d)
		}
	}
	fired := w.Fired()
	sort.SliceStable(fired, func(i, j int) bool { return fired[i].Share > fired[j].Share })
	for _, sg := range fired {
		r.Signals = append(r.Signals, pages.ChurnSignal{Label: sg.Label, Figures: sg.Figures,
			Share: i18n.Percent(ctx, sg.Share, 0)})
	}
	return r
}

// churnExport streams the filtered churn list as a file download. A bad
// filter answers 400 naming it; an error before the first bytes leave
// answers with an error page; an error after that can only cut the file
// short, and the audit log records the export as incomplete.
func (s *server) churnExport(format exports.Format) echo.HandlerFunc {
	return func(c echo.Context) error {
		v := viewer(c)
		f, errs, err := churnFilter(c.QueryParams())
		if err != nil {
			return err
		}
		if len(errs) > 0 {
			localFilterErrors(ctxOf(c), errs, c.QueryParams(), maxListPage)
			return errs
		}
		res := c.Response()
		h := res.Header()
		h.Set(echo.HeaderContentType, format.ContentType())
		h.Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="relay-churn-%s.%s"`,
			s.Now().Format("2006-01-02-1504"), format))
		h.Set("Cache-Control", "no-store")
		_, err = exports.Churn(ctxOf(c), s.Pool, v, res,
			exports.ChurnOptions{Filter: f, Format: format, IP: c.RealIP(), Locale: i18n.From(ctxOf(c))})
		if err == nil {
			if !res.Committed {
				res.WriteHeader(http.StatusOK)
			}
			return nil
		}
		if !res.Committed {
			h.Del(echo.HeaderContentDisposition)
			h.Del(echo.HeaderContentType)
			return err
		}
		if s.Log != nil {
			s.Log.Error("churn export cut short", "err", err, "request_id", h.Get(echo.HeaderXRequestID))
		}
		return nil
	}
}
