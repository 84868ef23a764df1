package web

import (
	"context"
	"fmt"
	"math"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/relaycrm/relay/internal/access"
	"github.com/relaycrm/relay/internal/cards"
	"github.com/relaycrm/relay/internal/contacts"
	"github.com/relaycrm/relay/internal/i18n"
	"github.com/relaycrm/relay/internal/input"
	"github.com/relaycrm/relay/internal/products"
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
	ctx := ctxOf(c)
	if !p.Scored {
		note := i18n.T(ctx, "card.n.notscored")
		if p.Stage == segments.Left {
			note = i18n.T(ctx, "card.n.left")
		}
		return pages.CardPicture{NotScoredNote: note}
	}
	ccy, d := p.Currency, p.MinorDigits
	m := func(v int64) string { return i18n.MoneyWhole(ctx, v, ccy, d) }
	notKnown := i18n.T(ctx, "worklist.notknown")
	out := pages.CardPicture{
		Scored: true, AsOf: i18n.Month(ctx, p.AsOf),
		Segment: p.Segment.Label, SegmentHref: fmt.Sprintf("/segments/%d", p.Segment.ID),
		LevelLabel:  segmentLevel(ctx, p.Segment.Level),
		SegmentSize: i18n.Int(ctx, int64(p.SegmentSize)), BestClients: i18n.Int(ctx, int64(p.BestClients)),
		Stage: stageLabel(ctx, p.Stage), StageTone: stageTone(p.Stage),
		Activity: activityLabel(ctx, p.Activity), RFM: fmt.Sprintf("R%d F%d M%d", p.RFM[0], p.RFM[1], p.RFM[2]),
		Profit: m(p.Profitability), Potential: m(p.Potential), HasIdeal: p.HasIdeal,
		Band: p.ProfitBand, ProfitMonths: p.ProfitMonths,
		ChurnScore: i18n.Int(ctx, int64(p.ChurnScore)), ChurnRate: notKnown, ExpectedYears: notKnown, LTV: notKnown, CLV: notKnown,
	}
	if p.Segment.Level == segments.LevelBankRegionIndustryTenure {
		out.LevelNote = i18n.T(ctx, "card.n.ownlevel")
	} else {
		out.LevelNote = i18n.T(ctx, "card.n.backoff")
	}
	switch {
	case !p.HasIdeal:
		out.ProfileNote = i18n.T(ctx, "card.n.noidealnote", "Best", i18n.Int(ctx, int64(p.BestClients)))
	case p.Profile.ID != p.Segment.ID:
		out.ProfileNote = i18n.T(ctx, "card.n.coarser", "Best", i18n.Int(ctx, int64(p.BestClients)), "Segment", p.Profile.Label,
			"ProfileBest", i18n.Int(ctx, int64(p.ProfileBestClients)))
		out.ProfileHref = fmt.Sprintf("/segments/%d", p.Profile.ID)
	}
	if p.HasIdeal {
		out.Ideal, out.Gap, out.Score, out.ScoreTone = m(p.IdealIncome), m(p.Gap), p.Score, scoreTone(p.Score)
	}
	if p.IncomeRecent != nil && p.IncomeBase != nil {
		out.StageNote = i18n.T(ctx, "card.n.stagenote", "Recent", m(*p.IncomeRecent), "Base", m(*p.IncomeBase))
	}
	for _, it := range p.Ideal {
		ci := pages.CardIdeal{Product: it.Name, Code: it.Code, Adoption: i18n.Percent(ctx, it.Adoption, 0),
			Value: m(it.Value), Held: it.Held, ClientIncome: m(it.ClientIncome)}
		if it.Shortfall > 0 {
			ci.Shortfall = i18n.T(ctx, "card.n.amonth", "Amount", m(it.Shortfall))
		}
		out.IdealSet = append(out.IdealSet, ci)
	}
	for _, t := range p.Triggers {
		row := s.triggerRow(c, v, t)
		if w := p.Warning; w != nil && t.Status.Open() && !t.Hidden {
			switch w.Level {
			case warnings.High:
				row.Note, row.NoteTone = waitNote(ctx, w.Score), "bad"
			case warnings.Watch:
				row.Note, row.NoteTone = watchNote(ctx, watchFactor, w.Score), "warn"
			}
		}
		out.Triggers = append(out.Triggers, row)
	}
	if p.HeldBack > 0 {
		out.HeldBackNote = i18n.Plural(ctx, "card.t.heldback", int64(p.HeldBack))
	}
	if p.ChurnRate != nil {
		out.ChurnRate = i18n.Percent(ctx, *p.ChurnRate, 1)
	}
	if p.ExpectedYears != nil {
		out.ExpectedYears = i18n.Decimal(ctx, *p.ExpectedYears, 1)
	}
	if p.SegmentLTV != nil {
		out.LTV = m(*p.SegmentLTV)
	}
	if p.CLV != nil {
		out.CLV = m(*p.CLV)
	}
	out.LTVNote = lifetimeNote(ctx, p.Standing, m)
	if w := p.Warning; w != nil {
		cw := &pages.CardWarning{Score: i18n.Int(ctx, int64(w.Score)), Level: warningLevel(ctx, w.Level), LevelTone: levelTone(w.Level),
			Since: i18n.Month(ctx, w.Since), Manager: w.ManagerName}
		if cw.Manager == "" {
			cw.Manager = i18n.T(ctx, "card.nomanager")
		}
		for _, sg := range w.Signals {
			cw.Signals = append(cw.Signals, pages.CardSignal{Label: sg.Label, Figures: sg.Figures, Fired: sg.Fired,
				Strength: i18n.Decimal(ctx, sg.Strength, 2), Share: i18n.Percent(ctx, sg.Share, 0)})
		}
		out.Warning = cw
	}
	if ch := p.Churn; ch != nil {
		out.Churn = cardChurn(ctx, ch)
	}
	return out
}

