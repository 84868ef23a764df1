package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/relaycrm/relay/internal/dbtest"
	"github.com/relaycrm/relay/internal/demotest"
	"github.com/relaycrm/relay/internal/i18n"
	"github.com/relaycrm/relay/internal/webtest"
	"github.com/relaycrm/relay/seeds"
)

// startScored serves a demo bank that has been through a nightly run.
func startScored(t *testing.T) *webtest.Server {
	t.Helper()
	return webtest.Start(t, demotest.Scored(t, demoClients), webtest.Options{Now: func() time.Time { return dbtest.DemoNow }})
}

func count(t *testing.T, srv *webtest.Server, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := srv.Pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

var triggerIDRe = regexp.MustCompile(`data-testid="trigger" data-trigger-id="(\d+)"`)

func TestWorklistShowsTheManagersOwnWork(t *testing.T) {
	t.Parallel()
	srv := startScored(t)
	c := srv.NewClient(t)
	c.Login(managerLogin, seeds.DemoPassword)
	r := c.Get("/worklist")
	if r.Status != http.StatusOK {
		t.Fatalf("worklist: %d", r.Status)
	}
	const mine = `c.manager_id = (SELECT id FROM app_user WHERE login = 'mgr.bn-sof-1.01')`
	high := count(t, srv, `SELECT count(*) FROM client_warning w JOIN client c ON c.id = w.client_id
		WHERE `+mine+` AND w.level = 'high'`)
	open := count(t, srv, `SELECT count(*) FROM cross_sell_trigger t JOIN client c ON c.id = t.client_id
		LEFT JOIN client_warning w ON w.client_id = t.client_id
		WHERE `+mine+` AND NOT t.hidden AND t.status IN ('new', 'contacted', 'offered') AND w.level IS DISTINCT FROM 'high'`)
	if open == 0 {
		t.Fatal("the demo manager has no open triggers; the test needs some")
	}
	daily := 12 // worklist.daily_actions
	if !strings.Contains(r.Body, components(min(daily, high+open))+" a day of "+components(high+open)+" actions: retention calls first") {
		t.Errorf("the worklist does not count the manager's %d actions (%d retention, %d offers)", high+open, high, open)
	}
	var ids []int64
	for _, m := range triggerIDRe.FindAllStringSubmatch(r.Body, -1) {
		id, _ := strconv.ParseInt(m[1], 10, 64)
		ids = append(ids, id)
	}
	retained := strings.Count(r.Body, `data-testid="retention"`)
	if retained != min(high, daily) || len(ids) != min(open, daily-retained) {
		t.Errorf("%d retention calls and %d offers today, want %d and %d", retained, len(ids), min(high, daily), min(open, daily-retained))
	}
	if high > 0 && strings.Index(r.Body, `data-testid="retention"`) > strings.Index(r.Body, `data-testid="trigger"`) &&
		strings.Contains(r.Body, `data-testid="trigger"`) {
		t.Error("an offer comes before a retention call")
	}
	if n := count(t, srv, `SELECT count(*) FROM cross_sell_trigger t JOIN client c ON c.id = t.client_id
		WHERE t.id = ANY($1) AND `+mine+` AND NOT t.hidden`, ids); n != len(ids) {
		t.Errorf("%d of the worklist's triggers are not the manager's own or are control-group ones", len(ids)-n)
	}
	// highest rank first: the priority, halved under a watch warning
	if n := count(t, srv, `SELECT count(*) FROM (SELECT r < lead(r) OVER (ORDER BY ord) AS wrong
		FROM unnest($1::bigint[]) WITH ORDINALITY u(id, ord) JOIN cross_sell_trigger t ON t.id = u.id
		LEFT JOIN client_warning w ON w.client_id = t.client_id
		CROSS JOIN LATERAL (SELECT t.priority * CASE WHEN w.level = 'watch' THEN 0.5 ELSE 1 END AS r) x) y WHERE wrong`, ids); n != 0 {
		t.Error("the worklist is not ordered by rank")
	}
	if (high + open) > daily {
		more := c.Get("/worklist?page=2")
		if more.Status != http.StatusOK || !strings.Contains(more.Body, "More actions") {
			t.Errorf("page 2 of the actions: %d", more.Status)
		}
	}
	warned := count(t, srv, `SELECT count(*) FROM client_warning w JOIN client c ON c.id = w.client_id WHERE `+mine)
	if got := strings.Count(r.Body, `data-testid="work-warning"`); got != min(warned, 20) {
		t.Errorf("%d warnings shown, the manager has %d", got, warned)
	}
	if !strings.Contains(r.Body, "as of Oct 2026") {
		t.Error("the worklist does not say which month it is as of")
	}
	// Only managers have a worklist.
	for _, login := range []string{headLogin, riskLogin, adminLogin} {
		o := srv.NewClient(t)
		o.Login(login, seeds.DemoPassword)
		if r := o.Get("/worklist"); r.Status != http.StatusForbidden {
			t.Errorf("%s opens the worklist: %d", login, r.Status)
		}
	}
}

func TestTriggersMoveAlong(t *testing.T) {
	t.Parallel()
	srv := startScored(t)
	ctx := context.Background()
	var id, otherBranch int64
	if err := srv.Pool.QueryRow(ctx, `SELECT t.id FROM cross_sell_trigger t JOIN client c ON c.id = t.client_id
		JOIN app_user u ON u.id = c.manager_id WHERE u.login = $1 AND t.status = 'new' AND NOT t.hidden ORDER BY t.id LIMIT 1`,
		managerLogin).Scan(&id); err != nil {
		t.Fatal(err)
	}
	if err := srv.Pool.QueryRow(ctx, `SELECT t.id FROM cross_sell_trigger t JOIN client c ON c.id = t.client_id
		WHERE c.branch_id <> (SELECT branch_id FROM app_user WHERE login = $1) AND t.status = 'new' LIMIT 1`,
		managerLogin).Scan(&otherBranch); err != nil {
		t.Fatal(err)
	}
	path := "/triggers/" + itoa(id) + "/move"
	status := func() (string, string) {
		var s, reason string
		if err := srv.Pool.QueryRow(ctx, `SELECT status, status_reason FROM cross_sell_trigger WHERE id = $1`, id).Scan(&s, &reason); err != nil {
			t.Fatal(err)
		}
		return s, reason
	}
	c := srv.NewClient(t)
	c.Login(managerLogin, seeds.DemoPassword)
	c.Get("/worklist")

	for _, tc := range []struct {
		name                  string
		form                  url.Values
		wantStatus            int
		says, dbStatus, dbWhy string
	}{
		{"lost without a reason", webtest.URLValues("to", "lost", "from", "new"), 422, "choose why the trigger is lost", "new", ""},
		{"the form comes back as it was left", webtest.URLValues("to", "lost", "reason", "Other", "note", ""), 422, `<option value="lost" selected>`, "new", ""},
		{"from a page that is no longer current", webtest.URLValues("to", "won", "from", "offered"), 422, "changed since the page was loaded", "new", ""},
		{"lost for a reason that is not on the list", webtest.URLValues("to", "lost", "reason", "Moon phase"), 422, "is not one of the reasons", "new", ""},
		{"lost for another reason, unsaid", webtest.URLValues("to", "lost", "reason", "Other"), 422, "say in the note why", "new", ""},
		{"a status that does not exist", webtest.URLValues("to", "maybe"), 422, "is not a status", "new", ""},
		{"contacted", webtest.URLValues("to", "contacted"), 200, "Saved: contacted", "contacted", ""},
		{"offered", webtest.URLValues("to", "offered", "from", "contacted"), 200, "Saved: offered", "offered", ""},
		{"a second save from the same page", webtest.URLValues("to", "offered", "from", "contacted"), 422, "is offered now, not contacted", "offered", ""},
		{"lost, with a reason and a note", webtest.URLValues("to", "lost", "reason", "Went with another bank", "note", "better FX rate"), 200, "Saved: lost", "lost", "Went with another bank: better FX rate"},
		{"a lost trigger moves no more", webtest.URLValues("to", "won"), 422, "can no longer move", "lost", "Went with another bank: better FX rate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := c.PostHTMX(path, tc.form)
			if r.Status != tc.wantStatus || !strings.Contains(r.Body, tc.says) {
				t.Fatalf("%d, want %d saying %q: %.400s", r.Status, tc.wantStatus, tc.says, r.Body)
			}
			if s, why := status(); s != tc.dbStatus || why != tc.dbWhy {
				t.Errorf("stored %s (%q), want %s (%q)", s, why, tc.dbStatus, tc.dbWhy)
			}
		})
	}
	if n := count(t, srv, `SELECT count(*) FROM audit_log WHERE action = 'trigger.move' AND object = 'trigger:' || $1`, itoa(id)); n != 3 {
		t.Errorf("%d moves audited, want 3", n)
	}
	// Others may not move it.
	risk := srv.NewClient(t)
	risk.Login(riskLogin, seeds.DemoPassword)
	risk.Get("/clients")
	if r := risk.PostHTMX("/triggers/"+itoa(otherBranch)+"/move", webtest.URLValues("to", "contacted")); r.Status != http.StatusForbidden {
		t.Errorf("the risk team moved a trigger: %d", r.Status)
	}
	if r := c.PostHTMX("/triggers/"+itoa(otherBranch)+"/move", webtest.URLValues("to", "contacted")); r.Status != http.StatusNotFound {
		t.Errorf("a manager moved another branch's trigger: %d", r.Status)
	}
}

