package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/relaycrm/relay/internal/users"
	"github.com/relaycrm/relay/internal/webtest"
	"github.com/relaycrm/relay/seeds"
)

// userID is the id of the user with login.
func idOfUser(t *testing.T, srv *webtest.Server, login string) int64 {
	t.Helper()
	return dbValue[int64](t, srv, `SELECT id FROM app_user WHERE login = $1`, login)
}

func adminUserPath(id int64) string { return "/admin/users/" + strconv.FormatInt(id, 10) }

// otherBranch is a branch other than the manager's, by code.
func branchOtherThan(t *testing.T, srv *webtest.Server, login string) string {
	t.Helper()
	return dbValue[string](t, srv, `SELECT code FROM branch WHERE id <> (SELECT branch_id FROM app_user WHERE login = $1) ORDER BY id LIMIT 1`, login)
}

func branchCodeOf(t *testing.T, srv *webtest.Server, login string) string {
	t.Helper()
	return dbValue[string](t, srv, `SELECT coalesce(b.code, '') FROM app_user u LEFT JOIN branch b ON b.id = u.branch_id WHERE u.login = $1`, login)
}

// newUserForm is a valid form for a new manager in the demo manager's branch.
func newUserForm(t *testing.T, srv *webtest.Server) url.Values {
	return url.Values{"login": {"mgr.new"}, "name": {"Nora New"}, "role": {"manager"},
		"branch": {branchCodeOf(t, srv, managerLogin)}, "password": {"a-long-password"}, "confirm": {"a-long-password"}}
}

func TestAdminCreatesUser(t *testing.T) {
	t.Parallel()
	srv, c := asAdmin(t)
	form := newUserForm(t, srv)

	r := c.Get("/admin/users/new")
	wantStatusOf(t, r, http.StatusOK)
	if len(elementsByTestID(t, r.Body, "user-form")) != 1 {
		t.Fatal("no user form")
	}
	r = c.Post("/admin/users", form)
	id := dbValue[int64](t, srv, `SELECT id FROM app_user WHERE login = 'mgr.new'`)
	wantSeeOther(t, r, adminUserPath(id))

	var name, role, branch string
	var active bool
	var hash string
	if err := srv.Pool.QueryRow(context.Background(), `SELECT u.name, u.role, b.code, u.active, u.password_hash
		FROM app_user u JOIN branch b ON b.id = u.branch_id WHERE u.id = $1`, id).Scan(&name, &role, &branch, &active, &hash); err != nil {
		t.Fatal(err)
	}
	if name != "Nora New" || role != "manager" || branch != form.Get("branch") || !active {
		t.Errorf("stored %q %q %q active=%v", name, role, branch, active)
	}
	if ok, err := users.CheckPassword(hash, "a-long-password"); err != nil || !ok {
		t.Errorf("the stored hash does not match the password: %v", err)
	}

	page := c.Get(adminUserPath(id))
	if got := testIDText(t, page.Body, "flash"); !strings.Contains(got, "Created mgr.new") {
		t.Errorf("flash %q", got)
	}
	object, login, details := lastAuditOf(t, srv, "user.create")
	if object != "user:"+strconv.FormatInt(id, 10) || login != adminLogin {
		t.Errorf("audit object %q by %q", object, login)
	}
	for _, want := range []string{`"login": "mgr.new"`, `"role": "manager"`, `"branch": "` + form.Get("branch") + `"`} {
		if !strings.Contains(details, want) {
			t.Errorf("audit details %s lack %s", details, want)
		}
	}
	if strings.Contains(details, "a-long-password") || strings.Contains(details, "argon2") {
		t.Errorf("the audit log holds the password: %s", details)
	}

	nc := srv.NewClient(t)
	nc.Login("mgr.new", "a-long-password")
}

