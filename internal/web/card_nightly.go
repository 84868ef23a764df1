package web

import (
	"fmt"
	"math"

	"github.com/labstack/echo/v4"

	"github.com/relaycrm/relay/internal/access"
	"github.com/relaycrm/relay/internal/cards"
	"github.com/relaycrm/relay/internal/money"
	"github.com/relaycrm/relay/internal/segments"
	"github.com/relaycrm/relay/internal/warnings"
	"github.com/relaycrm/relay/views/components"
	"github.com/relaycrm/relay/views/pages"
)

// cardPicture shapes the nightly run's picture of a client for its card,
// every number with what it is and as of when.
// watchFactor is trigger.watch_factor, for the note on an offer of a client
// under a watch warning.
func (s *server) cardPicture(c echo.Context, v access.Viewer, p cards.ClientPicture, watchFactor float64) pages.CardPicture {
	if !p.Scored {
		note := "The nightly run has not scored this client: it runs every night and after each import."
		if p.Stage == segments.Left {
			note = "The client has left the bank: it has no segment, offers or warnings any more."
		}
		return pages.CardPicture{NotScoredNote: note}
	}
	ccy, d := p.Currency, p.MinorDigits
	m := func(v int64) string { return money.Whole(v, ccy, d) }
	out := pages.CardPicture{
		Scored: true, AsOf: components.Month(p.AsOf),
		Segment: p.Segment.Label, SegmentHref: fmt.Sprintf("/segments/%d", p.Segment.ID),
		LevelLabel:  p.Segment.Level.Label(),
		SegmentSize: components.Int(p.SegmentSize), BestClients: components.Int(p.BestClients),
		Stage: p.Stage.Label(), StageTone: stageTone(p.Stage),
		Activity: p.Activity.Label(), RFM: fmt.Sprintf("R%d F%d M%d", p.RFM[0], p.RFM[1], p.RFM[2]),
		Profit: m(p.Profitability), Potential: m(p.Potential), HasIdeal: p.HasIdeal,
		Band: p.ProfitBand, ProfitMonths: p.ProfitMonths,
		ChurnScore: fmt.Sprint(p.ChurnScore), ChurnRate: "not known", ExpectedYears: "not known", LTV: "not known", CLV: "not known",
	}
	if p.Segment.Level == segments.LevelBankRegionIndustryTenure {
		out.LevelNote = "Its own segment has enough active clients to compare with."
	} else {
		out.LevelNote = "Its own bank × region × industry × tenure segment has too few active clients to learn from, so it backs off to this coarser one."
	}
	switch {
	case !p.HasIdeal:
		out.ProfileNote = fmt.Sprintf("No ideal yet: its segment has %s best clients, and no coarser segment has enough to learn an ideal profile from, so there is no gap, score or ideal set to show.",
			components.Int(p.BestClients))
	case p.Profile.ID != p.Segment.ID:
		out.ProfileNote = fmt.Sprintf("Its segment has %s best clients, too few to learn from, so its ideal profile is learned from the coarser segment %s (%s best clients).",
			components.Int(p.BestClients), p.Profile.Label, components.Int(p.ProfileBestClients))
		out.ProfileHref = fmt.Sprintf("/segments/%d", p.Profile.ID)
	}
	if p.HasIdeal {
		out.Ideal, out.Gap, out.Score, out.ScoreTone = m(p.IdealIncome), m(p.Gap), p.Score, scoreTone(p.Score)
	}
	if p.IncomeRecent != nil && p.IncomeBase != nil {
		out.StageNote = fmt.Sprintf("Stage: recent income %s a month against %s in the months before.", m(*p.IncomeRecent), m(*p.IncomeBase))
	}
	for _, it := range p.Ideal {
		ci := pages.CardIdeal{Product: it.Name, Code: it.Code, Adoption: fmt.Sprintf("%.0f%%", it.Adoption*100),
			Value: m(it.Value), Held: it.Held, ClientIncome: m(it.ClientIncome)}
		if it.Shortfall > 0 {
			ci.Shortfall = m(it.Shortfall) + " a month"
		}
		out.IdealSet = append(out.IdealSet, ci)
	}
	for _, t := range p.Triggers {
		row := s.triggerRow(c, v, t)
		if w := p.Warning; w != nil && t.Status.Open() && !t.Hidden {
			switch w.Level {
			case warnings.High:
				row.Note, row.NoteTone = waitNote(w.Score), "bad"
			case warnings.Watch:
				row.Note, row.NoteTone = watchNote(watchFactor, w.Score), "warn"
			}
		}
		out.Triggers = append(out.Triggers, row)
	}
	if p.HeldBack > 0 {
		out.HeldBackNote = fmt.Sprintf("This client is in the control group: its %d open %s held back for measurement and not shown, so that the bank can see what offers add. Nothing to do here.",
			p.HeldBack, map[bool]string{true: "offer is", false: "offers are"}[p.HeldBack == 1])
	}
	if p.ChurnRate != nil {
		out.ChurnRate = fmt.Sprintf("%.1f%%", *p.ChurnRate*100)
	}
	if p.ExpectedYears != nil {
		out.ExpectedYears = fmt.Sprintf("%.1f", *p.ExpectedYears)
	}
	if p.SegmentLTV != nil {
		out.LTV = m(*p.SegmentLTV)
	}
	if p.CLV != nil {
		out.CLV = m(*p.CLV)
	}
	if w := p.Warning; w != nil {
		cw := &pages.CardWarning{Score: fmt.Sprint(w.Score), Level: string(w.Level), LevelTone: levelTone(w.Level),
			Since: components.Month(w.Since), Manager: w.ManagerName}
		if cw.Manager == "" {
			cw.Manager = "none assigned"
		}
		for _, sg := range w.Signals {
			cw.Signals = append(cw.Signals, pages.CardSignal{Label: sg.Label, Figures: sg.Figures, Fired: sg.Fired,
				Strength: fmt.Sprintf("%.2f", sg.Strength), Share: fmt.Sprintf("%.0f%%", sg.Share*100)})
		}
		out.Warning = cw
	}
	if ch := p.Churn; ch != nil {
		out.Churn = cardChurn(ch)
	}
	return out
}

