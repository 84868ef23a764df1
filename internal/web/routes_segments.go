package web

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/relaycrm/relay/internal/i18n"
	"github.com/relaycrm/relay/internal/input"
	"github.com/relaycrm/relay/internal/segments"
	"github.com/relaycrm/relay/views/components"
	"github.com/relaycrm/relay/views/pages"
)

// segmentsPerPage is the segments list's page size.
const segmentsPerPage = 50

// segmentRoutes are the segments pages: aggregates of the group's clients,
// open to every signed-in role (they show no client).
func (s *server) segmentRoutes(g *echo.Group) {
	g.GET("/segments", s.segmentList)
	g.GET("/segments/:id", s.segmentProfile)
}

func (s *server) segmentList(c echo.Context) error {
	ctx := c.Request().Context()
	v := viewer(c)
	q := c.QueryParams()
	errs := input.Errors{}
	f := segments.ListFilter{BankID: int64Query(q, "bank", errs), PerPage: segmentsPerPage, Page: 1}
	if l := q.Get("level"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 4 {
			errs.Add("level", i18n.T(ctx, "segments.problem.level", "Value", l))
		}
		f.Level = segments.Level(n)
	}
	sort := q.Get("sort")
	if sort == "" {
		sort = "-size"
	}
	f.Sort, f.Desc = strings.TrimPrefix(sort, "-"), strings.HasPrefix(sort, "-")
	ok := false
	for _, k := range segments.SortKeys {
		ok = ok || k == f.Sort
	}
	if !ok {
		errs.Add("sort", i18n.T(ctx, "segments.problem.sort", "Value", sort, "Keys", strings.Join(segments.SortKeys, ", ")))
	}
	f.Page = pageParam(q, errs)
	if len(errs) > 0 {
		return errs
	}
	page, err := segments.List(ctx, s.Pool, v, f)
	if err != nil {
		return err
	}
	opts, err := s.Clients.FilterOptions(ctx, v, 0)
	if err != nil {
		return err
	}
	vm := pages.Segments{Query: q, Bank: q.Get("bank"), Level: q.Get("level"), Sort: sort, Banks: options(opts.Banks),
		Page: f.Page, Pages: (page.Total + segmentsPerPage - 1) / segmentsPerPage, Total: page.Total}
	for _, l := range []segments.Level{segments.LevelBankRegionIndustryTenure, segments.LevelBankIndustryTenure,
		segments.LevelBankIndustry, segments.LevelGroupIndustry} {
		vm.Levels = append(vm.Levels, components.Option{Value: strconv.Itoa(int(l)), Label: segmentLevelLabel(ctx, l)})
	}
	for _, sg := range page.Segments {
		m := func(v int64) string { return i18n.MoneyWhole(ctx, v, sg.Currency, sg.MinorDigits) }
		row := pages.SegmentRow{ID: sg.ID, Label: sg.Label, Level: segmentLevelLabel(ctx, sg.Level), Size: i18n.Int(ctx, int64(sg.Size)),
			Best: i18n.Int(ctx, int64(sg.BestClients)), IdealIncome: shown(ctx, sg.IdealWithheld, m(sg.IdealIncome)),
			AvgIncome: shown(ctx, sg.IncomeWithheld, m(sg.AvgIncome)), ChurnRate: rate(ctx, sg.ChurnRate), LTV: i18n.T(ctx, "segments.unknown")}
		if sg.LTV != nil {
			row.LTV = m(*sg.LTV)
		}
		if sg.IncomeWithheld {
			row.LTV = withheldText(ctx)
		}
		for _, p := range sg.IdealSet {
			row.IdealSet = append(row.IdealSet, p.Code+" "+i18n.Percent(ctx, p.Adoption, 0))
		}
		switch sg.ProfileID {
		case 0:
			row.ProfileNote = i18n.T(ctx, "segments.noideal.short")
		case sg.ID:
		default:
			row.ProfileNote = i18n.T(ctx, "segments.borrowed.short", "Label", sg.ProfileLabel)
		}
		vm.Rows = append(vm.Rows, row)
		vm.AsOf = i18n.Month(ctx, sg.AsOf)
	}
	return render(c, http.StatusOK, pages.SegmentsPage(s.layout(c, v, i18n.T(ctx, "segments.title"), "segments"), vm))
}

