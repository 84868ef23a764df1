package web

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/relaycrm/relay/internal/access"
	"github.com/relaycrm/relay/internal/churn"
	"github.com/relaycrm/relay/internal/db"
	"github.com/relaycrm/relay/internal/i18n"
	"github.com/relaycrm/relay/internal/input"
	"github.com/relaycrm/relay/internal/model"
	"github.com/relaycrm/relay/internal/warnings"
	"github.com/relaycrm/relay/views/components"
	"github.com/relaycrm/relay/views/pages"
)

// modelsShown is how many models the models page lists.
const modelsShown = 50

// modelRoutes are the churn models' pages: the list and the banks' scorers
// (risk team and admins; an admin may switch a bank's scorer), a model's card
// (every signed-in role: a card links to the model that scored it; it shows
// no client), and the warning backtest (risk team and admins).
func (s *server) modelRoutes(g *echo.Group) {
	g.GET("/models", s.models, requireRole(access.Risk, access.Admin))
	g.GET("/models/:id", s.modelCard)
	g.POST("/admin/models/use", s.modelUse, requireRole(access.Admin))
	g.GET("/backtest", s.backtest, requireRole(access.Risk, access.Admin))
	g.GET("/takeup", s.takeupModels, requireRole(access.Risk, access.Admin, access.BranchHead))
}

func (s *server) models(c echo.Context) error {
	ctx := c.Request().Context()
	v := viewer(c)
	group := int16(v.GroupID)
	uses, err := churn.BankUses(ctx, s.Pool, group)
	if err != nil {
		return err
	}
	recs, err := churn.Models(ctx, s.Pool, group, modelsShown)
	if err != nil {
		return err
	}
	vm := pages.Models{CanChoose: v.Role == access.Admin, CSRF: s.csrfToken(c), Flash: s.popFlash(c)}
	for _, u := range uses {
		b := pages.ModelBank{ID: int64(u.BankID), Code: u.Code, Name: u.Name, Next: "fixed weights", Reason: u.Reason,
			Last: "not scored yet"}
		if u.ModelID != nil {
			b.Next, b.NextHref, b.UsesModel = fmt.Sprintf("model %d", *u.ModelID), fmt.Sprintf("/models/%d", *u.ModelID), true
		}
		if b.Reason == "" {
			b.Reason = "no learned model has beaten the fixed weights on this bank's history yet"
		}
		if u.LastAsOf != nil {
			who := "the fixed weights"
			if u.LastModelID != nil {
				who = fmt.Sprintf("model %d", *u.LastModelID)
			}
			b.Last = fmt.Sprintf("%s, as of %s", who, components.Month(*u.LastAsOf))
		}
		vm.Banks = append(vm.Banks, b)
	}
	for _, r := range recs {
		row := pages.ModelRow{ID: r.ID, Href: fmt.Sprintf("/models/%d", r.ID), Source: r.Source,
			Fitted: r.FittedAt.Format("2006-01-02"), Scope: r.Card.Scope, Origin: r.Origin,
			TestAUC: optFig(r.TestAUC, 3), TestLift: optFig(r.TestLift, 2), FixedAUC: optFig(r.FixedAUC, 3),
			FixedLift: optFig(r.FixedLift, 2), Beats: r.Beats, UsedBy: strings.Join(r.UsedBy, ", ")}
		if row.UsedBy == "" {
			row.UsedBy = "no bank"
		}
		vm.Models = append(vm.Models, row)
		vm.Options = append(vm.Options, components.Option{Value: strconv.FormatInt(r.ID, 10),
			Label: fmt.Sprintf("Model %d (%s %s, lift %s)", r.ID, r.Source, row.Fitted, row.TestLift)})
	}
	return render(c, http.StatusOK, pages.ModelsPage(s.layout(c, v, "Churn models", "models"), vm))
}

func optFig(v *float64, digits int) string {
	if v == nil {
		return "n/a"
	}
	return fig(*v, digits)
}

func fig(v float64, digits int) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "n/a"
	}
	return strconv.FormatFloat(v, 'f', digits, 64)
}

func percent(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "n/a"
	}
	return fmt.Sprintf("%.1f%%", 100*v)
}

