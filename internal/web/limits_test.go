package web_test

import (
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/relaycrm/relay/internal/dbtest"
	"github.com/relaycrm/relay/internal/webtest"
	"github.com/relaycrm/relay/seeds"
)

// multipartBody streams a multipart form of a _csrf field and one file part
// of size bytes, chunked (no Content-Length), as an attacker would send it.
func multipartBody(csrf string, size int64) (io.Reader, string) {
	pr, pw := io.Pipe()
	w := multipart.NewWriter(pw)
	go func() {
		_ = w.WriteField("_csrf", csrf)
		fw, err := w.CreateFormFile("files", "feed.zip")
		if err == nil {
			_, err = io.CopyN(fw, zeros{}, size)
		}
		if err == nil {
			err = w.Close()
		}
		pw.CloseWithError(err)
	}()
	return pr, w.FormDataContentType()
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'x'
	}
	return len(p), nil
}

func postBody(t *testing.T, c *webtest.Client, url, contentType string, body io.Reader) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, body)
	req.Header.Set("Content-Type", contentType)
	res, err := c.HTTP.Do(req)
	if err != nil {
		// The server may close the connection on a body it refused.
		if strings.Contains(err.Error(), "connection reset") || strings.Contains(err.Error(), "broken pipe") {
			return 0
		}
		t.Fatalf("POST %s: %v", url, err)
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, res.Body)
	return res.StatusCode
}

func tempFiles(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "multipart-*"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// Every body is bounded before anything reads it, and no upload leaves a
// file behind: not without signing in, not as a manager, not as an admin.
// (Runs alone: it points the temporary directory at its own.)
func TestBodiesAreBoundedAndLeaveNoFiles(t *testing.T) {
	// Not parallel: it sets TMPDIR, where uploads spill, to see that none is left.
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	srv := webtest.Start(t, dbtest.NewDemo(t, demoClients), webtest.Options{
		Now: func() time.Time { return dbtest.DemoNow }, UploadLimit: 24 << 20})

	anon := srv.NewClient(t)
	start := time.Now()
	body, ct := multipartBody("", 64<<20)
	if st := postBody(t, anon, srv.URL+"/login", ct, body); st != http.StatusUnsupportedMediaType && st != 0 {
		t.Errorf("a 64 MB multipart sign-in without a session answered %d, want 415", st)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("refusing the upload took %s: the body was read", d)
	}
	form := strings.NewReader("login=x&password=" + strings.Repeat("p", 2<<20))
	if st := postBody(t, anon, srv.URL+"/login", "application/x-www-form-urlencoded", form); st != http.StatusRequestEntityTooLarge {
		t.Errorf("a 2 MB sign-in form answered %d, want 413", st)
	}

	manager := srv.NewClient(t)
	manager.Login(managerLogin, seeds.DemoPassword)
	body, ct = multipartBody(manager.CSRF, 16<<20)
	if st := postBody(t, manager, srv.URL+"/admin/imports", ct, body); st != http.StatusForbidden && st != 0 {
		t.Errorf("a manager's 16 MB upload answered %d, want 403", st)
	}

	admin := srv.NewClient(t)
	admin.Login(adminLogin, seeds.DemoPassword)
	admin.Get("/admin/imports")
	body, ct = multipartBody(admin.CSRF, 40<<20)
	if st := postBody(t, admin, srv.URL+"/admin/imports", ct, body); st != http.StatusRequestEntityTooLarge && st != 0 {
		t.Errorf("an admin's 40 MB upload over a 24 MB limit answered %d, want 413", st)
	}
	// Within the limit, and big enough to spill to disk: read, refused as a
	// feed, and its file removed.
	body, ct = multipartBody(admin.CSRF, 12<<20)
	if st := postBody(t, admin, srv.URL+"/admin/imports", ct, body); st != http.StatusSeeOther {
		t.Errorf("an admin's 12 MB upload answered %d, want 303 to the rejected import", st)
	}
	if left := tempFiles(t, tmp); len(left) > 0 {
		t.Errorf("uploads left %d files in the temporary directory: %s", len(left), fmt.Sprint(left))
	}
}
