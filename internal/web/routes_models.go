package web

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/relaycrm/relay/internal/access"
	"github.com/relaycrm/relay/internal/banks"
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
		b := pages.ModelBank{ID: int64(u.BankID), Code: u.Code, Name: u.Name, Next: i18n.T(ctx, "models.fixedweights.lower"),
			Reason: u.Reason, Last: i18n.T(ctx, "models.notscored")}
		if u.ModelID != nil {
			b.Next, b.NextHref, b.UsesModel = i18n.T(ctx, "models.modelid.lower", "ID", *u.ModelID), fmt.Sprintf("/models/%d", *u.ModelID), true
		}
		if b.Reason == "" {
			b.Reason = i18n.T(ctx, "models.noreason")
		}
		if u.LastAsOf != nil {
			who := i18n.T(ctx, "models.thefixedweights")
			if u.LastModelID != nil {
				who = i18n.T(ctx, "models.modelid.lower", "ID", *u.LastModelID)
			}
			b.Last = i18n.T(ctx, "models.lastasof", "Who", who, "Month", i18n.Month(ctx, *u.LastAsOf))
		}
		vm.Banks = append(vm.Banks, b)
	}
	for _, r := range recs {
		row := pages.ModelRow{ID: r.ID, Href: fmt.Sprintf("/models/%d", r.ID), Source: sourceIn(ctx, r.Source),
			Fitted: i18n.Date(ctx, r.FittedAt), Scope: scopeIn(ctx, r.Card.Scope), Origin: r.Origin,
			TestAUC: optFig(ctx, r.TestAUC, 3), TestLift: optFig(ctx, r.TestLift, 2), FixedAUC: optFig(ctx, r.FixedAUC, 3),
			FixedLift: optFig(ctx, r.FixedLift, 2), Beats: r.Beats, UsedBy: strings.Join(r.UsedBy, ", ")}
		if row.UsedBy == "" {
			row.UsedBy = i18n.T(ctx, "models.nobank")
		}
		vm.Models = append(vm.Models, row)
		vm.Options = append(vm.Options, components.Option{Value: strconv.FormatInt(r.ID, 10),
			Label: i18n.T(ctx, "models.option", "ID", r.ID, "Source", r.Source, "Fitted", row.Fitted, "Lift", row.TestLift)})
	}
	return render(c, http.StatusOK, pages.ModelsPage(s.layout(c, v, i18n.T(ctx, "models.title"), "models"), vm))
}

func optFig(ctx context.Context, v *float64, digits int) string {
	if v == nil {
		return i18n.T(ctx, "models.na")
	}
	return fig(ctx, *v, digits)
}

// fig writes a model's figure with digits decimals in the viewer's locale.
func fig(ctx context.Context, v float64, digits int) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return i18n.T(ctx, "models.na")
	}
	return i18n.Decimal(ctx, v, digits)
}

// percent writes a share as a percentage with one decimal.
func percent(ctx context.Context, v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return i18n.T(ctx, "models.na")
	}
	return i18n.Percent(ctx, v, 1)
}

