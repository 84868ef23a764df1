package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/relaycrm/relay/internal/model"
	"github.com/relaycrm/relay/internal/takeup"
	"github.com/relaycrm/relay/views/components"
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
			return echo.NewHTTPError(http.StatusBadRequest, fmt.Sprintf("model: %q is not a model number", raw))
		}
		want = id
	}
	recs, err := takeup.Models(ctx, s.Pool, group, nil, takeupShown)
	if err != nil {
		return err
	}
	vm := pages.Takeup{}
	for _, r := range recs {
		row := pages.TakeupRow{ID: r.ID, Href: fmt.Sprintf("/takeup?model=%d", r.ID), Source: r.Source,
			Fitted: r.FittedAt.Format("2006-01-02"), Scope: r.Card.Scope, Origin: r.Origin, Lift: optFig(r.TestLift, 2),
			RuleLift: optFig(r.RuleLift, 2), AUC: optFig(r.TestAUC, 3), RuleAUC: optFig(r.RuleAUC, 3),
			UsedBy: strings.Join(r.UsedBy, ", ")}
		if row.UsedBy == "" {
			row.UsedBy = "no bank"
		}
		vm.Models = append(vm.Models, row)
	}
	switch {
	case want != 0:
		r, err := takeup.Model(ctx, s.Pool, group, want)
		if errors.Is(err, takeup.ErrNotFound) {
			return echo.NewHTTPError(http.StatusNotFound, fmt.Sprintf("model: no take-up model %d", want))
		}
		if err != nil {
			return err
		}
		vm.Card = takeupCard(r)
	case len(recs) > 0:
		vm.Card = takeupCard(recs[0])
	}
	return render(c, http.StatusOK, pages.TakeupPage(s.layout(c, v, "Take-up models", "models"), vm))
}

func takeupFigures(cmp takeup.Comparison) []pages.TakeupFigure {
	var out []pages.TakeupFigure
	for i, m := range []model.Metrics{cmp.Model, cmp.Rule, cmp.Popularity} {
		out = append(out, pages.TakeupFigure{Name: [...]string{"Take-up model", "Ideal-set rule", "Popularity"}[i],
			Lift: fig(m.Lift10, 2), Precision: percent(m.Lift10 * m.Rate), AUC: fig(m.AUC, 3),
			Candidates: components.Int(m.Rows), Taken: components.Int(m.Positives), Model: i == 0})
	}
	return out
}

func takeupCard(r takeup.Record) *pages.TakeupCard {
	c := r.Card
	card := &pages.TakeupCard{ID: r.ID, Target: c.Target, FittedOn: monthSpan(c.FittedOn), TestedOn: monthSpan(c.TestedOn),
		ClientMonths: components.Int(c.ClientMonths), Candidates: components.Int(c.Candidates),
		Overall: takeupFigures(c.Overall)}
	for _, b := range c.Banks {
		tb := pages.TakeupBank{Bank: b.Name + " (" + b.Code + ")", Why: b.Why, Used: b.Used, Figures: takeupFigures(b.Test)}
		if b.Shown.Triggers > 0 {
			tb.Shown = fmt.Sprintf("Triggers shown to managers those months: %s, of which %s taken within %d months (%s, %s × the rate of every candidate); the taken ones brought %s.",
				components.Int(b.Shown.Triggers), components.Int(b.Shown.Taken), c.Horizon, percent(b.Shown.Rate),
				fig(b.Shown.Lift, 2), components.Money(b.Shown.IncomeAfter, b.Shown.Currency, b.Shown.MinorDigits))
		}
		card.Banks = append(card.Banks, tb)
	}
	for _, p := range c.Products {
		tp := pages.TakeupProduct{Code: p.Code, Name: p.Name, Candidates: components.Int(p.Candidates),
			Takers: components.Int(p.Takers), Popularity: percent(p.Popularity), Why: p.Why, Learned: p.Learned,
			Lift: "n/a", RuleLift: "n/a", AUC: "n/a", RuleAUC: "n/a", Strongest: strings.Join(p.Strongest, ", ")}
		if p.Test != nil {
			tp.Lift, tp.AUC = fig(p.Test.Lift10, 2), fig(p.Test.AUC, 3)
		}
		if p.Rule != nil {
			tp.RuleLift, tp.RuleAUC = fig(p.Rule.Lift10, 2), fig(p.Rule.AUC, 3)
		}
		card.Products = append(card.Products, tp)
	}
	return card
}
