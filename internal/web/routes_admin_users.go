package web

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/relaycrm/relay/internal/access"
	"github.com/relaycrm/relay/internal/audit"
	"github.com/relaycrm/relay/internal/i18n"
	"github.com/relaycrm/relay/internal/input"
	"github.com/relaycrm/relay/internal/users"
	"github.com/relaycrm/relay/views/components"
	"github.com/relaycrm/relay/views/pages"
)

// roleOptions are the roles in the order screens show them.
func roleOptions(ctx context.Context) []components.Option {
	out := make([]components.Option, len(access.Roles))
	for i, r := range access.Roles {
		out[i] = components.Option{Value: string(r), Label: roleLabel(ctx, r)}
	}
	return out
}

// branchGroups are the group's branches by bank, for a drop-down whose values
// are branch codes.
func (s *server) branchGroups(c echo.Context, groupID int64) ([]pages.BranchGroup, error) {
	branches, err := s.Users.Branches(c.Request().Context(), groupID)
	if err != nil {
		return nil, err
	}
	var out []pages.BranchGroup
	for _, b := range branches {
		if len(out) == 0 || out[len(out)-1].Bank != b.Bank {
			out = append(out, pages.BranchGroup{Bank: b.Bank})
		}
		g := &out[len(out)-1]
		g.Options = append(g.Options, components.Option{Value: b.Code, Label: b.Name + " (" + b.Code + ")"})
	}
	return out, nil
}

func (s *server) adminUsers(c echo.Context) error {
	ctx := c.Request().Context()
	v := viewer(c)
	q := c.QueryParams()
	errs := input.Errors{}
	f := users.Filter{Query: q.Get("q"), Role: q.Get("role"), Branch: q.Get("branch"), Status: q.Get("status")}
	if q.Get("page") != "" {
		f.Page = pageParam(q, errs)
	}
	if err := f.Validate(ctx); err != nil {
		fe, ok := fieldErrors(err)
		if !ok {
			return err
		}
		for k, m := range fe {
			errs.Add(k, m)
		}
	}
	var page users.Page
	if len(errs) == 0 {
		var err error
		if page, err = s.Users.List(ctx, v.GroupID, f); err != nil {
			return err
		}
	}
	branches, err := s.branchGroups(c, v.GroupID)
	if err != nil {
		return err
	}
	vm := pages.AdminUsers{
		Query: q, Q: f.Query, Role: f.Role, Branch: f.Branch, Status: f.Status,
		Roles: roleOptions(ctx), Branches: branches,
		Statuses: []components.Option{{Value: "active", Label: i18n.T(ctx, "users.active")},
			{Value: "inactive", Label: i18n.T(ctx, "users.deactivated")}},
		Filtered: f.Query != "" || f.Role != "" || f.Branch != "" || f.Status != "",
		Page:     page.Page, Pages: page.Pages(), Total: page.Total, Errors: errs,
		Flash: s.popFlash(c),
	}
	for _, u := range page.Rows {
		vm.Rows = append(vm.Rows, pages.AdminUserRow{ID: u.ID, Login: u.Login, Name: u.Name, Role: roleLabel(ctx, u.Role),
			Branch: u.BranchName, BranchCode: u.BranchCode, Active: u.Active, Clients: u.ActiveClients,
			Created: i18n.Date(ctx, u.CreatedAt)})
	}
	status := http.StatusOK
	if len(errs) > 0 {
		status = http.StatusBadRequest
	}
	if isHTMX(c) {
		return render(c, status, pages.AdminUserResults(vm))
	}
	return render(c, status, pages.AdminUsersPage(s.layout(c, v, i18n.T(ctx, "users.title"), "users"), vm))
}

func (s *server) adminUserNew(c echo.Context) error {
	return s.renderUserForm(c, http.StatusOK, users.Form{}, nil)
}

func (s *server) renderUserForm(c echo.Context, status int, f users.Form, errs input.Errors) error {
	v := viewer(c)
	branches, err := s.branchGroups(c, v.GroupID)
	if err != nil {
		return err
	}
	vm := pages.AdminUserForm{CSRF: s.csrfToken(c), Login: f.Login, Name: f.Name, Role: f.Role, Branch: f.Branch,
		Roles: roleOptions(ctxOf(c)), Branches: branches, MinPassword: users.MinPasswordLength, Errors: errs}
	return render(c, status, pages.AdminUserNewPage(s.layout(c, v, i18n.T(ctxOf(c), "users.new"), "users"), vm))
}

func (s *server) adminUserCreate(c echo.Context) error {
	v := viewer(c)
	f := users.Form{Login: c.FormValue("login"), Name: c.FormValue("name"), Role: c.FormValue("role"),
		Branch: c.FormValue("branch"), Password: c.FormValue("password"), Confirm: c.FormValue("confirm")}
	u, err := s.Users.Add(c.Request().Context(), actor(c), v.GroupID, f)
	if errs, ok := fieldErrors(err); ok {
		return s.renderUserForm(c, statusInvalid, f, errs)
	}
	if err != nil {
		return err
	}
	s.setFlash(c, i18n.T(ctxOf(c), "users.flash.created", "Login", u.Login, "Role", roleLabel(ctxOf(c), u.Role)))
	return seeOther(c, userPath(u.ID))
}

func userPath(id int64) string { return "/admin/users/" + strconv.FormatInt(id, 10) }

// userForms is what the user page's forms hold when one of them comes back
// with errors; nil fields take the user's current values.
type userForms struct {
	edit             *users.Edit
	editErrs, pwErrs input.Errors
	statusErrs       input.Errors
}

