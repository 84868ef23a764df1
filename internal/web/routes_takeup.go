package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/relaycrm/relay/internal/i18n"
	"github.com/relaycrm/relay/internal/model"
	"github.com/relaycrm/relay/internal/takeup"
	"github.com/relaycrm/relay/views/pages"
)

// takeupShown is how many take-up models the page lists.
const takeupShown = 20

// takeupModels shows the take-up models and the card of the newest, or of
// ?model=N. It shows no client.
func (s *server) takeupModels(c echo.Context) error {
	ctx := c.Request().Context()
	v := viewer(c)
	group := int16(v.GroupID)
	var want int64
	if raw := c.QueryParam("model"); raw != "" {
		id, err := strconv.ParseInt(raw, 10, 64)
		if err != nil || id < 1 {
			return echo.NewHTTPError(http.StatusBadRequest, i18n.T(ctx, "takeup.problem.model", "Value", raw))
		}
		want = id
	}
	recs, err := takeup.Models(ctx, s.Pool, group, nil, takeupShown)
	if err != nil {
		return err
	}
	vm := pages.Takeup{}
	for _, r := range recs {
		row := pages.TakeupRow{ID: r.ID, Href: fmt.Sprintf("/takeup?model=%d", r.ID), Source: sourceIn(ctx, r.Source),
			Fitted: i18n.Date(ctx, r.FittedAt), Scope: scopeIn(ctx, r.Card.Scope), Origin: r.Origin, Lift: optFig(ctx, r.TestLift, 2),
			RuleLift: optFig(ctx, r.RuleLift, 2), AUC: optFig(ctx, r.TestAUC, 3), RuleAUC: optFig(ctx, r.RuleAUC, 3),
			UsedBy: strings.Join(r.UsedBy, ", ")}
		if row.UsedBy == "" {
			row.UsedBy = i18n.T(ctx, "models.nobank")
		}
		vm.Models = append(vm.Models, row)
	}
	switch {
	case want != 0:
		r, err := takeup.Model(ctx, s.Pool, group, want)
		if errors.Is(err, takeup.ErrNotFound) {
			return echo.NewHTTPError(http.StatusNotFound, i18n.T(ctx, "takeup.problem.nosuch", "ID", want))
		}
		if err != nil {
			return err
		}
		vm.Card = takeupCard(ctx, r)
	case len(recs) > 0:
		vm.Card = takeupCard(ctx, recs[0])
	}
	return render(c, http.StatusOK, pages.TakeupPage(s.layout(c, v, i18n.T(ctx, "takeup.title"), "models"), vm))
}

func takeupFigures(ctx context.Context, cmp takeup.Comparison) []pages.TakeupFigure {
	var out []pages.TakeupFigure
	for i, m := range []model.Metrics{cmp.Model, cmp.Rule, cmp.Popularity} {
		out = append(out, pages.TakeupFigure{Name: i18n.T(ctx, [...]string{"takeup.by.model", "takeup.by.rule", "takeup.by.popularity"}[i]),
			Lift: fig(ctx, m.Lift10, 2), Precision: percent(ctx, m.Lift10*m.Rate), AUC: fig(ctx, m.AUC, 3),
			Candidates: i18n.Int(ctx, int64(m.Rows)), Taken: i18n.Int(ctx, int64(m.Positives)), Model: i == 0})
	}
	return out
}

func takeupCard(ctx context.Context, r takeup.Record) *pages.TakeupCard {
	c := r.Card
	card := &pages.TakeupCard{ID: r.ID, Target: takeupTarget(ctx, c.Target, c.Horizon), FittedOn: monthSpan(ctx, c.FittedOn), TestedOn: monthSpan(ctx, c.TestedOn),
		ClientMonths: i18n.Int(ctx, int64(c.ClientMonths)), Candidates: i18n.Int(ctx, int64(c.Candidates)),
		Overall: takeupFigures(ctx, c.Overall)}
	for _, b := range c.Banks {
		tb := pages.TakeupBank{Bank: b.Name + " (" + b.Code + ")", Why: b.WhyIn(i18n.From(ctx)), Used: b.Used, Figures: takeupFigures(ctx, b.Test)}
		if b.Shown.Triggers > 0 {
			tb.Shown = i18n.T(ctx, "takeup.shown", "Shown", i18n.Int(ctx, int64(b.Shown.Triggers)),
				"Taken", i18n.Int(ctx, int64(b.Shown.Taken)), "Months", c.Horizon, "Rate", percent(ctx, b.Shown.Rate),
				"Lift", fig(ctx, b.Shown.Lift, 2), "Income", i18n.MoneyWhole(ctx, b.Shown.IncomeAfter, b.Shown.Currency, b.Shown.MinorDigits))
		}
		card.Banks = append(card.Banks, tb)
	}
	for _, p := range c.Products {
		na := i18n.T(ctx, "models.na")
		tp := pages.TakeupProduct{Code: p.Code, Name: p.Name, Candidates: i18n.Int(ctx, int64(p.Candidates)),
			Takers: i18n.Int(ctx, int64(p.Takers)), Popularity: percent(ctx, p.Popularity), Why: p.WhyIn(i18n.From(ctx)), Learned: p.Learned,
			Lift: na, RuleLift: na, AUC: na, RuleAUC: na, Strongest: p.StrongestIn(i18n.From(ctx))}
		if p.Test != nil {
			tp.Lift, tp.AUC = fig(ctx, p.Test.Lift10, 2), fig(ctx, p.Test.AUC, 3)
		}
		if p.Rule != nil {
			tp.RuleLift, tp.RuleAUC = fig(ctx, p.Rule.Lift10, 2), fig(ctx, p.Rule.AUC, 3)
		}
		card.Products = append(card.Products, tp)
	}
	return card
}

// takeupTarget says what a take-up model predicts in the viewer's language,
// from the horizon its card keeps; a card without one says its stored words.
func takeupTarget(ctx context.Context, stored string, horizon int) string {
	if horizon <= 0 {
		return stored
	}
	return i18n.Plural(ctx, "takeup.target", int64(horizon))
}
