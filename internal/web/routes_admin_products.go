package web

import (
	"context"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/relaycrm/relay/internal/audit"
	"github.com/relaycrm/relay/internal/i18n"
	"github.com/relaycrm/relay/internal/input"
	"github.com/relaycrm/relay/internal/products"
	"github.com/relaycrm/relay/views/components"
	"github.com/relaycrm/relay/views/pages"
)

// productChoices are the families or income kinds (prefix names their
// messages: "products.families.") in the viewer's language.
func productChoices(ctx context.Context, prefix string, in []products.Choice) []components.Option {
	out := make([]components.Option, len(in))
	for i, ch := range in {
		out[i] = components.Option{Value: ch.Value, Label: choiceLabel(ctx, prefix, in, ch.Value)}
	}
	return out
}

// choiceLabel is the label of value among choices in the viewer's language,
// the value itself when it is not one of them.
func choiceLabel(ctx context.Context, prefix string, choices []products.Choice, value string) string {
	if !input.IsChoice(choices, value) {
		return value
	}
	return i18n.T(ctx, prefix+value)
}

func productPath(id int64) string { return "/admin/products/" + strconv.FormatInt(id, 10) }

func (s *server) adminProducts(c echo.Context) error {
	v := viewer(c)
	ctx := ctxOf(c)
	list, err := s.Products.List(ctx, v.GroupID)
	if err != nil {
		return err
	}
	vm := pages.AdminProducts{Flash: s.popFlash(c)}
	for _, p := range list {
		vm.Rows = append(vm.Rows, pages.AdminProductRow{ID: p.ID, Code: p.Code, Name: p.Name,
			Family: choiceLabel(ctx, "products.families.", products.Families, p.Family),
			Kind:   choiceLabel(ctx, "products.kind.", products.IncomeKinds, p.IncomeKind),
			Key:    p.KeyProduct, Active: p.Active})
	}
	return render(c, http.StatusOK, pages.AdminProductsPage(s.layout(c, v, i18n.T(ctx, "products.title"), "products"), vm))
}

func (s *server) adminProductNew(c echo.Context) error {
	return s.renderProduct(c, http.StatusOK, 0, products.Form{Active: true}, nil)
}

// renderProduct shows the form of product id (0: a new one) with what was
// typed and its errors.
func (s *server) renderProduct(c echo.Context, status int, id int64, f products.Form, errs input.Errors) error {
	v := viewer(c)
	ctx := ctxOf(c)
	vm := pages.AdminProductForm{CSRF: s.csrfToken(c), ID: id, Code: f.Code, Name: f.Name, Family: f.Family,
		IncomeKind: f.IncomeKind, KeyProduct: f.KeyProduct, Active: f.Active,
		Families: productChoices(ctx, "products.families.", products.Families),
		Kinds:    productChoices(ctx, "products.kind.", products.IncomeKinds), Errors: errs}
	title := i18n.T(ctx, "products.new")
	if id != 0 {
		cur, err := s.Products.Get(c.Request().Context(), v.GroupID, id)
		if err != nil {
			return err
		}
		vm.Heading, title = cur.Name, cur.Name
		vm.Flash = s.popFlash(c)
		history, err := s.auditRows(c, audit.Filter{Object: "product:" + strconv.FormatInt(id, 10), Limit: 10})
		if err != nil {
			return err
		}
		vm.History, vm.HistoryHref = history, "/admin/audit?object=product:"+strconv.FormatInt(id, 10)
	}
	return render(c, status, pages.AdminProductPage(s.layout(c, v, title, "products"), vm))
}

func productForm(c echo.Context) products.Form {
	return products.Form{Code: c.FormValue("code"), Name: c.FormValue("name"), Family: c.FormValue("family"),
		IncomeKind: c.FormValue("income_kind"), KeyProduct: c.FormValue("key_product") != "", Active: c.FormValue("active") != ""}
}

func (s *server) adminProductCreate(c echo.Context) error {
	v := viewer(c)
	f := productForm(c)
	p, err := s.Products.Create(c.Request().Context(), actor(c), v.GroupID, f)
	if errs, ok := fieldErrors(err); ok {
		return s.renderProduct(c, statusInvalid, 0, f, errs)
	}
	if err != nil {
		return err
	}
	s.setFlash(c, i18n.T(ctxOf(c), "products.flash.added", "Code", p.Code, "Name", p.Name))
	return seeOther(c, "/admin/products")
}

func (s *server) adminProduct(c echo.Context) error {
	v := viewer(c)
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	p, err := s.Products.Get(c.Request().Context(), v.GroupID, id)
	if err != nil {
		return err
	}
	return s.renderProduct(c, http.StatusOK, id, products.FormOf(p), nil)
}

func (s *server) adminProductUpdate(c echo.Context) error {
	ctx := c.Request().Context()
	v := viewer(c)
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	cur, err := s.Products.Get(ctx, v.GroupID, id)
	if err != nil {
		return err
	}
	f := productForm(c)
	f.Code = cur.Code // the code never changes, whatever the form says
	changed, err := s.Products.Update(ctx, actor(c), v.GroupID, id, f)
	if errs, ok := fieldErrors(err); ok {
		return s.renderProduct(c, statusInvalid, id, f, errs)
	}
	if err != nil {
		return err
	}
	if len(changed) == 0 {
		s.setFlash(c, i18n.T(ctx, "products.flash.unchanged", "Code", cur.Code))
		return seeOther(c, productPath(id))
	}
	s.setFlash(c, i18n.T(ctx, "products.flash.saved", "Fields", fieldsAnd(ctx, "products.field.", changed), "Code", cur.Code))
	return seeOther(c, "/admin/products")
}
