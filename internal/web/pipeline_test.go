package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/relaycrm/relay/internal/dbtest"
	"github.com/relaycrm/relay/internal/demotest"
	"github.com/relaycrm/relay/internal/i18n"
	"github.com/relaycrm/relay/internal/webtest"
	"github.com/relaycrm/relay/seeds"
)

// pipelineDesk is BN-SOF-1 of the scored demo bank, worked on for most of a
// year: a second manager holds every third client of the first, a
// deactivated one holds none, and the branch's open shown triggers (the
// demo's history aside) are spread over the statuses, some won and confirmed in different months, some
// untouched for weeks; one warned client was called after the warning began.
type pipelineDesk struct {
	srv                  *webtest.Server
	head                 *webtest.Client
	branch               int64
	mgr, colleague, gone int64
	otherBranchMgr       int64
	otherBranchClient    int64
}

func newPipelineDesk(t *testing.T) *pipelineDesk {
	t.Helper()
	srv := webtest.Start(t, demotest.Scored(t, demoClients), webtest.Options{Now: func() time.Time { return dbtest.DemoNow }})
	d := &pipelineDesk{srv: srv}
	d.branch = dbValue[int64](t, srv, `SELECT branch_id FROM app_user WHERE login = $1`, headLogin)
	d.mgr = idOfUser(t, srv, managerLogin)
	d.colleague = dbValue[int64](t, srv, `
		WITH m AS (
		    INSERT INTO app_user (group_id, login, name, role, branch_id, password_hash)
		    SELECT group_id, 'mgr.bn-sof-1.02', 'Bistra Second', 'manager', branch_id, password_hash FROM app_user WHERE id = $1
		    RETURNING id),
		moved AS (UPDATE client c SET manager_id = m.id FROM m WHERE c.manager_id = $1 AND c.id % 3 = 0)
		SELECT id FROM m`, d.mgr)
	// A warning carries its client's manager and moves with it in a
	// reassignment (clients.Reassign): so does the one above, made by hand.
	if _, err := srv.Pool.Exec(context.Background(), `UPDATE client_warning w SET manager_id = c.manager_id FROM client c
		WHERE c.id = w.client_id AND w.manager_id IS DISTINCT FROM c.manager_id`); err != nil {
		t.Fatal(err)
	}
	d.gone = dbValue[int64](t, srv, `
		INSERT INTO app_user (group_id, login, name, role, branch_id, password_hash, active)
		SELECT group_id, 'mgr.bn-sof-1.03', 'Tsvetan Gone', 'manager', branch_id, password_hash, false FROM app_user WHERE id = $1
		RETURNING id`, d.mgr)
	d.otherBranchMgr = idOfUser(t, srv, "mgr.bn-sof-2.01")
	d.otherBranchClient = dbValue[int64](t, srv, `SELECT min(id) FROM client WHERE manager_id = $1`, d.otherBranchMgr)
	now := dbtest.DemoNow
	if _, err := srv.Pool.Exec(context.Background(), `
		WITH b AS (
		    SELECT t.id, row_number() OVER (ORDER BY t.id) AS rn
		    FROM cross_sell_trigger t JOIN client c ON c.id = t.client_id
		    WHERE c.branch_id = $1 AND NOT t.hidden AND t.status IN ('new', 'contacted', 'offered'))
		UPDATE cross_sell_trigger t SET
		    status = (ARRAY['new', 'contacted', 'offered', 'won', 'lost', 'dismissed'])[b.rn % 6 + 1],
		    status_reason = CASE WHEN b.rn % 6 IN (4, 5) THEN 'test' ELSE '' END,
		    closed_at = CASE WHEN b.rn % 6 >= 3 THEN $2::timestamptz - interval '3 days' END,
		    won_confirmed_at = CASE WHEN b.rn % 6 = 3 AND b.rn % 4 <> 0 THEN $2 - make_interval(months => (b.rn % 9)::integer) END,
		    raised_at = $2 - interval '300 days',
		    status_changed_at = $2 - make_interval(days => (b.rn % 30)::integer)
		FROM b WHERE b.id = t.id`, d.branch, now); err != nil {
		t.Fatal(err)
	}
	// The first high warning of the branch is acted on, the others are not
	// (the demo's own contacts after a warning began are removed).
	if _, err := srv.Pool.Exec(context.Background(), `DELETE FROM contact k USING client_warning w, client c
		WHERE k.client_id = w.client_id AND c.id = w.client_id AND c.branch_id = $1 AND k.happened_at >= w.warned_since`, d.branch); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Pool.Exec(context.Background(), `
		WITH w AS (
		    SELECT w.client_id, w.warned_since, c.manager_id FROM client_warning w JOIN client c ON c.id = w.client_id
		    WHERE c.branch_id = $1 AND w.level = 'high' ORDER BY w.client_id LIMIT 1)
		INSERT INTO contact (client_id, user_id, kind, happened_at, outcome)
		SELECT client_id, manager_id, 'visit', warned_since + interval '1 day', 'reached' FROM w`, d.branch); err != nil {
		t.Fatal(err)
	}
	d.head = srv.NewClient(t)
	d.head.Login(headLogin, seeds.DemoPassword)
	return d
}

