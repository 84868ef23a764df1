package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/relaycrm/relay/seeds"
)

// An administrator sees and edits the group's reference data: a new region
// is added, a bank with clients keeps its currency, bad input comes back
// beside its field, and every change is audited.
func TestAdminEditsReferenceData(t *testing.T) {
	t.Parallel()
	srv := start(t)
	c := srv.NewClient(t)
	c.Login(adminLogin, seeds.DemoPassword)
	page := c.Get("/admin/reference")
	if page.Status != http.StatusOK {
		t.Fatalf("reference page: %d", page.Status)
	}
	for _, want := range []string{`data-testid="bank-row" data-code="BN"`, `data-testid="region-row" data-code="BG-SOF"`,
		`data-testid="industry-row" data-code="G"`, "has clients: currency fixed"} {
		if !strings.Contains(page.Body, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	r := c.Post("/admin/reference/regions", url.Values{"code": {"bg-sz"}, "name": {"Stara Zagora"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("new region: %d", r.Status)
	}
	var name string
	if err := srv.Pool.QueryRow(context.Background(), `SELECT name FROM region WHERE code = 'BG-SZ'`).Scan(&name); err != nil || name != "Stara Zagora" {
		t.Errorf("region BG-SZ: %q %v", name, err)
	}
	bad := []struct {
		path  string
		form  url.Values
		field string
		says  string
	}{
		{"/admin/reference/banks", url.Values{"code": {"BN"}, "name": {"Bank North"}, "currency": {"BGN"}, "minor_digits": {"2"}}, "bank-currency", "its currency cannot change"},
		{"/admin/reference/banks", url.Values{"code": {"NEW"}, "name": {"New Bank"}, "currency": {"EURO"}, "minor_digits": {"2"}}, "bank-currency", "ISO 4217"},
		{"/admin/reference/banks", url.Values{"code": {"NEW"}, "name": {"New Bank"}, "currency": {"EUR"}, "minor_digits": {"7"}}, "bank-minor_digits", "0 to 4"},
		{"/admin/reference/industries", url.Values{"code": {"X1"}, "name": {"X"}, "nace": {"Z"}}, "industry-nace", "A to U"},
		{"/admin/reference/regions", url.Values{"code": {"no spaces"}, "name": {"X"}}, "region-code", "capital letters"},
		{"/admin/reference/group", url.Values{"name": {" "}}, "group-name", "give a name"},
	}
	for _, tc := range bad {
		r := c.Post(tc.path, tc.form)
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `data-testid="error-`+tc.field+`"`) || !strings.Contains(r.Body, tc.says) {
			t.Errorf("%s %v: status %d, want 422 with %q beside %s", tc.path, tc.form, r.Status, tc.says, tc.field)
		}
	}
	var currency string
	var audited int
	if err := srv.Pool.QueryRow(context.Background(), `SELECT currency, (SELECT count(*) FROM audit_log WHERE action LIKE 'reference.%')
		FROM bank WHERE code = 'BN'`).Scan(&currency, &audited); err != nil || currency != "EUR" || audited != 1 {
		t.Errorf("bank BN in %s, %d reference changes audited (%v); want EUR and 1", currency, audited, err)
	}
}
