package web_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// TestAdminWebhooks registers an endpoint through the page (a bad URL comes
// back with its error), shows its secret once, disables it, lists a failed
// delivery and sends it again.
func TestAdminWebhooks(t *testing.T) {
	t.Parallel()
	srv, c := asAdmin(t)

	r := c.Post("/admin/webhooks", url.Values{"url": {"http://8.8.8.8/in"}, "description": {"core"}, "events": {"trigger.moved"}})
	if r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("a public http URL: %d, want %d", r.Status, http.StatusUnprocessableEntity)
	}
	if errs := elementsByTestID(t, r.Body, "error-url"); len(errs) != 1 || !strings.Contains(nodeText(errs[0]), "https") {
		t.Errorf("no error beside the URL: %.300s", problem(r.Body))
	}
	if !strings.Contains(r.Body, `value="core"`) {
		t.Error("the form lost the description typed")
	}
	r = c.Post("/admin/webhooks", url.Values{"url": {"https://hooks.bank.example/relay"}})
	if r.Status != http.StatusUnprocessableEntity || len(elementsByTestID(t, r.Body, "error-events")) != 1 {
		t.Errorf("no event chosen: %d, want %d with an error on events", r.Status, http.StatusUnprocessableEntity)
	}

	r = c.Post("/admin/webhooks", url.Values{"url": {"https://hooks.bank.example/relay"}, "description": {"the core"},
		"events": {"trigger.moved", "nightly.finished"}})
	if r.Status != http.StatusSeeOther || r.Location != "/admin/webhooks" {
		t.Fatalf("register: %d to %q", r.Status, r.Location)
	}
	secret := dbValue[string](t, srv, `SELECT secret FROM webhook_endpoint`)
	page := c.Get("/admin/webhooks")
	if shown := elementsByTestID(t, page.Body, "webhook-secret"); len(shown) != 1 || !strings.Contains(nodeText(shown[0]), secret) {
		t.Errorf("the secret is not shown after registering: %.300s", problem(page.Body))
	}
	page = c.Get("/admin/webhooks")
	if strings.Contains(page.Body, secret) {
		t.Error("the secret is shown a second time")
	}
	rows := elementsByTestID(t, page.Body, "webhook-endpoint")
	if len(rows) != 1 || nodeAttr(rows[0], "data-enabled") != "true" {
		t.Fatalf("%d endpoint rows, want 1 enabled", len(rows))
	}
	id := nodeAttr(rows[0], "data-id")
	if r := c.Post("/admin/webhooks/"+id+"/disable", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("disable: %d", r.Status)
	}
	if on := dbValue[bool](t, srv, `SELECT enabled FROM webhook_endpoint`); on {
		t.Error("the endpoint is still enabled")
	}
	if n := auditCountOf(t, srv, "webhook.create") + auditCountOf(t, srv, "webhook.disable"); n != 2 {
		t.Errorf("%d webhook changes audited, want 2", n)
	}

	// a failed delivery is listed with its last answer and can be sent again
	did := dbValue[int64](t, srv, `INSERT INTO webhook_delivery (endpoint_id, event, payload, status, attempts, last_status, last_error)
		SELECT id, 'nightly.finished', '{}', 'failed', 10, 502, 'answered 502 Bad Gateway' FROM webhook_endpoint RETURNING id`)
	page = c.Get("/admin/webhooks?status=failed")
	ds := elementsByTestID(t, page.Body, "webhook-delivery")
	if len(ds) != 1 || nodeAttr(ds[0], "data-status") != "failed" || !strings.Contains(nodeText(ds[0]), "502 Bad Gateway") {
		t.Fatalf("failed deliveries listed: %d: %.300s", len(ds), problem(page.Body))
	}
	if len(elementsByTestID(t, page.Body, "webhook-resend")) != 1 {
		t.Error("no button to send the failed delivery again")
	}
	if r := c.Post("/admin/webhooks/deliveries/"+strconv.FormatInt(did, 10)+"/resend", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("re-send: %d", r.Status)
	}
	if s := dbValue[string](t, srv, `SELECT status || ' ' || attempts FROM webhook_delivery WHERE id = $1`, did); s != "pending 0" {
		t.Errorf("after the re-send: %s, want pending 0", s)
	}
	if r := c.Get("/admin/webhooks?status=bogus"); r.Status != http.StatusBadRequest {
		t.Errorf("an unknown status filter: %d, want 400", r.Status)
	}
	if r := c.Post("/admin/webhooks/"+id+"/delete", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("delete: %d", r.Status)
	}
	if n := dbValue[int64](t, srv, `SELECT count(*) FROM webhook_endpoint`); n != 0 {
		t.Error("the endpoint is still there")
	}
}