// shownDrivers is how many of a score's inputs the card lists before the rest
// are folded away.
const shownDrivers = 12

// cardChurn shapes a churn score's inputs for the card: the inputs that move
// it, largest first, then the rest folded away.
func cardChurn(ctx context.Context, ch *warnings.Churn) *pages.CardChurn {
	out := &pages.CardChurn{Probability: i18n.Percent(ctx, ch.Probability, 1)}
	if sc := ch.Scorer; sc.Learned() {
		out.Scorer = i18n.T(ctx, "card.w.learned", "ID", sc.ModelID)
		out.ModelHref = fmt.Sprintf("/models/%d", sc.ModelID)
		out.ScorerNote = "(" + sc.Source + " " + i18n.Date(ctx, sc.FittedAt)
		if sc.TestLift != nil && sc.FixedLift != nil {
			out.ScorerNote += "; " + i18n.T(ctx, "card.w.lift", "Lift", i18n.Decimal(ctx, *sc.TestLift, 1), "Fixed", i18n.Decimal(ctx, *sc.FixedLift, 1))
		}
		out.ScorerNote += ")"
	} else {
		out.Scorer = i18n.T(ctx, "card.w.fixed")
		out.ScorerNote = i18n.T(ctx, "card.w.fixednote")
	}
	drivers := localDrivers(ctx, ch.Inputs)
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
	return localDrivers(context.Background(), inputs)
}