func TestAdminUserFormRefusesBadInput(t *testing.T) {
	t.Parallel()
	srv, c := asAdmin(t)
	good := newUserForm(t, srv)
	cases := []struct {
		name  string
		set   map[string]string
		field string
		says  string
	}{
		{"login with capitals and spaces", map[string]string{"login": "Nora New"}, "login", "lower-case letters"},
		{"login taken", map[string]string{"login": managerLogin}, "login", "is already the login of"},
		{"no name", map[string]string{"name": "  "}, "name", "give the person's name"},
		{"no role", map[string]string{"role": ""}, "role", "choose a role"},
		{"unknown role", map[string]string{"role": "superuser"}, "role", "choose a role"},
		{"manager without a branch", map[string]string{"branch": ""}, "branch", "works in a branch; choose it"},
		{"branch head without a branch", map[string]string{"role": "branch_head", "branch": ""}, "branch", "works in a branch"},
		{"risk with a branch", map[string]string{"role": "risk"}, "branch", "has no branch; leave it empty"},
		{"admin with a branch", map[string]string{"role": "admin"}, "branch", "has no branch; leave it empty"},
		{"unknown branch", map[string]string{"branch": "NOWHERE-9"}, "branch", `no branch of this group has the code "NOWHERE-9"`},
		{"short password", map[string]string{"password": "short", "confirm": "short"}, "password", "use at least 12"},
		{"no password", map[string]string{"password": "", "confirm": ""}, "password", "give a password of at least 12"},
		{"confirmation differs", map[string]string{"confirm": "a-long-passw0rd"}, "confirm", "the two passwords differ"},
	}
	users0 := dbValue[int](t, srv, `SELECT count(*) FROM app_user`)
	audit0 := auditChanges(t, srv)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := url.Values{}
			for k, v := range good {
				f[k] = v
			}
			for k, v := range tc.set {
				f.Set(k, v)
			}
			r := c.Post("/admin/users", f)
			wantStatusOf(t, r, http.StatusUnprocessableEntity)
			if got := testIDText(t, r.Body, "error-"+tc.field); !strings.Contains(got, tc.says) {
				t.Errorf("beside %s: %q, want %q", tc.field, got, tc.says)
			}
			if testIDText(t, r.Body, "form-errors") == "" {
				t.Error("no summary above the form")
			}
			// the form keeps what was typed, but never the password
			if v, _ := formInputValue(t, r.Body, "name"); v != f.Get("name") {
				t.Errorf("name re-rendered as %q, typed %q", v, f.Get("name"))
			}
			if v, _ := formInputValue(t, r.Body, "login"); v != f.Get("login") {
				t.Errorf("login re-rendered as %q, typed %q", v, f.Get("login"))
			}
			if got := formSelected(t, r.Body, "branch"); got != strings.ToUpper(f.Get("branch")) && tc.field != "branch" {
				t.Errorf("branch re-rendered as %q, typed %q", got, f.Get("branch"))
			}
			if v, _ := formInputValue(t, r.Body, "password"); v != "" {
				t.Error("the password was sent back to the browser")
			}
		})
	}
	if n := dbValue[int](t, srv, `SELECT count(*) FROM app_user`); n != users0 {
		t.Errorf("refused forms created %d users", n-users0)
	}
	if n := auditChanges(t, srv); n != audit0 {
		t.Errorf("refused forms wrote %d audit entries", n-audit0)
	}
}

