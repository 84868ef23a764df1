package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/relaycrm/relay/internal/webtest"
	"github.com/relaycrm/relay/seeds"
)

// The administration tests share these helpers: an admin's client, a look at
// the database, and elements of a page found by data-testid.

// asAdmin starts a server on a fresh demo bank and signs in its admin.
func asAdmin(t *testing.T) (*webtest.Server, *webtest.Client) {
	t.Helper()
	srv := start(t)
	c := srv.NewClient(t)
	c.Login(adminLogin, seeds.DemoPassword)
	return srv, c
}

// scalar reads one value from the database.
func dbValue[T any](t *testing.T, srv *webtest.Server, sql string, args ...any) T {
	t.Helper()
	var v T
	if err := srv.Pool.QueryRow(context.Background(), sql, args...).Scan(&v); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return v
}

// auditCount counts the entries of an action, in all.
func auditCountOf(t *testing.T, srv *webtest.Server, action string) int {
	t.Helper()
	return dbValue[int](t, srv, `SELECT count(*) FROM audit_log WHERE action = $1`, action)
}

// auditTotal counts every entry but sign-ins and sign-outs.
func auditChanges(t *testing.T, srv *webtest.Server) int {
	t.Helper()
	return dbValue[int](t, srv, `SELECT count(*) FROM audit_log WHERE action NOT LIKE 'auth.%'`)
}

// lastAudit is the newest entry of an action: its object, login and details
// as JSON text.
func lastAuditOf(t *testing.T, srv *webtest.Server, action string) (object, login, details string) {
	t.Helper()
	err := srv.Pool.QueryRow(context.Background(), `
		SELECT object, login, details::text FROM audit_log WHERE action = $1 ORDER BY id DESC LIMIT 1`, action).
		Scan(&object, &login, &details)
	if err != nil {
		t.Fatalf("no %s in the audit log: %v", action, err)
	}
	return object, login, details
}

// byTestID returns the elements of body marked data-testid=id.
func elementsByTestID(t *testing.T, body, id string) []*html.Node {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var out []*html.Node
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && nodeAttr(n, "data-testid") == id {
			out = append(out, n)
		}
		for ch := n.FirstChild; ch != nil; ch = ch.NextSibling {
			walk(ch)
		}
	}
	walk(doc)
	return out
}

// textOf is the text of the first element marked data-testid=id, or "" when
// there is none.
func testIDText(t *testing.T, body, id string) string {
	t.Helper()
	els := elementsByTestID(t, body, id)
	if len(els) == 0 {
		return ""
	}
	return nodeText(els[0])
}

func nodeText(n *html.Node) string {
	var b strings.Builder
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		if n.Type == html.ElementNode {
			b.WriteString(" ") // elements part words, as a browser lays them out
		}
		for ch := n.FirstChild; ch != nil; ch = ch.NextSibling {
			walk(ch)
		}
		if n.Type == html.ElementNode {
			b.WriteString(" ")
		}
	}
	walk(n)
	return strings.Join(strings.Fields(b.String()), " ")
}

func nodeAttr(n *html.Node, name string) string {
	for _, a := range n.Attr {
		if a.Key == name {
			return a.Val
		}
	}
	return ""
}

// inputValue is the value of the input named name in body.
func formInputValue(t *testing.T, body, name string) (string, bool) {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var val string
	var found bool
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "input" && nodeAttr(n, "name") == name && !found {
			val, found = nodeAttr(n, "value"), true
		}
		for ch := n.FirstChild; ch != nil; ch = ch.NextSibling {
			walk(ch)
		}
	}
	walk(doc)
	return val, found
}

// selected is the selected option's value of the select named name.
func formSelected(t *testing.T, body, name string) string {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var val string
	var walk func(n *html.Node, in bool)
	walk = func(n *html.Node, in bool) {
		if n.Type == html.ElementNode && n.Data == "select" {
			in = nodeAttr(n, "name") == name
		}
		if in && n.Type == html.ElementNode && n.Data == "option" {
			for _, a := range n.Attr {
				if a.Key == "selected" {
					val = nodeAttr(n, "value")
				}
			}
		}
		for ch := n.FirstChild; ch != nil; ch = ch.NextSibling {
			walk(ch, in)
		}
	}
	walk(doc, false)
	return val
}

// wantStatus fails the test unless r answered status.
func wantStatusOf(t *testing.T, r webtest.Response, status int) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %.400s", r.Status, status, problem(r.Body))
	}
}

// wantRedirect fails the test unless r is a 303 to location.
func wantSeeOther(t *testing.T, r webtest.Response, location string) {
	t.Helper()
	if r.Status != http.StatusSeeOther || r.Location != location {
		t.Fatalf("answered %d to %q, want 303 to %q: %.400s", r.Status, r.Location, location, problem(r.Body))
	}
}