// modelUse switches a bank's scorer, on an admin's word.
func (s *server) modelUse(c echo.Context) error {
	ctx := c.Request().Context()
	v := viewer(c)
	errs := input.Errors{}
	bank, err := strconv.ParseInt(c.FormValue("bank"), 10, 16)
	if err != nil || bank < 1 {
		errs.Add("bank", i18n.T(ctx, "models.problem.bank", "Value", c.FormValue("bank")))
	}
	var modelID *int64
	switch m := c.FormValue("model"); m {
	case "fixed":
	default:
		id, err := strconv.ParseInt(m, 10, 64)
		if err != nil || id < 1 {
			errs.Add("model", i18n.T(ctx, "models.problem.model", "Value", m))
		}
		modelID = &id
	}
	if len(errs) > 0 {
		return errs
	}
	err = churn.Use(ctx, s.Pool, int16(v.GroupID), int16(bank), modelID, v.UserID)
	if errors.Is(err, churn.ErrNotFound) {
		return input.Errors{"model": i18n.T(ctx, "models.problem.nosuch")}
	}
	if err != nil {
		return err
	}
	msg := i18n.T(ctx, "models.flash.fixed")
	if modelID != nil {
		msg = i18n.T(ctx, "models.flash.model", "ID", *modelID)
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
	vm := pages.ModelCard{ID: rec.ID, Source: sourceIn(ctx, rec.Source), Origin: rec.Origin, Scope: scopeIn(ctx, card.Scope), Target: churnTarget(ctx, card.Target, card.Horizon),
		Fitted: i18n.Date(ctx, rec.FittedAt), FittedOn: monthSpan(ctx, card.FittedOn), TestedOn: monthSpan(ctx, card.TestedOn),
		Rows: i18n.Int(ctx, int64(card.Rows)), Positives: i18n.Int(ctx, int64(card.Positives)), Entities: i18n.Int(ctx, int64(card.Entities)),
		Refitted: card.Refitted, Censored: card.Censored, UsedBy: strings.Join(rec.UsedBy, ", ")}
	if vm.UsedBy == "" {
		vm.UsedBy = i18n.T(ctx, "models.nobank")
	}
	vm.Smoothing = fmt.Sprintf("%s (%s)", i18n.From(ctx).Decimal(card.Smooth, smoothDigits(card.Smooth)), smoothWhyIn(ctx, card.Card))
	if t, b := card.Test, card.Baseline; t != nil && b != nil {
		vm.Figures = []pages.ModelFigure{
			{Name: "AUC", Model: fig(ctx, t.AUC, 3), Fixed: fig(ctx, b.AUC, 3), Note: i18n.T(ctx, "models.fig.auc.note")},
			{Name: i18n.T(ctx, "models.lift10"), Model: fig(ctx, t.Lift10, 2), Fixed: fig(ctx, b.Lift10, 2), Note: i18n.T(ctx, "models.fig.lift.note")},
			{Name: i18n.T(ctx, "models.fig.captured"), Model: percent(ctx, t.Captured10), Fixed: percent(ctx, b.Captured10), Note: i18n.T(ctx, "models.fig.captured.note")},
			{Name: i18n.T(ctx, "models.fig.brier"), Model: fig(ctx, t.Brier, 4), Fixed: fig(ctx, b.Brier, 4), Note: i18n.T(ctx, "models.fig.brier.note")},
			{Name: i18n.T(ctx, "models.fig.rate"), Model: percent(ctx, t.Rate), Fixed: percent(ctx, b.Rate), Note: i18n.T(ctx, "models.fig.rate.note")},
		}
		for i, at := range t.AtThresholds {
			if i >= len(b.AtThresholds) {
				break
			}
			bt := b.AtThresholds[i]
			level := fmt.Sprintf("%.0f", at.Threshold*100)
			vm.Figures = append(vm.Figures,
				pages.ModelFigure{Name: i18n.T(ctx, "models.fig.recall", "Score", level), Model: percent(ctx, at.Recall), Fixed: percent(ctx, bt.Recall), Note: i18n.T(ctx, "models.fig.recall.note")},
				pages.ModelFigure{Name: i18n.T(ctx, "models.fig.precision", "Score", level), Model: percent(ctx, at.Precision), Fixed: percent(ctx, bt.Precision), Note: i18n.T(ctx, "models.fig.precision.note")})
		}
		for _, cb := range t.Calibration {
			vm.Calibration = append(vm.Calibration, pages.ModelCalibration{Decile: strconv.Itoa(cb.Decile),
				Range: i18n.T(ctx, "models.range", "From", percent(ctx, cb.Low), "To", percent(ctx, cb.High)), Predicted: percent(ctx, cb.Predicted),
				Observed: percent(ctx, cb.Observed), Rows: i18n.Int(ctx, int64(cb.Rows))})
		}
	}
	for _, b := range card.Banks {
		vm.Banks = append(vm.Banks, pages.ModelVerdict{Bank: b.Code, ModelAUC: fig(ctx, b.Model.AUC, 3),
			ModelLift: fig(ctx, b.Model.Lift10, 2), FixedAUC: fig(ctx, b.Fixed.AUC, 3), FixedLift: fig(ctx, b.Fixed.Lift10, 2),
			Leavers: i18n.Int(ctx, int64(b.Model.Positives)), Why: b.WhyIn(i18n.From(ctx)), Used: b.Used})
	}
	if a, ok := m.(*model.Additive); ok {
		vm.Inputs = inputShapes(ctx, a)
	}
	return render(c, http.StatusOK, pages.ModelCardPage(s.layout(c, v, i18n.T(ctx, "models.card.title", "ID", id), "models"), vm))
}

// inputShapes lists an additive model's inputs, most important first, each
// with the effect of every range of its values, named in ctx's language.
func inputShapes(ctx context.Context, a *model.Additive) []pages.ModelInput {
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
		mi := pages.ModelInput{Code: in.Code, Label: in.LabelIn(i18n.From(ctx)), Importance: i18n.Decimal(ctx, sh.Importance, 3)}
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
			mi.Bins = append(mi.Bins, pages.ModelBin{Range: binRange(ctx, in, sh.Edges, b), Odds: "×" + i18n.Decimal(ctx, math.Exp(c), 2), Share: rel(c)})
		}
		if sh.Missing != 0 {
			mi.Bins = append(mi.Bins, pages.ModelBin{Range: i18n.T(ctx, "models.bin.none"), Odds: "×" + i18n.Decimal(ctx, math.Exp(sh.Missing), 2), Share: rel(sh.Missing)})
		}
		out = append(out, mi)
	}
	return out
}

