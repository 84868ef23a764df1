package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/relaycrm/relay/internal/clients"
	"github.com/relaycrm/relay/internal/contacts"
	"github.com/relaycrm/relay/internal/input"
	"github.com/relaycrm/relay/internal/segments"
	"github.com/relaycrm/relay/internal/triggers"
	"github.com/relaycrm/relay/internal/warnings"
	"github.com/relaycrm/relay/internal/worklist"
)

// The API's handlers: each binds, calls the read model its page calls (or
// the domain function its form calls), and answers JSON.

const apiPerPage = 50

// apiClients lists the clients the token's user sees, by id, with the
// filters of the client list.
func (s *server) apiClients(c echo.Context) error {
	errs := input.Errors{}
	f := clientFilter(c.QueryParams(), errs)
	after, err := decodeCursor(c, "clients")
	if err != nil {
		errs.Merge(err)
	}
	limit, err := limitParam(c, apiPerPage, clients.MaxAfter)
	if err != nil {
		errs.Merge(err)
	}
	if err := errs.Err(); err != nil {
		return err
	}
	view, err := s.Clients.ListView(ctxOf(c), viewer(c), clients.ListQuery{Filter: f, After: after, Limit: limit}, s.Now())
	if err != nil {
		return err
	}
	out := struct {
		Clients    []jsonClient `json:"clients"`
		NextCursor *string      `json:"next_cursor"`
	}{Clients: []jsonClient{}}
	if view.Next != 0 {
		cur := encodeCursor("clients", view.Next)
		out.NextCursor = &cur
	}
	for _, r := range view.Rows {
		out.Clients = append(out.Clients, clientRowJSON(r))
	}
	return c.JSON(http.StatusOK, out)
}

// apiCard is a client's card: the card page's read model.
func (s *server) apiCard(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	card, err := s.card(c, viewer(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, cardJSON(card))
}

// apiContact is a contact as the API takes it.
type apiContact struct {
	Kind string `json:"kind"`
	// HappenedAt is RFC 3339, or YYYY-MM-DDTHH:MM in the server's time zone
	// as the form takes it.
	HappenedAt    string `json:"happened_at"`
	Outcome       string `json:"outcome"`
	Notes         string `json:"notes"`
	CSAT          *int   `json:"csat"`
	NPS           *int   `json:"nps"`
	NextContactOn string `json:"next_contact_on"`
	Proactive     *bool  `json:"proactive"`
}

// apiContactCreate logs a contact with the rules, checks and audit of the
// card's contact form (contacts.Store.Log).
func (s *server) apiContactCreate(c echo.Context) error {
	v := viewer(c)
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	if !v.WritesClients() {
		return contacts.ErrReadOnly
	}
	var in apiContact
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	at := in.HappenedAt
	if t, err := time.Parse(time.RFC3339, at); err == nil {
		at = t.In(time.Local).Format("2006-01-02T15:04")
	}
	form := contacts.Form{Kind: in.Kind, HappenedAt: at, Outcome: in.Outcome, Notes: in.Notes,
		NextContactOn: in.NextContactOn, Proactive: in.Proactive == nil || *in.Proactive}
	if in.CSAT != nil {
		form.CSAT = strconv.Itoa(*in.CSAT)
	}
	if in.NPS != nil {
		form.NPS = strconv.Itoa(*in.NPS)
	}
	o, err := s.cardOptions(c)
	if err != nil {
		return err
	}
	k, err := s.Contacts.Log(ctxOf(c), v, id, form, contacts.LogOptions{Now: o.Now, Loc: time.Local,
		MaxProactive: o.MaxProactive, IP: c.RealIP()})
	if err != nil {
		return err
	}
	k.ClientID = id
	return c.JSON(http.StatusCreated, contactJSON(k))
}

// apiTriggers lists the open triggers the token's user sees, highest
// priority first.
func (s *server) apiTriggers(c echo.Context) error {
	q := c.QueryParams()
	errs := input.Errors{}
	f := triggers.ListFilter{ManagerID: int64Query(q, "manager", errs), ProductID: int64Query(q, "product", errs),
		Status: triggers.Status(q.Get("status"))}
	if f.Status != "" && !f.Status.Open() {
		errs.Add("status", strings.ToLower(string(f.Status))+" is not an open status; use new, contacted or offered")
	}
	after, err := decodeKey(c, "triggers", func(k triggers.Key) bool { return k.ID > 0 })
	errs.Merge(err)
	f.After = after
	f.PerPage, err = limitParam(c, apiPerPage, 200)
	errs.Merge(err)
	if err := errs.Err(); err != nil {
		return err
	}
	p, err := triggers.ListOpen(ctxOf(c), s.Pool, viewer(c), f)
	if err != nil {
		return err
	}
	out := struct {
		Triggers   []jsonTrigger `json:"triggers"`
		Total      *int          `json:"total"`
		NextCursor *string       `json:"next_cursor"`
	}{Triggers: []jsonTrigger{}, NextCursor: encodeKey("triggers", p.Next)}
	if after == nil {
		out.Total = &p.Total
	}
	for _, t := range p.Triggers {
		out.Triggers = append(out.Triggers, triggerJSON(t))
	}
	return c.JSON(http.StatusOK, out)
}

// apiMove is a trigger's move as the API takes it.
type apiMove struct {
	From   string `json:"from"`
	To     string `json:"to"`
	Reason string `json:"reason"`
	Note   string `json:"note"`
}

// apiTriggerMove moves a trigger with the rules and audit of the pages'
// form (triggers.Move).
func (s *server) apiTriggerMove(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	var in apiMove
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	to := triggers.Status(in.To)
	reason, err := triggers.ComposeReason(to, in.Reason, in.Note)
	if err != nil {
		return err
	}
	moved, err := triggers.Move(ctxOf(c), s.Pool, viewer(c), triggers.Change{TriggerID: id, From: triggers.Status(in.From),
		To: to, Reason: reason, IP: c.RealIP()})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, triggerJSON(moved))
}

