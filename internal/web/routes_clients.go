package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/relaycrm/relay/internal/access"
	"github.com/relaycrm/relay/internal/cards"
	"github.com/relaycrm/relay/internal/clients"
	"github.com/relaycrm/relay/internal/contacts"
	"github.com/relaycrm/relay/internal/i18n"
	"github.com/relaycrm/relay/internal/input"
	"github.com/relaycrm/relay/views/components"
	"github.com/relaycrm/relay/views/pages"
)

func (s *server) clientRoutes(g *echo.Group) {
	cg := g.Group("/clients", requireRole(access.Manager, access.BranchHead, access.Risk))
	cg.GET("", s.clientList)
	cg.GET("/:id", s.clientCard)
	cg.POST("/:id/contacts", s.contactCreate)
}

// idParam reads a positive integer path parameter.
func idParam(c echo.Context, name string) (int64, error) {
	id, err := strconv.ParseInt(c.Param(name), 10, 64)
	if err != nil || id < 1 {
		return 0, input.Errors{name: fmt.Sprintf("%q is not a valid id", c.Param(name))}
	}
	return id, nil
}

// int64Query reads an optional id from the query string into errs.
func int64Query(q url.Values, name string, errs input.Errors) int64 {
	s := q.Get(name)
	if s == "" {
		return 0
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 1 {
		errs.Add(name, fmt.Sprintf("%q is not a valid choice", s))
		return 0
	}
	return n
}

// clientFilter binds the client list's filters from the query string, for
// the screen and the API alike; a value that is not a number is added to errs.
func clientFilter(q url.Values, errs input.Errors) clients.Filter {
	return clients.Filter{
		Query: q.Get("q"), BankID: int64Query(q, "bank", errs), RegionID: int64Query(q, "region", errs),
		BranchID: int64Query(q, "branch", errs), IndustryID: int64Query(q, "industry", errs),
		ManagerID: int64Query(q, "manager", errs), Tenure: q.Get("tenure"), Size: q.Get("size"),
		Status: q.Get("status"), Sort: q.Get("sort"),
	}
}

// clientList is the client list: its read model (clients.Store.ListView,
// which the API's list reads too) shaped for the page.
func (s *server) clientList(c echo.Context) error {
	v, ctx := viewer(c), ctxOf(c)
	q := c.QueryParams()
	errs := input.Errors{}
	f := clientFilter(q, errs)
	if q.Get("page") != "" {
		f.Page = pageParam(q, errs)
	}
	view, err := s.Clients.ListView(ctx, v, clients.ListQuery{Filter: f, Options: true}, s.Now())
	if err := errs.Merge(err); err != nil {
		return err
	}
	localFilterErrors(ctx, errs, q, clients.MaxPage)
	if len(errs) > 0 {
		// the form again with the errors, and no rows
		view.Rows, view.Total, view.Capped, view.Partial = nil, 0, false, false
	}
	f, opts := view.Filter, view.Options
	vm := pages.Clients{
		Query: q, Q: f.Query, Bank: q.Get("bank"), Region: q.Get("region"), Branch: q.Get("branch"),
		Industry: q.Get("industry"), Manager: q.Get("manager"), Tenure: f.Tenure, Size: f.Size,
		Status: f.Status, Sort: f.Sort,
		Banks: options(opts.Banks), Regions: options(opts.Regions), Branches: options(opts.Branches),
		Industries: options(opts.Industries), Managers: options(opts.Managers),
		ShowBankFilter:    v.Role == access.Risk,
		ShowBranchFilter:  v.Role == access.Risk,
		ShowManagerFilter: v.Role != access.Manager,
		ManagerHint:       i18n.T(ctx, "clients.all_managers"),
		Statuses: []components.Option{{Value: "active", Label: i18n.T(ctx, "clients.state.active")},
			{Value: "left", Label: i18n.T(ctx, "clients.state.left")}, {Value: "all", Label: i18n.T(ctx, "clients.state.all")}},
		Sizes: []components.Option{{Value: "micro", Label: sizeLabel(ctx, "micro")},
			{Value: "small", Label: sizeLabel(ctx, "small")}, {Value: "medium", Label: sizeLabel(ctx, "medium")}},
		Page: f.Page, Pages: view.Pages(), Total: view.Total, Capped: view.Capped, Partial: view.Partial,
		Errors: errs,
	}
	if v.Role == access.Risk && f.BranchID == 0 {
		vm.ManagerHint = i18n.T(ctx, "clients.choose_branch")
	}
	for _, b := range clients.TenureBands {
		vm.Tenures = append(vm.Tenures, components.Option{Value: b.Code, Label: tenureBandLabel(ctx, b)})
	}
	for _, r := range view.Rows {
		row := pages.ClientRow{ID: r.ID, Name: r.LegalName, TaxID: r.TaxID, Ref: r.Ref, Bank: r.Bank,
			Branch: r.Branch, Region: r.Region, IndustryCode: r.IndustryCode, Industry: r.Industry, Size: sizeLabel(ctx, r.Size),
			Since: i18n.Date(ctx, r.Since), Manager: r.Manager, Tenure: tenureIn(ctx, r.TenureMonths)}
		if r.LeftOn != nil {
			row.LeftOn = i18n.Date(ctx, *r.LeftOn)
		}
		vm.Rows = append(vm.Rows, row)
	}
	status := http.StatusOK
	if len(errs) > 0 {
		status = http.StatusBadRequest
	}
	if isHTMX(c) {
		return render(c, status, pages.ClientResults(vm))
	}
	return render(c, status, pages.ClientsPage(s.layout(c, v, i18n.T(ctx, "clients.title"), "clients"), vm))
}

func options(in []clients.Option) []components.Option {
	out := make([]components.Option, len(in))
	for i, o := range in {
		out[i] = components.Option{Value: strconv.FormatInt(o.ID, 10), Label: o.Label}
	}
	return out
}

func (s *server) clientCard(c echo.Context) error {
	v := viewer(c)
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	card, err := s.card(c, v, id)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, s.cardPage(c, v, card, s.contactsSection(c, v, id, card.Contacts, contactFormView(contacts.NewForm(s.Now())), nil, false)))
}

