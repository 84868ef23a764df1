package web_test

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/relaycrm/relay/internal/i18n"
	"github.com/relaycrm/relay/internal/sso/ssotest"
	"github.com/relaycrm/relay/seeds"
)

// The last sentences Relay stored or built in English (issue 14, item 1):
// an import's errors, a nightly run's error, a reassignment's refusals, the
// single sign-on group map's problems and sign-in refusals. Each test reads
// them in English (word for word as before), Bulgarian and Russian.

var otherLangs = []i18n.Locale{i18n.Bulgarian, i18n.Russian}

// says checks that body holds want and none of the English phrases.
func says(t *testing.T, where string, l i18n.Locale, body, want string, english ...string) {
	t.Helper()
	body = html.UnescapeString(body)
	if !strings.Contains(body, want) {
		t.Errorf("%s in %s: no %q in %.600s", where, l, want, problem(body))
	}
	for _, e := range english {
		if strings.Contains(body, e) {
			t.Errorf("%s in %s: the English %q is left", where, l, e)
		}
	}
}

// TestImportErrorsInEachLanguage: a rejected feed's errors, an interrupted
// import's message and an import recorded before the errors had keys, on the
// import's page in each language.
func TestImportErrorsInEachLanguage(t *testing.T) {
	t.Parallel()
	srv, c := asAdmin(t)
	ctx := context.Background()
	c.Get("/admin/imports")
	bad := exampleFeed(t)
	bad["clients.csv"] = bytes.Replace(bad["clients.csv"], []byte("2021-03-15"), []byte("2021-13-15"), 1)
	bad["monthly_facts.csv"] = bytes.Replace(bad["monthly_facts.csv"], []byte("CA-MAIN=25.00"), []byte("CA-MAIN=25EUR"), 1)
	if r := upload(t, c, srv, bad); r.Status != http.StatusOK {
		t.Fatalf("upload: %d", r.Status)
	}
	var rejected int64
	if err := srv.Pool.QueryRow(ctx, `SELECT max(id) FROM feed_import WHERE status = 'rejected'`).Scan(&rejected); err != nil {
		t.Fatal(err)
	}
	var interrupted, old int64
	if err := srv.Pool.QueryRow(ctx, `INSERT INTO feed_import (source, status, finished_at, message, message_key)
		VALUES ('cli', 'failed', now(), 'interrupted: the process importing it stopped', 'interrupted') RETURNING id`).Scan(&interrupted); err != nil {
		t.Fatal(err)
	}
	if err := srv.Pool.QueryRow(ctx, `INSERT INTO feed_import (source, status, finished_at, error_count, errors)
		VALUES ('cli', 'rejected', now(), 1, '[{"file": "clients.csv", "line": 3, "message": "was refused in words of long ago"}]') RETURNING id`).Scan(&old); err != nil {
		t.Fatal(err)
	}
	english := []string{"is not a date: there is no month 13",
		`item 1 (CA-MAIN): "25EUR" is not an amount; write it like 1234.50 or -20 (a point for decimals, no currency sign or spaces)`}
	r := c.Get(fmt.Sprintf("/admin/imports/%d", rejected))
	for _, e := range english {
		says(t, "the rejected import", i18n.English, r.Body, e)
	}
	says(t, "the interrupted import", i18n.English, c.Get(fmt.Sprintf("/admin/imports/%d", interrupted)).Body,
		"interrupted: the process importing it stopped")
	for _, l := range otherLangs {
		o := srv.NewClient(t)
		o.Lang = string(l)
		o.Login(adminLogin, seeds.DemoPassword)
		body := o.Get(fmt.Sprintf("/admin/imports/%d", rejected)).Body
		says(t, "the rejected import", l, body, l.T("imports.row.nomonth", "Month", "13"), append(english, "is not a date", "a point for decimals")...)
		says(t, "the rejected import", l, body, l.T("imports.row.itemamount", "Item", "1", "Code", "CA-MAIN", "Amount", `"25EUR"`,
			"Problem", l.T("imports.row.notamount")))
		says(t, "the interrupted import", l, o.Get(fmt.Sprintf("/admin/imports/%d", interrupted)).Body,
			l.T("imports.row.interrupted"), "the process importing it stopped")
		says(t, "an import recorded before keys", l, o.Get(fmt.Sprintf("/admin/imports/%d", old)).Body, "was refused in words of long ago")
	}
}