// withheldText stands for a figure learned from too few clients to show.
func withheldText(ctx context.Context) string {
	return i18n.Plural(ctx, "segments.withheld", int64(segments.MinClientsShown))
}

// shown is text, or withheldText when the figure is withheld.
func shown(ctx context.Context, withheld bool, text string) string {
	if withheld {
		return withheldText(ctx)
	}
	return text
}

func rate(ctx context.Context, r *float64) string {
	if r == nil {
		return i18n.T(ctx, "segments.unknown")
	}
	return i18n.Percent(ctx, *r, 1)
}

// segmentLevelLabel is a segment level in the viewer's language.
func segmentLevelLabel(ctx context.Context, l segments.Level) string {
	if l < segments.LevelBankRegionIndustryTenure || l > segments.LevelGroupIndustry {
		return l.Label()
	}
	return i18n.T(ctx, "segments.levels.l"+strconv.Itoa(int(l)))
}

func (s *server) segmentProfile(c echo.Context) error {
	ctx := c.Request().Context()
	v := viewer(c)
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	p, err := segments.Get(ctx, s.Pool, v, id)
	if err != nil {
		return err
	}
	cfg, err := s.Settings.Load(ctx)
	if err != nil {
		return err
	}
	m := func(v int64) string { return i18n.MoneyWhole(ctx, v, p.Currency, p.MinorDigits) }
	n := func(v int) string { return i18n.Int(ctx, int64(v)) }
	unknown := i18n.T(ctx, "segments.unknown")
	vm := pages.SegmentProfile{Label: p.Label, Level: segmentLevelLabel(ctx, p.Level), AsOf: i18n.Month(ctx, p.AsOf),
		Size: n(p.Size), Assigned: n(p.Assigned), Best: n(p.BestClients),
		IdealIncome: shown(ctx, p.IdealWithheld, m(p.IdealIncome)), AvgIncome: shown(ctx, p.IncomeWithheld, m(p.AvgIncome)), ChurnBase: n(p.ChurnBase),
		ChurnLeavers: n(p.ChurnLeavers), ChurnRate: rate(ctx, p.ChurnRate), ExpectedYears: unknown, LTV: unknown,
		IdealThreshold: i18n.Percent(ctx, cfg.Ratio("profile.ideal_adoption"), 0),
		MinBestHolders: n(cfg.Int("profile.min_best_holders"))}
	minBest := cfg.Int("profile.min_best_clients")
	switch {
	case p.ProfileID == 0:
		vm.ProfileNote = i18n.T(ctx, "segments.noideal", "Best", n(p.BestClients), "Needed", minBest)
	case p.ProfileID != p.ID:
		vm.ProfileNote = i18n.T(ctx, "segments.borrowed", "Best", n(p.BestClients), "Needed", minBest)
		vm.ProfileLabel, vm.ProfileHref = p.ProfileLabel, fmt.Sprintf("/segments/%d", p.ProfileID)
	}
	if p.ExpectedYears != nil {
		vm.ExpectedYears = i18n.Decimal(ctx, *p.ExpectedYears, 1)
	}
	if p.LTV != nil {
		vm.LTV = m(*p.LTV)
	}
	if p.IncomeWithheld {
		vm.LTV = withheldText(ctx)
	}
	for _, pr := range p.Products {
		vm.Products = append(vm.Products, pages.SegmentProduct{Product: pr.Name, Code: pr.Code,
			Holders: n(pr.Holders), BestHolders: n(pr.BestHolders),
			Adoption: i18n.Percent(ctx, pr.Adoption, 0), Value: shown(ctx, pr.ValueWithheld, m(pr.Value)), ValueHolders: n(pr.ValueHolders),
			InIdeal: pr.InIdeal})
	}
	for _, st := range p.Stages {
		row := pages.SegmentStage{Stage: stageLabel(ctx, st.Stage), Clients: n(st.Clients),
			AvgIncome: shown(ctx, st.Withheld, m(st.AvgIncome)), LTV: unknown}
		if st.LTV != nil {
			row.LTV = m(*st.LTV)
		}
		if st.Withheld {
			row.LTV = withheldText(ctx)
		}
		vm.Stages = append(vm.Stages, row)
	}
	return render(c, http.StatusOK, pages.SegmentProfilePage(s.layout(c, v, p.Label, "segments"), vm))
}
