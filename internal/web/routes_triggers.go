package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/relaycrm/relay/internal/access"
	"github.com/relaycrm/relay/internal/i18n"
	"github.com/relaycrm/relay/internal/input"
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

// triggerRow shapes a trigger for the worklist or the card, in the viewer's
// language.
func (s *server) triggerRow(c echo.Context, v access.Viewer, t triggers.Trigger) pages.TriggerRow {
	ctx := ctxOf(c)
	r := pages.TriggerRow{ID: t.ID, ClientID: t.ClientID, ClientName: t.ClientName, Product: t.ProductName,
		ProductCode: t.ProductCode, Reason: t.Reason, Value: i18n.MoneyWhole(ctx, t.ExpectedValue, t.Currency, t.MinorDigits),
		Priority: i18n.MoneyWhole(ctx, t.Priority, t.Currency, t.MinorDigits), Status: string(t.Status),
		StatusLabel: t.Status.Text(ctx), StatusTone: triggerTone(t.Status),
		StatusReason: triggers.ReasonText(ctx, t.Status, t.StatusReason),
		Raised:       i18n.Month(ctx, t.RaisedAsOf), Changed: i18n.Date(ctx, t.ChangedAt), Open: t.Status.Open(),
		Hidden: t.Hidden, CanMove: v.WritesClients() && t.Status.Open(), CSRF: s.csrfToken(c),
		LostReasons: reasonOptions(ctx, triggers.Lost), DismissReasons: reasonOptions(ctx, triggers.Dismissed)}
	if t.Status.Open() && s.Now().Sub(t.ChangedAt) > untouchedAfter {
		r.Untouched = true
		r.Age = i18n.Plural(ctx, "triggers.untouched", int64(s.Now().Sub(t.ChangedAt).Hours()/24))
	}
	if !t.WonConfirmedAt.IsZero() {
		r.StatusLabel = i18n.T(ctx, "triggers.confirmed", "Status", r.StatusLabel, "Month", i18n.Month(ctx, t.WonConfirmedAt))
	}
	for _, n := range t.Status.Next() {
		r.Next = append(r.Next, components.Option{Value: string(n), Label: n.Text(ctx)})
	}
	return r
}

// reasonOptions are the reasons for moving to st, the stored English text as
// the value and the viewer's language as the label.
func reasonOptions(ctx context.Context, st triggers.Status) []components.Option {
	list := triggers.ReasonsFor(st)
	out := make([]components.Option, len(list))
	for i, r := range list {
		out[i] = components.Option{Value: r, Label: triggers.ReasonLabel(ctx, st, r)}
	}
	return out
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
	ctx := ctxOf(c)
	v := viewer(c)
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	showClient := c.FormValue("show_client") != ""
	to := triggers.Status(c.FormValue("to"))
	reason, rerr := triggers.ComposeReasonIn(ctx, to, c.FormValue("reason"), c.FormValue("note"))
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
		switch {
		case transErr != nil:
			row.Error = transErr.Message(ctx)
		case staleErr != nil:
			row.Error = staleErr.Message(ctx)
		case fieldErr != nil:
			row.Error = fieldErr.Messages()
		}
		if staleErr == nil && current.Status.CanMoveTo(to) {
			// the form comes back as the user left it
			row.To, row.ReasonChoice, row.NoteText = string(to), c.FormValue("reason"), c.FormValue("note")
		}
		if !isHTMX(c) {
			s.setFlash(c, i18n.T(ctx, "triggers.not_moved", "Error", row.Error))
			return c.Redirect(http.StatusSeeOther, backTo(c, current.ClientID))
		}
		return render(c, statusInvalid, pages.TriggerRowView(row, showClient))
	case err != nil:
		return err
	}
	if !isHTMX(c) {
		s.setFlash(c, i18n.T(ctx, "triggers.moved", "Product", moved.ProductName, "Client", moved.ClientName,
			"Status", strings.ToLower(moved.Status.Text(ctx))))
		return c.Redirect(http.StatusSeeOther, backTo(c, moved.ClientID))
	}
	row := s.triggerRow(c, v, moved)
	row.Saved = i18n.T(ctx, "triggers.saved", "Status", strings.ToLower(moved.Status.Text(ctx)))
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
