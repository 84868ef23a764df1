package web_test

import (
	"context"
	"encoding/csv"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/relaycrm/relay/internal/exports"
	"github.com/relaycrm/relay/internal/i18n"
	"github.com/relaycrm/relay/internal/webtest"
	"github.com/relaycrm/relay/seeds"
)

// listAreas are the message areas of the client list, the churn list, the
// triggers' rows and the exports.
var listAreas = []string{"clients.", "churn.", "triggers.", "exports."}

func inListAreas(id string) bool {
	for _, a := range listAreas {
		if strings.HasPrefix(id, a) {
			return true
		}
	}
	return false
}

// englishPhrases are the English messages of the list areas that a page in
// locale l must not show: those of more than one word, without figures to
// fill in, that l says differently.
func englishPhrases(l i18n.Locale) []string {
	var out []string
	for id, text := range i18n.Messages(i18n.English) {
		if !inListAreas(id) || strings.HasPrefix(id, "exports.") || strings.Contains(text, "{{") ||
			!strings.Contains(text, " ") || l.T(id) == text {
			continue
		}
		out = append(out, text)
	}
	return out
}

// TestListsInEachLanguage walks the client list, the churn list and the
// worklist's triggers as each role that sees them, in Bulgarian and Russian:
// every page answers in the language asked for, finds every message of its
// areas, shows none of their English phrases, and writes dates and figures
// as the language does.
func TestListsInEachLanguage(t *testing.T) {
	t.Parallel()
	srv := churnServer(t)
	manager, head := churnPeople(t, srv)
	pages := []struct {
		login, path string
		want        map[i18n.Locale][]string
	}{
		{manager, "/clients", map[i18n.Locale][]string{
			i18n.Bulgarian: {"<h1>Клиенти</h1>", "Време като клиент", "Активни и напуснали"},
			i18n.Russian:   {"<h1>Клиенты</h1>", "Срок обслуживания", "Действующие и ушедшие"}}},
		{head, "/clients?status=all&sort=since", map[i18n.Locale][]string{
			i18n.Bulgarian: {"Всички мениджъри", "Клон · регион"},
			i18n.Russian:   {"Все менеджеры", "Отделение · регион"}}},
		{riskLogin, "/clients?size=micro", map[i18n.Locale][]string{
			i18n.Bulgarian: {"Всички банки", "Първо изберете клон", "Микро"},
			i18n.Russian:   {"Все банки", "Сначала выберите отделение", "Микро"}}},
		{riskLogin, "/churn", map[i18n.Locale][]string{
			i18n.Bulgarian: {"<h1>Отлив на клиенти</h1>", "Клиентите на групата", "Стойност под риск", "одитния журнал"},
			i18n.Russian:   {"<h1>Отток клиентов</h1>", "Клиенты группы", "Стоимость под риском", "журнал аудита"}}},
		{head, "/churn?level=high", map[i18n.Locale][]string{
			i18n.Bulgarian: {"Клиентите на вашия клон", "Висок"},
			i18n.Russian:   {"Клиенты вашего отделения", "Высокий"}}},
		{manager, "/churn", map[i18n.Locale][]string{
			i18n.Bulgarian: {"Вашите клиенти", "Предупреждение от"},
			i18n.Russian:   {"Ваши клиенты", "Предупреждение с"}}},
		{manager, "/worklist", map[i18n.Locale][]string{
			i18n.Bulgarian: {"Очаквана стойност", "годишно", "Загубена, защото", "Твърде висока цена или такси"},
			i18n.Russian:   {"Ожидаемый доход", "в год", "Проиграна, потому что", "Слишком высокая цена или комиссии"}}},
	}
	localDate := regexp.MustCompile(`\d\d\.\d\d\.20\d\d`)
	// Option values are data the form sends (a trigger's reasons are stored
	// in English), not words shown.
	values := regexp.MustCompile(`value="[^"]*"`)
	// Only what these areas write is looked at: the page's main part, and on
	// the worklist (whose other parts are not theirs) the triggers' rows and
	// their header.
	mainPart := regexp.MustCompile(`(?s)<main id="main">.*</main>`)
	// The churn list's reasons, inputs and signals, the segments' names and
	// the triggers' reasons are written by their own areas' messages.
	others := regexp.MustCompile(`(?s)<td class="churn-signals">.*?<td class="nowrap">|` +
		`<a class="small" href="/segments/\d+">[^<]*</a>|<td class="small">[^<]*</td>`)
	triggerParts := regexp.MustCompile(`(?s)<tr id="trigger-.*?</tr>|<tr>\s*<th>[^<]*</th>\s*<th>[^<]*</th>\s*<th>[^<]*</th>\s*<th class="num">.*?</tr>`)
	for _, l := range []i18n.Locale{i18n.Bulgarian, i18n.Russian} {
		english := englishPhrases(l)
		if len(english) < 50 {
			t.Fatalf("%s: only %d English phrases to look for", l, len(english))
		}
		clients := map[string]*webtest.Client{}
		for _, p := range pages {
			c := clients[p.login]
			if c == nil {
				c = srv.NewClient(t)
				c.Lang = string(l)
				c.Login(p.login, seeds.DemoPassword)
				clients[p.login] = c
			}
			r := c.Get(p.path)
			if r.Status != http.StatusOK || !strings.Contains(r.Body, `<html lang="`+string(l)+`">`) {
				t.Errorf("%s %s as %s: %d, want 200 in %s", l, p.path, p.login, r.Status, l)
				continue
			}
			for _, w := range p.want[l] {
				if !strings.Contains(r.Body, w) {
					t.Errorf("%s %s as %s: no %q", l, p.path, p.login, w)
				}
			}
			shown := mainPart.FindString(r.Body)
			if p.path == "/worklist" {
				shown = strings.Join(triggerParts.FindAllString(shown, -1), "\n")
				if !strings.Contains(shown, `data-testid="trigger"`) {
					t.Errorf("%s %s: no trigger rows", l, p.path)
				}
			}
			shown = values.ReplaceAllString(others.ReplaceAllString(shown, ""), "")
			for _, e := range english {
				if strings.Contains(shown, html.EscapeString(e)) {
					i := strings.Index(shown, html.EscapeString(e))
					t.Errorf("%s %s as %s: English left on the page: %q in …%s…", l, p.path, p.login, e,
						shown[max(0, i-200):min(len(shown), i+100)])
				}
			}
			if p.path == "/clients" && !localDate.MatchString(r.Body) {
				t.Errorf("%s %s: no date written dd.mm.yyyy", l, p.path)
			}
		}
	}
	for _, m := range i18n.Missing() {
		if _, id, _ := strings.Cut(m, ":"); inListAreas(id) {
			t.Errorf("message missing: %s", m)
		}
	}
}