func TestCardExplainsTheNightlyNumbers(t *testing.T) {
	t.Parallel()
	srv := startScored(t)
	ctx := context.Background()
	// a warned client of the demo manager
	var id int64
	var profit, ideal, gap int64
	var score, churn int
	err := srv.Pool.QueryRow(ctx, `SELECT s.client_id, s.profitability, s.ideal_income, s.gap, s.score, s.churn_score
		FROM client_score s JOIN client_warning w ON w.client_id = s.client_id JOIN client c ON c.id = s.client_id
		JOIN app_user u ON u.id = c.manager_id WHERE u.login = $1 AND s.score IS NOT NULL ORDER BY w.score DESC LIMIT 1`, managerLogin).
		Scan(&id, &profit, &ideal, &gap, &score, &churn)
	if err != nil {
		t.Fatalf("a warned client of the manager: %v", err)
	}
	c := srv.NewClient(t)
	c.Login(managerLogin, seeds.DemoPassword)
	r := c.Get("/clients/" + itoa(id))
	if r.Status != http.StatusOK {
		t.Fatalf("card: %d", r.Status)
	}
	for _, want := range []string{
		`data-testid="score">` + strconv.Itoa(score) + ` / 100`,
		`data-testid="churn-score">` + strconv.Itoa(churn) + `<`,
		`data-testid="segment-level">Compared at the level`,
		`data-testid="nightly-as-of">as of Oct 2026`,
	} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("the card lacks %s", want)
		}
	}
	// the lifetime figures' note names what they were worked from
	var base, leavers int
	var avg int64
	var years, rate float64
	if err := srv.Pool.QueryRow(ctx, `SELECT sp.churn_base, sp.churn_leavers, sp.avg_income, sp.expected_years::float8,
		b.discount_rate::float8 FROM client_score s JOIN segment_profile sp ON sp.segment_id = s.segment_id
		JOIN client c ON c.id = s.client_id JOIN bank b ON b.id = c.bank_id WHERE s.client_id = $1`, id).
		Scan(&base, &leavers, &avg, &years, &rate); err != nil {
		t.Fatalf("the client's segment's lifetime inputs: %v", err)
	}
	en := i18n.English
	yearsWant := "Expected years left: 1 ÷ churn."
	if leavers == 0 || float64(base)/float64(leavers) > years+1e-6 {
		yearsWant = "Expected years left: 1 ÷ churn, at most " + en.Decimal(years, 1) + " (a setting)."
	}
	for _, want := range []string{
		"Segment churn: " + en.Int(int64(leavers)) + " of the " + en.Int(int64(base)) + " clients of the segment active at the start of the 12 months to Oct 2026 left in them.",
		yearsWant,
		"the segment&#39;s average income of " + en.MoneyWhole(avg, "EUR", 2) + " a month",
		"CLV: this client&#39;s " + en.MoneyWhole(profit, "EUR", 2) + " a month × 12 for each year left, discounted at " + en.Percent(rate, 1) + " a year.",
	} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("the lifetime note lacks %q", want)
		}
	}
	if n := strings.Count(r.Body, `data-testid="signal"`); n != 7 {
		t.Errorf("%d signals on the card, want all 7", n)
	}
	if !strings.Contains(r.Body, `data-fired="true"`) {
		t.Error("a warned client's card shows no fired signal")
	}
	ideals := count(t, srv, `SELECT count(*) FROM segment_product sp JOIN client_score s ON s.profile_segment_id = sp.segment_id
		WHERE s.client_id = $1 AND sp.in_ideal`, id)
	if n := strings.Count(r.Body, `data-testid="ideal-item"`); n != ideals {
		t.Errorf("%d ideal products on the card, the segment has %d", n, ideals)
	}
}