// cardOptions are the clock and settings a client card is read with.
func (s *server) cardOptions(c echo.Context) (cards.Options, error) {
	cfg, err := s.Settings.Load(c.Request().Context())
	if err != nil {
		return cards.Options{}, err
	}
	return cards.Options{Now: s.Now(), MaxProactive: cfg.Int("contact.max_proactive_per_month"),
		WatchFactor: cfg.Ratio("trigger.watch_factor")}, nil
}

// card reads client id's card, its one read model.
func (s *server) card(c echo.Context, v access.Viewer, id int64) (cards.View, error) {
	o, err := s.cardOptions(c)
	if err != nil {
		return cards.View{}, err
	}
	return cards.Card(c.Request().Context(), s.Pool, v, id, o)
}

// cardPage is the whole client card: the record, the nightly run's picture
// and the contacts section.
func (s *server) cardPage(c echo.Context, v access.Viewer, card cards.View, section pages.ContactsSection) templ.Component {
	vm := cardView(ctxOf(c), card.Client, section)
	vm.Flash = s.popFlash(c)
	vm.Nightly = pages.CardNightly(s.cardPicture(c, v, card.Picture, card.WatchFactor))
	return pages.ClientCardPage(s.layout(c, v, card.Client.LegalName, "clients"), vm)
}

