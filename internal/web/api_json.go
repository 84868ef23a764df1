package web

import (
	"time"

	"github.com/relaycrm/relay/internal/cards"
	"github.com/relaycrm/relay/internal/clients"
	"github.com/relaycrm/relay/internal/contacts"
	"github.com/relaycrm/relay/internal/segments"
	"github.com/relaycrm/relay/internal/triggers"
	"github.com/relaycrm/relay/internal/warnings"
	"github.com/relaycrm/relay/internal/worklist"
)

// The API's answers, shaped from the read models. Money is an integer of
// minor units beside its currency and digits; a day is YYYY-MM-DD, a month
// YYYY-MM, an instant RFC 3339.

func day(t time.Time) string { return t.Format(time.DateOnly) }

func month(t time.Time) string { return t.Format("2006-01") }

func dayPtr(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := day(*t)
	return &s
}

func monthOrNil(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := month(t)
	return &s
}

type jsonMoney struct {
	Minor       int64  `json:"minor"`
	Currency    string `json:"currency"`
	MinorDigits int    `json:"minor_digits"`
}

func moneyOf(v int64, ccy string, digits int) jsonMoney {
	return jsonMoney{Minor: v, Currency: ccy, MinorDigits: digits}
}

func moneyPtr(v *int64, ccy string, digits int) *jsonMoney {
	if v == nil {
		return nil
	}
	m := moneyOf(*v, ccy, digits)
	return &m
}

type jsonClient struct {
	ID           int64   `json:"id"`
	Ref          string  `json:"ref"`
	TaxID        string  `json:"tax_id"`
	Name         string  `json:"name"`
	BankCode     string  `json:"bank_code"`
	Bank         string  `json:"bank"`
	Branch       string  `json:"branch"`
	Region       string  `json:"region"`
	IndustryCode string  `json:"industry_code"`
	Industry     string  `json:"industry"`
	Size         string  `json:"size"`
	Since        string  `json:"since"`
	LeftOn       *string `json:"left_on"`
	Manager      string  `json:"manager"`
}

func clientRowJSON(r clients.Row) jsonClient {
	return jsonClient{ID: r.ID, Ref: r.Ref, TaxID: r.TaxID, Name: r.LegalName, BankCode: r.BankCode, Bank: r.Bank,
		Branch: r.Branch, Region: r.Region, IndustryCode: r.IndustryCode, Industry: r.Industry, Size: r.Size,
		Since: day(r.Since), LeftOn: dayPtr(r.LeftOn), Manager: r.Manager}
}

type jsonHolding struct {
	Code       string  `json:"code"`
	Name       string  `json:"name"`
	Family     string  `json:"family"`
	IncomeKind string  `json:"income_kind"`
	Opened     string  `json:"opened"`
	Closed     *string `json:"closed"`
}

type jsonCard struct {
	Client struct {
		jsonClient
		Currency     string `json:"currency"`
		MinorDigits  int    `json:"minor_digits"`
		ManagerLogin string `json:"manager_login"`
		TenureMonths int    `json:"tenure_months"`
		TenureBand   string `json:"tenure_band"`
	} `json:"client"`
	Profitability struct {
		AvgMonthly jsonMoney `json:"avg_monthly"`
		Months     int       `json:"months"`
		TrendPct   *float64  `json:"trend_pct"`
	} `json:"profitability"`
	Holdings []jsonHolding `json:"holdings"`
	Nightly  jsonPicture   `json:"nightly"`
	Contacts []jsonContact `json:"contacts"`
	Plan     jsonPlan      `json:"contact_plan"`
}

type jsonPicture struct {
	Scored     bool          `json:"scored"`
	AsOf       *string       `json:"as_of"`
	SegmentID  int64         `json:"segment_id,omitempty"`
	Segment    string        `json:"segment,omitempty"`
	Stage      string        `json:"stage,omitempty"`
	Activity   string        `json:"activity,omitempty"`
	ProfitBand string        `json:"profit_band,omitempty"`
	Profit     *jsonMoney    `json:"profitability,omitempty"`
	Ideal      *jsonMoney    `json:"ideal_income,omitempty"`
	Gap        *jsonMoney    `json:"gap,omitempty"`
	Score      *int          `json:"score,omitempty"`
	ChurnScore *int          `json:"churn_score,omitempty"`
	CLV        *jsonMoney    `json:"clv,omitempty"`
	Potential  *jsonMoney    `json:"potential,omitempty"`
	Triggers   []jsonTrigger `json:"triggers"`
	HeldBack   int           `json:"held_back"`
	Warning    *jsonWarning  `json:"warning"`
}