// TestListErrorsInEachLanguage: a filter the list cannot use, and a trigger
// move the form refuses, are said in the viewer's language, naming the field;
// a reason chosen from the list is stored in English and shown translated.
func TestListErrorsInEachLanguage(t *testing.T) {
	t.Parallel()
	srv := churnServer(t)
	manager, _ := churnPeople(t, srv)
	c := srv.NewClient(t)
	c.Lang = "bg"
	c.Login(manager, seeds.DemoPassword)

	r := c.Get("/clients?size=huge&page=x")
	if r.Status != http.StatusBadRequest || !strings.Contains(r.Body, "<strong>size</strong>: „huge“ не е сред възможните стойности") ||
		!strings.Contains(r.Body, "<strong>page</strong>: „x“ не е номер на страница") {
		t.Errorf("a bad filter in Bulgarian: %d %.600s", r.Status, problem(r.Body))
	}
	r = c.Get("/churn?level=extreme")
	if r.Status != http.StatusBadRequest || !strings.Contains(r.Body, "<strong>level</strong>: „extreme“ не е сред възможните стойности") {
		t.Errorf("a bad churn filter in Bulgarian: %d %.600s", r.Status, problem(r.Body))
	}

	var id int64
	if err := srv.Pool.QueryRow(context.Background(), `SELECT t.id FROM cross_sell_trigger t JOIN client c ON c.id = t.client_id
		JOIN app_user u ON u.id = c.manager_id WHERE u.login = $1 AND t.status = 'new' AND NOT t.hidden ORDER BY t.id LIMIT 1`,
		manager).Scan(&id); err != nil {
		t.Fatal(err)
	}
	path := "/triggers/" + itoa(id) + "/move"
	c.Get("/worklist")
	for _, tc := range []struct {
		name string
		form url.Values
		code int
		says string
	}{
		{"lost without a reason", webtest.URLValues("to", "lost", "from", "new"), 422, "изберете защо възможността е „загубена“"},
		{"not a status", webtest.URLValues("to", "maybe"), 422, "„maybe“ не е статус"},
		{"from a page no longer current", webtest.URLValues("to", "won", "from", "offered"), 422, "променена е след зареждането ѝ"},
		{"lost with a reason", webtest.URLValues("to", "lost", "from", "new", "reason", "Went with another bank", "note", "по-добър курс"),
			200, "Избра друга банка: по-добър курс"},
		{"lost moves no more", webtest.URLValues("to", "won"), 422, "възможността е „загубена“ и вече не може да се премества"},
	} {
		r := c.PostHTMX(path, tc.form)
		if r.Status != tc.code || !strings.Contains(r.Body, html.EscapeString(tc.says)) {
			t.Errorf("%s: %d, want %d saying %q: %.500s", tc.name, r.Status, tc.code, tc.says, r.Body)
		}
	}
	var stored string
	if err := srv.Pool.QueryRow(context.Background(), `SELECT status_reason FROM cross_sell_trigger WHERE id = $1`, id).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if stored != "Went with another bank: по-добър курс" {
		t.Errorf("stored reason %q, want the list's English text and the note", stored)
	}
}