// cardView shapes a client card for the page, in ctx's language.
func cardView(ctx context.Context, card clients.Card, section pages.ContactsSection) pages.Card {
	ccy, digits := card.Currency, card.MinorDigits
	loc := i18n.From(ctx)
	vm := pages.Card{
		ID: card.ID, Name: card.LegalName, TaxID: card.TaxID, Ref: card.Ref, Bank: card.Bank, Currency: ccy,
		Branch: card.Branch, Region: card.Region, IndustryCode: card.IndustryCode, Industry: card.Industry,
		Size: cardCode(ctx, "card.size.", card.Size), Since: i18n.Date(ctx, card.Since), Tenure: tenureIn(ctx, card.TenureMonths),
		TenureBand: cardCode(ctx, "card.band.", card.Tenure.Code), Manager: card.Manager, Contacts: section,
		FormatTick: func(v int64) string { return loc.MoneyWhole(v, "", digits) },
	}
	if card.LeftOn != nil {
		vm.LeftOn = i18n.Date(ctx, *card.LeftOn)
	}
	p := card.Profitability
	if p.Months > 0 {
		vm.AsOf = i18n.Month(ctx, p.To)
		vm.Profit = pages.CardProfit{HasData: true, AvgMonthly: i18n.MoneyWhole(ctx, p.AvgMonthly, ccy, digits), Months: p.Months,
			Period: i18n.T(ctx, "card.profit.fromto", "From", i18n.Month(ctx, p.From), "To", i18n.Month(ctx, p.To)),
			Trend:  i18n.T(ctx, "card.profit.notrend"), TrendTone: ""}
		vm.ChartAvg = p.AvgMonthly
		if p.HasTrend {
			vm.Profit.Trend = signedPercent(ctx, p.TrendPct)
			vm.Profit.TrendNote = i18n.T(ctx, "card.profit.trendnote", "Last", i18n.MoneyWhole(ctx, p.Last3Avg, ccy, digits),
				"Prior", i18n.MoneyWhole(ctx, p.Prior3Avg, ccy, digits))
			switch {
			case p.TrendPct <= -10:
				vm.Profit.TrendTone = "bad"
			case p.TrendPct >= 10:
				vm.Profit.TrendTone = "good"
			default:
				vm.Profit.TrendTone = "info"
			}
		}
	}
	for _, f := range card.Facts {
		vm.Chart = append(vm.Chart, components.BarPoint{Month: f.Month, Value: f.Income,
			Title: i18n.Month(ctx, f.Month) + ": " + i18n.MoneyWhole(ctx, f.Income, ccy, digits)})
	}
	for _, h := range card.Held {
		vm.Held = append(vm.Held, pages.CardHolding{Code: h.Code, Name: h.Name, Family: productFamily(ctx, h.Family),
			Kind: cardCode(ctx, "card.income.", h.IncomeKind), From: i18n.Date(ctx, h.Opened)})
	}
	for _, h := range card.Closed {
		vm.Closed = append(vm.Closed, pages.CardHolding{Code: h.Code, Name: h.Name, Family: productFamily(ctx, h.Family),
			Kind: cardCode(ctx, "card.income.", h.IncomeKind), From: i18n.Date(ctx, h.Opened), Until: i18n.Date(ctx, *h.Closed)})
	}
	return vm
}

// contactsSection shapes the contact form (with what was typed and its
// errors) and the history.
func (s *server) contactsSection(c echo.Context, v access.Viewer, clientID int64, cs cards.Contacts, form pages.ContactForm,
	errs input.Errors, saved bool) pages.ContactsSection {
	today := s.Now()
	ctx := ctxOf(c)
	sec := pages.ContactsSection{Plan: planView(ctx, cs.Plan, today), ClientID: clientID, CSRF: s.csrfToken(c), CanWrite: v.WritesClients(), Saved: saved,
		Form: form, Errors: errs, Kinds: localChoices(ctx, "card.kind.", contacts.Kinds), Outcomes: localChoices(ctx, "card.outcome.", contacts.Outcomes)}
	for _, k := range cs.Items {
		it := pages.ContactItem{When: i18n.DateTime(ctx, k.HappenedAt), Kind: localLabel(ctx, "card.kind.", contacts.Kinds, k.Kind),
			Outcome: localLabel(ctx, "card.outcome.", contacts.Outcomes, k.Outcome), OutcomeTone: outcomeTone(k.Outcome),
			By: k.User, Notes: k.Notes, Proactive: k.Proactive, Topic: k.Topic}
		if k.Source != contacts.SourceRelay {
			it.From = k.Source
		}
		switch {
		case k.CSAT != nil:
			it.Score = fmt.Sprintf("CSAT %d/5", *k.CSAT)
		case k.NPS != nil:
			it.Score = fmt.Sprintf("NPS %d/10", *k.NPS)
		}
		if k.NextContactOn != nil {
			it.Next = i18n.Date(ctx, *k.NextContactOn)
		}
		sec.Items = append(sec.Items, it)
	}
	return sec
}