// binRange says which values bin b of edges holds, in the input's units.
func binRange(ctx context.Context, in warnings.Input, edges []float64, b int) string {
	f := func(v float64) string { return in.Format(v, "", 0) }
	switch {
	case len(edges) == 0:
		return i18n.T(ctx, "models.bin.any")
	case b == 0:
		return i18n.T(ctx, "models.bin.below", "Value", f(edges[0]))
	case b >= len(edges):
		return i18n.T(ctx, "models.bin.above", "Value", f(edges[len(edges)-1]))
	}
	return i18n.T(ctx, "models.range", "From", f(edges[b-1]), "To", f(edges[b]))
}

// smoothDigits is enough decimals to show a smoothing strength as %g would.
func smoothDigits(v float64) int {
	s := strconv.FormatFloat(v, 'f', -1, 64)
	if i := strings.IndexByte(s, '.'); i >= 0 {
		return min(len(s)-i-1, 6)
	}
	return 0
}

func sortByDesc(idx []int, key func(int) float64) {
	for i := 1; i < len(idx); i++ {
		for j := i; j > 0 && key(idx[j]) > key(idx[j-1]); j-- {
			idx[j], idx[j-1] = idx[j-1], idx[j]
		}
	}
}

func monthSpan(ctx context.Context, months []string) string {
	switch len(months) {
	case 0:
		return i18n.T(ctx, "models.none")
	case 1:
		return months[0]
	}
	return i18n.Plural(ctx, "models.monthspan", int64(len(months)), "From", months[0], "To", months[len(months)-1])
}

// backtestHorizon is the horizon the backtest page's charts and breakdowns
// show (the table shows every horizon).
const backtestHorizon = 6

// backtest shows the group's latest warning backtest.
func (s *server) backtest(c echo.Context) error {
	ctx := c.Request().Context()
	v := viewer(c)
	l := s.layout(c, v, i18n.T(ctx, "backtest.title"), "backtest")
	rep, err := churn.LatestBacktest(ctx, s.Pool, int16(v.GroupID))
	if errors.Is(err, churn.ErrNoBacktest) {
		return render(c, http.StatusOK, pages.BacktestPage(l, pages.Backtest{Empty: true}))
	}
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, pages.BacktestPage(l, backtestView(ctx, rep)))
}

// scorerName is a scorer ("fixed", "model") in the viewer's language.
func scorerName(ctx context.Context, scorer string) string {
	return i18n.T(ctx, "backtest.scorers."+scorer)
}

func backtestLine(ctx context.Context, scope, scorer string, h int, f churn.Figures) pages.BacktestLine {
	n := func(v float64) string { return i18n.Int(ctx, int64(math.Round(v))) }
	return pages.BacktestLine{Scope: scopeIn(ctx, scope), Scorer: scorerName(ctx, scorer), Horizon: i18n.Plural(ctx, "backtest.months", int64(h)),
		Clients: n(f.Clients), Leavers: n(f.Leavers),
		Rate: percent(ctx, f.Rate()), Warned: n(f.Warned), Recall: percent(ctx, f.Recall()),
		Precision: percent(ctx, f.Precision()), Lift: fig(ctx, f.Lift10(), 2), AUC: fig(ctx, f.AUC, 3), Model: scorer == "model"}
}

