package web_test

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"testing"
	"unicode"

	"golang.org/x/net/html"

	"github.com/relaycrm/relay/internal/i18n"
	"github.com/relaycrm/relay/internal/webtest"
	"github.com/relaycrm/relay/seeds"
)

// TestEveryPageInEachLanguage walks every page each role reaches (its
// navigation, plus a detail page of each kind linked from there, its account,
// the sign-in page and the error pages) in Bulgarian and Russian, and fails
// on a message id the language lacks, on <html lang> not the language, and on
// an English word of the catalogue left in the page's visible text once the
// bank's own data (names of clients, banks, branches, products, people) is
// taken out.
func TestEveryPageInEachLanguage(t *testing.T) {
	t.Parallel()
	srv := startScored(t)
	chk := newLangChecker(t, srv)
	for _, lang := range []string{"bg", "ru"} {
		t.Run(lang, func(t *testing.T) {
			anon := srv.NewClient(t)
			anon.Lang = lang
			chk.page(t, anon, lang, "/login", http.StatusOK)
			chk.page(t, anon, lang, "/login/oidc", http.StatusNotFound) // no single sign-on: not found, before sign-in
			for _, role := range []struct{ name, login, notFound string }{
				{"manager", managerLogin, "/clients/999999999"}, {"branch head", headLogin, "/clients/999999999"},
				{"risk", riskLogin, "/clients/999999999"}, {"admin", adminLogin, "/admin/users/999999999"},
			} {
				t.Run(role.name, func(t *testing.T) {
					c := srv.NewClient(t)
					c.Lang = lang
					c.Login(role.login, seeds.DemoPassword)
					paths := chk.reachable(t, c)
					t.Logf("%s, %s: %v", lang, role.name, paths)
					for _, path := range paths {
						chk.page(t, c, lang, path, http.StatusOK)
					}
					chk.page(t, c, lang, "/account", http.StatusOK)
					chk.page(t, c, lang, role.notFound, http.StatusNotFound)
				})
			}
		})
	}
}

// TestLangCheckerCatches: the page walk's checks fail on a planted English
// string, a message id no language has, and a page in the wrong language.
func TestLangCheckerCatches(t *testing.T) {
	t.Parallel()
	srv := start(t)
	chk := newLangChecker(t, srv)
	c := srv.NewClient(t)
	c.Lang = "bg"
	c.Login(managerLogin, seeds.DemoPassword)
	page := c.Get("/account")
	if problems := chk.problems("bg", "/account", page.Body, nil); len(problems) != 0 {
		t.Fatalf("the Bulgarian account page is flagged before anything is planted: %v", problems)
	}
	planted := strings.Replace(page.Body, "</main>", "<p>Make a token</p></main>", 1)
	if problems := chk.problems("bg", "/account", planted, nil); !containsAll(problems, `"Make"`, `"token"`) {
		t.Errorf("an English sentence planted on the page is not flagged: %v", problems)
	}
	code := strings.Replace(page.Body, "</main>", `<p>Колона <code>monthly_facts.csv</code> <code>turnover</code></p></main>`, 1)
	if problems := chk.problems("bg", "/account", code, nil); len(problems) != 0 {
		t.Errorf("a code (a file or column name in <code>) is flagged as English: %v", problems)
	}
	wrongLang := strings.Replace(page.Body, `<html lang="bg">`, `<html lang="en">`, 1)
	if problems := chk.problems("bg", "/account", wrongLang, nil); !containsAll(problems, "<html lang") {
		t.Errorf("a page marked English is not flagged: %v", problems)
	}
	before := missingSet()
	_ = i18n.Bulgarian.T("common.planted-missing-key")
	if problems := chk.problems("bg", "/account", page.Body, newMissing(before)); !containsAll(problems, "common.planted-missing-key") {
		t.Errorf("a missing message id is not flagged: %v", problems)
	}
}

func containsAll(problems []string, wants ...string) bool {
	all := strings.Join(problems, "\n")
	for _, w := range wants {
		if !strings.Contains(all, w) {
			return false
		}
	}
	return true
}

// langChecker holds what the checks compare a page against.
type langChecker struct {
	// english are the words of the English catalogue, lower case, less
	// those the other languages' catalogues also use (Relay, EUR, API...).
	english map[string]bool
	// data are the bank's own strings a page may show, longest first.
	data []string
}

var latinWord = regexp.MustCompile(`[A-Za-z]{4,}`)