// modelUse switches a bank's scorer, on an admin's word.
func (s *server) modelUse(c echo.Context) error {
	ctx := c.Request().Context()
	v := viewer(c)
	errs := input.Errors{}
	bank, err := strconv.ParseInt(c.FormValue("bank"), 10, 16)
	if err != nil || bank < 1 {
		errs.Add("bank", fmt.Sprintf("%q is not a bank", c.FormValue("bank")))
	}
	var modelID *int64
	switch m := c.FormValue("model"); m {
	case "fixed":
	default:
		id, err := strconv.ParseInt(m, 10, 64)
		if err != nil || id < 1 {
			errs.Add("model", fmt.Sprintf("%q is not a model; choose one of the list or the fixed weights", m))
		}
		modelID = &id
	}
	if len(errs) > 0 {
		return errs
	}
	err = churn.Use(ctx, s.Pool, int16(v.GroupID), int16(bank), modelID, v.UserID)
	if errors.Is(err, churn.ErrNotFound) {
		return input.Errors{"model": "no such bank or model in your group"}
	}
	if err != nil {
		return err
	}
	msg := "The bank is scored with the fixed weights from the next nightly run."
	if modelID != nil {
		msg = fmt.Sprintf("The bank is scored with model %d from the next nightly run.", *modelID)
	}
	s.setFlash(c, msg)
	return seeOther(c, "/models")
}

// modelCard shows one model's card: what it learned from, its figures out of
// time beside the fixed weights', its calibration and each input's shape.
func (s *server) modelCard(c echo.Context) error {
	ctx := c.Request().Context()
	v := viewer(c)
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	rec, err := churn.Model(ctx, s.Pool, int16(v.GroupID), id)
	if errors.Is(err, churn.ErrNotFound) {
		return fmt.Errorf("model %d: %w", id, db.ErrNotFound)
	}
	if err != nil {
		return err
	}
	m, err := churn.Shapes(ctx, s.Pool, int16(v.GroupID), id)
	if err != nil {
		return err
	}
	card := rec.Card
	vm := pages.ModelCard{ID: rec.ID, Source: rec.Source, Origin: rec.Origin, Scope: card.Scope, Target: card.Target,
		Fitted: rec.FittedAt.Format("2006-01-02"), FittedOn: monthSpan(card.FittedOn), TestedOn: monthSpan(card.TestedOn),
		Rows: components.Int(card.Rows), Positives: components.Int(card.Positives), Entities: components.Int(card.Entities),
		Refitted: card.Refitted, Censored: card.Censored, UsedBy: strings.Join(rec.UsedBy, ", ")}
	if vm.UsedBy == "" {
		vm.UsedBy = "no bank"
	}
	vm.Smoothing = fmt.Sprintf("%g (%s)", card.Smooth, card.SmoothChosenBy)
	if t, b := card.Test, card.Baseline; t != nil && b != nil {
		vm.Figures = []pages.ModelFigure{
			{Name: "AUC", Model: fig(t.AUC, 3), Fixed: fig(b.AUC, 3), Note: "the chance a leaver scores above a client who stays; 0.5 is chance"},
			{Name: "Top-10% lift", Model: fig(t.Lift10, 2), Fixed: fig(b.Lift10, 2), Note: "leavers' share among the 10% highest scores over their share among all"},
			{Name: "Leavers in the top 10%", Model: percent(t.Captured10), Fixed: percent(b.Captured10), Note: "of all leavers of the test months"},
			{Name: "Brier score", Model: fig(t.Brier, 4), Fixed: fig(b.Brier, 4), Note: "the mean squared error of the probability: lower is better calibrated"},
			{Name: "Leaving rate", Model: percent(t.Rate), Fixed: percent(b.Rate), Note: "of the test's client-months, weighted"},
		}
		for i, at := range t.AtThresholds {
			if i >= len(b.AtThresholds) {
				break
			}
			bt := b.AtThresholds[i]
			level := fmt.Sprintf("score %.0f", at.Threshold*100)
			vm.Figures = append(vm.Figures,
				pages.ModelFigure{Name: "Recall at " + level, Model: percent(at.Recall), Fixed: percent(bt.Recall), Note: "the share of leavers scored at or above it"},
				pages.ModelFigure{Name: "Precision at " + level, Model: percent(at.Precision), Fixed: percent(bt.Precision), Note: "the share of clients scored at or above it that left"})
		}
		for _, cb := range t.Calibration {
			vm.Calibration = append(vm.Calibration, pages.ModelCalibration{Decile: strconv.Itoa(cb.Decile),
				Range: fmt.Sprintf("%.1f%% to %.1f%%", 100*cb.Low, 100*cb.High), Predicted: percent(cb.Predicted),
				Observed: percent(cb.Observed), Rows: components.Int(cb.Rows)})
		}
	}
	for _, b := range card.Banks {
		vm.Banks = append(vm.Banks, pages.ModelVerdict{Bank: b.Code, ModelAUC: fig(b.Model.AUC, 3),
			ModelLift: fig(b.Model.Lift10, 2), FixedAUC: fig(b.Fixed.AUC, 3), FixedLift: fig(b.Fixed.Lift10, 2),
			Leavers: components.Int(b.Model.Positives), Why: b.Why, Used: b.Used})
	}
	if a, ok := m.(*model.Additive); ok {
		vm.Inputs = inputShapes(i18n.From(ctx), a)
	}
	return render(c, http.StatusOK, pages.ModelCardPage(s.layout(c, v, fmt.Sprintf("Churn model %d", id), "models"), vm))
}