func TestAdminListsAndFiltersUsers(t *testing.T) {
	t.Parallel()
	srv, c := asAdmin(t)
	branch := branchCodeOf(t, srv, managerLogin)
	if _, err := srv.Pool.Exec(context.Background(), `UPDATE app_user SET active = false WHERE login = $1`, headLogin); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, query, where string
		args               []any
	}{
		{"everyone", "", "true", nil},
		{"managers", "role=manager", "u.role = 'manager'", nil},
		{"a branch", "branch=" + branch, "b.code = $1", []any{branch}},
		{"deactivated", "status=inactive", "NOT u.active", nil},
		{"search by login", "q=bn-sof-1.0", "u.login ILIKE '%bn-sof-1.0%' OR u.name ILIKE '%bn-sof-1.0%'", nil},
		{"search by part of the name, any case", "q=" + url.QueryEscape(strings.ToUpper("ada adm")), "u.name ILIKE '%ada adm%'", nil},
		{"managers of a branch who are active", "role=manager&status=active&branch=" + branch, "u.role = 'manager' AND u.active AND b.code = $1", []any{branch}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			want := dbValue[int](t, srv, `SELECT count(*) FROM app_user u LEFT JOIN branch b ON b.id = u.branch_id WHERE `+tc.where, tc.args...)
			if want == 0 {
				t.Fatal("the case selects nobody; pick another")
			}
			seen := map[string]bool{}
			for page := 1; ; page++ {
				r := c.Get("/admin/users?" + tc.query + "&page=" + strconv.Itoa(page))
				wantStatusOf(t, r, http.StatusOK)
				rows := elementsByTestID(t, r.Body, "user-row")
				if len(rows) == 0 {
					break
				}
				var logins []any
				for _, row := range rows {
					l := nodeAttr(row, "data-login")
					if seen[l] {
						t.Fatalf("%s on two pages", l)
					}
					seen[l] = true
					logins = append(logins, l)
				}
				n := dbValue[int](t, srv, `SELECT count(*) FROM app_user u LEFT JOIN branch b ON b.id = u.branch_id
					WHERE (`+tc.where+`) AND u.login = ANY($`+strconv.Itoa(len(tc.args)+1)+`)`, append(tc.args, logins)...)
				if n != len(rows) {
					t.Errorf("page %d: %d of %d rows do not match", page, len(rows)-n, len(rows))
				}
				if len(rows) < 25 {
					break
				}
			}
			if len(seen) != want {
				t.Errorf("the pages list %d users, want %d", len(seen), want)
			}
		})
	}
	t.Run("htmx gets the results alone", func(t *testing.T) {
		r := c.GetHTMX("/admin/users?role=risk")
		wantStatusOf(t, r, http.StatusOK)
		if strings.Contains(r.Body, "<html") || len(elementsByTestID(t, r.Body, "user-row")) == 0 {
			t.Errorf("want only the rows: %.200s", r.Body)
		}
	})
	t.Run("nothing matches: says what to do", func(t *testing.T) {
		r := c.Get("/admin/users?q=nobody-has-this")
		if got := testIDText(t, r.Body, "empty"); !strings.Contains(got, "Clear a filter") {
			t.Errorf("empty state %q", got)
		}
	})
	t.Run("bad parameters name themselves", func(t *testing.T) {
		r := c.Get("/admin/users?role=king&page=x")
		wantStatusOf(t, r, http.StatusBadRequest)
		got := testIDText(t, r.Body, "filter-errors")
		if !strings.Contains(got, `"king" is not a role`) || !strings.Contains(got, `"x" is not a page number`) {
			t.Errorf("errors %q", got)
		}
	})
	t.Run("a page past the end still counts the users", func(t *testing.T) {
		r := c.Get("/admin/users?role=manager&page=40")
		wantStatusOf(t, r, http.StatusOK)
		want := dbValue[int](t, srv, `SELECT count(*) FROM app_user WHERE role = 'manager'`)
		if got := testIDText(t, r.Body, "total"); got != strconv.Itoa(want)+" users" {
			t.Errorf("total %q, want %d users", got, want)
		}
	})
	t.Run("no such user", func(t *testing.T) {
		wantStatusOf(t, c.Get("/admin/users/99999"), http.StatusNotFound)
	})
}

