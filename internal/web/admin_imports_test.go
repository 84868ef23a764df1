package web_test

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/relaycrm/relay/internal/webtest"
	"github.com/relaycrm/relay/seeds"
)

// upload posts files as the import form does and follows the redirect.
func upload(t *testing.T, c *webtest.Client, srv *webtest.Server, files map[string][]byte) webtest.Response {
	t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	_ = w.WriteField("_csrf", c.CSRF)
	for name, data := range files {
		fw, err := w.CreateFormFile("files", name)
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(data)
	}
	w.Close()
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/admin/imports", &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	res, err := c.HTTP.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		return webtest.Response{Status: res.StatusCode}
	}
	return c.Get(res.Header.Get("Location"))
}

func exampleFeed(t *testing.T) map[string][]byte {
	t.Helper()
	dir := filepath.Join("..", "..", "docs", "feed-example")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		files[e.Name()] = b
	}
	return files
}

func TestAdminImportsAFeedThroughTheBrowser(t *testing.T) {
	t.Parallel()
	srv := start(t)
	c := srv.NewClient(t)
	c.Login(adminLogin, seeds.DemoPassword)
	ctx := context.Background()
	clients := func() int {
		var n int
		if err := srv.Pool.QueryRow(ctx, `SELECT count(*) FROM client`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := clients()
	if r := c.Get("/admin/imports"); r.Status != http.StatusOK || !strings.Contains(r.Body, `data-testid="import-form"`) {
		t.Fatalf("imports page: %d", r.Status)
	}

	// A feed with a bad date is refused whole and every problem is shown.
	bad := exampleFeed(t)
	bad["clients.csv"] = bytes.Replace(bad["clients.csv"], []byte("2023-"), []byte("2023-13-"), 1)
	r := upload(t, c, srv, bad)
	if r.Status != http.StatusOK || !strings.Contains(r.Body, "Nothing was applied") || !strings.Contains(r.Body, `data-testid="import-error"`) {
		t.Fatalf("bad feed: %d", r.Status)
	}
	if !strings.Contains(r.Body, "<td>clients.csv</td>") {
		t.Error("the error does not name the file")
	}
	if n := clients(); n != before {
		t.Fatalf("a rejected feed added %d clients", n-before)
	}

	// The example feed lands.
	r = upload(t, c, srv, exampleFeed(t))
	if r.Status != http.StatusOK || !strings.Contains(r.Body, "Feed applied") {
		t.Fatalf("good feed: %d %s", r.Status, problem(r.Body))
	}
	if n := clients(); n <= before {
		t.Error("the applied feed added no client")
	}
	list := c.Get("/admin/imports")
	if strings.Count(list.Body, `data-testid="import-row"`) != 2 {
		t.Error("the imports list does not show both imports")
	}

	// Only admins import.
	for _, login := range []string{managerLogin, headLogin, riskLogin} {
		o := srv.NewClient(t)
		o.Login(login, seeds.DemoPassword)
		if r := o.Get("/admin/imports"); r.Status != http.StatusForbidden {
			t.Errorf("%s opens the imports page: %d", login, r.Status)
		}
		if r := upload(t, o, srv, exampleFeed(t)); r.Status != http.StatusForbidden {
			t.Errorf("%s uploads a feed: %d", login, r.Status)
		}
	}
}

// The imports page explains the feed itself, offers a template of every
// file, and follows an import while it runs.
func TestImportsPageExplainsTheFormatAndFollowsARunningImport(t *testing.T) {
	t.Parallel()
	srv := start(t)
	c := srv.NewClient(t)
	c.Login(adminLogin, seeds.DemoPassword)
	page := c.Get("/admin/imports")
	if n := strings.Count(page.Body, `data-testid="feed-file"`); n != 11 || strings.Contains(page.Body, "docs/import.md") {
		t.Errorf("the page describes %d files (want 11) or points at the repository", n)
	}
	tpl := c.Get("/admin/imports/templates/contacts.csv")
	if tpl.Status != http.StatusOK || !strings.HasPrefix(tpl.Header.Get("Content-Type"), "text/csv") ||
		!strings.HasPrefix(tpl.Body, "bank,client,source,ref,happened_at,kind,started_by,outcome,topic,notes,user,csat,nps\nBN,C-1001,old-crm,") {
		t.Errorf("contacts template: %d %q", tpl.Status, tpl.Body)
	}
	if r := c.Get("/admin/imports/templates/passwords.csv"); r.Status != http.StatusNotFound {
		t.Errorf("an unknown template: %d", r.Status)
	}
	z := c.Get("/admin/imports/templates.zip")
	zr, err := zip.NewReader(strings.NewReader(z.Body), int64(len(z.Body)))
	if z.Status != http.StatusOK || err != nil || len(zr.File) != 11 {
		t.Errorf("templates.zip: %d, %v", z.Status, err)
	}

	// An import under way (its process still reading clients.csv) shows
	// its step and each file's rows, and the list follows it.
	ctx := context.Background()
	if _, err := srv.Pool.Exec(ctx, `INSERT INTO feed_import (source, origin, progress, rows) VALUES ('cli', '/feeds/2026-11-30', $1, 412000)`,
		`{"step": "reading clients.csv", "files": [{"name": "group.csv", "read": 1, "valid": 1, "applied": 0, "checked": true},
		  {"name": "clients.csv", "read": 412000, "valid": 411998, "applied": 0, "checked": false}]}`); err != nil {
		t.Fatal(err)
	}
	page = c.Get("/admin/imports")
	for _, want := range []string{`data-testid="imports-follow"`, `data-testid="import-step">reading clients.csv<`, "412,000", "411,998"} {
		if !strings.Contains(page.Body, want) {
			t.Errorf("the running import's progress lacks %s", want)
		}
	}

	// A separator the page does not offer is refused, naming the field.
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	_ = w.WriteField("_csrf", c.CSRF)
	_ = w.WriteField("delimiter", "|")
	fw, _ := w.CreateFormFile("files", "group.csv")
	fw.Write([]byte("code,name\nDEMO,Danube SME Banking Group\n"))
	w.Close()
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/admin/imports", &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	res, err := c.HTTP.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode < 400 || res.StatusCode >= 500 || !strings.Contains(string(b), "is not a separator") {
		t.Errorf("a bad separator: %d", res.StatusCode)
	}
}