func backtestView(ctx context.Context, rep churn.Report) pages.Backtest {
	vm := pages.Backtest{ID: rep.ID, From: i18n.Month(ctx, rep.From), To: i18n.Month(ctx, rep.To),
		Ran: i18n.DateTime(ctx, rep.StartedAt), Scope: scopeIn(ctx, rep.Setup.Scope), Horizon: i18n.Plural(ctx, "backtest.months", backtestHorizon),
		HasModel: rep.HasModel}
	codes := make([]string, 0, len(rep.Setup.ModelNames))
	for code := range rep.Setup.ModelNames {
		codes = append(codes, code)
	}
	slices.Sort(codes)
	for _, code := range codes {
		vm.Models = append(vm.Models, i18n.T(ctx, "backtest.replayed", "Bank", code, "Model", rep.Setup.ModelNames[code]))
	}
	if rep.Setup.WalkForward != "" && len(codes) == 0 {
		vm.Models = append(vm.Models, i18n.T(ctx, "backtest.nomodel.walk", "Why", rep.Setup.WalkForward))
	}
	if len(vm.Models) == 0 {
		vm.Models = append(vm.Models, i18n.T(ctx, "backtest.nomodel"))
	}
	if rep.Setup.WalkForward != "" && len(codes) > 0 && !strings.Contains(vm.Models[0], "before the replayed months") {
		vm.Models = append(vm.Models, i18n.T(ctx, "backtest.notfitted", "Why", rep.Setup.WalkForward))
	}
	vm.Sample = i18n.T(ctx, "backtest.sample.all")
	if rep.Setup.Share < 1 {
		vm.Sample = i18n.T(ctx, "backtest.sample.share", "Share", i18n.Percent(ctx, rep.Setup.Share, 1))
	}
	for _, sl := range rep.Summary {
		line := backtestLine(ctx, "", sl.Scorer, sl.Horizon, sl.Figures)
		var notes []string
		if sl.InSample > 0 {
			notes = append(notes, i18n.T(ctx, "backtest.note.insample", "In", sl.InSample, "Months", sl.Months))
		}
		if sl.Censored > 0 {
			notes = append(notes, i18n.Plural(ctx, "backtest.note.censored", int64(sl.Censored)))
		}
		line.Note = strings.Join(notes, "; ")
		vm.Summary = append(vm.Summary, line)
	}
	for _, b := range rep.Banks {
		if b.Horizon == backtestHorizon {
			vm.Banks = append(vm.Banks, backtestLine(ctx, b.Bank, b.Scorer, b.Horizon, b.Figures))
		}
	}
	for _, b := range rep.Levels {
		if b.Horizon == backtestHorizon {
			vm.Levels = append(vm.Levels, backtestLine(ctx, i18n.T(ctx, "backtest.level", "Level", *b.Level), b.Scorer, b.Horizon, b.Figures))
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
			vm.LiftSeries = append(vm.LiftSeries, components.Series{Name: scorerName(ctx, sc), Class: sc, Values: vals})
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
		vm.LeadSeries = append(vm.LeadSeries, components.Series{Name: i18n.T(ctx, "backtest.leadseries", "Scorer", scorerName(ctx, ld.Scorer)), Class: ld.Scorer, Values: vals})
		vm.Lead = append(vm.Lead, pages.BacktestLead{Scorer: scorerName(ctx, ld.Scorer), Leavers: i18n.Int(ctx, int64(math.Round(ld.Leavers))),
			One: percent(ctx, ld.AtLeast(1)), Two: percent(ctx, ld.AtLeast(2)), Three: percent(ctx, ld.AtLeast(3)), Six: percent(ctx, ld.AtLeast(6))})
	}
	return vm
}

// scopeIn is a stored scope label in the viewer's language: a bank's name as
// it is, a whole group's with the words around its name translated.
func scopeIn(ctx context.Context, label string) string {
	if group, ok := strings.CutSuffix(label, banks.EveryBank); ok {
		return i18n.T(ctx, "models.scope.group", "Group", group)
	}
	return label
}

// churnTarget says what a churn model predicts in the viewer's language,
// from the horizon its card keeps; a card without one says its stored words.
func churnTarget(ctx context.Context, stored string, horizon int) string {
	if horizon <= 0 {
		return stored
	}
	return i18n.Plural(ctx, "models.target_churn", int64(horizon))
}

// sourceIn says how a model came to be (fitted, imported) in the viewer's
// language; a source this version does not know is its code.
func sourceIn(ctx context.Context, source string) string {
	switch source {
	case "fitted", "imported":
		return i18n.T(ctx, "models.source."+source)
	}
	return source
}

// smoothWhyIn says how the card's smoothing was chosen in the viewer's
// language; a card written before the code was kept says its stored words.
func smoothWhyIn(ctx context.Context, card model.Card) string {
	switch card.SmoothWhy {
	case model.SmoothByCaller, model.SmoothBeforeRefit, model.SmoothOnePeriod, model.SmoothLogLoss:
		return i18n.T(ctx, "models.smooth."+card.SmoothWhy)
	case model.SmoothTooFew:
		if card.SmoothRows != nil {
			return i18n.T(ctx, "models.smooth.too_few", "Pos", i18n.Int(ctx, int64(card.SmoothRows[0])), "Neg", i18n.Int(ctx, int64(card.SmoothRows[1])))
		}
	}
	return card.SmoothChosenBy
}