func TestAdminEditsUser(t *testing.T) {
	t.Parallel()
	srv, c := asAdmin(t)
	// the risk user manages no clients: they may become a branch head
	id := idOfUser(t, srv, riskLogin)
	path := adminUserPath(id)
	branch := branchCodeOf(t, srv, managerLogin)
	c.Get(path)

	r := c.Post(path, url.Values{"name": {"Rita Head"}, "role": {"branch_head"}, "branch": {strings.ToLower(branch)}})
	wantSeeOther(t, r, path)
	if got := testIDText(t, c.Get(path).Body, "flash"); got != "Saved the new name, role and branch." {
		t.Errorf("flash %q", got)
	}
	if name, role, b := dbValue[string](t, srv, `SELECT name FROM app_user WHERE id = $1`, id),
		dbValue[string](t, srv, `SELECT role FROM app_user WHERE id = $1`, id), branchCodeOf(t, srv, riskLogin); name != "Rita Head" || role != "branch_head" || b != branch {
		t.Errorf("stored %q %q %q", name, role, b)
	}
	object, _, details := lastAuditOf(t, srv, "user.update")
	if object != "user:"+strconv.FormatInt(id, 10) {
		t.Errorf("audit object %q", object)
	}
	for _, want := range []string{`"name": {"to": "Rita Head", "from": "Rita Risk"}`, `"role": {"to": "branch_head", "from": "risk"}`,
		`"branch": {"to": "` + branch + `", "from": null}`} {
		if !strings.Contains(details, want) {
			t.Errorf("audit details %s lack %s", details, want)
		}
	}

	t.Run("the same values change nothing and write nothing", func(t *testing.T) {
		before := auditCountOf(t, srv, "user.update")
		r := c.Post(path, url.Values{"name": {"Rita Head"}, "role": {"branch_head"}, "branch": {branch}})
		wantSeeOther(t, r, path)
		if got := testIDText(t, c.Get(path).Body, "flash"); !strings.Contains(got, "Nothing to save") {
			t.Errorf("flash %q", got)
		}
		if auditCountOf(t, srv, "user.update") != before {
			t.Error("an empty change was audited")
		}
	})

	bad := []struct {
		name   string
		form   url.Values
		field  string
		says   string
		target int64
	}{
		{"no name", url.Values{"name": {""}, "role": {"branch_head"}, "branch": {branch}}, "name", "give the person's name", id},
		{"branch head without a branch", url.Values{"name": {"Rita"}, "role": {"branch_head"}, "branch": {""}}, "branch", "works in a branch", id},
		{"risk with a branch", url.Values{"name": {"Rita"}, "role": {"risk"}, "branch": {branch}}, "branch", "leave it empty", id},
		{"an admin demoting themself", url.Values{"name": {"Ada Admin"}, "role": {"risk"}, "branch": {""}}, "role",
			"you cannot take the administrator role from yourself", idOfUser(t, srv, adminLogin)},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			before := auditChanges(t, srv)
			var snapshot string
			snap := `SELECT concat_ws('|', name, role, branch_id, updated_at) FROM app_user WHERE id = $1`
			snapshot = dbValue[string](t, srv, snap, tc.target)
			r := c.Post(adminUserPath(tc.target), tc.form)
			wantStatusOf(t, r, http.StatusUnprocessableEntity)
			if got := testIDText(t, r.Body, "error-"+tc.field); !strings.Contains(got, tc.says) {
				t.Errorf("beside %s: %q, want %q", tc.field, got, tc.says)
			}
			if v, _ := formInputValue(t, r.Body, "name"); v != tc.form.Get("name") {
				t.Errorf("name re-rendered as %q", v)
			}
			if got := formSelected(t, r.Body, "role"); got != tc.form.Get("role") {
				t.Errorf("role re-rendered as %q", got)
			}
			if dbValue[string](t, srv, snap, tc.target) != snapshot {
				t.Error("the refused change was stored")
			}
			if auditChanges(t, srv) != before {
				t.Error("the refused change was audited")
			}
		})
	}
}