// inputShapes lists an additive model's inputs, most important first, each
// with the effect of every range of its values, named in locale l.
func inputShapes(l i18n.Locale, a *model.Additive) []pages.ModelInput {
	shapes := a.Shapes()
	codes := a.Inputs()
	order := make([]int, len(shapes))
	for i := range order {
		order[i] = i
	}
	sortByDesc(order, func(i int) float64 { return shapes[i].Importance })
	var out []pages.ModelInput
	for _, k := range order {
		sh := shapes[k]
		in, ok := warnings.InputByCode(codes[k])
		if !ok {
			in = warnings.Input{Code: codes[k], Label: codes[k], Unit: warnings.Count}
		}
		mi := pages.ModelInput{Code: in.Code, Label: in.LabelIn(l), Importance: fmt.Sprintf("%.3f", sh.Importance)}
		top := math.Abs(sh.Missing)
		for _, c := range sh.Coef {
			top = math.Max(top, math.Abs(c))
		}
		rel := func(c float64) float64 {
			if top == 0 {
				return 0
			}
			return c / top
		}
		for b, c := range sh.Coef {
			mi.Bins = append(mi.Bins, pages.ModelBin{Range: binRange(in, sh.Edges, b), Odds: fmt.Sprintf("×%.2f", math.Exp(c)), Share: rel(c)})
		}
		if sh.Missing != 0 {
			mi.Bins = append(mi.Bins, pages.ModelBin{Range: "no figure", Odds: fmt.Sprintf("×%.2f", math.Exp(sh.Missing)), Share: rel(sh.Missing)})
		}
		out = append(out, mi)
	}
	return out
}

// binRange says which values bin b of edges holds, in the input's units.
func binRange(in warnings.Input, edges []float64, b int) string {
	f := func(v float64) string { return in.Format(v, "", 0) }
	switch {
	case len(edges) == 0:
		return "any value"
	case b == 0:
		return "below " + f(edges[0])
	case b >= len(edges):
		return f(edges[len(edges)-1]) + " or more"
	}
	return f(edges[b-1]) + " to " + f(edges[b])
}

func sortByDesc(idx []int, key func(int) float64) {
	for i := 1; i < len(idx); i++ {
		for j := i; j > 0 && key(idx[j]) > key(idx[j-1]); j-- {
			idx[j], idx[j-1] = idx[j-1], idx[j]
		}
	}
}

func monthSpan(months []string) string {
	switch len(months) {
	case 0:
		return "none"
	case 1:
		return months[0]
	}
	return fmt.Sprintf("%s to %s (%d months)", months[0], months[len(months)-1], len(months))
}

// backtestHorizon is the horizon the backtest page's charts and breakdowns
// show (the table shows every horizon).
const backtestHorizon = 6

// backtest shows the group's latest warning backtest.
func (s *server) backtest(c echo.Context) error {
	ctx := c.Request().Context()
	v := viewer(c)
	l := s.layout(c, v, "Warning backtest", "backtest")
	rep, err := churn.LatestBacktest(ctx, s.Pool, int16(v.GroupID))
	if errors.Is(err, churn.ErrNoBacktest) {
		return render(c, http.StatusOK, pages.BacktestPage(l, pages.Backtest{Empty: true}))
	}
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, pages.BacktestPage(l, backtestView(rep)))
}

var scorerNames = map[string]string{"fixed": "fixed weights", "model": "learned model"}

func backtestLine(scope, scorer string, h int, f churn.Figures) pages.BacktestLine {
	return pages.BacktestLine{Scope: scope, Scorer: scorerNames[scorer], Horizon: fmt.Sprintf("%d months", h),
		Clients: components.Int(int(math.Round(f.Clients))), Leavers: components.Int(int(math.Round(f.Leavers))),
		Rate: percent(f.Rate()), Warned: components.Int(int(math.Round(f.Warned))), Recall: percent(f.Recall()),
		Precision: percent(f.Precision()), Lift: fig(f.Lift10(), 2), AUC: fig(f.AUC, 3), Model: scorer == "model"}
}