// localDrivers is churnDrivers with the odds written in ctx's language.
func localDrivers(ctx context.Context, inputs []warnings.InputValue) []components.Driver {
	var top float64
	for _, in := range inputs {
		top = math.Max(top, math.Abs(in.Contribution))
	}
	out := make([]components.Driver, len(inputs))
	for i, in := range inputs {
		d := components.Driver{Code: in.Code, Label: in.Label, Figure: in.Figure, Odds: "×" + i18n.Decimal(ctx, math.Exp(in.Contribution), 2)}
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

// stageLabel names a life-cycle stage in ctx's language.
func stageLabel(ctx context.Context, st segments.Stage) string {
	switch st {
	case segments.Onboarding, segments.RampUp, segments.Plateau, segments.Decline, segments.Left:
		return i18n.T(ctx, "card.stage."+string(st))
	}
	return string(st)
}

// activityLabel names an RFM activity group in ctx's language.
func activityLabel(ctx context.Context, a segments.Activity) string {
	switch a {
	case segments.Champions, segments.Loyal, segments.Promising, segments.NeedsAttention, segments.AtRisk,
		segments.CannotLose, segments.Hibernating, segments.Lost:
		return i18n.T(ctx, "card.activity."+string(a))
	}
	return string(a)
}

// segmentLevel names the level a segment is compared at in ctx's language.
func segmentLevel(ctx context.Context, l segments.Level) string {
	switch l {
	case segments.LevelBankRegionIndustryTenure, segments.LevelBankIndustryTenure, segments.LevelBankIndustry,
		segments.LevelGroupIndustry:
		return i18n.T(ctx, "card.level.l"+strconv.Itoa(int(l)))
	}
	return l.Label()
}

// cardCodes are the codes the card names through the catalogue: a code not
// among them (a new family a bank added, say) is shown as it is.
var cardCodes = map[string]bool{
	"card.size.micro": true, "card.size.small": true, "card.size.medium": true,
	"card.band.0-6": true, "card.band.6-12": true, "card.band.12-24": true, "card.band.24-36": true, "card.band.36+": true,
	"card.income.fee": true, "card.income.interest": true,
}

// cardCode names code in ctx's language by the message prefix+code.
func cardCode(ctx context.Context, prefix, code string) string {
	if cardCodes[prefix+code] {
		return i18n.T(ctx, prefix+code)
	}
	return code
}

// productFamily names a product family in ctx's language.
func productFamily(ctx context.Context, family string) string {
	if input.IsChoice(products.Families, family) {
		return i18n.T(ctx, "card.family."+family)
	}
	return family
}

// signedPercent writes a percentage with its sign, as +12.5%.
func signedPercent(ctx context.Context, pct float64) string {
	s := i18n.Percent(ctx, math.Abs(pct)/100, 1)
	if pct < 0 {
		return "−" + s
	}
	return "+" + s
}

// localChoices are a contact's kinds or outcomes labelled in ctx's language
// by the messages prefix+value.
func localChoices(ctx context.Context, prefix string, in []contacts.Choice) []components.Option {
	out := make([]components.Option, len(in))
	for i, ch := range in {
		out[i] = components.Option{Value: ch.Value, Label: i18n.T(ctx, prefix+ch.Value)}
	}
	return out
}

// localLabel is value's label among choices in ctx's language, or value
// itself when it is not one of them.
func localLabel(ctx context.Context, prefix string, choices []contacts.Choice, value string) string {
	if input.IsChoice(choices, value) {
		return i18n.T(ctx, prefix+value)
	}
	return value
}

// lifetimeNote says how the card's four lifetime figures were worked out from
// the segment's leavers, its income and the bank's discount rate (ltv.sql and
// publish.sql), with the figures they were worked from.
func lifetimeNote(ctx context.Context, st segments.Standing, m func(int64) string) string {
	month := i18n.Month(ctx, st.AsOf)
	if st.ChurnBase == nil || *st.ChurnBase == 0 || st.ChurnLeavers == nil || st.ExpectedYears == nil {
		return i18n.T(ctx, "card.w.ltvunknown", "Month", month)
	}
	base, leavers, years := *st.ChurnBase, *st.ChurnLeavers, *st.ExpectedYears
	howLong := i18n.T(ctx, "card.w.ltvyears")
	// capped: no leaver, or 1 / churn beyond the setting's cap
	if leavers == 0 || float64(base)/float64(leavers) > years+1e-6 {
		howLong = i18n.T(ctx, "card.w.ltvcapped", "Years", i18n.Decimal(ctx, years, 1))
	}
	note := i18n.Plural(ctx, "card.w.ltvchurn", int64(base), "Leavers", i18n.Int(ctx, int64(leavers)), "Month", month) +
		" " + howLong
	if st.SegmentIncome != nil {
		note += " " + i18n.T(ctx, "card.w.ltvsegment", "Income", m(*st.SegmentIncome))
	}
	return note + " " + i18n.T(ctx, "card.w.ltvclv", "Income", m(st.Profitability),
		"Rate", i18n.Percent(ctx, st.DiscountRate, 1))
}