func TestSegmentsPages(t *testing.T) {
	t.Parallel()
	srv := startScored(t)
	c := srv.NewClient(t)
	c.Login(managerLogin, seeds.DemoPassword)
	r := c.Get("/segments")
	if r.Status != http.StatusOK {
		t.Fatalf("segments: %d", r.Status)
	}
	total := count(t, srv, `SELECT count(*) FROM segment_profile`)
	if !strings.Contains(r.Body, components(total)+" segments") {
		t.Errorf("the list does not count the %d segments", total)
	}
	if n := strings.Count(r.Body, `data-testid="segment-row"`); n != min(total, 50) {
		t.Errorf("%d rows, want %d", n, min(total, 50))
	}
	var id, size, best int64
	if err := srv.Pool.QueryRow(context.Background(), `SELECT segment_id, size, best_clients FROM segment_profile ORDER BY size DESC LIMIT 1`).
		Scan(&id, &size, &best); err != nil {
		t.Fatal(err)
	}
	p := c.Get("/segments/" + itoa(id))
	if p.Status != http.StatusOK || !strings.Contains(p.Body, `data-testid="segment-size">`+components(int(size))+`<`) {
		t.Errorf("profile of segment %d: %d", id, p.Status)
	}
	if !strings.Contains(p.Body, `data-ideal="true"`) || strings.Count(p.Body, `data-testid="segment-stage"`) == 0 {
		t.Error("the profile lacks its ideal set or its LTV by stage")
	}
	for q, want := range map[string]int{"/segments?sort=shoe_size": 400, "/segments?level=9": 400, "/segments/99999999": 404} {
		if r := c.Get(q); r.Status != want {
			t.Errorf("%s: %d, want %d", q, r.Status, want)
		}
	}
}