func backtestView(rep churn.Report) pages.Backtest {
	vm := pages.Backtest{ID: rep.ID, From: components.Month(rep.From), To: components.Month(rep.To),
		Ran: rep.StartedAt.Format("2006-01-02 15:04"), Scope: rep.Setup.Scope, Horizon: fmt.Sprintf("%d months", backtestHorizon),
		HasModel: rep.HasModel}
	codes := make([]string, 0, len(rep.Setup.ModelNames))
	for code := range rep.Setup.ModelNames {
		codes = append(codes, code)
	}
	slices.Sort(codes)
	for _, code := range codes {
		vm.Models = append(vm.Models, fmt.Sprintf("Learned model replayed for %s: %s.", code, rep.Setup.ModelNames[code]))
	}
	if rep.Setup.WalkForward != "" && len(codes) == 0 {
		vm.Models = append(vm.Models, "No learned model: "+rep.Setup.WalkForward+", and none is stored.")
	}
	if len(vm.Models) == 0 {
		vm.Models = append(vm.Models, "No learned model exists yet: only the fixed weights were replayed.")
	}
	if rep.Setup.WalkForward != "" && len(codes) > 0 && !strings.Contains(vm.Models[0], "before the replayed months") {
		vm.Models = append(vm.Models, "Not fitted for this backtest alone: "+rep.Setup.WalkForward+"; the stored models were replayed, and the months they were fitted on are in-sample.")
	}
	vm.Sample = "Every client of every month replayed."
	if rep.Setup.Share < 1 {
		vm.Sample = fmt.Sprintf("Every leaver and a random %.1f%% of the clients who stayed, weighted to stand for all of them.", 100*rep.Setup.Share)
	}
	for _, sl := range rep.Summary {
		line := backtestLine("", sl.Scorer, sl.Horizon, sl.Figures)
		var notes []string
		if sl.InSample > 0 {
			notes = append(notes, fmt.Sprintf("%d of %d months in-sample", sl.InSample, sl.Months))
		}
		if sl.Censored > 0 {
			notes = append(notes, fmt.Sprintf("%d months cut short by the end of the data", sl.Censored))
		}
		line.Note = strings.Join(notes, "; ")
		vm.Summary = append(vm.Summary, line)
	}
	for _, b := range rep.Banks {
		if b.Horizon == backtestHorizon {
			vm.Banks = append(vm.Banks, backtestLine(b.Bank, b.Scorer, b.Horizon, b.Figures))
		}
	}
	for _, b := range rep.Levels {
		if b.Horizon == backtestHorizon {
			vm.Levels = append(vm.Levels, backtestLine(fmt.Sprintf("level %d", *b.Level), b.Scorer, b.Horizon, b.Figures))
		}
	}
	// lift by month, one line per scorer, months a model was fitted on shaded
	index := map[string]int{}
	series := map[string][]float64{}
	for _, ml := range rep.Months {
		if ml.Horizon != backtestHorizon {
			continue
		}
		label := ml.Month.Format("2006-01")
		i, ok := index[label]
		if !ok {
			i = len(vm.LiftMonths)
			index[label] = i
			vm.LiftMonths = append(vm.LiftMonths, label)
			vm.InSample = append(vm.InSample, false)
		}
		vals := series[ml.Scorer]
		for len(vals) <= i {
			vals = append(vals, math.NaN())
		}
		vals[i] = ml.Lift10()
		series[ml.Scorer] = vals
		if ml.Scorer == "model" && ml.InSample > 0 {
			vm.InSample[i] = true
		}
	}
	for _, sc := range []string{"fixed", "model"} {
		if vals, ok := series[sc]; ok {
			for len(vals) < len(vm.LiftMonths) {
				vals = append(vals, math.NaN())
			}
			vm.LiftSeries = append(vm.LiftSeries, components.Series{Name: scorerNames[sc], Class: sc, Values: vals})
		}
	}
	// months of warning before leaving
	for n := 1; n <= 6; n++ {
		vm.LeadLabels = append(vm.LeadLabels, fmt.Sprintf("%d+", n))
	}
	for _, ld := range rep.Lead {
		vals := make([]float64, 6)
		for n := 1; n <= 6; n++ {
			vals[n-1] = 100 * ld.AtLeast(n)
		}
		vm.LeadSeries = append(vm.LeadSeries, components.Series{Name: scorerNames[ld.Scorer] + " (% of leavers)", Class: ld.Scorer, Values: vals})
		vm.Lead = append(vm.Lead, pages.BacktestLead{Scorer: scorerNames[ld.Scorer], Leavers: components.Int(int(math.Round(ld.Leavers))),
			One: percent(ld.AtLeast(1)), Two: percent(ld.AtLeast(2)), Three: percent(ld.AtLeast(3)), Six: percent(ld.AtLeast(6))})
	}
	return vm
}