func newLangChecker(t *testing.T, srv *webtest.Server) *langChecker {
	t.Helper()
	words := func(l i18n.Locale) map[string]bool {
		out := map[string]bool{}
		for _, text := range i18n.Messages(l) {
			text = regexp.MustCompile(`\{\{[^}]*\}\}`).ReplaceAllString(text, " ")
			for _, w := range latinWord.FindAllString(text, -1) {
				out[strings.ToLower(w)] = true
			}
		}
		return out
	}
	chk := &langChecker{english: words(i18n.English)}
	for _, l := range i18n.Locales[1:] {
		for w := range words(l) {
			delete(chk.english, w)
		}
	}
	if len(chk.english) < 100 {
		t.Fatalf("the English catalogue has only %d words to look for", len(chk.english))
	}
	// The bank's data: what a page shows as the bank supplied it.
	rows, err := srv.Pool.Query(context.Background(), `
		SELECT s FROM (
			SELECT legal_name FROM client UNION SELECT ref FROM client UNION SELECT tax_id FROM client
			UNION SELECT name FROM bank UNION SELECT code FROM bank UNION SELECT name FROM banking_group
			UNION SELECT name FROM branch UNION SELECT code FROM branch
			UNION SELECT name FROM region UNION SELECT name FROM industry UNION SELECT code FROM industry
			UNION SELECT name FROM product UNION SELECT code FROM product
			UNION SELECT name FROM app_user UNION SELECT login FROM app_user
			UNION SELECT name FROM api_token UNION SELECT notes FROM contact UNION SELECT topic FROM contact
			UNION SELECT source FROM contact UNION SELECT label FROM segment_named
		) d(s) WHERE s IS NOT NULL AND s <> ''`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		chk.data = append(chk.data, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	sort.Slice(chk.data, func(i, j int) bool { return len(chk.data[i]) > len(chk.data[j]) })
	return chk
}

// detailLinks are the kinds of detail page a list links to; the walk opens
// the first of each kind it finds.
var detailLinks = []*regexp.Regexp{
	regexp.MustCompile(`^/clients/\d+$`), regexp.MustCompile(`^/segments/\d+$`), regexp.MustCompile(`^/models/\d+$`),
	regexp.MustCompile(`^/pipeline/managers/\d+$`), regexp.MustCompile(`^/admin/users/\d+$`),
	regexp.MustCompile(`^/admin/users/new$`), regexp.MustCompile(`^/admin/products/\d+$`),
	regexp.MustCompile(`^/admin/products/new$`), regexp.MustCompile(`^/admin/imports/\d+$`),
	regexp.MustCompile(`^/takeup$`),
}

var navLink = regexp.MustCompile(`href="([^"]+)"[^>]*data-testid="nav-`)
var anyLink = regexp.MustCompile(`href="(/[^"?#]*)`)

// reachable lists the pages a signed-in client reaches: its navigation, and
// the first detail page of each kind those pages link to.
func (chk *langChecker) reachable(t *testing.T, c *webtest.Client) []string {
	t.Helper()
	home := c.Get("/")
	landing := c.Get(home.Location)
	var out []string
	seen := map[string]bool{}
	for _, m := range navLink.FindAllStringSubmatch(landing.Body, -1) {
		if !seen[m[1]] {
			seen[m[1]] = true
			out = append(out, m[1])
		}
	}
	if len(out) == 0 {
		t.Fatalf("no navigation on %s", home.Location)
	}
	found := map[int]bool{}
	for _, p := range append([]string(nil), out...) {
		for _, m := range anyLink.FindAllStringSubmatch(c.Get(p).Body, -1) {
			for i, re := range detailLinks {
				if !found[i] && re.MatchString(m[1]) && !seen[m[1]] {
					found[i], seen[m[1]] = true, true
					out = append(out, m[1])
				}
			}
		}
	}
	return out
}

// page GETs path and reports every problem the checks find.
func (chk *langChecker) page(t *testing.T, c *webtest.Client, lang, path string, status int) {
	t.Helper()
	before := missingSet()
	r := c.Get(path)
	if r.Status != status {
		t.Errorf("%s %s: status %d, want %d", lang, path, r.Status, status)
		return
	}
	for _, p := range chk.problems(lang, path, r.Body, newMissing(before)) {
		t.Errorf("%s %s: %s", lang, path, p)
	}
}

func missingSet() map[string]bool {
	out := map[string]bool{}
	for _, m := range i18n.Missing() {
		out[m] = true
	}
	return out
}

// newMissing lists the missing message ids recorded since before.
func newMissing(before map[string]bool) []string {
	var out []string
	for _, m := range i18n.Missing() {
		if !before[m] {
			out = append(out, m)
		}
	}
	return out
}

// problems checks one page's body in lang.
func (chk *langChecker) problems(lang, path, body string, missing []string) []string {
	var out []string
	for _, m := range missing {
		out = append(out, "message missing: "+m)
	}
	if !strings.Contains(body, `<html lang="`+lang+`">`) {
		out = append(out, `no <html lang="`+lang+`">`)
	}
	text := chk.withoutData(visibleText(body))
	for _, loc := range latinWord.FindAllStringIndex(text, -1) {
		w := text[loc[0]:loc[1]]
		if !chk.english[strings.ToLower(w)] {
			continue
		}
		from, to := max(loc[0]-40, 0), min(loc[1]+40, len(text))
		out = append(out, fmt.Sprintf("English word %q left: …%s…", w, strings.Join(strings.Fields(text[from:to]), " ")))
	}
	return out
}

// withoutData removes the bank's data from text, where it stands as words of
// its own (a product code "CARD" is not taken out of "Cards").
func (chk *langChecker) withoutData(text string) string {
	letter := func(s string, i int) bool {
		if i < 0 || i >= len(s) {
			return false
		}
		r := rune(s[i])
		return r < 0x80 && (unicode.IsLetter(r) || unicode.IsDigit(r))
	}
	for _, d := range chk.data {
		from := 0
		for {
			i := strings.Index(text[from:], d)
			if i < 0 {
				break
			}
			i += from
			if letter(text, i-1) || letter(text, i+len(d)) {
				from = i + 1
				continue
			}
			text = text[:i] + " " + text[i+len(d):]
			from = i + 1
		}
	}
	return text
}

// visibleText is the text a reader sees: no tags, attributes, scripts or
// styles, nor code (<code>, <kbd>, <samp>) or anything marked translate="no".
func visibleText(body string) string {
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		return body
	}
	var b strings.Builder
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			// Code (feed columns, event names, commands, examples of a
			// file's values) is not language: <code>, <kbd>, <samp> and
			// anything marked translate="no" are left out.
			switch n.Data {
			case "script", "style", "code", "kbd", "samp":
				return
			}
			for _, a := range n.Attr {
				if a.Key == "translate" && a.Val == "no" {
					return
				}
			}
		}
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
			b.WriteString("\n")
		}
		for ch := n.FirstChild; ch != nil; ch = ch.NextSibling {
			walk(ch)
		}
	}
	walk(doc)
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return ' '
		}
		return r
	}, b.String())
}
