package web

import (
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"path/filepath"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/relaycrm/relay/internal/imports"
	"github.com/relaycrm/relay/internal/input"
	"github.com/relaycrm/relay/views/components"
	"github.com/relaycrm/relay/views/pages"
)

// importsShown is how many past imports the imports page lists at a time.
const importsShown = 25

func (s *server) adminImports(c echo.Context) error {
	ctx := c.Request().Context()
	offset, err := offsetParam(c)
	if err != nil {
		return err
	}
	// An import whose process died is recorded as failed, and audited, first.
	if _, err := imports.Reconcile(ctx, s.Pool); err != nil {
		return err
	}
	records, total, err := imports.List(ctx, s.Pool, imports.ListFilter{Limit: importsShown, Offset: offset})
	if err != nil {
		return err
	}
	vm := pages.AdminImports{Flash: s.popFlash(c), CSRF: s.csrfToken(c), Total: total, Offset: offset, PerPage: importsShown}
	if vm.Inbox, err = imports.InboxDir(ctx, s.Pool, s.InboxRoot); err != nil {
		vm.InboxProblem = err.Error()
	}
	for _, r := range records {
		row := importRow(r)
		vm.Rows = append(vm.Rows, row)
		vm.Running = vm.Running || row.Running
	}
	for _, k := range imports.Kinds {
		doc := pages.FeedFileDoc{Name: k.FileName(), Purpose: k.Purpose()}
		for _, c := range imports.Columns(k) {
			doc.Columns = append(doc.Columns, pages.FeedColumnDoc{Name: c.Name, Example: c.Example, Required: c.Required})
		}
		vm.Files = append(vm.Files, doc)
	}
	return render(c, http.StatusOK, pages.AdminImportsPage(s.layout(c, viewer(c), "Imports", "imports"), vm))
}

func importRow(r imports.Record) pages.AdminImportRow {
	row := pages.AdminImportRow{ID: r.ID, Started: components.DateTime(r.StartedAt), Who: r.Login, Source: string(r.Source),
		Origin: r.Origin, Status: string(r.Status), StatusTone: importTone(r.Status), Rows: components.Int(int(r.Rows)),
		Errors: components.Int(r.ErrorCount), Message: r.Message}
	if row.Who == "" {
		row.Who = string(r.Source)
	}
	for _, f := range r.Files {
		row.Files = append(row.Files, pages.AdminImportFile{Name: f.Name, Rows: components.Int(int(f.Rows)),
			Inserted: components.Int(int(f.Inserted)), Updated: components.Int(int(f.Updated)), Unchanged: components.Int(int(f.Unchanged))})
	}
	if r.FinishedAt != nil {
		row.Took = r.FinishedAt.Sub(r.StartedAt).Round(100 * 1e6).String()
	}
	if r.Status == imports.Running {
		row.Running, row.Step = true, r.Progress.Step
		if row.Step == "" {
			row.Step = "starting"
		}
		row.Rows = components.Int(int(r.Progress.Rows()))
		row.Files = nil
		for _, f := range r.Progress.Files {
			applied := "–" // not yet
			if f.Applied > 0 {
				applied = components.Int(int(f.Applied))
			}
			row.Files = append(row.Files, pages.AdminImportFile{Name: f.Name, Read: components.Int(int(f.Read)),
				Valid: components.Int(int(f.Valid)), Applied: applied, Checked: f.Checked})
		}
	}
	return row
}

// adminImportTemplate sends the template of one file of the feed: its
// header and an example row.
func (s *server) adminImportTemplate(c echo.Context) error {
	name := c.Param("name")
	k, ok := imports.KindOfFile(name)
	if !ok || name != k.FileName() {
		return echo.NewHTTPError(http.StatusNotFound, "no file of the feed is named "+name)
	}
	c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="`+k.FileName()+`"`)
	return c.Blob(http.StatusOK, "text/csv; charset=utf-8", imports.Template(k))
}

// adminImportTemplates sends the templates of every file, zipped.
func (s *server) adminImportTemplates(c echo.Context) error {
	c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="relay-feed-templates.zip"`)
	c.Response().Header().Set(echo.HeaderContentType, "application/zip")
	c.Response().WriteHeader(http.StatusOK)
	return imports.WriteTemplates(c.Response())
}