type jsonContact struct {
	ID            int64   `json:"id"`
	Kind          string  `json:"kind"`
	HappenedAt    string  `json:"happened_at"`
	Outcome       string  `json:"outcome"`
	Notes         string  `json:"notes"`
	Proactive     bool    `json:"proactive"`
	CSAT          *int    `json:"csat"`
	NPS           *int    `json:"nps"`
	NextContactOn *string `json:"next_contact_on"`
	By            string  `json:"by"`
	Source        string  `json:"source"`
}

func contactJSON(k contacts.Contact) jsonContact {
	return jsonContact{ID: k.ID, Kind: k.Kind, HappenedAt: k.HappenedAt.Format(time.RFC3339), Outcome: k.Outcome,
		Notes: k.Notes, Proactive: k.Proactive, CSAT: k.CSAT, NPS: k.NPS, NextContactOn: dayPtr(k.NextContactOn),
		By: k.User, Source: k.Source}
}

type jsonPlan struct {
	LastContact   *string `json:"last_contact"`
	PlannedOn     *string `json:"planned_on"`
	ProactiveUsed int     `json:"proactive_used"`
	Limit         int     `json:"limit"`
	AllowedFrom   string  `json:"allowed_from"`
}

func cardJSON(v cards.View) jsonCard {
	var out jsonCard
	cl := v.Client
	ccy, d := cl.Currency, cl.MinorDigits
	out.Client.jsonClient = jsonClient{ID: cl.ID, Ref: cl.Ref, TaxID: cl.TaxID, Name: cl.LegalName, BankCode: cl.BankCode,
		Bank: cl.Bank, Branch: cl.Branch, Region: cl.Region, IndustryCode: cl.IndustryCode, Industry: cl.Industry,
		Size: cl.Size, Since: day(cl.Since), LeftOn: dayPtr(cl.LeftOn), Manager: cl.Manager}
	out.Client.Currency, out.Client.MinorDigits, out.Client.ManagerLogin = ccy, d, cl.ManagerLogin
	out.Client.TenureMonths, out.Client.TenureBand = cl.TenureMonths, cl.Tenure.Code
	p := cl.Profitability
	out.Profitability.AvgMonthly, out.Profitability.Months = moneyOf(p.AvgMonthly, ccy, d), p.Months
	if p.HasTrend {
		t := p.TrendPct
		out.Profitability.TrendPct = &t
	}
	out.Holdings = []jsonHolding{}
	for _, h := range append(append([]clients.Holding{}, cl.Held...), cl.Closed...) {
		out.Holdings = append(out.Holdings, jsonHolding{Code: h.Code, Name: h.Name, Family: h.Family, IncomeKind: h.IncomeKind,
			Opened: day(h.Opened), Closed: dayPtr(h.Closed)})
	}
	out.Nightly = pictureJSON(v.Picture)
	out.Contacts = []jsonContact{}
	for _, k := range v.Contacts.Items {
		out.Contacts = append(out.Contacts, contactJSON(k))
	}
	pl := v.Contacts.Plan
	out.Plan = jsonPlan{LastContact: dayPtr(pl.LastContact), PlannedOn: dayPtr(pl.PlannedOn), ProactiveUsed: pl.ProactiveUsed,
		Limit: pl.Limit, AllowedFrom: day(pl.AllowedFrom)}
	return out
}