// TestRunErrorsInEachLanguage: a run refused for its settings, as the runner
// records it (internal/nightly's TestBadSettingFailsTheRun checks that), an
// interrupted run, and a run recorded before errors had keys, on the runs
// page in each language.
func TestRunErrorsInEachLanguage(t *testing.T) {
	t.Parallel()
	srv, c := asAdmin(t)
	ctx := context.Background()
	const settingsError = `the nightly run's settings are not usable: setting warning.tx_drop: "forty" is not a number`
	const args = `{"problems": [{"key": "warning.tx_drop", "problem": "notnumber", "value": "\"forty\""}]}`
	var refused int64
	if err := srv.Pool.QueryRow(ctx, `INSERT INTO nightly_run (source, status, finished_at, error, error_key, error_args)
		VALUES ('cli', 'failed', now(), $1, 'settings', $2::jsonb || '{"step": "import"}') RETURNING id`,
		"nightly import: "+settingsError, args).Scan(&refused); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Pool.Exec(ctx, `INSERT INTO nightly_run_step (run_id, position, step, status, started_at, finished_at, error, error_key, error_args)
		VALUES ($1, 1, 'import', 'failed', now() - interval '4.283 seconds', now(), $2, 'settings', $3::jsonb)`, refused, settingsError, args); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Pool.Exec(ctx, `INSERT INTO nightly_run (source, status, finished_at, error, error_key) VALUES
		('cli', 'failed', now(), 'interrupted: the run''s server or connection stopped', 'interrupted'),
		('cli', 'failed', now(), 'an error in words of long ago', '')`); err != nil {
		t.Fatal(err)
	}
	r := c.Get("/admin/runs")
	says(t, "the runs page", i18n.English, r.Body, "nightly import: "+settingsError)
	says(t, "the runs page", i18n.English, r.Body, "interrupted: the run's server or connection stopped")
	// how long the step took, in the viewer's language: a decimal comma and
	// Cyrillic units in Bulgarian and Russian
	took := map[i18n.Locale]string{i18n.English: ">4.28\u00a0s<", i18n.Bulgarian: ">4,28\u00a0с<", i18n.Russian: ">4,28\u00a0с<"}
	if !strings.Contains(r.Body, took[i18n.English]) {
		t.Errorf("the runs page in English does not say the step took %q", took[i18n.English])
	}
	for _, l := range otherLangs {
		o := srv.NewClient(t)
		o.Lang = string(l)
		o.Login(adminLogin, seeds.DemoPassword)
		body := o.Get("/admin/runs").Body
		problem := l.T("runs.error.settings", "Problems", l.T("runs.error.setting.notnumber", "Key", "warning.tx_drop", "Value", `"forty"`))
		says(t, "the runs page", l, body, l.T("runs.error.step", "Step", l.T("runs.steps.import"), "Error", problem),
			"settings are not usable", "is not a number", "server or connection stopped")
		says(t, "the runs page", l, body, l.T("runs.error.interrupted"))
		says(t, "the runs page", l, body, "an error in words of long ago")
		if !strings.Contains(body, took[l]) {
			t.Errorf("the runs page in %s does not say the step took %q", l, took[l])
		}
	}
}

// TestReassignRefusalsInEachLanguage: a branch head who reads Relay in
// Bulgarian or Russian is told in that language why a reassignment is
// refused.
func TestReassignRefusalsInEachLanguage(t *testing.T) {
	t.Parallel()
	d := newPipelineDesk(t)
	from := strconv.FormatInt(d.mgr, 10)
	own := d.clientsOf(t, d.mgr)
	cases := []struct {
		form    url.Values
		field   string
		id      string
		kv      []any
		english string
	}{
		{url.Values{"from": {from}, "to": {strconv.FormatInt(d.otherBranchMgr, 10)}, "client": own[:1]}, "reassign-errors",
			"pipeline.refused.notmanager", nil, "not a manager of your branch"},
		{url.Values{"from": {from}, "to": {from}, "client": own[:1]}, "reassign-errors", "pipeline.refused.same", nil, "are already"},
		{url.Values{"from": {from}, "to": {strconv.FormatInt(d.colleague, 10)}, "client": {"abc"}}, "reassign-errors",
			"pipeline.refused.badclient", []any{"Value", `"abc"`}, "is not a client id"},
		{url.Values{"from": {from}, "to": {strconv.FormatInt(d.colleague, 10)}}, "reassign-errors",
			"pipeline.refused.noselection", nil, "at least one client"},
	}
	for _, l := range otherLangs {
		if r := d.head.Post("/account/locale", url.Values{"locale": {string(l)}}); r.Status != http.StatusSeeOther {
			t.Fatalf("choosing %s: %d", l, r.Status)
		}
		d.head.Get(managerPath(d.mgr))
		for _, tc := range cases {
			res := d.head.Post("/pipeline/reassign", tc.form)
			wantStatusOf(t, res, http.StatusUnprocessableEntity)
			msg := strings.ToLower(testIDText(t, res.Body, tc.field))
			want := l.T(tc.id, tc.kv...)
			if tc.id == "pipeline.refused.same" {
				continue // names the manager: checked for English only
			}
			if !strings.Contains(msg, strings.ToLower(want)) || strings.Contains(msg, tc.english) {
				t.Errorf("%s %s: %q, want %q", l, tc.id, msg, want)
			}
		}
	}
}

