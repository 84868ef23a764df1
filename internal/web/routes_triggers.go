package web

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/relaycrm/relay/internal/access"
	"github.com/relaycrm/relay/internal/input"
	"github.com/relaycrm/relay/internal/money"
	"github.com/relaycrm/relay/internal/triggers"
	"github.com/relaycrm/relay/views/components"
	"github.com/relaycrm/relay/views/pages"
)

// untouchedAfter is how long an open trigger may wait before it is flagged.
const untouchedAfter = 14 * 24 * time.Hour

func (s *server) triggerRoutes(g *echo.Group) {
	tg := g.Group("/triggers", requireRole(access.Manager, access.BranchHead, access.Risk))
	tg.POST("/:id/move", s.triggerMove)
}

// triggerRow shapes a trigger for the worklist or the card.
func (s *server) triggerRow(c echo.Context, v access.Viewer, t triggers.Trigger) pages.TriggerRow {
	r := pages.TriggerRow{ID: t.ID, ClientID: t.ClientID, ClientName: t.ClientName, Product: t.ProductName,
		ProductCode: t.ProductCode, Reason: t.Reason, Value: money.Whole(t.ExpectedValue, t.Currency, t.MinorDigits),
		Priority: money.Whole(t.Priority, t.Currency, t.MinorDigits), Status: string(t.Status),
		StatusLabel: t.Status.Label(), StatusTone: triggerTone(t.Status), StatusReason: t.StatusReason,
		Raised: components.Month(t.RaisedAsOf), Changed: components.Date(t.ChangedAt), Open: t.Status.Open(),
		Hidden: t.Hidden, CanMove: v.WritesClients() && t.Status.Open(), CSRF: s.csrfToken(c),
		LostReasons: triggers.LostReasons, DismissReasons: triggers.DismissReasons}
	if t.Status.Open() && s.Now().Sub(t.ChangedAt) > untouchedAfter {
		r.Untouched = true
		r.Age = fmt.Sprintf("%d days", int(s.Now().Sub(t.ChangedAt).Hours()/24))
	}
	if !t.WonConfirmedAt.IsZero() {
		r.StatusLabel += " · confirmed " + components.Month(t.WonConfirmedAt)
	}
	for _, n := range t.Status.Next() {
		r.Next = append(r.Next, components.Option{Value: string(n), Label: n.Label()})
	}
	return r
}

func triggerTone(st triggers.Status) string {
	switch st {
	case triggers.Won:
		return "good"
	case triggers.Lost, triggers.Dismissed:
		return "bad"
	case triggers.Expired:
		return ""
	case triggers.Offered, triggers.Contacted:
		return "warn"
	}
	return "info"
}

// triggerMove moves a trigger along: contacted, offered, won, or lost or
// dismissed with a reason from the list. It answers the trigger's row.
func (s *server) triggerMove(c echo.Context) error {
	ctx := c.Request().Context()
	v := viewer(c)
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	showClient := c.FormValue("show_client") != ""
	to := triggers.Status(c.FormValue("to"))
	reason, rerr := triggers.ComposeReason(to, c.FormValue("reason"), c.FormValue("note"))
	var moved triggers.Trigger
	if rerr == nil {
		moved, err = triggers.Move(ctx, s.Pool, v, triggers.Change{TriggerID: id, From: triggers.Status(c.FormValue("from")),
			To: to, Reason: reason, IP: c.RealIP()})
	} else {
		err = rerr
	}
	var fieldErr input.Errors
	var transErr *triggers.TransitionError
	var staleErr *triggers.StaleError
	switch {
	case errors.As(err, &fieldErr), errors.As(err, &transErr), errors.As(err, &staleErr):
		current, gerr := triggers.Get(ctx, s.Pool, v, id)
		if gerr != nil {
			return gerr
		}
		row := s.triggerRow(c, v, current)
		row.Error = err.Error()
		if fieldErr != nil {
			row.Error = fieldErr.Messages()
		}
		if staleErr == nil && current.Status.CanMoveTo(to) {
			// the form comes back as the user left it
			row.To, row.ReasonChoice, row.NoteText = string(to), c.FormValue("reason"), c.FormValue("note")
		}
		if !isHTMX(c) {
			s.setFlash(c, "The trigger was not moved: "+row.Error)
			return c.Redirect(http.StatusSeeOther, backTo(c, current.ClientID))
		}
		return render(c, statusInvalid, pages.TriggerRowView(row, showClient))
	case err != nil:
		return err
	}
	if !isHTMX(c) {
		s.setFlash(c, fmt.Sprintf("%s for %s: %s.", moved.ProductName, moved.ClientName, strings.ToLower(moved.Status.Label())))
		return c.Redirect(http.StatusSeeOther, backTo(c, moved.ClientID))
	}
	row := s.triggerRow(c, v, moved)
	row.Saved = "Saved: " + strings.ToLower(moved.Status.Label())
	return render(c, http.StatusOK, pages.TriggerRowView(row, showClient))
}

// backTo is where a form posted without JavaScript returns: the worklist it
// came from, or the client's card.
func backTo(c echo.Context, clientID int64) string {
	if c.FormValue("show_client") != "" {
		return "/worklist"
	}
	return fmt.Sprintf("/clients/%d", clientID)
}
