package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/relaycrm/relay/internal/i18n"
	"github.com/relaycrm/relay/internal/input"
	"github.com/relaycrm/relay/internal/reference"
	"github.com/relaycrm/relay/views/pages"
)

// adminReference shows the group's reference data; ?bank=, ?region= or
// ?industry= fills that form with a known code, to change it.
func (s *server) adminReference(c echo.Context) error {
	return s.renderReference(c, http.StatusOK, pages.AdminReference{Flash: s.popFlash(c)}, true)
}

// renderReference shows the page with the forms in vm as typed; fill takes
// the forms' values from the query instead.
func (s *server) renderReference(c echo.Context, status int, vm pages.AdminReference, fill bool) error {
	v := viewer(c)
	d, err := reference.Load(c.Request().Context(), s.Pool, v.GroupID)
	if err != nil {
		return err
	}
	vm.CSRF, vm.GroupCode = s.csrfToken(c), d.Group.Code
	if fill {
		vm.Group.Name = d.Group.Name
	}
	for _, b := range d.Banks {
		digits := strconv.Itoa(b.MinorDigits)
		vm.Banks = append(vm.Banks, pages.AdminBankRow{Code: b.Code, Name: b.Name, Currency: b.Currency, MinorDigits: digits, InUse: b.InUse})
		if fill && c.QueryParam("bank") == b.Code {
			vm.Bank = pages.RefForm{Code: b.Code, Name: b.Name, Currency: b.Currency, MinorDigits: digits}
		}
	}
	if fill && vm.Bank.Code == "" {
		vm.Bank.MinorDigits = "2"
	}
	codes := func(list []reference.Code, param string, f *pages.RefForm) []pages.AdminCodeRow {
		var rows []pages.AdminCodeRow
		for _, r := range list {
			rows = append(rows, pages.AdminCodeRow{Code: r.Code, Name: r.Name, NACE: r.NACE, InUse: r.InUse})
			if fill && c.QueryParam(param) == r.Code {
				*f = pages.RefForm{Code: r.Code, Name: r.Name, NACE: r.NACE}
			}
		}
		return rows
	}
	vm.Regions = codes(d.Regions, "region", &vm.Region)
	vm.Industries = codes(d.Industries, "industry", &vm.Industry)
	return render(c, status, pages.AdminReferencePage(s.layout(c, v, i18n.T(ctxOf(c), "reference.title"), "reference"), vm))
}

// prefixed keys a form's field errors by the ids its fields have on the
// page, where four forms share it.
func prefixed(form string, errs input.Errors) map[string]string {
	out := make(map[string]string, len(errs))
	for k, msg := range errs {
		out[form+"-"+k] = msg
	}
	return out
}

// saveReference ends a post of one of the page's forms: the page again with
// the form as typed and its errors, or a redirect with what was saved.
func (s *server) saveReference(c echo.Context, form string, typed pages.RefForm, saved string, err error) error {
	if errs, ok := fieldErrors(err); ok {
		typed.Errors = prefixed(form, errs)
		vm := pages.AdminReference{}
		switch form {
		case "group":
			vm.Group = typed
		case "bank":
			vm.Bank = typed
		case "region":
			vm.Region = typed
		case "industry":
			vm.Industry = typed
		}
		return s.renderReference(c, statusInvalid, vm, false)
	}
	if err != nil {
		return err
	}
	s.setFlash(c, saved)
	return seeOther(c, "/admin/reference")
}

func (s *server) adminGroupSave(c echo.Context) error {
	f := reference.GroupForm{Name: c.FormValue("name")}
	err := reference.NewStore(s.Pool).RenameGroup(c.Request().Context(), actor(c), viewer(c).GroupID, f)
	return s.saveReference(c, "group", pages.RefForm{Name: f.Name}, i18n.T(ctxOf(c), "reference.flash.group"), err)
}

func (s *server) adminBankSave(c echo.Context) error {
	f := reference.BankForm{Code: c.FormValue("code"), Name: c.FormValue("name"), Currency: c.FormValue("currency"),
		MinorDigits: c.FormValue("minor_digits")}
	err := reference.NewStore(s.Pool).SaveBank(c.Request().Context(), actor(c), viewer(c).GroupID, f)
	return s.saveReference(c, "bank", pages.RefForm{Code: f.Code, Name: f.Name, Currency: f.Currency, MinorDigits: f.MinorDigits},
		i18n.T(ctxOf(c), "reference.flash.bank", "Code", strings.ToUpper(strings.TrimSpace(f.Code))), err)
}

func (s *server) adminRegionSave(c echo.Context) error {
	f := reference.CodeForm{Code: c.FormValue("code"), Name: c.FormValue("name")}
	err := reference.NewStore(s.Pool).SaveRegion(c.Request().Context(), actor(c), viewer(c).GroupID, f)
	return s.saveReference(c, "region", pages.RefForm{Code: f.Code, Name: f.Name}, i18n.T(ctxOf(c), "reference.flash.region", "Code", strings.ToUpper(strings.TrimSpace(f.Code))), err)
}

func (s *server) adminIndustrySave(c echo.Context) error {
	f := reference.CodeForm{Code: c.FormValue("code"), Name: c.FormValue("name"), NACE: c.FormValue("nace")}
	err := reference.NewStore(s.Pool).SaveIndustry(c.Request().Context(), actor(c), viewer(c).GroupID, f)
	return s.saveReference(c, "industry", pages.RefForm{Code: f.Code, Name: f.Name, NACE: f.NACE}, i18n.T(ctxOf(c), "reference.flash.industry", "Code", strings.ToUpper(strings.TrimSpace(f.Code))), err)
}