var (
	oddsEnglish = regexp.MustCompile(`\(x(\d+\.\d\d) odds\)`)
	oddsLocal   = regexp.MustCompile(`×\d+,\d\d`)
)

// TestChurnExportInEachLanguage: the churn list exported from a Bulgarian or
// Russian browser has its header in that language and the same rows as the
// English one: every figure and code cell for cell, and the signals' figures
// and the top reasons, which are words, written in that language.
func TestChurnExportInEachLanguage(t *testing.T) {
	t.Parallel()
	srv := churnServer(t)
	read := func(lang string) [][]string {
		c := srv.NewClient(t)
		c.Lang = lang
		c.Login(riskLogin, seeds.DemoPassword)
		page := c.Get("/churn?level=high")
		res := c.Get(exportHref(t, page.Body, "export-csv"))
		if res.Status != http.StatusOK {
			t.Fatalf("%s export: %d", lang, res.Status)
		}
		rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(res.Body, "\ufeff"))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		return rows
	}
	en := read("en")
	if strings.Join(en[0], ",") != strings.Join(exports.ChurnHeader, ",") || len(en) < 2 {
		t.Fatalf("English export: %d rows, header %v", len(en), en[0])
	}
	for _, l := range []i18n.Locale{i18n.Bulgarian, i18n.Russian} {
		rows := read(string(l))
		if strings.Join(rows[0], "|") != strings.Join(exports.ChurnHeaderIn(l), "|") {
			t.Errorf("%s header %v", l, rows[0])
		}
		if len(rows) != len(en) {
			t.Fatalf("%s export has %d rows, English %d", l, len(rows), len(en))
		}
		for j, h := range rows[0] {
			if h == en[0][j] {
				t.Errorf("%s column %d left in English: %q", l, j, h)
			}
		}
		for i := 1; i < len(rows); i++ {
			for j, cell := range rows[i] {
				words := strings.HasSuffix(en[0][j], "_figures") || en[0][j] == "top_reasons"
				switch {
				case !words && cell != en[i][j]:
					t.Fatalf("%s row %d, %s: %q, English %q", l, i, en[0][j], cell, en[i][j])
				case words && en[i][j] != "" && cell == en[i][j]:
					t.Errorf("%s row %d, %s left in English: %q", l, i, en[0][j], cell)
				}
				// the factor each top reason multiplies the odds by: "(x12.04
				// odds)" in English, the locale's words and figure otherwise
				if en[0][j] == "top_reasons" && en[i][j] != "" {
					if !oddsEnglish.MatchString(en[i][j]) {
						t.Errorf("English row %d top reasons lack their odds: %q", i, en[i][j])
					}
					if strings.Contains(cell, "odds") || !strings.Contains(cell, strings.SplitAfter(l.T("churn.odds", "Odds", "×"), "×")[0]) {
						t.Errorf("%s row %d top reasons' odds not in its language: %q", l, i, cell)
					}
					if got, want := oddsLocal.FindAllString(cell, -1), oddsEnglish.FindAllStringSubmatch(en[i][j], -1); len(got) != len(want) {
						t.Errorf("%s row %d: %d odds, English %d: %q", l, i, len(got), len(want), cell)
					} else {
						for k := range got {
							if got[k] != "×"+strings.ReplaceAll(want[k][1], ".", ",") {
								t.Errorf("%s row %d odds %q, English %q", l, i, got[k], want[k][0])
							}
						}
					}
				}
			}
		}
	}
}