func TestAdminRefusesToMoveAManagerWithClients(t *testing.T) {
	t.Parallel()
	srv, c := asAdmin(t)
	id := idOfUser(t, srv, managerLogin)
	path := adminUserPath(id)
	all := dbValue[int](t, srv, `SELECT count(*) FROM client WHERE manager_id = $1`, id)
	left := dbValue[int](t, srv, `SELECT count(*) FROM client WHERE manager_id = $1 AND left_on IS NOT NULL`, id)
	if all == 0 || left == 0 {
		t.Fatalf("the demo manager has %d clients, %d of them left; the test needs both", all, left)
	}
	name := dbValue[string](t, srv, `SELECT name FROM app_user WHERE id = $1`, id)
	home := branchCodeOf(t, srv, managerLogin)
	c.Get(path)
	before := auditChanges(t, srv)

	for _, tc := range []struct {
		name  string
		form  url.Values
		field string
		says  string
	}{
		{"to another branch", url.Values{"name": {name}, "role": {"manager"}, "branch": {branchOtherThan(t, srv, managerLogin)}}, "branch",
			"still manages " + strconv.Itoa(all) + " clients (" + strconv.Itoa(left) + " of them have left the bank)"},
		{"to the risk team", url.Values{"name": {name}, "role": {"risk"}, "branch": {""}}, "branch", "still manages " + strconv.Itoa(all) + " clients"},
		{"to branch head of the same branch", url.Values{"name": {name}, "role": {"branch_head"}, "branch": {home}}, "role",
			"before changing their role"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := c.Post(path, tc.form)
			wantStatusOf(t, r, http.StatusUnprocessableEntity)
			got := testIDText(t, r.Body, "error-"+tc.field)
			if !strings.Contains(got, tc.says) || !strings.Contains(got, "Reassign them to another manager") {
				t.Errorf("beside %s: %q, want %q", tc.field, got, tc.says)
			}
		})
	}
	if b, role := branchCodeOf(t, srv, managerLogin), dbValue[string](t, srv, `SELECT role FROM app_user WHERE id = $1`, id); b != home || role != "manager" {
		t.Errorf("the manager is now %s in %s", role, b)
	}
	if auditChanges(t, srv) != before {
		t.Error("a refused move was audited")
	}

	t.Run("once the clients are reassigned, the move goes through", func(t *testing.T) {
		ctx := context.Background()
		if _, err := srv.Pool.Exec(ctx, `
			WITH m AS (INSERT INTO app_user (group_id, login, name, role, branch_id, password_hash)
			           SELECT group_id, 'successor', 'Successor', 'manager', branch_id, password_hash FROM app_user WHERE id = $1
			           RETURNING id)
			UPDATE client SET manager_id = (SELECT id FROM m) WHERE manager_id = $1`, id); err != nil {
			t.Fatal(err)
		}
		to := branchOtherThan(t, srv, managerLogin)
		wantSeeOther(t, c.Post(path, url.Values{"name": {name}, "role": {"manager"}, "branch": {to}}), path)
		if b := branchCodeOf(t, srv, managerLogin); b != to {
			t.Errorf("branch %s, want %s", b, to)
		}
	})
}

func TestAdminDeactivatesAndReactivatesUser(t *testing.T) {
	t.Parallel()
	srv, admin := asAdmin(t)
	mgr := srv.NewClient(t)
	mgr.Login(managerLogin, seeds.DemoPassword)
	id := idOfUser(t, srv, managerLogin)
	path := adminUserPath(id)

	page := admin.Get(path)
	if len(elementsByTestID(t, page.Body, "deactivate")) != 1 {
		t.Fatal("no deactivate button")
	}
	wantSeeOther(t, admin.Post(path+"/deactivate", nil), path)
	if dbValue[bool](t, srv, `SELECT active FROM app_user WHERE id = $1`, id) {
		t.Fatal("still active")
	}
	if got := testIDText(t, admin.Get(path).Body, "flash"); !strings.Contains(got, "signed out at their next request") || !strings.Contains(got, "still manage") {
		t.Errorf("flash %q", got)
	}
	if object, _, details := lastAuditOf(t, srv, "user.deactivate"); object != "user:"+strconv.FormatInt(id, 10) || !strings.Contains(details, managerLogin) {
		t.Errorf("audit %q %s", object, details)
	}
	// the manager's open session ends at their next request
	if r := mgr.Get("/clients"); r.Status != http.StatusSeeOther || r.Location != "/login" {
		t.Errorf("a deactivated user's request: %d %q, want a redirect to /login", r.Status, r.Location)
	}
	again := srv.NewClient(t)
	again.Get("/login")
	if r := again.Post("/login", url.Values{"login": {managerLogin}, "password": {seeds.DemoPassword}}); r.Status != http.StatusUnauthorized {
		t.Errorf("a deactivated user signed in: %d", r.Status)
	}
	if n := len(elementsByTestID(t, admin.Get("/admin/users?status=inactive").Body, "user-row")); n != 1 {
		t.Errorf("%d deactivated users listed, want 1", n)
	}

	wantSeeOther(t, admin.Post(path+"/reactivate", nil), path)
	if !dbValue[bool](t, srv, `SELECT active FROM app_user WHERE id = $1`, id) {
		t.Fatal("not active again")
	}
	if auditCountOf(t, srv, "user.reactivate") != 1 {
		t.Error("no user.reactivate in the audit log")
	}
	srv.NewClient(t).Login(managerLogin, seeds.DemoPassword)
}

