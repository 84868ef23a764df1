package web

import (
	"context"
	"encoding/csv"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/relaycrm/relay/internal/access"
	"github.com/relaycrm/relay/internal/i18n"
	"github.com/relaycrm/relay/internal/input"
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
				errs.Add(p.name, i18n.T(ctx, "effectiveness.problem.month", "Value", v))
			}
			*p.to = m
		}
	}
	if !f.From.IsZero() && !f.To.IsZero() && f.To.Before(f.From) {
		errs.Add("to", i18n.T(ctx, "effectiveness.problem.order"))
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
		return f, nil, input.Errors{"bank": i18n.T(ctx, "effectiveness.problem.bank", "ID", f.BankID)}
	}
	return f, options(opts.Banks), nil
}

func (s *server) effectiveness(c echo.Context) error {
	v := viewer(c)
	f, banks, err := s.effectFilter(c)
	if err != nil {
		return err
	}
	ctx := ctxOf(c)
	e, err := triggers.Effectiveness(ctx, s.Pool, v, f)
	if err != nil {
		return err
	}
	vm := pages.Effectiveness{Bank: strconv.FormatInt(f.BankID, 10), Banks: banks, Window: strconv.Itoa(f.WindowMonths),
		MinCases: i18n.Int(ctx, int64(f.MinCases)), Empty: e.FirstMonth.IsZero(), Levels: c.QueryParam("levels") == "1"}
	if !vm.Empty {
		vm.AsOf = i18n.Month(ctx, e.AsOf)
		vm.From, vm.To = e.From.Format("2006-01"), e.To.Format("2006-01")
		vm.Span = i18n.T(ctx, "models.range", "From", i18n.Month(ctx, e.From), "To", i18n.Month(ctx, e.To))
		query := url.Values{"bank": {vm.Bank}, "from": {vm.From}, "to": {vm.To}}
		vm.ExportCSV = "/effectiveness/export.csv?" + query.Encode()
		if !vm.Levels {
			query.Set("levels", "1")
		}
		vm.LevelsHref = "/effectiveness?" + query.Encode()
		vm.Total = effectRow(ctx, e, e.Total)
		for _, r := range e.Rows {
			if r.Level == 0 || vm.Levels {
				vm.Rows = append(vm.Rows, effectRow(ctx, e, r))
			}
		}
		for _, r := range e.ByUplift() {
			vm.Chart = append(vm.Chart, components.UpliftPoint{Label: r.ProductName, Diff: r.Uplift.Diff, Lo: r.Uplift.Lo,
				Hi: r.Uplift.Hi, Title: i18n.T(ctx, "effectiveness.chart.title", "Product", r.ProductName, "Uplift", points(ctx, r.Uplift.Diff),
					"Interval", interval(ctx, r.Uplift), "Shown", i18n.Int(ctx, int64(r.Shown.N)), "Held", i18n.Int(ctx, int64(r.HeldBack.N)))})
		}
	}
	return render(c, http.StatusOK, pages.EffectivenessPage(s.layout(c, v, i18n.T(ctx, "effectiveness.title"), "effectiveness"), vm))
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
	if err := triggers.WriteEffectCSV(w, e, true, i18n.From(c.Request().Context())); err != nil {
		return err
	}
	w.Flush()
	return w.Error()
}

// signed writes v with one decimal and its sign, in the viewer's locale.
func signed(ctx context.Context, v float64) string {
	s := i18n.Decimal(ctx, v, 1)
	if !strings.HasPrefix(s, "-") && !strings.HasPrefix(s, "−") {
		s = "+" + s
	}
	return s
}

func points(ctx context.Context, d float64) string {
	return i18n.T(ctx, "effectiveness.points", "Value", signed(ctx, d*100))
}

func interval(ctx context.Context, u triggers.Uplift) string {
	return i18n.T(ctx, "models.range", "From", signed(ctx, u.Lo*100), "To", signed(ctx, u.Hi*100))
}

func pct(ctx context.Context, p triggers.Proportion) string {
	if p.N == 0 {
		return "–"
	}
	return i18n.Percent(ctx, p.Rate(), 1)
}

func ofCases(ctx context.Context, p triggers.Proportion) string {
	return i18n.T(ctx, "effectiveness.of", "K", i18n.Int(ctx, int64(p.K)), "N", i18n.Int(ctx, int64(p.N)))
}

func effectRow(ctx context.Context, e triggers.Effect, r triggers.EffectRow) pages.EffectRow {
	m := func(v int64) string { return i18n.MoneyWhole(ctx, v, e.Currency, e.MinorDigits) }
	out := pages.EffectRow{Product: r.ProductName, Code: r.ProductCode, Total: r.Level == 0, Enough: r.Enough,
		Shown: ofCases(ctx, r.Shown), ShownRate: pct(ctx, r.Shown), Held: ofCases(ctx, r.HeldBack), HeldRate: pct(ctx, r.HeldBack),
		All: ofCases(ctx, r.All()), AllRate: pct(ctx, r.All()), Base: ofCases(ctx, r.Base), BaseRate: pct(ctx, r.Base), Factor: "–",
		Expected: "–", Followed: ""}
	if r.Level == 0 {
		out.Level = i18n.T(ctx, "effectiveness.everylevel")
	} else {
		out.Level = segmentLevelLabel(ctx, segments.Level(r.Level))
	}
	if r.Enough {
		out.Uplift, out.Interval, out.IncomeAdded = points(ctx, r.Uplift.Diff), interval(ctx, r.Uplift), m(r.IncomeAdded)
	} else {
		out.Uplift, out.Interval, out.IncomeAdded = i18n.T(ctx, "effectiveness.notenough"), "", "–"
	}
	if r.Factor != nil {
		out.Factor = "× " + i18n.Decimal(ctx, *r.Factor, 2)
	}
	if r.All().K > 0 {
		out.Expected = m(r.ExpectedYearly())
		out.Followed = i18n.T(ctx, "effectiveness.followed", "Value", m(r.RealisedYearly(e.WindowMonths)))
	}
	return out
}
