package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/relaycrm/relay/internal/input"
	"github.com/relaycrm/relay/internal/money"
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
			errs.Add("level", fmt.Sprintf("%q is not a level; use 1 to 4", l))
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
		errs.Add("sort", fmt.Sprintf("%q is not a sort order; use %s, with - for descending", sort, strings.Join(segments.SortKeys, ", ")))
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
		vm.Levels = append(vm.Levels, components.Option{Value: strconv.Itoa(int(l)), Label: l.Label()})
	}
	for _, sg := range page.Segments {
		m := func(v int64) string { return money.Whole(v, sg.Currency, sg.MinorDigits) }
		row := pages.SegmentRow{ID: sg.ID, Label: sg.Label, Level: sg.Level.Label(), Size: components.Int(sg.Size),
			Best: components.Int(sg.BestClients), IdealIncome: shown(sg.IdealWithheld, m(sg.IdealIncome)),
			AvgIncome: shown(sg.IncomeWithheld, m(sg.AvgIncome)), ChurnRate: rate(sg.ChurnRate), LTV: "not known"}
		if sg.LTV != nil {
			row.LTV = m(*sg.LTV)
		}
		if sg.IncomeWithheld {
			row.LTV = withheldText
		}
		for _, p := range sg.IdealSet {
			row.IdealSet = append(row.IdealSet, fmt.Sprintf("%s %.0f%%", p.Code, p.Adoption*100))
		}
		switch sg.ProfileID {
		case 0:
			row.ProfileNote = "No ideal yet: too few best clients here and in every coarser segment."
		case sg.ID:
		default:
			row.ProfileNote = "Too few best clients: its clients use the profile of " + sg.ProfileLabel + "."
		}
		vm.Rows = append(vm.Rows, row)
		vm.AsOf = components.Month(sg.AsOf)
	}
	return render(c, http.StatusOK, pages.SegmentsPage(s.layout(c, v, "Segments", "segments"), vm))
}

// withheldText stands for a figure learned from too few clients to show.
var withheldText = fmt.Sprintf("fewer than %d clients", segments.MinClientsShown)

// shown is text, or withheldText when the figure is withheld.
func shown(withheld bool, text string) string {
	if withheld {
		return withheldText
	}
	return text
}

func rate(r *float64) string {
	if r == nil {
		return "not known"
	}
	return fmt.Sprintf("%.1f%%", *r*100)
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
	m := func(v int64) string { return money.Whole(v, p.Currency, p.MinorDigits) }
	vm := pages.SegmentProfile{Label: p.Label, Level: p.Level.Label(), AsOf: components.Month(p.AsOf),
		Size: components.Int(p.Size), Assigned: components.Int(p.Assigned), Best: components.Int(p.BestClients),
		IdealIncome: shown(p.IdealWithheld, m(p.IdealIncome)), AvgIncome: shown(p.IncomeWithheld, m(p.AvgIncome)), ChurnBase: components.Int(p.ChurnBase),
		ChurnLeavers: components.Int(p.ChurnLeavers), ChurnRate: rate(p.ChurnRate), ExpectedYears: "not known", LTV: "not known",
		IdealThreshold: fmt.Sprintf("%.0f%%", cfg.Ratio("profile.ideal_adoption")*100),
		MinBestHolders: components.Int(cfg.Int("profile.min_best_holders"))}
	minBest := cfg.Int("profile.min_best_clients")
	switch {
	case p.ProfileID == 0:
		vm.ProfileNote = fmt.Sprintf("No ideal yet: this segment has %s best clients and no coarser segment of its clients has the %d needed to learn an ideal profile from.",
			components.Int(p.BestClients), minBest)
	case p.ProfileID != p.ID:
		vm.ProfileNote = fmt.Sprintf("This segment has %s best clients, fewer than the %d needed, so its clients take their ideal profile from the coarser segment",
			components.Int(p.BestClients), minBest)
		vm.ProfileLabel, vm.ProfileHref = p.ProfileLabel, fmt.Sprintf("/segments/%d", p.ProfileID)
	}
	if p.ExpectedYears != nil {
		vm.ExpectedYears = fmt.Sprintf("%.1f", *p.ExpectedYears)
	}
	if p.LTV != nil {
		vm.LTV = m(*p.LTV)
	}
	if p.IncomeWithheld {
		vm.LTV = withheldText
	}
	for _, pr := range p.Products {
		vm.Products = append(vm.Products, pages.SegmentProduct{Product: pr.Name, Code: pr.Code,
			Holders: components.Int(pr.Holders), BestHolders: components.Int(pr.BestHolders),
			Adoption: fmt.Sprintf("%.0f%%", pr.Adoption*100), Value: shown(pr.ValueWithheld, m(pr.Value)), ValueHolders: components.Int(pr.ValueHolders),
			InIdeal: pr.InIdeal})
	}
	for _, st := range p.Stages {
		row := pages.SegmentStage{Stage: st.Stage.Label(), Clients: components.Int(st.Clients),
			AvgIncome: shown(st.Withheld, m(st.AvgIncome)), LTV: "not known"}
		if st.LTV != nil {
			row.LTV = m(*st.LTV)
		}
		if st.Withheld {
			row.LTV = withheldText
		}
		vm.Stages = append(vm.Stages, row)
	}
	return render(c, http.StatusOK, pages.SegmentProfilePage(s.layout(c, v, p.Label, "segments"), vm))
}
