package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/relaycrm/relay/internal/webtest"
)

func settingValue(t *testing.T, srv *webtest.Server, key string) string {
	t.Helper()
	return dbValue[string](t, srv, `SELECT value FROM setting WHERE key = $1`, key)
}

func TestAdminSettingsPageGroupsAndLinksAreas(t *testing.T) {
	t.Parallel()
	srv, c := asAdmin(t)
	r := c.Get("/admin/settings")
	wantStatusOf(t, r, http.StatusOK)
	if n, want := len(elementsByTestID(t, r.Body, "setting")), dbValue[int](t, srv, `SELECT count(*) FROM setting`); n != want {
		t.Errorf("%d settings shown, want %d", n, want)
	}
	links := map[string]string{}
	for _, area := range elementsByTestID(t, r.Body, "setting-area") {
		links[nodeAttr(area, "data-area")] = ""
	}
	for _, a := range elementsByTestID(t, r.Body, "area-link") {
		// the link sits in its area's header
		for p := a.Parent; p != nil; p = p.Parent {
			if nodeAttr(p, "data-testid") == "setting-area" {
				links[nodeAttr(p, "data-area")] = nodeAttr(a, "href")
			}
		}
	}
	want := map[string]string{"segments": "/segments", "triggers": "/effectiveness", "warnings": "/churn", "contacts": "/worklist",
		"worklist": "/worklist",
		"nightly":  "/admin/runs", "imports": "/admin/imports", "webhooks": "/admin/webhooks", "security": ""}
	for area, href := range want {
		got, ok := links[area]
		if !ok {
			t.Errorf("no %s area", area)
		} else if got != href {
			t.Errorf("%s links to %q, want %q", area, got, href)
		}
	}
	for _, n := range elementsByTestID(t, r.Body, "setting") {
		if nodeAttr(n, "data-key") != "segment.min_clients" {
			continue
		}
		if got := nodeText(n); !strings.Contains(got, "Minimum segment size") || !strings.Contains(got, "30") {
			t.Errorf("row %q", got)
		}
		if v, _ := formInputValue(t, renderNode(t, n), "value"); v != "30" {
			t.Errorf("the field holds %q, want 30", v)
		}
	}
}

// renderNode is n as HTML again, to look inside it.
func renderNode(t *testing.T, n *html.Node) string {
	t.Helper()
	var b strings.Builder
	if err := html.Render(&b, n); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestAdminEditsSettingInPlace(t *testing.T) {
	t.Parallel()
	srv, c := asAdmin(t)
	c.Get("/admin/settings")
	const key = "segment.min_clients"
	path := "/admin/settings/" + key

	r := c.PostHTMX(path, url.Values{"value": {" 25 "}})
	wantStatusOf(t, r, http.StatusOK)
	if strings.Contains(r.Body, "<html") {
		t.Fatal("htmx got a whole page, want the row")
	}
	if got := testIDText(t, r.Body, "setting-saved"); got != "Saved: 30 → 25." {
		t.Errorf("status line %q", got)
	}
	if v, _ := formInputValue(t, r.Body, "value"); v != "25" {
		t.Errorf("field shows %q", v)
	}
	if len(elementsByTestID(t, r.Body, "setting-reset")) != 1 || testIDText(t, r.Body, "setting-default") != "30" {
		t.Error("a changed setting offers no reset to its default, 30")
	}
	if v := settingValue(t, srv, key); v != "25" {
		t.Errorf("stored %q", v)
	}
	object, login, details := lastAuditOf(t, srv, "setting.update")
	if object != "setting:"+key || login != adminLogin || details != `{"to": "25", "from": "30"}` {
		t.Errorf("audit %q by %q: %s", object, login, details)
	}

	bad := []struct {
		name, key, value, says string
	}{
		{"not a number", key, "thirty", `Minimum segment size: "thirty" is not a whole number`},
		{"out of range", key, "0", "0 is out of range; it must be between 1 and 100000"},
		{"ratio above 1", "profile.ideal_adoption", "1.5", "1.5 is out of range; it must be between 0.01 and 1"},
		{"not a cron schedule", "nightly.schedule", "at two", `"at two" is not a cron schedule`},
		{"not a directory", "import.inbox_dir", "/no/such/dir", `"/no/such/dir" is not a directory under the root`},
		{"watch level above high", "warning.level_watch", "70", "must stay below high level from score (60)"},
		{"high level below watch", "warning.level_high", "30", "must stay above watch level from score (35)"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			before, audit0 := settingValue(t, srv, tc.key), auditChanges(t, srv)
			r := c.PostHTMX("/admin/settings/"+tc.key, url.Values{"value": {tc.value}})
			wantStatusOf(t, r, http.StatusUnprocessableEntity) // the layout's htmx-config swaps 422 in
			if got := testIDText(t, r.Body, "setting-error"); !strings.Contains(got, tc.says) {
				t.Errorf("beside the field: %q, want %q", got, tc.says)
			}
			if v, _ := formInputValue(t, r.Body, "value"); v != tc.value {
				t.Errorf("the field shows %q, typed %q", v, tc.value)
			}
			if settingValue(t, srv, tc.key) != before || auditChanges(t, srv) != audit0 {
				t.Error("a refused value was stored or audited")
			}
		})
	}

	t.Run("without htmx: a redirect, or the page with the message", func(t *testing.T) {
		wantSeeOther(t, c.Post(path, url.Values{"value": {"40"}}), "/admin/settings#setting-segment-min_clients")
		page := c.Get("/admin/settings")
		if got := testIDText(t, page.Body, "flash"); got != "Minimum segment size — Saved: 25 → 40." {
			t.Errorf("flash %q", got)
		}
		r := c.Post(path, url.Values{"value": {"-3"}})
		wantStatusOf(t, r, http.StatusUnprocessableEntity)
		if got := testIDText(t, r.Body, "setting-error"); !strings.Contains(got, "-3 is out of range") {
			t.Errorf("beside the field: %q", got)
		}
		if len(elementsByTestID(t, r.Body, "setting")) < 20 {
			t.Error("want the whole settings page")
		}
	})

	t.Run("reset to default", func(t *testing.T) {
		r := c.PostHTMX(path+"/reset", nil)
		wantStatusOf(t, r, http.StatusOK)
		if got := testIDText(t, r.Body, "setting-saved"); got != "Saved: 40 → 30." {
			t.Errorf("status line %q", got)
		}
		if len(elementsByTestID(t, r.Body, "setting-reset")) != 0 {
			t.Error("a setting at its default still offers a reset")
		}
		if settingValue(t, srv, key) != "30" {
			t.Error("not back to 30")
		}
		if _, _, details := lastAuditOf(t, srv, "setting.update"); details != `{"to": "30", "from": "40", "reset": true}` {
			t.Errorf("audit %s", details)
		}
	})

	t.Run("a percentage is a ratio", func(t *testing.T) {
		wantStatusOf(t, c.PostHTMX("/admin/settings/warning.turnover_drop", url.Values{"value": {"25%"}}), http.StatusOK)
		if v := settingValue(t, srv, "warning.turnover_drop"); v != "0.25" {
			t.Errorf("stored %q", v)
		}
	})
	t.Run("no such setting", func(t *testing.T) {
		wantStatusOf(t, c.Post("/admin/settings/no.such", url.Values{"value": {"1"}}), http.StatusNotFound)
	})
}