// components formats n as the pages do (thousands separated).
func components(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// TestAdminStartsANightlyRun runs a whole nightly run from the page, on a
// small bank (300 clients; the run's figures are the nightly package's
// tests' to check): what it checks is the page's part, the start, the
// steps followed to the end, the audit and who may start one.
func TestAdminStartsANightlyRun(t *testing.T) {
	t.Parallel()
	srv := webtest.Start(t, dbtest.NewDemo(t, 300), webtest.Options{Now: func() time.Time { return dbtest.DemoNow }})
	admin := srv.NewClient(t)
	admin.Login(adminLogin, seeds.DemoPassword)
	r := admin.Get("/admin/runs")
	if r.Status != http.StatusOK || !strings.Contains(r.Body, "No run yet.") {
		t.Fatalf("runs page: %d", r.Status)
	}
	r = admin.Post("/admin/runs", nil)
	if r.Status != http.StatusSeeOther {
		t.Fatalf("start: %d", r.Status)
	}
	// Follow the run as the page does, until it ends.
	deadline := time.Now().Add(2 * time.Minute)
	for {
		page := admin.GetHTMX("/admin/runs")
		if strings.Contains(page.Body, `data-running="false"`) {
			if !strings.Contains(page.Body, `data-status="succeeded"`) || strings.Count(page.Body, `data-testid="run-step"`) != 7 {
				t.Fatalf("the run did not succeed with its 7 steps: %.600s", page.Body)
			}
			// which kind of run ran, and why
			if !strings.Contains(page.Body, `data-testid="run-why">full: the first run<`) {
				t.Errorf("the runs page does not say the run was a full one, the first: %.600s", page.Body)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the run did not end")
		}
		time.Sleep(200 * time.Millisecond)
	}
	if n := count(t, srv, `SELECT count(*) FROM audit_log WHERE action = 'nightly.start'`); n != 1 {
		t.Errorf("%d run starts audited", n)
	}
	if n := count(t, srv, `SELECT count(*) FROM client_score`); n == 0 {
		t.Error("the run scored no client")
	}
	for _, login := range []string{managerLogin, headLogin, riskLogin} {
		o := srv.NewClient(t)
		o.Login(login, seeds.DemoPassword)
		o.Get("/clients")
		if r := o.Post("/admin/runs", nil); r.Status != http.StatusForbidden {
			t.Errorf("%s started a run: %d", login, r.Status)
		}
	}
}
