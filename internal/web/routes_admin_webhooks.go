package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/relaycrm/relay/internal/i18n"
	"github.com/relaycrm/relay/internal/input"
	"github.com/relaycrm/relay/internal/webhooks"
	"github.com/relaycrm/relay/views/components"
	"github.com/relaycrm/relay/views/pages"
)

// deliveriesShown is how many deliveries the webhooks page lists at a time.
const deliveriesShown = 50

// sessionWebhookSecret holds a new endpoint's secret for the one page that
// shows it.
const sessionWebhookSecret = "webhook_secret"

// webhookRoutes are the admin's webhooks: endpoints and their deliveries.
func (s *server) webhookRoutes(ag *echo.Group) {
	ag.GET("/webhooks", s.adminWebhooks)
	ag.POST("/webhooks", s.adminWebhookCreate)
	ag.POST("/webhooks/:id/enable", func(c echo.Context) error { return s.adminWebhookEnable(c, true) })
	ag.POST("/webhooks/:id/disable", func(c echo.Context) error { return s.adminWebhookEnable(c, false) })
	ag.POST("/webhooks/:id/delete", s.adminWebhookDelete)
	ag.POST("/webhooks/deliveries/:id/resend", s.adminWebhookResend)
}

func (s *server) adminWebhooks(c echo.Context) error {
	return s.renderWebhooks(c, http.StatusOK, webhooks.NewEndpoint{}, nil)
}

// renderWebhooks shows the page, with the registration form as typed and its
// errors.
func (s *server) renderWebhooks(c echo.Context, status int, form webhooks.NewEndpoint, errs input.Errors) error {
	ctx := c.Request().Context()
	offset, err := offsetParam(c)
	if err != nil {
		return err
	}
	filter := c.QueryParam("status")
	list, err := webhooks.Endpoints(ctx, s.Pool)
	if err != nil {
		return err
	}
	page, err := webhooks.Deliveries(ctx, s.Pool, filter, deliveriesShown, offset)
	if err != nil {
		return err
	}
	vm := pages.AdminWebhooks{Flash: s.popFlash(c), CSRF: s.csrfToken(c), Status: filter,
		Secret: s.sessions.PopString(ctx, sessionWebhookSecret),
		Total:  page.Total, Offset: offset, PerPage: deliveriesShown,
		Form: pages.WebhookForm{URL: form.URL, Description: form.Description, Errors: errs}}
	for _, st := range webhooks.Statuses {
		vm.Statuses = append(vm.Statuses, components.Option{Value: st, Label: i18n.T(ctx, "webhooks.statuses."+st)})
	}
	checked := map[string]bool{}
	for _, e := range form.Events {
		checked[e] = true
	}
	for _, ev := range webhooks.Events {
		vm.Form.Events = append(vm.Form.Events, pages.WebhookEventChoice{Value: string(ev.Event), Label: i18n.T(ctx, "webhooks.eventlabel."+string(ev.Event)),
			Checked: checked[string(ev.Event)]})
	}
	for _, e := range list {
		vm.Endpoints = append(vm.Endpoints, pages.WebhookEndpointRow{ID: e.ID, URL: e.URL, Description: e.Description,
			Events: strings.Join(e.Events, ", "), Created: i18n.DateTime(ctx, e.CreatedAt), Enabled: e.Enabled,
			Pending: e.Pending, Failed: e.Failed})
	}
	for _, d := range page.Deliveries {
		row := pages.WebhookDeliveryRow{ID: d.ID, URL: d.URL, Event: d.Event, Status: d.Status, Items: d.Items,
			Attempts: d.Attempts, LastError: d.LastError, Created: i18n.DateTime(ctx, d.CreatedAt),
			CanResend: d.Status == "failed", Tone: deliveryTone(d.Status)}
		if d.LastStatus != nil {
			row.LastStatus = strconv.Itoa(*d.LastStatus)
		}
		if d.Status == "pending" {
			row.Next = i18n.DateTime(ctx, d.NextAttemptAt)
		}
		vm.Deliveries = append(vm.Deliveries, row)
	}
	return render(c, status, pages.AdminWebhooksPage(s.layout(c, viewer(c), i18n.T(ctx, "webhooks.title"), "webhooks"), vm))
}

func deliveryTone(status string) string {
	switch status {
	case "delivered":
		return "good"
	case "failed":
		return "bad"
	}
	return "warn"
}

func (s *server) adminWebhookCreate(c echo.Context) error {
	form := webhooks.NewEndpoint{URL: c.FormValue("url"), Description: c.FormValue("description")}
	if vals, err := c.FormParams(); err == nil {
		form.Events = vals["events"]
	}
	id, secret, err := webhooks.Create(c.Request().Context(), s.Pool, actor(c), form)
	if errs, ok := fieldErrors(err); ok {
		return s.renderWebhooks(c, statusInvalid, form, errs)
	}
	if err != nil {
		return err
	}
	s.sessions.Put(c.Request().Context(), sessionWebhookSecret, secret)
	s.setFlash(c, i18n.T(ctxOf(c), "webhooks.flash.registered", "ID", id))
	return seeOther(c, "/admin/webhooks")
}

func (s *server) adminWebhookEnable(c echo.Context, enabled bool) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	if err := webhooks.SetEnabled(c.Request().Context(), s.Pool, actor(c), id, enabled); err != nil {
		return err
	}
	if enabled {
		s.setFlash(c, i18n.T(ctxOf(c), "webhooks.flash.enabled", "ID", id))
	} else {
		s.setFlash(c, i18n.T(ctxOf(c), "webhooks.flash.disabled", "ID", id))
	}
	return seeOther(c, "/admin/webhooks")
}

func (s *server) adminWebhookDelete(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	if err := webhooks.Delete(c.Request().Context(), s.Pool, actor(c), id); err != nil {
		return err
	}
	s.setFlash(c, i18n.T(ctxOf(c), "webhooks.flash.deleted", "ID", id))
	return seeOther(c, "/admin/webhooks")
}

func (s *server) adminWebhookResend(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	err = webhooks.Resend(c.Request().Context(), s.Pool, actor(c), id)
	if errs, ok := fieldErrors(err); ok {
		s.setFlash(c, errs["delivery"])
		return seeOther(c, "/admin/webhooks")
	}
	if err != nil {
		return err
	}
	s.setFlash(c, i18n.T(ctxOf(c), "webhooks.flash.resent", "ID", id))
	return seeOther(c, "/admin/webhooks")
}