// apiWarnings lists the churn warnings the token's user sees, riskiest
// first, with the churn list's filters.
func (s *server) apiWarnings(c echo.Context) error {
	q := c.QueryParams()
	errs := input.Errors{}
	f := warnings.ListFilter{BankID: int64Query(q, "bank", errs), RegionID: int64Query(q, "region", errs),
		BranchID: int64Query(q, "branch", errs), IndustryID: int64Query(q, "industry", errs),
		ManagerID: int64Query(q, "manager", errs), Level: warnings.Level(q.Get("level")),
		Signal: warnings.SignalName(q.Get("signal")), Sort: q.Get("sort")}
	after, err := decodeKey(c, "warnings", func(k warnings.Key) bool { return k.ClientID > 0 })
	errs.Merge(err)
	f.PerPage, err = limitParam(c, apiPerPage, warnings.MaxPerPage)
	errs.Merge(err)
	errs.Merge(f.Validate())
	if after != nil && after.Sort != f.Sort {
		errs.Add("cursor", "a cursor of another order: pass next_cursor with the sort it was made with")
	}
	if err := errs.Err(); err != nil {
		return err
	}
	f.After = after
	p, err := warnings.List(ctxOf(c), s.Pool, viewer(c), f)
	if err != nil {
		return err
	}
	out := struct {
		Warnings   []jsonWarning `json:"warnings"`
		Total      *int          `json:"total"`
		NextCursor *string       `json:"next_cursor"`
	}{Warnings: []jsonWarning{}, NextCursor: encodeKey("warnings", p.Next)}
	if after == nil {
		out.Total = &p.Total
	}
	for _, w := range p.Warnings {
		out.Warnings = append(out.Warnings, warningJSON(w))
	}
	return c.JSON(http.StatusOK, out)
}

// apiSegments lists the segments of the latest run, largest first.
func (s *server) apiSegments(c echo.Context) error {
	q := c.QueryParams()
	errs := input.Errors{}
	f := segments.ListFilter{BankID: int64Query(q, "bank", errs), Sort: "size", Desc: true}
	after, err := decodeKey(c, "segments", func(k segments.Key) bool { return k.ID > 0 && k.Size >= 0 })
	errs.Merge(err)
	f.After = after
	f.PerPage, err = limitParam(c, apiPerPage, 200)
	errs.Merge(err)
	if err := errs.Err(); err != nil {
		return err
	}
	p, err := segments.List(ctxOf(c), s.Pool, viewer(c), f)
	if err != nil {
		return err
	}
	out := struct {
		Segments   []jsonSegment `json:"segments"`
		Total      *int          `json:"total"`
		NextCursor *string       `json:"next_cursor"`
	}{Segments: []jsonSegment{}, NextCursor: encodeKey("segments", p.Next)}
	if after == nil {
		out.Total = &p.Total
	}
	for _, sg := range p.Segments {
		out.Segments = append(out.Segments, segmentJSON(sg))
	}
	return c.JSON(http.StatusOK, out)
}

// apiWorklist is the manager's worklist: the worklist page's read model.
func (s *server) apiWorklist(c echo.Context) error {
	page, err := decodeCursor(c, "worklist")
	if err != nil {
		return err
	}
	cfg, err := s.Settings.Load(ctxOf(c))
	if err != nil {
		return err
	}
	today, err := worklist.ForToday(ctxOf(c), s.Pool, viewer(c), worklist.ScreenOptions{Now: s.Now(),
		MaxProactive: cfg.Int("contact.max_proactive_per_month"),
		Options: worklist.Options{Page: max(int(page), 1), PerPage: cfg.Int("worklist.daily_actions"),
			WatchFactor: cfg.Ratio("trigger.watch_factor")}})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, worklistJSON(today))
}