func pictureJSON(p cards.ClientPicture) jsonPicture {
	out := jsonPicture{Scored: p.Scored, Triggers: []jsonTrigger{}, HeldBack: p.HeldBack}
	for _, t := range p.Triggers {
		out.Triggers = append(out.Triggers, triggerJSON(t))
	}
	if p.Warning != nil {
		w := warningJSON(*p.Warning)
		out.Warning = &w
	}
	if !p.Scored {
		return out
	}
	ccy, d := p.Currency, p.MinorDigits
	m := func(v int64) *jsonMoney { x := moneyOf(v, ccy, d); return &x }
	out.AsOf = monthOrNil(p.AsOf)
	out.SegmentID, out.Segment = p.Segment.ID, p.Segment.Label
	out.Stage, out.Activity, out.ProfitBand = string(p.Stage), string(p.Activity), p.ProfitBand
	out.Profit, out.Potential = m(p.Profitability), m(p.Potential)
	churn := p.ChurnScore
	out.ChurnScore = &churn
	out.CLV = moneyPtr(p.CLV, ccy, d)
	if p.HasIdeal {
		score := p.Score
		out.Ideal, out.Gap, out.Score = m(p.IdealIncome), m(p.Gap), &score
	}
	return out
}

type jsonTrigger struct {
	ID            int64     `json:"id"`
	ClientID      int64     `json:"client_id"`
	ClientName    string    `json:"client_name"`
	ProductCode   string    `json:"product_code"`
	Product       string    `json:"product"`
	Status        string    `json:"status"`
	StatusReason  string    `json:"status_reason"`
	Reason        string    `json:"reason"`
	ExpectedValue jsonMoney `json:"expected_value"`
	Priority      jsonMoney `json:"priority"`
	RaisedAsOf    string    `json:"raised_as_of"`
	ChangedAt     string    `json:"changed_at"`
	Next          []string  `json:"next"`
}

func triggerJSON(t triggers.Trigger) jsonTrigger {
	out := jsonTrigger{ID: t.ID, ClientID: t.ClientID, ClientName: t.ClientName, ProductCode: t.ProductCode,
		Product: t.ProductName, Status: string(t.Status), StatusReason: t.StatusReason, Reason: t.Reason,
		ExpectedValue: moneyOf(t.ExpectedValue, t.Currency, t.MinorDigits),
		Priority:      moneyOf(t.Priority, t.Currency, t.MinorDigits),
		RaisedAsOf:    month(t.RaisedAsOf), ChangedAt: t.ChangedAt.Format(time.RFC3339), Next: []string{}}
	for _, n := range t.Status.Next() {
		out.Next = append(out.Next, string(n))
	}
	return out
}

type jsonSignal struct {
	Name    string  `json:"name"`
	Label   string  `json:"label"`
	Fired   bool    `json:"fired"`
	Share   float64 `json:"share"`
	Figures string  `json:"figures"`
}

type jsonWarning struct {
	ClientID    int64        `json:"client_id"`
	ClientName  string       `json:"client_name"`
	Score       int          `json:"score"`
	Level       string       `json:"level"`
	Since       string       `json:"since"`
	AsOf        string       `json:"as_of"`
	Manager     string       `json:"manager"`
	CLV         *jsonMoney   `json:"clv"`
	LastContact *string      `json:"last_contact"`
	Signals     []jsonSignal `json:"signals"`
}

func warningJSON(w warnings.Warning) jsonWarning {
	out := jsonWarning{ClientID: w.ClientID, ClientName: w.ClientName, Score: w.Score, Level: string(w.Level),
		Since: month(w.Since), AsOf: month(w.AsOf), Manager: w.ManagerName, CLV: moneyPtr(w.CLV, w.Currency, w.MinorDigits),
		Signals: []jsonSignal{}}
	if !w.LastContact.IsZero() {
		s := day(w.LastContact)
		out.LastContact = &s
	}
	for _, s := range w.Signals {
		out.Signals = append(out.Signals, jsonSignal{Name: string(s.Name), Label: s.Name.Label(), Fired: s.Fired,
			Share: s.Share, Figures: s.Figures})
	}
	return out
}

type jsonSegment struct {
	ID          int64      `json:"id"`
	Label       string     `json:"label"`
	Level       int        `json:"level"`
	AsOf        string     `json:"as_of"`
	Size        int        `json:"size"`
	BestClients int        `json:"best_clients"`
	IdealIncome *jsonMoney `json:"ideal_income"`
	AvgIncome   *jsonMoney `json:"avg_income"`
	ChurnRate   *float64   `json:"churn_rate"`
	LTV         *jsonMoney `json:"ltv"`
	IdealSet    []string   `json:"ideal_set"`
}

