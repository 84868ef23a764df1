package web

import (
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"path/filepath"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/relaycrm/relay/internal/i18n"
	"github.com/relaycrm/relay/internal/imports"
	"github.com/relaycrm/relay/internal/input"
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
		row := importRow(ctx, r)
		vm.Rows = append(vm.Rows, row)
		vm.Running = vm.Running || row.Running
	}
	for _, k := range imports.Kinds {
		doc := pages.FeedFileDoc{Name: k.FileName(), Purpose: i18n.T(ctx, "imports.purpose."+string(k))}
		for _, c := range imports.Columns(k) {
			doc.Columns = append(doc.Columns, pages.FeedColumnDoc{Name: c.Name, Example: c.Example, Required: c.Required})
		}
		vm.Files = append(vm.Files, doc)
	}
	return render(c, http.StatusOK, pages.AdminImportsPage(s.layout(c, viewer(c), i18n.T(ctx, "imports.title"), "imports"), vm))
}

func importRow(ctx context.Context, r imports.Record) pages.AdminImportRow {
	n := func(v int64) string { return i18n.Int(ctx, v) }
	row := pages.AdminImportRow{ID: r.ID, Started: i18n.DateTime(ctx, r.StartedAt), Who: r.Login,
		Source: i18n.T(ctx, "imports.source."+string(r.Source)), Origin: r.Origin,
		Status: i18n.T(ctx, "imports.statuses."+string(r.Status)), StatusTone: importTone(r.Status), Rows: n(int64(r.Rows)),
		Errors: n(int64(r.ErrorCount)), Message: imports.MessageIn(i18n.From(ctx), r.MessageKey, r.Message)}
	if row.Who == "" {
		row.Who = row.Source
	}
	for _, f := range r.Files {
		row.Files = append(row.Files, pages.AdminImportFile{Name: f.Name, Rows: n(int64(f.Rows)),
			Inserted: n(int64(f.Inserted)), Updated: n(int64(f.Updated)), Unchanged: n(int64(f.Unchanged))})
	}
	if r.FinishedAt != nil {
		row.Took = i18n.Duration(ctx, r.FinishedAt.Sub(r.StartedAt))
	}
	if r.Status == imports.Running {
		row.Running, row.Step = true, r.Progress.Step
		if row.Step == "" {
			row.Step = i18n.T(ctx, "imports.starting")
		}
		row.Rows = n(int64(r.Progress.Rows()))
		row.Files = nil
		for _, f := range r.Progress.Files {
			applied := "–" // not yet
			if f.Applied > 0 {
				applied = n(int64(f.Applied))
			}
			row.Files = append(row.Files, pages.AdminImportFile{Name: f.Name, Read: n(int64(f.Read)),
				Valid: n(int64(f.Valid)), Applied: applied, Checked: f.Checked})
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
		return echo.NewHTTPError(http.StatusNotFound, i18n.T(ctxOf(c), "imports.nofile", "Name", name))
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
		return f, input.Errors{"delimiter": i18n.T(ctxOf(c), "imports.problem.delimiter", "Value", d)}
	}
	switch d := c.FormValue("decimal"); d {
	case "":
	case "point", "comma":
		comma := d == "comma"
		f.DecimalComma = &comma
	default:
		return f, input.Errors{"decimal": i18n.T(ctxOf(c), "imports.problem.decimal", "Value", d)}
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
	vm := pages.AdminImport{Flash: s.popFlash(c), Row: importRow(ctxOf(c), r), More: r.ErrorCount - len(r.Errors)}
	for _, e := range r.Errors {
		vm.Errors = append(vm.Errors, pages.AdminImportError{File: e.File, Line: e.Line, Column: e.Column, Value: e.Value, Message: e.MessageIn(i18n.From(ctxOf(c)))})
	}
	return render(c, http.StatusOK, pages.AdminImportPage(s.layout(c, viewer(c), i18n.T(ctxOf(c), "imports.single", "ID", id), "imports"), vm))
}

// adminImportUpload imports the uploaded CSV files, or one zip of them, and
// shows the result: applied whole, or every error with nothing applied.
func (s *server) adminImportUpload(c echo.Context) error {
	ctx := c.Request().Context()
	// limitBody has bounded the body to the upload limit.
	form, err := c.MultipartForm()
	if err != nil {
		return input.Errors{"files": i18n.T(ctx, "imports.problem.upload", "MB", s.uploadLimit()>>20, "Error", err.Error())}
	}
	headers := form.File["files"]
	if len(headers) == 0 {
		s.setFlash(c, i18n.T(ctx, "imports.flash.nofiles"))
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
		s.setFlash(c, i18n.T(ctx, "imports.flash.applied", "Message", res.Message))
	default:
		s.setFlash(c, i18n.T(ctx, "imports.flash.rejected", "Message", res.Message))
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/admin/imports/%d", res.ID))
}