// shownDrivers is how many of a score's inputs the card lists before the rest
// are folded away.
const shownDrivers = 12

// cardChurn shapes a churn score's inputs for the card: the inputs that move
// it, largest first, then the rest folded away.
func cardChurn(ch *warnings.Churn) *pages.CardChurn {
	out := &pages.CardChurn{Probability: fmt.Sprintf("%.1f%%", ch.Probability*100)}
	if sc := ch.Scorer; sc.Learned() {
		out.Scorer = fmt.Sprintf("learned model %d", sc.ModelID)
		out.ModelHref = fmt.Sprintf("/models/%d", sc.ModelID)
		out.ScorerNote = fmt.Sprintf("(%s %s", sc.Source, sc.FittedAt.Format("2006-01-02"))
		if sc.TestLift != nil && sc.FixedLift != nil {
			out.ScorerNote += fmt.Sprintf("; out of time its top 10%% of scores held %.1f times the average share of leavers, the fixed weights %.1f", *sc.TestLift, *sc.FixedLift)
		}
		out.ScorerNote += ")"
	} else {
		out.Scorer = "the published fixed weights"
		out.ScorerNote = "(Settings → warnings): no learned model scores this bank."
	}
	drivers := churnDrivers(ch.Inputs)
	for i, d := range drivers {
		if i < shownDrivers && d.Share != 0 {
			out.Drivers = append(out.Drivers, d)
		} else {
			out.Quiet = append(out.Quiet, d)
		}
	}
	return out
}

// churnDrivers turns a score's inputs into the bars of components.Drivers.
func churnDrivers(inputs []warnings.InputValue) []components.Driver {
	var top float64
	for _, in := range inputs {
		top = math.Max(top, math.Abs(in.Contribution))
	}
	out := make([]components.Driver, len(inputs))
	for i, in := range inputs {
		d := components.Driver{Code: in.Code, Label: in.Label, Figure: in.Figure, Odds: fmt.Sprintf("×%.2f", math.Exp(in.Contribution))}
		if top > 0 {
			d.Share = in.Contribution / top
		}
		out[i] = d
	}
	return out
}

func stageTone(st segments.Stage) string {
	switch st {
	case segments.Decline, segments.Left:
		return "bad"
	case segments.Plateau:
		return "good"
	}
	return "info"
}

func scoreTone(score int) string {
	switch {
	case score >= 80:
		return "good"
	case score >= 40:
		return "warn"
	}
	return "bad"
}