func (s *server) adminUser(c echo.Context) error {
	return s.renderUser(c, http.StatusOK, userForms{})
}

func (s *server) renderUser(c echo.Context, status int, forms userForms) error {
	ctx := c.Request().Context()
	v := viewer(c)
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	u, err := s.Users.Describe(ctx, v.GroupID, id)
	if err != nil {
		return err
	}
	branches, err := s.branchGroups(c, v.GroupID)
	if err != nil {
		return err
	}
	history, err := s.auditRows(c, audit.Filter{Object: "user:" + strconv.FormatInt(id, 10), Limit: 10})
	if err != nil {
		return err
	}
	vm := pages.AdminUser{
		CSRF: s.csrfToken(c), ID: u.ID, Login: u.Login, Name: u.Name, RoleLabel: roleLabel(ctx, u.Role),
		BranchName: u.BranchName, BranchCode: u.BranchCode, Active: u.Active, Self: u.ID == v.UserID,
		Clients: u.Clients, ActiveClients: u.ActiveClients,
		Created: i18n.DateTime(ctx, u.CreatedAt), Updated: i18n.DateTime(ctx, u.UpdatedAt),
		Edit:  pages.AdminUserEdit{Name: u.Name, Role: string(u.Role), Branch: u.BranchCode, Errors: forms.editErrs},
		Roles: roleOptions(ctx), Branches: branches, MinPassword: users.MinPasswordLength,
		PasswordErrors: forms.pwErrs, StatusErrors: forms.statusErrs,
		History: history, HistoryHref: "/admin/audit?object=user:" + strconv.FormatInt(id, 10),
		Flash: s.popFlash(c),
	}
	if e := forms.edit; e != nil {
		vm.Edit.Name, vm.Edit.Role, vm.Edit.Branch = e.Name, e.Role, strings.ToUpper(strings.TrimSpace(e.Branch))
	}
	return render(c, status, pages.AdminUserPage(s.layout(c, v, u.Name, "users"), vm))
}

func (s *server) adminUserUpdate(c echo.Context) error {
	v := viewer(c)
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	e := users.Edit{Name: c.FormValue("name"), Role: c.FormValue("role"), Branch: c.FormValue("branch")}
	changed, err := s.Users.Update(c.Request().Context(), actor(c), v.GroupID, id, e)
	if errs, ok := fieldErrors(err); ok {
		return s.renderUser(c, statusInvalid, userForms{edit: &e, editErrs: errs})
	}
	if err != nil {
		return err
	}
	if len(changed) == 0 {
		s.setFlash(c, i18n.T(ctxOf(c), "users.flash.unchanged"))
	} else {
		s.setFlash(c, i18n.T(ctxOf(c), "users.flash.saved", "Fields", fieldsAnd(ctxOf(c), "users.field.", changed)))
	}
	return seeOther(c, userPath(id))
}

func (s *server) adminUserPassword(c echo.Context) error {
	v := viewer(c)
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	err = s.Users.ResetPassword(c.Request().Context(), actor(c), v.GroupID, id, c.FormValue("password"), c.FormValue("confirm"))
	if errs, ok := fieldErrors(err); ok {
		return s.renderUser(c, statusInvalid, userForms{pwErrs: errs})
	}
	if err != nil {
		return err
	}
	s.setFlash(c, i18n.T(ctxOf(c), "users.flash.password"))
	return seeOther(c, userPath(id))
}

func (s *server) adminUserDeactivate(c echo.Context) error { return s.setUserActive(c, false) }
func (s *server) adminUserReactivate(c echo.Context) error { return s.setUserActive(c, true) }

func (s *server) setUserActive(c echo.Context, active bool) error {
	ctx := c.Request().Context()
	v := viewer(c)
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	changed, err := s.Users.SetActive(ctx, actor(c), v.GroupID, id, active)
	if errs, ok := fieldErrors(err); ok {
		return s.renderUser(c, statusInvalid, userForms{statusErrs: errs})
	}
	if err != nil {
		return err
	}
	u, err := s.Users.Describe(ctx, v.GroupID, id)
	if err != nil {
		return err
	}
	switch {
	case !changed && active:
		s.setFlash(c, i18n.T(ctx, "users.flash.alreadyactive", "Login", u.Login))
	case !changed:
		s.setFlash(c, i18n.T(ctx, "users.flash.alreadyinactive", "Login", u.Login))
	case active:
		s.setFlash(c, i18n.T(ctx, "users.flash.reactivated", "Login", u.Login))
	case u.ActiveClients > 0:
		s.setFlash(c, i18n.Plural(ctx, "users.flash.deactivatedclients", int64(u.ActiveClients), "Login", u.Login))
	default:
		s.setFlash(c, i18n.T(ctx, "users.flash.deactivated", "Login", u.Login))
	}
	return seeOther(c, userPath(id))
}

// fieldsAnd lists changed fields as people do, "a, b and c", in the viewer's
// language; prefix names their messages ("users.field.").
func fieldsAnd(ctx context.Context, prefix string, fields []string) string {
	words := make([]string, len(fields))
	for i, f := range fields {
		words[i] = i18n.T(ctx, prefix+f)
	}
	switch len(words) {
	case 0:
		return ""
	case 1:
		return words[0]
	}
	return i18n.T(ctx, "admin.and", "List", strings.Join(words[:len(words)-1], ", "), "Last", words[len(words)-1])
}
