package web

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/relaycrm/relay/internal/access"
	"github.com/relaycrm/relay/internal/input"
	"github.com/relaycrm/relay/internal/money"
	"github.com/relaycrm/relay/internal/segments"
	"github.com/relaycrm/relay/internal/triggers"
	"github.com/relaycrm/relay/views/components"
	"github.com/relaycrm/relay/views/pages"
)

// effectivenessRoutes: what the triggers add, for those who judge them.
func (s *server) effectivenessRoutes(g *echo.Group) {
	eg := g.Group("/effectiveness", requireRole(access.BranchHead, access.Risk, access.Admin))
	eg.GET("", s.effectiveness)
	eg.GET("/export.csv", s.effectivenessCSV)
}

// effectFilter binds the page's query: the bank (default: the first the
// viewer may choose) and the months raised, YYYY-MM.
func (s *server) effectFilter(c echo.Context) (triggers.EffectFilter, []components.Option, error) {
	ctx := c.Request().Context()
	q := c.QueryParams()
	errs := input.Errors{}
	cfg, err := s.Settings.Load(ctx)
	if err != nil {
		return triggers.EffectFilter{}, nil, err
	}
	f := triggers.EffectFilter{BankID: int64Query(q, "bank", errs), MinCases: cfg.Int("trigger.effect_min_cases"),
		WindowMonths: cfg.Int("trigger.win_window_months")}
	for _, p := range []struct {
		name string
		to   *time.Time
	}{{"from", &f.From}, {"to", &f.To}} {
		if v := q.Get(p.name); v != "" {
			m, err := time.Parse("2006-01", v)
			if err != nil {
				errs.Add(p.name, fmt.Sprintf("%q is not a month; use YYYY-MM", v))
			}
			*p.to = m
		}
	}
	if !f.From.IsZero() && !f.To.IsZero() && f.To.Before(f.From) {
		errs.Add("to", "comes before from")
	}
	if len(errs) > 0 {
		return f, nil, errs
	}
	opts, err := s.Clients.FilterOptions(ctx, viewer(c), 0)
	if err != nil {
		return f, nil, err
	}
	if f.BankID == 0 && len(opts.Banks) > 0 {
		f.BankID = opts.Banks[0].ID
	}
	ok := false
	for _, b := range opts.Banks {
		ok = ok || b.ID == f.BankID
	}
	if !ok {
		return f, nil, input.Errors{"bank": fmt.Sprintf("%d is not a bank you may choose", f.BankID)}
	}
	return f, options(opts.Banks), nil
}

func (s *server) effectiveness(c echo.Context) error {
	v := viewer(c)
	f, banks, err := s.effectFilter(c)
	if err != nil {
		return err
	}
	e, err := triggers.Effectiveness(c.Request().Context(), s.Pool, v, f)
	if err != nil {
		return err
	}
	vm := pages.Effectiveness{Bank: strconv.FormatInt(f.BankID, 10), Banks: banks, Window: strconv.Itoa(f.WindowMonths),
		MinCases: components.Int(f.MinCases), Empty: e.FirstMonth.IsZero(), Levels: c.QueryParam("levels") == "1"}
	if !vm.Empty {
		vm.AsOf = components.Month(e.AsOf)
		vm.From, vm.To = e.From.Format("2006-01"), e.To.Format("2006-01")
		vm.Span = components.Month(e.From) + " to " + components.Month(e.To)
		query := url.Values{"bank": {vm.Bank}, "from": {vm.From}, "to": {vm.To}}
		vm.ExportCSV = "/effectiveness/export.csv?" + query.Encode()
		if !vm.Levels {
			query.Set("levels", "1")
		}
		vm.LevelsHref = "/effectiveness?" + query.Encode()
		vm.Total = effectRow(e, e.Total)
		for _, r := range e.Rows {
			if r.Level == 0 || vm.Levels {
				vm.Rows = append(vm.Rows, effectRow(e, r))
			}
		}
		for _, r := range e.ByUplift() {
			vm.Chart = append(vm.Chart, components.UpliftPoint{Label: r.ProductName, Diff: r.Uplift.Diff, Lo: r.Uplift.Lo,
				Hi: r.Uplift.Hi, Title: fmt.Sprintf("%s: %s (%s); %d shown, %d held back", r.ProductName, points(r.Uplift.Diff),
					interval(r.Uplift), r.Shown.N, r.HeldBack.N)})
		}
	}
	return render(c, http.StatusOK, pages.EffectivenessPage(s.layout(c, v, "Effectiveness", "effectiveness"), vm))
}

// effectivenessCSV streams the page's table for analysts.
func (s *server) effectivenessCSV(c echo.Context) error {
	f, _, err := s.effectFilter(c)
	if err != nil {
		return err
	}
	e, err := triggers.Effectiveness(c.Request().Context(), s.Pool, viewer(c), f)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="effectiveness.csv"`)
	c.Response().WriteHeader(http.StatusOK)
	w := csv.NewWriter(c.Response())
	if err := triggers.WriteEffectCSV(w, e, true); err != nil {
		return err
	}
	w.Flush()
	return w.Error()
}

func points(d float64) string { return fmt.Sprintf("%+.1f pts", d*100) }

func interval(u triggers.Uplift) string {
	return fmt.Sprintf("%+.1f to %+.1f", u.Lo*100, u.Hi*100)
}

func pct(p triggers.Proportion) string {
	if p.N == 0 {
		return "–"
	}
	return fmt.Sprintf("%.1f%%", p.Rate()*100)
}

func ofCases(p triggers.Proportion) string {
	return components.Int(p.K) + " of " + components.Int(p.N)
}

func effectRow(e triggers.Effect, r triggers.EffectRow) pages.EffectRow {
	m := func(v int64) string { return money.Whole(v, e.Currency, e.MinorDigits) }
	out := pages.EffectRow{Product: r.ProductName, Code: r.ProductCode, Total: r.Level == 0, Enough: r.Enough,
		Shown: ofCases(r.Shown), ShownRate: pct(r.Shown), Held: ofCases(r.HeldBack), HeldRate: pct(r.HeldBack),
		All: ofCases(r.All()), AllRate: pct(r.All()), Base: ofCases(r.Base), BaseRate: pct(r.Base), Factor: "–",
		Expected: "–", Followed: ""}
	if r.Level == 0 {
		out.Level = "every level"
	} else {
		out.Level = segments.Level(r.Level).Label()
	}
	if r.Enough {
		out.Uplift, out.Interval, out.IncomeAdded = points(r.Uplift.Diff), interval(r.Uplift), m(r.IncomeAdded)
	} else {
		out.Uplift, out.Interval, out.IncomeAdded = "not enough cases yet", "", "–"
	}
	if r.Factor != nil {
		out.Factor = "× " + strconv.FormatFloat(*r.Factor, 'f', 2, 64)
	}
	if r.All().K > 0 {
		out.Expected = m(r.ExpectedYearly())
		out.Followed = "followed " + m(r.RealisedYearly(e.WindowMonths))
	}
	return out
}