// clientsOf lists a manager's clients, active ones first.
func (d *pipelineDesk) clientsOf(t *testing.T, manager int64) []string {
	t.Helper()
	rows, err := d.srv.Pool.Query(context.Background(), `SELECT id FROM client WHERE manager_id = $1 ORDER BY left_on IS NOT NULL, id`, manager)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		out = append(out, strconv.FormatInt(id, 10))
	}
	return out
}

// managers is who manages every client and warning, and the audit log's
// length: what a refused reassignment leaves as it was.
func (d *pipelineDesk) managers(t *testing.T) string {
	t.Helper()
	return dbValue[string](t, d.srv, `
		SELECT (SELECT string_agg(id || ':' || coalesce(manager_id, 0), ',' ORDER BY id) FROM client)
		    || '|' || (SELECT string_agg(client_id || ':' || coalesce(manager_id, 0), ',' ORDER BY client_id) FROM client_warning)
		    || '|' || (SELECT count(*) FROM audit_log WHERE action = 'client.reassign')`)
}

func managerPath(id int64) string { return "/pipeline/managers/" + strconv.FormatInt(id, 10) }

func TestPipelineRoutesForEveryRole(t *testing.T) {
	t.Parallel()
	d := newPipelineDesk(t)
	client := d.clientsOf(t, d.mgr)[0]
	move := url.Values{"from": {strconv.FormatInt(d.mgr, 10)}, "to": {strconv.FormatInt(d.colleague, 10)}, "client": {client}}
	type route struct{ name, method, path string }
	routes := []route{
		{"home", "GET", "/"},
		{"pipeline", "GET", "/pipeline"},
		{"a manager of the branch", "GET", managerPath(d.mgr)},
		{"a deactivated manager of the branch", "GET", managerPath(d.gone)},
		{"a manager of another branch", "GET", managerPath(d.otherBranchMgr)},
		{"the branch head as a manager", "GET", managerPath(idOfUser(t, d.srv, headLogin))},
		{"no such manager", "GET", managerPath(99999999)},
		{"reassign", "POST", "/pipeline/reassign"},
	}
	// per route, in the order manager, branch head, risk, admin, head of another branch, signed out
	// (signed out, a POST has no session and so no CSRF token to match: 403)
	want := map[string][]int{
		"home":                                {303, 303, 303, 303, 303, 303},
		"pipeline":                            {403, 200, 403, 403, 200, 303},
		"a manager of the branch":             {403, 200, 403, 403, 404, 303},
		"a deactivated manager of the branch": {403, 200, 403, 403, 404, 303},
		"a manager of another branch":         {403, 404, 403, 403, 200, 303},
		"the branch head as a manager":        {403, 404, 403, 403, 404, 303},
		"no such manager":                     {403, 404, 403, 403, 404, 303},
		"reassign":                            {403, 303, 403, 403, 404, 403},
	}
	for i, login := range []string{managerLogin, headLogin, riskLogin, adminLogin, "head.bn-sof-2", ""} {
		c := d.srv.NewClient(t)
		if login != "" {
			c.Login(login, seeds.DemoPassword)
		} else {
			c.Get("/login")
		}
		for _, r := range routes {
			var res webtest.Response
			if r.method == "GET" {
				res = c.Get(r.path)
			} else {
				res = c.Post(r.path, move)
			}
			if res.Status != want[r.name][i] {
				t.Errorf("%s as %q: %d, want %d: %.300s", r.name, login, res.Status, want[r.name][i], problem(res.Body))
			}
			if res.Status == http.StatusNotFound && contains(res.Body, "Maria Ivanova") {
				t.Errorf("%s as %q: the 404 names the manager", r.name, login)
			}
		}
		if login == headLogin {
			if res := c.Get("/"); res.Location != "/pipeline" {
				t.Errorf("the branch head lands on %q, want /pipeline", res.Location)
			}
		}
	}
	// Only the branch head's move went through.
	if got := dbValue[int64](t, d.srv, `SELECT manager_id FROM client WHERE id = $1::bigint`, client); got != d.colleague {
		t.Errorf("the client's manager is %d, want the colleague %d", got, d.colleague)
	}
	if n := auditCountOf(t, d.srv, "client.reassign"); n != 1 {
		t.Errorf("%d client.reassign entries, want 1", n)
	}
}