func segmentJSON(s segments.Summary) jsonSegment {
	out := jsonSegment{ID: s.ID, Label: s.Label, Level: int(s.Level), AsOf: month(s.AsOf), Size: s.Size,
		BestClients: s.BestClients, ChurnRate: s.ChurnRate, IdealSet: []string{}}
	ccy, d := s.Currency, s.MinorDigits
	if !s.IdealWithheld {
		m := moneyOf(s.IdealIncome, ccy, d)
		out.IdealIncome = &m
	}
	if !s.IncomeWithheld {
		m := moneyOf(s.AvgIncome, ccy, d)
		out.AvgIncome = &m
		out.LTV = moneyPtr(s.LTV, ccy, d)
	}
	for _, p := range s.IdealSet {
		out.IdealSet = append(out.IdealSet, p.Code)
	}
	return out
}

type jsonAction struct {
	Position     int          `json:"position"`
	Kind         string       `json:"kind"`
	ClientID     int64        `json:"client_id"`
	ClientName   string       `json:"client_name"`
	Score        *int         `json:"churn_score,omitempty"`
	IncomeAtRisk *jsonMoney   `json:"income_at_risk,omitempty"`
	Reasons      []jsonReason `json:"reasons,omitempty"`
	Offer        *jsonTrigger `json:"offer,omitempty"`
}

type jsonReason struct {
	Label   string  `json:"label"`
	Figures string  `json:"figures"`
	Share   float64 `json:"share"`
}

type jsonDue struct {
	ClientID    int64  `json:"client_id"`
	ClientName  string `json:"client_name"`
	PlannedOn   string `json:"planned_on"`
	LastContact string `json:"last_contact"`
	AllowedFrom string `json:"allowed_from"`
}

type jsonWorklist struct {
	AsOf       *string       `json:"as_of"`
	Total      int           `json:"total"`
	Retentions int           `json:"retentions"`
	Waiting    int           `json:"waiting"`
	Page       int           `json:"page"`
	Pages      int           `json:"pages"`
	Actions    []jsonAction  `json:"actions"`
	Warnings   []jsonWarning `json:"warnings"`
	Due        []jsonDue     `json:"due"`
	NextCursor *string       `json:"next_cursor"`
}

func worklistJSON(s worklist.Screen) jsonWorklist {
	out := jsonWorklist{AsOf: monthOrNil(s.AsOf), Total: s.Total, Retentions: s.Retentions, Waiting: s.Waiting,
		Page: s.Page, Pages: s.Pages(), Actions: []jsonAction{}, Warnings: []jsonWarning{}, Due: []jsonDue{}}
	for _, a := range s.Actions {
		switch {
		case a.Retention != nil:
			w := a.Retention.Warning
			score := w.Score
			m := moneyOf(a.Retention.IncomeAtRisk, w.Currency, w.MinorDigits)
			ja := jsonAction{Position: a.Position, Kind: "retention", ClientID: w.ClientID, ClientName: w.ClientName,
				Score: &score, IncomeAtRisk: &m, Reasons: []jsonReason{}}
			for _, r := range a.Retention.Reasons {
				ja.Reasons = append(ja.Reasons, jsonReason{Label: r.Label, Figures: r.Figures, Share: r.Share})
			}
			out.Actions = append(out.Actions, ja)
		case a.Offer != nil:
			t := triggerJSON(a.Offer.Trigger)
			out.Actions = append(out.Actions, jsonAction{Position: a.Position, Kind: "offer", ClientID: t.ClientID,
				ClientName: t.ClientName, Offer: &t})
		}
	}
	for _, w := range s.Warnings.Warnings {
		out.Warnings = append(out.Warnings, warningJSON(w))
	}
	for _, d := range s.Due {
		out.Due = append(out.Due, jsonDue{ClientID: d.ClientID, ClientName: d.LegalName, PlannedOn: day(d.PlannedOn),
			LastContact: day(d.LastContact), AllowedFrom: day(d.AllowedFrom)})
	}
	out.NextCursor = nextPage("worklist", s.Page, s.Page < s.Pages())
	return out
}
