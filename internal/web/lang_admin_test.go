package web_test

import (
	"encoding/csv"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/relaycrm/relay/internal/i18n"
	"github.com/relaycrm/relay/internal/triggers"
	"github.com/relaycrm/relay/seeds"
)

// adminAreas are the message areas of the administrators' and analysis
// pages; a lookup of one of their ids that a language lacks fails the test.
var adminAreas = []string{"admin", "users", "imports", "products", "reference", "audit", "runs", "webhooks",
	"settings", "models", "backtest", "takeup", "effectiveness", "segments"}

// TestAdminPagesInEachLanguage walks every administrators' and analysis page
// in Bulgarian and Russian, as the roles that see them: each answers 200 in
// the language asked for, shows its heading and words in that language and
// not in English, writes figures and dates as the locale does, and looks up
// no message the language lacks.
func TestAdminPagesInEachLanguage(t *testing.T) {
	t.Parallel()
	srv := start(t)
	ctx := t.Context()
	var userID, productID, segmentID int64
	if err := srv.Pool.QueryRow(ctx, `SELECT id FROM app_user WHERE login = $1`, managerLogin).Scan(&userID); err != nil {
		t.Fatal(err)
	}
	if err := srv.Pool.QueryRow(ctx, `SELECT min(id) FROM product`).Scan(&productID); err != nil {
		t.Fatal(err)
	}
	if err := srv.Pool.QueryRow(ctx, `SELECT coalesce(min(id), 0) FROM segment`).Scan(&segmentID); err != nil {
		t.Fatal(err)
	}

	type page struct {
		login, path string
		heading     string   // the message id of its heading
		english     []string // English words of the page that must be gone
	}
	pages := []page{
		{adminLogin, "/admin/users", "users.title", []string{"Who signs in to Relay", "Active clients", "All roles"}},
		{adminLogin, "/admin/users/new", "users.new", []string{"Password again", "Create user", "Choose a role"}},
		{adminLogin, fmt.Sprintf("/admin/users/%d", userID), "users.roleandbranch", []string{"Reset password", "Changes to this user", "Save changes"}},
		{adminLogin, "/admin/products", "products.title", []string{"Key product", "New product", "Offered"}},
		{adminLogin, "/admin/products/new", "products.new", []string{"Add to the catalogue", "Choose a family"}},
		{adminLogin, fmt.Sprintf("/admin/products/%d", productID), "products.history", []string{"Changes to this product", "never changes"}},
		{adminLogin, "/admin/settings", "settings.title", []string{"Every threshold and window", "Reset to default", "Proactive contacts per month", "Cross-sell triggers"}},
		{adminLogin, "/admin/audit", "audit.title", []string{"Who did what", "All actions", "Newest first"}},
		{adminLogin, "/admin/reference", "reference.title", []string{"Banking group", "Minor digits", "Save bank"}},
		{adminLogin, "/admin/imports", "imports.title", []string{"Import a feed", "Check and import", "The feed's files"}},
		{adminLogin, "/admin/runs", "runs.title", []string{"Start a run now", "Counts"}},
		{adminLogin, "/admin/webhooks", "webhooks.title", []string{"Register an endpoint", "Deliveries", "All statuses"}},
		{riskLogin, "/models", "models.title", []string{"Scorer of each bank", "From the next run"}},
		{adminLogin, "/models", "models.scorers", []string{"Scorer of each bank", "Fixed weights"}},
		{riskLogin, "/backtest", "backtest.title", []string{"Warning backtest"}},
		{riskLogin, "/takeup", "takeup.title", []string{"Take-up models", "Ranks the offers of"}},
		{headLogin, "/effectiveness", "effectiveness.heading", []string{"Do the triggers work?", "Raised from"}},
		{managerLogin, "/segments", "segments.title", []string{"Peer groups of bank", "All banks", "Every level"}},
	}
	if segmentID != 0 {
		pages = append(pages, page{managerLogin, fmt.Sprintf("/segments/%d", segmentID), "segments.products",
			[]string{"Active clients", "Lifetime value by lifecycle stage", "a month"}})
	}
	for _, lang := range []i18n.Locale{i18n.Bulgarian, i18n.Russian} {
		for _, p := range pages {
			c := srv.NewClient(t)
			c.Lang = string(lang)
			c.Login(p.login, seeds.DemoPassword)
			r := c.Get(p.path)
			if r.Status != 200 {
				t.Errorf("%s %s as %s: %d", lang, p.path, p.login, r.Status)
				continue
			}
			body := html.UnescapeString(r.Body)
			if !strings.Contains(r.Body, `<html lang="`+string(lang)+`">`) {
				t.Errorf("%s %s: not marked as %s", lang, p.path, lang)
			}
			if want := lang.T(p.heading); !strings.Contains(body, want) {
				t.Errorf("%s %s: heading %q missing", lang, p.path, want)
			}
			for _, en := range p.english {
				if strings.Contains(body, en) {
					t.Errorf("%s %s: English %q left on the page", lang, p.path, en)
				}
			}
		}
	}
	for _, m := range i18n.Missing() {
		l, id, _ := strings.Cut(m, ":")
		area, _, _ := strings.Cut(id, ".")
		for _, a := range adminAreas {
			if a == area && l != "en" {
				t.Errorf("message %s missing in %s", id, l)
			}
		}
	}
}

