package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

func productForm() url.Values {
	return url.Values{"code": {"pos-mini"}, "name": {"POS terminal, mini"}, "family": {"acquiring"},
		"income_kind": {"fee"}, "key_product": {"1"}, "active": {"1"}}
}

func TestAdminCreatesProduct(t *testing.T) {
	t.Parallel()
	srv, c := asAdmin(t)
	r := c.Get("/admin/products")
	wantStatusOf(t, r, http.StatusOK)
	listed := len(elementsByTestID(t, r.Body, "product-row"))
	if want := dbValue[int](t, srv, `SELECT count(*) FROM product`); listed != want {
		t.Errorf("the catalogue lists %d products, want %d", listed, want)
	}
	c.Get("/admin/products/new")
	wantSeeOther(t, c.Post("/admin/products", productForm()), "/admin/products")

	var id int64
	var name, family, kind string
	var key, active bool
	if err := srv.Pool.QueryRow(context.Background(), `SELECT id, name, family, income_kind, key_product, active FROM product WHERE code = 'POS-MINI'`).
		Scan(&id, &name, &family, &kind, &key, &active); err != nil {
		t.Fatalf("the product was not stored under its upper-case code: %v", err)
	}
	if name != "POS terminal, mini" || family != "acquiring" || kind != "fee" || !key || !active {
		t.Errorf("stored %q %q %q key=%v active=%v", name, family, kind, key, active)
	}
	list := c.Get("/admin/products").Body
	if got := testIDText(t, list, "flash"); !strings.Contains(got, "Added POS-MINI") {
		t.Errorf("flash %q", got)
	}
	object, login, details := lastAuditOf(t, srv, "product.create")
	if object != "product:"+strconv.FormatInt(id, 10) || login != adminLogin || !strings.Contains(details, `"code": "POS-MINI"`) {
		t.Errorf("audit %q by %q: %s", object, login, details)
	}
}

func TestAdminProductFormRefusesBadInput(t *testing.T) {
	t.Parallel()
	srv, c := asAdmin(t)
	taken := dbValue[string](t, srv, `SELECT code FROM product ORDER BY id LIMIT 1`)
	c.Get("/admin/products/new")
	before, audit0 := dbValue[int](t, srv, `SELECT count(*) FROM product`), auditChanges(t, srv)
	for _, tc := range []struct {
		name, field, value, says string
	}{
		{"no code", "code", " ", "give the product's code"},
		{"code with spaces", "code", "POS MINI", "use 1-30 capital letters"},
		{"code too long", "code", strings.Repeat("A", 31), "use 1-30 capital letters"},
		{"code taken", "code", strings.ToLower(taken), "is already the code of"},
		{"no name", "name", "", "give the product's name"},
		{"name too long", "name", strings.Repeat("n", 121), "keep it under 120"},
		{"unknown family", "family", "crypto", "choose the product's family"},
		{"no income kind", "income_kind", "", "fee or interest"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := productForm()
			f.Set(tc.field, tc.value)
			r := c.Post("/admin/products", f)
			wantStatusOf(t, r, http.StatusUnprocessableEntity)
			if got := testIDText(t, r.Body, "error-"+tc.field); !strings.Contains(got, tc.says) {
				t.Errorf("beside %s: %q, want %q", tc.field, got, tc.says)
			}
			if v, _ := formInputValue(t, r.Body, "name"); v != f.Get("name") {
				t.Errorf("name re-rendered as %q", v)
			}
			if got := formSelected(t, r.Body, "family"); tc.field != "family" && got != "acquiring" {
				t.Errorf("family re-rendered as %q", got)
			}
		})
	}
	if dbValue[int](t, srv, `SELECT count(*) FROM product`) != before || auditChanges(t, srv) != audit0 {
		t.Error("a refused product was stored or audited")
	}
}

func TestAdminEditsProduct(t *testing.T) {
	t.Parallel()
	srv, c := asAdmin(t)
	var id int64
	var code, name, family, kind string
	var key bool
	if err := srv.Pool.QueryRow(context.Background(), `SELECT id, code, name, family, income_kind, key_product FROM product WHERE active ORDER BY id LIMIT 1`).
		Scan(&id, &code, &name, &family, &kind, &key); err != nil {
		t.Fatal(err)
	}
	path := "/admin/products/" + strconv.FormatInt(id, 10)
	page := c.Get(path)
	wantStatusOf(t, page, http.StatusOK)
	if v, _ := formInputValue(t, page.Body, "code"); v != "" {
		t.Error("the code is a form field; it must not change")
	}
	if len(elementsByTestID(t, page.Body, "code-readonly")) != 1 {
		t.Error("the code is not shown")
	}

	// withdrawn, renamed; the code in the post is ignored
	f := url.Values{"code": {"HACKED"}, "name": {name + " (old)"}, "family": {family}, "income_kind": {kind}}
	if key {
		f.Set("key_product", "1")
	}
	wantSeeOther(t, c.Post(path, f), "/admin/products")
	var gotCode, gotName string
	var active bool
	if err := srv.Pool.QueryRow(context.Background(), `SELECT code, name, active FROM product WHERE id = $1`, id).Scan(&gotCode, &gotName, &active); err != nil {
		t.Fatal(err)
	}
	if gotCode != code || gotName != name+" (old)" || active {
		t.Errorf("stored %q %q active=%v", gotCode, gotName, active)
	}
	_, _, details := lastAuditOf(t, srv, "product.update")
	for _, want := range []string{`"active": {"to": false, "from": true}`, `"code": "` + code + `"`, `(old)"`} {
		if !strings.Contains(details, want) {
			t.Errorf("audit details %s lack %s", details, want)
		}
	}
	if strings.Contains(details, "family") {
		t.Errorf("audit lists unchanged fields: %s", details)
	}

	t.Run("bad input keeps what was typed", func(t *testing.T) {
		before := auditChanges(t, srv)
		r := c.Post(path, url.Values{"name": {""}, "family": {"lending"}, "income_kind": {"interest"}})
		wantStatusOf(t, r, http.StatusUnprocessableEntity)
		if got := testIDText(t, r.Body, "error-name"); !strings.Contains(got, "give the product's name") {
			t.Errorf("beside name: %q", got)
		}
		if formSelected(t, r.Body, "family") != "lending" || formSelected(t, r.Body, "income_kind") != "interest" {
			t.Error("the form lost the typed family or income")
		}
		if testIDText(t, r.Body, "product-name") != name+" (old)" {
			t.Errorf("heading %q", testIDText(t, r.Body, "product-name"))
		}
		if auditChanges(t, srv) != before || dbValue[string](t, srv, `SELECT family FROM product WHERE id = $1`, id) != family {
			t.Error("the refused change was stored or audited")
		}
	})
	t.Run("no such product", func(t *testing.T) {
		wantStatusOf(t, c.Get("/admin/products/32000"), http.StatusNotFound)
	})
}