// uploadFormat reads the upload form's separator and decimal choices.
func uploadFormat(c echo.Context) (imports.Format, error) {
	var f imports.Format
	switch d := c.FormValue("delimiter"); d {
	case "":
	case ",", ";":
		f.Delimiter = rune(d[0])
	default:
		return f, input.Errors{"delimiter": fmt.Sprintf("%q is not a separator; choose commas or semicolons", d)}
	}
	switch d := c.FormValue("decimal"); d {
	case "":
	case "point", "comma":
		comma := d == "comma"
		f.DecimalComma = &comma
	default:
		return f, input.Errors{"decimal": fmt.Sprintf("%q is not a decimal separator; choose a point or a comma", d)}
	}
	return f, nil
}

func importTone(s imports.Status) string {
	switch s {
	case imports.Applied:
		return "good"
	case imports.Rejected, imports.Failed:
		return "bad"
	}
	return "info"
}

func (s *server) adminImport(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	r, err := imports.Get(c.Request().Context(), s.Pool, id)
	if err != nil {
		return err
	}
	vm := pages.AdminImport{Flash: s.popFlash(c), Row: importRow(r), More: r.ErrorCount - len(r.Errors)}
	for _, e := range r.Errors {
		vm.Errors = append(vm.Errors, pages.AdminImportError{File: e.File, Line: e.Line, Column: e.Column, Value: e.Value, Message: e.Message})
	}
	return render(c, http.StatusOK, pages.AdminImportPage(s.layout(c, viewer(c), fmt.Sprintf("Import %d", id), "imports"), vm))
}

// adminImportUpload imports the uploaded CSV files, or one zip of them, and
// shows the result: applied whole, or every error with nothing applied.
func (s *server) adminImportUpload(c echo.Context) error {
	ctx := c.Request().Context()
	// limitBody has bounded the body to the upload limit.
	form, err := c.MultipartForm()
	if err != nil {
		return input.Errors{"files": fmt.Sprintf("the upload could not be read (at most %d MB): %v", s.uploadLimit()>>20, err)}
	}
	headers := form.File["files"]
	if len(headers) == 0 {
		s.setFlash(c, "Choose the feed's CSV files, or one zip of them, before importing.")
		return c.Redirect(http.StatusSeeOther, "/admin/imports")
	}
	v := viewer(c)
	format, err := uploadFormat(c)
	if err != nil {
		return err
	}
	opts := imports.Options{Actor: imports.Actor{UserID: v.UserID, Login: v.Login, IP: c.RealIP()}, Source: imports.SourceUpload,
		Metrics: s.Metrics, Format: format}
	var names []string
	for _, h := range headers {
		names = append(names, filepath.Base(h.Filename))
	}
	opts.Origin = strings.Join(names, ", ")
	var res imports.Result
	if len(headers) == 1 && strings.EqualFold(filepath.Ext(headers[0].Filename), ".zip") {
		f, err := headers[0].Open()
		if err != nil {
			return err
		}
		defer f.Close()
		res, err = imports.ImportZip(ctx, s.Jobs, f, headers[0].Size, opts)
		if err != nil {
			return err
		}
	} else {
		var files []imports.File
		for _, h := range headers {
			f, err := h.Open()
			if err != nil {
				return err
			}
			defer func(f multipart.File) { _ = f.Close() }(f)
			files = append(files, imports.File{Name: filepath.Base(h.Filename), Body: io.Reader(f)})
		}
		res, err = imports.Import(ctx, s.Jobs, files, opts)
		if err != nil {
			return err
		}
	}
	switch res.Status {
	case imports.Applied:
		s.setFlash(c, fmt.Sprintf("Feed applied: %s.", res.Message))
	default:
		s.setFlash(c, fmt.Sprintf("Nothing was applied: %s.", res.Message))
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/admin/imports/%d", res.ID))
}