func TestAdminCannotDeactivateThemself(t *testing.T) {
	t.Parallel()
	srv, c := asAdmin(t)
	id := idOfUser(t, srv, adminLogin)
	page := c.Get(adminUserPath(id))
	if len(elementsByTestID(t, page.Body, "deactivate")) != 0 || testIDText(t, page.Body, "self-note") == "" {
		t.Error("the admin's own page offers to deactivate them")
	}
	r := c.Post(adminUserPath(id)+"/deactivate", nil)
	wantStatusOf(t, r, http.StatusUnprocessableEntity)
	if got := testIDText(t, r.Body, "error-status"); !strings.Contains(got, "you cannot deactivate yourself") {
		t.Errorf("message %q", got)
	}
	if !dbValue[bool](t, srv, `SELECT active FROM app_user WHERE id = $1`, id) {
		t.Error("the admin deactivated themself")
	}
	if auditCountOf(t, srv, "user.deactivate") != 0 {
		t.Error("the refusal was audited as a deactivation")
	}
	wantStatusOf(t, c.Get("/admin/users"), http.StatusOK) // still signed in
}

func TestAdminResetsPassword(t *testing.T) {
	t.Parallel()
	srv, c := asAdmin(t)
	id := idOfUser(t, srv, managerLogin)
	path := adminUserPath(id)
	c.Get(path)
	hash0 := dbValue[string](t, srv, `SELECT password_hash FROM app_user WHERE id = $1`, id)

	for _, tc := range []struct {
		name, password, confirm, field, says string
	}{
		{"too short", "short-pw", "short-pw", "password", "the password is 8 characters long; use at least 12"},
		{"empty", "", "", "password", "give a password"},
		{"confirmation differs", "new-password-1", "new-password-2", "confirm", "the two passwords differ"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := c.Post(path+"/password", url.Values{"password": {tc.password}, "confirm": {tc.confirm}})
			wantStatusOf(t, r, http.StatusUnprocessableEntity)
			if got := testIDText(t, r.Body, "error-"+tc.field); !strings.Contains(got, tc.says) {
				t.Errorf("beside %s: %q, want %q", tc.field, got, tc.says)
			}
			if v, _ := formInputValue(t, r.Body, "password"); v != "" {
				t.Error("the password was sent back")
			}
		})
	}
	if dbValue[string](t, srv, `SELECT password_hash FROM app_user WHERE id = $1`, id) != hash0 || auditCountOf(t, srv, "user.password_reset") != 0 {
		t.Fatal("a refused reset changed the password or was audited")
	}

	wantSeeOther(t, c.Post(path+"/password", url.Values{"password": {"brand-new-secret"}, "confirm": {"brand-new-secret"}}), path)
	object, _, details := lastAuditOf(t, srv, "user.password_reset")
	if object != "user:"+strconv.FormatInt(id, 10) || strings.Contains(details, "brand-new-secret") || strings.Contains(details, "argon2") {
		t.Errorf("audit %q %s", object, details)
	}
	srv.NewClient(t).Login(managerLogin, "brand-new-secret")
	old := srv.NewClient(t)
	old.Get("/login")
	if r := old.Post("/login", url.Values{"login": {managerLogin}, "password": {seeds.DemoPassword}}); r.Status != http.StatusUnauthorized {
		t.Errorf("the old password still signs in: %d", r.Status)
	}
}