// planView says the contact plan in a sentence or two.
func planView(ctx context.Context, p contacts.Plan, today time.Time) pages.ContactPlan {
	v := pages.ContactPlan{Used: i18n.Plural(ctx, "card.c.used", int64(p.Limit), "Used", i18n.Int(ctx, int64(p.ProactiveUsed)))}
	if p.LastContact != nil {
		v.Last = i18n.Date(ctx, *p.LastContact)
	}
	if p.PlannedOn != nil {
		v.Planned = i18n.Date(ctx, *p.PlannedOn)
		v.Overdue = p.PlannedOn.Before(today.Truncate(24 * time.Hour))
	}
	if p.AllowedFrom.After(today) {
		v.Blocked = true
		v.AllowedFrom = i18n.Date(ctx, p.AllowedFrom)
	}
	return v
}

func outcomeTone(o string) string {
	switch o {
	case "interested", "reached":
		return "good"
	case "complaint", "not_interested":
		return "bad"
	case "no_answer":
		return "warn"
	}
	return "info"
}

func (s *server) contactCreate(c echo.Context) error {
	ctx := c.Request().Context()
	v := viewer(c)
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	if !v.WritesClients() {
		return contacts.ErrReadOnly
	}
	form := contacts.Form{Kind: c.FormValue("kind"), HappenedAt: c.FormValue("happened_at"), Outcome: c.FormValue("outcome"),
		Notes: c.FormValue("notes"), CSAT: c.FormValue("csat"), NPS: c.FormValue("nps"),
		NextContactOn: c.FormValue("next_contact_on"), Proactive: c.FormValue("proactive") != ""}
	o, err := s.cardOptions(c)
	if err != nil {
		return err
	}
	_, err = s.Contacts.Log(ctx, v, id, form, contacts.LogOptions{Now: o.Now, Loc: time.Local,
		MaxProactive: o.MaxProactive, IP: c.RealIP()})
	if err != nil {
		errs, ok := fieldErrors(err)
		if !ok {
			return err
		}
		card, err := cards.Card(ctx, s.Pool, v, id, o)
		if err != nil {
			return err
		}
		sec := s.contactsSection(c, v, id, card.Contacts, contactFormView(form), errs, false)
		if isHTMX(c) {
			return render(c, statusInvalid, pages.ContactsPanel(sec))
		}
		return render(c, statusInvalid, s.cardPage(c, v, card, sec))
	}
	if !isHTMX(c) {
		return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/clients/%d#contacts", id))
	}
	cs, err := cards.ContactsOf(ctx, s.Pool, v, id, o)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, pages.ContactsPanel(s.contactsSection(c, v, id, cs, contactFormView(contacts.NewForm(s.Now())), nil, true)))
}

func contactFormView(f contacts.Form) pages.ContactForm {
	return pages.ContactForm{Kind: f.Kind, HappenedAt: f.HappenedAt, Outcome: f.Outcome, Notes: f.Notes,
		CSAT: f.CSAT, NPS: f.NPS, NextContactOn: f.NextContactOn, Proactive: f.Proactive}
}
