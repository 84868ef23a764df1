package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/relaycrm/relay/seeds"
)

// TestLanguageChoice: the browser's Accept-Language picks the language until
// the user chooses one on their account page; the choice wins over the
// browser, is kept across sign-ins, and a language Relay does not speak is
// refused naming the field.
func TestLanguageChoice(t *testing.T) {
	t.Parallel()
	srv := start(t)
	c := srv.NewClient(t)
	c.Lang = "bg-BG,bg;q=0.9,en;q=0.5"
	c.Login(managerLogin, seeds.DemoPassword)
	page := c.Get("/account")
	if page.Status != http.StatusOK || !strings.Contains(page.Body, `<html lang="bg">`) ||
		!strings.Contains(page.Body, "Изход") {
		t.Fatalf("a Bulgarian browser: %d, want the page in Bulgarian (lang=bg, Изход)", page.Status)
	}
	if !strings.Contains(page.Header.Get("Vary"), "Accept-Language") {
		t.Errorf("Vary = %q, want Accept-Language in it", page.Header.Get("Vary"))
	}

	bad := c.Post("/account/locale", url.Values{"locale": {"de"}})
	if bad.Status != http.StatusUnprocessableEntity || !strings.Contains(bad.Body, `data-testid="error-locale"`) {
		t.Errorf("choose German: %d, want 422 with the error beside the language", bad.Status)
	}
	if r := c.Post("/account/locale", url.Values{"locale": {"ru"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("choose Russian: %d", r.Status)
	}
	page = c.Get("/account")
	if !strings.Contains(page.Body, `<html lang="ru">`) || !strings.Contains(page.Body, "Выйти") {
		t.Error("after choosing Russian the page is not in Russian, though the browser asks for Bulgarian")
	}
	if !strings.Contains(page.Body, `<option value="ru" selected`) {
		t.Error("the account page does not show Russian as chosen")
	}

	again := srv.NewClient(t)
	again.Login(managerLogin, seeds.DemoPassword)
	if r := again.Get("/account"); !strings.Contains(r.Body, `<html lang="ru">`) {
		t.Error("a new sign-in with no Accept-Language is not in the chosen Russian")
	}
	if r := c.Post("/account/locale", url.Values{"locale": {""}}); r.Status != http.StatusSeeOther {
		t.Fatalf("follow the browser: %d", r.Status)
	}
	if r := c.Get("/account"); !strings.Contains(r.Body, `<html lang="bg">`) {
		t.Error("following the browser again does not bring back Bulgarian")
	}
	var audited int
	if err := srv.Pool.QueryRow(t.Context(), `SELECT count(*) FROM audit_log WHERE action = 'user.locale'`).Scan(&audited); err != nil {
		t.Fatal(err)
	}
	if audited != 2 {
		t.Errorf("%d language changes audited, want 2", audited)
	}
}