// cellValues reads, per row of data-testid rowID, its cells' data-value by
// data-testid.
func cellValues(t *testing.T, body, rowID string) map[string]map[string]string {
	t.Helper()
	out := map[string]map[string]string{}
	for _, row := range elementsByTestID(t, body, rowID) {
		cells := map[string]string{}
		var walk func(n *html.Node)
		walk = func(n *html.Node) {
			if id := nodeAttr(n, "data-testid"); strings.HasPrefix(id, "m-") {
				cells[id] = nodeAttr(n, "data-value")
			}
			for ch := n.FirstChild; ch != nil; ch = ch.NextSibling {
				walk(ch)
			}
		}
		walk(row)
		out[nodeAttr(row, "data-manager-id")] = cells
	}
	return out
}

func TestPipelineFiguresMatchTheData(t *testing.T) {
	t.Parallel()
	d := newPipelineDesk(t)
	res := d.head.Get("/pipeline")
	wantStatusOf(t, res, http.StatusOK)
	if got := testIDText(t, res.Body, "currency"); got != "EUR" {
		t.Errorf("currency %q, want EUR", got)
	}
	if got := testIDText(t, res.Body, "period"); !strings.Contains(got, "Dec 2025 to Nov 2026") {
		t.Errorf("period %q, want Dec 2025 to Nov 2026", got)
	}
	// The expected figures, straight from the tables: the period is December
	// 2025 to November 2026, untouched means not moved since 6 November 10:00.
	rows, err := d.srv.Pool.Query(context.Background(), `
		WITH shown AS (
		    SELECT c.manager_id, t.* FROM cross_sell_trigger t JOIN client c ON c.id = t.client_id
		    WHERE c.branch_id = $1 AND t.hidden = false)
		SELECT u.id,
		       (SELECT count(*) FROM client c WHERE c.manager_id = u.id AND c.left_on IS NULL),
		       (SELECT count(*) FROM shown s WHERE s.manager_id = u.id AND s.raised_at >= '2025-12-01'),
		       (SELECT count(*) FROM shown s WHERE s.manager_id = u.id AND s.raised_at >= '2025-12-01' AND s.status = 'new'),
		       (SELECT count(*) FROM shown s WHERE s.manager_id = u.id AND s.raised_at >= '2025-12-01' AND s.status = 'contacted'),
		       (SELECT count(*) FROM shown s WHERE s.manager_id = u.id AND s.raised_at >= '2025-12-01' AND s.status = 'offered'),
		       (SELECT count(*) FROM shown s WHERE s.manager_id = u.id AND s.raised_at >= '2025-12-01' AND s.status = 'won'),
		       (SELECT count(*) FROM shown s WHERE s.manager_id = u.id AND s.raised_at >= '2025-12-01' AND s.status = 'lost'),
		       (SELECT count(*) FROM shown s WHERE s.manager_id = u.id AND s.raised_at >= '2025-12-01' AND s.status = 'dismissed'),
		       (SELECT count(*) FROM shown s WHERE s.manager_id = u.id AND s.raised_at >= '2025-12-01' AND s.status = 'expired'),
		       (SELECT coalesce(sum(s.expected_value), 0) FROM shown s WHERE s.manager_id = u.id AND s.status IN ('new', 'contacted', 'offered')),
		       (SELECT coalesce(sum(s.expected_value), 0) FROM shown s WHERE s.manager_id = u.id
		            AND s.won_confirmed_at >= '2025-12-01' AND s.won_confirmed_at < '2026-12-01'),
		       (SELECT count(*) FROM shown s WHERE s.manager_id = u.id AND s.status IN ('new', 'contacted', 'offered')
		            AND s.status_changed_at < '2026-11-06 10:00:00+00'),
		       (SELECT count(*) FROM client_warning w JOIN client c ON c.id = w.client_id WHERE c.manager_id = u.id AND w.level = 'high'
		            AND coalesce((SELECT max(k.happened_at) FROM contact k WHERE k.client_id = c.id) < w.warned_since, true))
		FROM app_user u WHERE u.branch_id = $1 AND u.role = 'manager' AND u.active`, d.branch)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]map[string]string{}
	var sawWon, sawUntouched, sawHigh bool
	for rows.Next() {
		var id, active, raised, nw, contacted, offered, won, lost, dismissed, expired, openValue, wonValue, untouched, high int64
		if err := rows.Scan(&id, &active, &raised, &nw, &contacted, &offered, &won, &lost, &dismissed, &expired, &openValue, &wonValue,
			&untouched, &high); err != nil {
			t.Fatal(err)
		}
		conv := ""
		if won+lost+dismissed > 0 {
			conv = strconv.FormatFloat(float64(won)/float64(won+lost+dismissed), 'f', 4, 64)
		}
		i := func(n int64) string { return strconv.FormatInt(n, 10) }
		want[i(id)] = map[string]string{"m-clients": i(active), "m-raised": i(raised), "m-new": i(nw),
			"m-contacted": i(contacted), "m-offered": i(offered), "m-won": i(won), "m-lost": i(lost),
			"m-dismissed": i(dismissed), "m-expired": i(expired), "m-conversion": conv, "m-open-value": i(openValue),
			"m-won-value": i(wonValue), "m-untouched": i(untouched), "m-high-no-contact": i(high)}
		sawWon = sawWon || wonValue > 0
		sawUntouched = sawUntouched || untouched > 0
		sawHigh = sawHigh || high > 0
	}
	rows.Close()
	if !sawWon || !sawUntouched || !sawHigh {
		t.Fatalf("the fixture lacks confirmed wins (%v), untouched triggers (%v) or uncontacted high warnings (%v)", sawWon, sawUntouched, sawHigh)
	}
	got := cellValues(t, res.Body, "pipeline-manager")
	if len(got) != len(want) || len(got) != 2 {
		t.Errorf("%d manager rows, want the %d active managers of the branch (2)", len(got), len(want))
	}
	for id, cells := range want {
		for k, v := range cells {
			if got[id][k] != v {
				t.Errorf("manager %s, %s: %q, want %q", id, k, got[id][k], v)
			}
		}
	}
	// The totals add up, and the funnel follows them.
	total := cellValues(t, res.Body, "pipeline-total")["0"]
	for _, k := range []string{"m-raised", "m-won", "m-open-value", "m-won-value", "m-untouched", "m-high-no-contact"} {
		var sum int64
		for id := range want {
			n, _ := strconv.ParseInt(want[id][k], 10, 64)
			sum += n
		}
		if total[k] != strconv.FormatInt(sum, 10) {
			t.Errorf("total %s: %q, want %d", k, total[k], sum)
		}
	}
	stages := map[string]string{}
	for _, n := range elementsByTestID(t, res.Body, "funnel-stage") {
		stages[nodeAttr(n, "data-stage")] = nodeAttr(n, "data-count")
	}
	atoi := func(s string) int { n, _ := strconv.Atoi(s); return n }
	if stages["Raised"] != total["m-raised"] || stages["Won"] != total["m-won"] ||
		atoi(stages["Offered"]) != atoi(total["m-offered"])+atoi(total["m-won"]) ||
		atoi(stages["Contacted"]) != atoi(total["m-contacted"])+atoi(total["m-offered"])+atoi(total["m-won"])+atoi(total["m-lost"]) {
		t.Errorf("funnel %v does not follow the totals %v", stages, total)
	}
	// The trend has a bar for each of the 12 months.
	if trend := elementsByTestID(t, res.Body, "won-trend"); len(trend) != 1 || strings.Count(renderNode(t, trend[0]), "<rect") != 12 {
		t.Error("the won-value trend has not 12 bars")
	}
	// The text says how conversion is counted.
	if defs := testIDText(t, res.Body, "definitions"); !strings.Contains(defs, "won ÷ decided") {
		t.Errorf("the page does not define conversion: %q", defs)
	}

	// The drill-down: the manager's open triggers, flagged, their warnings and clients.
	short := d.head.Get(managerPath(d.mgr))
	wantStatusOf(t, short, http.StatusOK)
	if n := len(elementsByTestID(t, short.Body, "book-trigger")); n != 20 || testIDText(t, short.Body, "all-triggers") == "" {
		t.Errorf("the book lists %d triggers first, want the 20 of highest priority and a link to all", n)
	}
	book := d.head.Get(managerPath(d.mgr) + "?triggers=all")
	wantStatusOf(t, book, http.StatusOK)
	open := dbValue[int](t, d.srv, `SELECT count(*) FROM cross_sell_trigger t JOIN client c ON c.id = t.client_id
		WHERE c.manager_id = $1 AND NOT t.hidden AND t.status IN ('new', 'contacted', 'offered')`, d.mgr)
	trs := elementsByTestID(t, book.Body, "book-trigger")
	flagged := 0
	for _, n := range trs {
		if nodeAttr(n, "data-untouched") == "true" {
			flagged++
		}
	}
	if len(trs) != open || strconv.Itoa(flagged) != want[strconv.FormatInt(d.mgr, 10)]["m-untouched"] {
		t.Errorf("%d triggers (%d untouched) in the book, want %d (%s)", len(trs), flagged, open, want[strconv.FormatInt(d.mgr, 10)]["m-untouched"])
	}
	if n := len(elementsByTestID(t, book.Body, "book-client")); n != len(d.clientsOf(t, d.mgr)) {
		t.Errorf("%d clients in the book, want %d", n, len(d.clientsOf(t, d.mgr)))
	}
	warned := dbValue[int](t, d.srv, `SELECT count(*) FROM client_warning w JOIN client c ON c.id = w.client_id WHERE c.manager_id = $1`, d.mgr)
	if n := len(elementsByTestID(t, book.Body, "book-warning")); n != warned {
		t.Errorf("%d warnings in the book, want %d", n, warned)
	}
	// The deactivated manager is not offered as a target.
	if strings.Contains(book.Body, "Tsvetan Gone") {
		t.Error("the deactivated manager is offered as a target")
	}
}