// TestGroupMapProblemsInEachLanguage: the setting sso.group_roles refuses a
// map in the administrator's language, English word for word as before.
func TestGroupMapProblemsInEachLanguage(t *testing.T) {
	t.Parallel()
	srv, c := asAdmin(t)
	const path = "/admin/settings/sso.group_roles"
	c.Get("/admin/settings")
	r := c.PostHTMX(path, url.Values{"value": {"sofia = manager"}})
	wantStatusOf(t, r, http.StatusUnprocessableEntity)
	if got := testIDText(t, r.Body, "setting-error"); !strings.Contains(got, `"sofia = manager": a personal manager works in a branch; add its code`) {
		t.Errorf("in English: %q", got)
	}
	for _, l := range otherLangs {
		o := srv.NewClient(t)
		o.Lang = string(l)
		o.Login(adminLogin, seeds.DemoPassword)
		o.Get("/admin/settings")
		for value, english := range map[string]string{"sofia = manager": "works in a branch", "sofia = boss": "is not a role",
			"x = admin; x = risk": "mapped twice", "relay-admins": "is not group = role"} {
			r := o.PostHTMX(path, url.Values{"value": {value}})
			wantStatusOf(t, r, http.StatusUnprocessableEntity)
			got := testIDText(t, r.Body, "setting-error")
			if got == "" || strings.Contains(got, english) {
				t.Errorf("%s, %q: %q still says %q", l, value, got, english)
			}
		}
		r := o.PostHTMX(path, url.Values{"value": {"sofia = manager"}})
		role := strings.ToLower(l.T("users.roles.manager"))
		if got := testIDText(t, r.Body, "setting-error"); !strings.Contains(got, role) {
			t.Errorf("%s: %q does not name the role as %q", l, got, role)
		}
	}
}

// TestSSORefusalInEachLanguage: a sign-in refused because the groups place
// the user in a branch Relay does not know is said in the browser's
// language; the audit keeps the reason in English.
func TestSSORefusalInEachLanguage(t *testing.T) {
	t.Parallel()
	srv, idp := ssoServer(t)
	setSetting(t, srv, "sso.group_roles", "heads-nowhere = branch_head BN-NOPE")
	idp.SignInAs(ssotest.User{Subject: "s-3003", Name: "Nora Nikolova", Username: "nora.n", Groups: []string{"heads-nowhere"}})
	for _, l := range append([]i18n.Locale{i18n.English}, otherLangs...) {
		c := srv.NewClient(t)
		c.Lang = string(l)
		r := ssoSignIn(t, c, srv, nil)
		if r.Status != http.StatusForbidden {
			t.Fatalf("%s: %d, want 403", l, r.Status)
		}
		var english []string
		if l != i18n.English {
			english = []string{"which Relay does not know", "Ask an administrator"}
		}
		says(t, "the refused sign-in", l, r.Body, l.T("auth.sso.unknownbranch", "Branch", "BN-NOPE"), english...)
	}
	if got := auditCount(t, srv, "auth.login_refused", `{"reason": "Your groups place you in the branch BN-NOPE, which Relay does not know. Ask an administrator to correct the setting Groups to roles."}`); got != 3 {
		t.Errorf("%d refusals audited with the English reason, want 3", got)
	}
}

// TestLanguagePanelSaysEachThingOnce: the account page's language panel no
// longer calls both its title and its field "Language".
func TestLanguagePanelSaysEachThingOnce(t *testing.T) {
	t.Parallel()
	srv := start(t)
	for _, l := range i18n.Locales {
		c := srv.NewClient(t)
		c.Lang = string(l)
		c.Login(managerLogin, seeds.DemoPassword)
		body := c.Get("/account").Body
		title, label := l.T("account.language.title"), l.T("account.language.choose")
		if title == label || !strings.Contains(body, ">"+title+"</h2>") || !strings.Contains(body, `<label for="locale">`+label+"</label>") {
			t.Errorf("%s: the panel's title %q and field %q", l, title, label)
		}
	}
}