// TestAdminFormsInEachLanguage: a refused value comes back with its error in
// the viewer's language, and a saved change says so in it, with figures
// written as the locale writes them.
func TestAdminFormsInEachLanguage(t *testing.T) {
	t.Parallel()
	srv := start(t)
	c := srv.NewClient(t)
	c.Lang = "ru"
	c.Login(adminLogin, seeds.DemoPassword)

	r := c.Post("/admin/users", url.Values{"login": {"Bad Login"}, "name": {""}, "role": {"admin"}, "password": {"x"}, "confirm": {"y"}})
	body := html.UnescapeString(r.Body)
	if r.Status != 422 {
		t.Fatalf("a bad user: %d, want 422", r.Status)
	}
	for _, want := range []string{"Пользователь не сохранён", "укажите имя, под которым", "используйте от 2 до 63"} {
		if !strings.Contains(body, want) {
			t.Errorf("the refused user form lacks %q", want)
		}
	}
	if strings.Contains(body, "give the person's name") {
		t.Error("the refused user form says what is wrong in English")
	}

	r = c.Post("/admin/settings/segment.min_clients", url.Values{"value": {"abc"}})
	body = html.UnescapeString(r.Body)
	if r.Status != 422 || !strings.Contains(body, "Минимальный размер сегмента: «abc» — не целое число") {
		t.Errorf("a bad setting: %d, want 422 with the problem in Russian", r.Status)
	}
	if r := c.Post("/admin/settings/segment.min_clients", url.Values{"value": {"1500"}}); r.Status != 303 {
		t.Fatalf("save a setting: %d", r.Status)
	}
	body = html.UnescapeString(c.Get("/admin/settings").Body)
	if !strings.Contains(body, "Минимальный размер сегмента — Сохранено:") {
		t.Error("the saved setting is not confirmed in Russian")
	}

	bg := srv.NewClient(t)
	bg.Lang = "bg"
	bg.Login(adminLogin, seeds.DemoPassword)
	r = bg.Post("/admin/webhooks", url.Values{"url": {"ftp://example.com"}, "description": {""}})
	body = html.UnescapeString(r.Body)
	if r.Status != 422 || !strings.Contains(body, "има схема „ftp“; използвайте https") || !strings.Contains(body, "изберете поне едно събитие") {
		t.Errorf("a bad webhook in Bulgarian: %d", r.Status)
	}
}

// TestEffectivenessExportInEachLanguage: the effectiveness table exported
// from a Bulgarian or Russian browser has its header in that language (the
// English one keeps the column codes scripts read) and the same rows cell for
// cell as the English one, but for the name of the all-products rows.
func TestEffectivenessExportInEachLanguage(t *testing.T) {
	t.Parallel()
	srv := startScored(t)
	read := func(lang string) [][]string {
		c := srv.NewClient(t)
		c.Lang = lang
		c.Login(riskLogin, seeds.DemoPassword)
		res := c.Get("/effectiveness/export.csv")
		if res.Status != http.StatusOK {
			t.Fatalf("%s export: %d", lang, res.Status)
		}
		rows, err := csv.NewReader(strings.NewReader(res.Body)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		return rows
	}
	en := read("en")
	if strings.Join(en[0], ",") != strings.Join(triggers.EffectCSVHeader, ",") || len(en) < 2 {
		t.Fatalf("English export: %d rows, header %v", len(en), en[0])
	}
	product := slices.Index(en[0], "product")
	for _, l := range []i18n.Locale{i18n.Bulgarian, i18n.Russian} {
		rows := read(string(l))
		if strings.Join(rows[0], "|") != strings.Join(triggers.EffectCSVHeaderIn(l), "|") {
			t.Errorf("%s header %v", l, rows[0])
		}
		for j, h := range rows[0] {
			if h == en[0][j] {
				t.Errorf("%s column %d left in English: %q", l, j, h)
			}
		}
		if len(rows) != len(en) {
			t.Fatalf("%s export has %d rows, English %d", l, len(rows), len(en))
		}
		all := 0
		for i := 1; i < len(rows); i++ {
			for j, cell := range rows[i] {
				want := en[i][j]
				if j == product && want == "all products" {
					want = l.T("effectiveness.csv.all_products")
					all++
				}
				if cell != want {
					t.Errorf("%s row %d, %s: %q, want %q", l, i, en[0][j], cell, want)
				}
			}
		}
		if all == 0 {
			t.Errorf("%s export has no all-products row", l)
		}
	}
}