func TestPipelineReassignsClients(t *testing.T) {
	t.Parallel()
	d := newPipelineDesk(t)
	from := strconv.FormatInt(d.mgr, 10)
	to := strconv.FormatInt(d.colleague, 10)
	d.head.Get(managerPath(d.mgr))
	own := d.clientsOf(t, d.mgr)
	before := d.managers(t)

	refusals := []struct {
		name   string
		form   url.Values
		status int
		says   string
	}{
		{"target in another branch", url.Values{"from": {from}, "to": {strconv.FormatInt(d.otherBranchMgr, 10)}, "client": own[:2]}, 422, "not a manager of your branch"},
		{"deactivated target", url.Values{"from": {from}, "to": {strconv.FormatInt(d.gone, 10)}, "client": own[:2]}, 422, "deactivated"},
		{"no target", url.Values{"from": {from}, "client": own[:2]}, 422, "Choose the manager"},
		{"empty selection", url.Values{"from": {from}, "to": {to}}, 422, "Select at least one client"},
		{"a bad client id", url.Values{"from": {from}, "to": {to}, "client": {own[0], "abc"}}, 422, `"abc" is not a client id`},
		{"a client of another branch", url.Values{"from": {from}, "to": {to}, "client": {own[0], strconv.FormatInt(d.otherBranchClient, 10)}}, 404, ""},
		{"a manager of another branch", url.Values{"from": {strconv.FormatInt(d.otherBranchMgr, 10)}, "to": {to}, "all": {"1"}}, 404, ""},
	}
	for _, r := range refusals {
		t.Run(r.name, func(t *testing.T) {
			res := d.head.Post("/pipeline/reassign", r.form)
			wantStatusOf(t, res, r.status)
			if r.says != "" {
				msg := testIDText(t, res.Body, "reassign-errors")
				if !strings.Contains(msg, "Nothing was moved") || !strings.Contains(msg, r.says) {
					t.Errorf("the page says %q, want %q", msg, r.says)
				}
				// the selection comes back as it was
				for _, n := range elementsByTestID(t, res.Body, "client-check") {
					checked := false
					for _, a := range n.Attr {
						checked = checked || a.Key == "checked"
					}
					want := false
					for _, id := range r.form["client"] {
						want = want || id == nodeAttr(n, "value")
					}
					if checked != want {
						t.Errorf("client %s checked %v, want %v", nodeAttr(n, "value"), checked, want)
					}
				}
			}
			if after := d.managers(t); after != before {
				t.Error("a refused reassignment moved something")
			}
		})
	}

	// Two clients to the colleague: back to the book with what was done.
	res := d.head.Post("/pipeline/reassign", url.Values{"from": {from}, "to": {to}, "client": own[:2]})
	wantSeeOther(t, res, managerPath(d.mgr))
	page := d.head.Get(managerPath(d.mgr))
	if msg := testIDText(t, page.Body, "flash"); !strings.Contains(msg, "Reassigned 2 clients from Maria Ivanova to Bistra Second") {
		t.Errorf("flash %q", msg)
	}
	for _, id := range own[:2] {
		if got := dbValue[int64](t, d.srv, `SELECT manager_id FROM client WHERE id = $1::bigint`, id); got != d.colleague {
			t.Errorf("client %s is managed by %d, want %d", id, got, d.colleague)
		}
	}
	if n := len(elementsByTestID(t, page.Body, "book-client")); n != len(own)-2 {
		t.Errorf("the book lists %d clients, want %d", n, len(own)-2)
	}
	object, login, details := lastAuditOf(t, d.srv, "client.reassign")
	if object != "user:"+from || login != headLogin ||
		!strings.Contains(details, fmt.Sprintf(`"client_ids": [%s, %s]`, own[0], own[1])) ||
		!strings.Contains(details, `"to_manager_id": `+to) {
		t.Errorf("audit %s by %s: %s", object, login, details)
	}
	colleaguePage := d.head.Get(managerPath(d.colleague))
	listed := map[string]bool{}
	for _, n := range elementsByTestID(t, colleaguePage.Body, "book-client") {
		listed[nodeAttr(n, "data-client-id")] = true
	}
	if !listed[own[0]] || !listed[own[1]] {
		t.Error("the colleague's book does not list the clients given to them")
	}

	// Then all the rest, those who have left included.
	left := dbValue[int](t, d.srv, `SELECT count(*) FROM client WHERE manager_id = $1 AND left_on IS NOT NULL`, d.mgr)
	res = d.head.Post("/pipeline/reassign", url.Values{"from": {from}, "all-to": {to}, "all": {"1"}})
	wantSeeOther(t, res, managerPath(d.mgr))
	page = d.head.Get(managerPath(d.mgr))
	if msg := testIDText(t, page.Body, "flash"); left == 0 || !strings.Contains(msg, fmt.Sprintf("Reassigned %d clients", len(own)-2)) ||
		!strings.Contains(msg, "left the bank") {
		t.Errorf("flash %q after moving all (%d of them left)", msg, left)
	}
	if n := dbValue[int](t, d.srv, `SELECT count(*) FROM client WHERE manager_id = $1`, d.mgr); n != 0 {
		t.Errorf("the manager still has %d clients", n)
	}
	if testIDText(t, page.Body, "no-clients") == "" {
		t.Error("the book of a manager without clients does not say so")
	}
	// Nothing left to move: said in the form's place.
	res = d.head.Post("/pipeline/reassign", url.Values{"from": {from}, "all-to": {to}, "all": {"1"}})
	wantStatusOf(t, res, http.StatusUnprocessableEntity)
	if msg := testIDText(t, res.Body, "reassign-all-errors"); !strings.Contains(msg, "has no clients to reassign") {
		t.Errorf("moving all of nobody says %q", msg)
	}
}

// TestPipelineInEveryLanguage: the branch head's pipeline and a manager's
// book in Bulgarian and Russian say every word and figure in that language:
// no message falls back to English or shows its id, no English sentence of
// the pages is left, and figures are grouped as the language groups them.
func TestPipelineInEveryLanguage(t *testing.T) {
	t.Parallel()
	d := newPipelineDesk(t)
	english := []string{"Open potential", "By manager", "How these figures are counted", "Branch total",
		"Hand over all clients", "Open triggers", "Churn warnings", "a year", "highest priority first"}
	for _, lang := range []string{"bg", "ru"} {
		if r := d.head.Post("/account/locale", url.Values{"locale": {lang}}); r.Status != http.StatusSeeOther {
			t.Fatalf("choosing %s: %d", lang, r.Status)
		}
		for path, openValue := range map[string]string{"/pipeline": "total-open-value", managerPath(d.mgr): "f-open-value"} {
			res := d.head.Get(path)
			wantStatusOf(t, res, http.StatusOK)
			if !strings.Contains(res.Body, `<html lang="`+lang+`"`) {
				t.Errorf("%s in %s: the page is not marked as %s", path, lang, lang)
			}
			if strings.Contains(res.Body, "pipeline.") {
				t.Errorf("%s in %s shows a message id", path, lang)
			}
			for _, s := range english {
				if strings.Contains(res.Body, s) {
					t.Errorf("%s in %s still says %q", path, lang, s)
				}
			}
			// the open potential is thousands of euros: grouped by a (no-break)
			// space, never by a comma
			if value := testIDText(t, res.Body, openValue); !strings.ContainsAny(value, " \u00a0") || strings.Contains(value, ",") {
				t.Errorf("%s in %s: open potential %q, want its digits grouped by a space", path, lang, value)
			}
		}
	}
	for _, m := range i18n.Missing() {
		if strings.Contains(m, ":pipeline.") {
			t.Errorf("message %s is missing", m)
		}
	}
}
