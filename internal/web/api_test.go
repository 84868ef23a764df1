package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/relaycrm/relay/internal/audit"
	"github.com/relaycrm/relay/internal/dbtest"
	"github.com/relaycrm/relay/internal/tokens"
	"github.com/relaycrm/relay/internal/webtest"
	"github.com/relaycrm/relay/seeds"
)

// apiClient calls the API with a bearer token and checks every answer
// against the served OpenAPI document.
type apiClient struct {
	t      *testing.T
	base   string
	token  string
	router routers.Router
}

// apiAnswer is an API response.
type apiAnswer struct {
	Status int
	Body   []byte
}

// field is the field named by an error answer.
func (a apiAnswer) field() string {
	var e struct {
		Error struct{ Code, Field string }
	}
	_ = json.Unmarshal(a.Body, &e)
	return e.Error.Field
}

// specRouter loads the OpenAPI document as the server serves it.
func specRouter(t *testing.T, srv *webtest.Server) routers.Router {
	t.Helper()
	res, err := http.Get(srv.URL + "/api/v1/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("openapi.json: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	doc, err := openapi3.NewLoader().LoadFromData(raw)
	if err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("openapi.json is not a valid OpenAPI 3 document: %v", err)
	}
	doc.Servers = openapi3.Servers{{URL: srv.URL + "/api/v1"}}
	router, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	return router
}

func newAPIClient(t *testing.T, srv *webtest.Server, router routers.Router, token string) *apiClient {
	return &apiClient{t: t, base: srv.URL, token: token, router: router}
}

func (c *apiClient) get(path string) apiAnswer { return c.do("GET", path, nil) }

func (c *apiClient) post(path string, body any) apiAnswer {
	b, err := json.Marshal(body)
	if err != nil {
		c.t.Fatal(err)
	}
	return c.do("POST", path, b)
}

func (c *apiClient) do(method, path string, body []byte) apiAnswer {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, bytes.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		c.t.Errorf("%s %s: Content-Type %q, want JSON: %.200s", method, path, ct, raw)
	}
	if len(res.Cookies()) > 0 {
		c.t.Errorf("%s %s sets a cookie", method, path)
	}
	// Every answer, success or refusal, is checked against the document.
	vreq, _ := http.NewRequest(method, c.base+path, bytes.NewReader(body))
	vreq.Header = req.Header.Clone()
	route, params, err := c.router.FindRoute(vreq)
	if err != nil {
		if res.StatusCode < 300 {
			c.t.Errorf("%s %s: not in openapi.json: %v", method, path, err)
		}
		return apiAnswer{res.StatusCode, raw}
	}
	in := &openapi3filter.RequestValidationInput{Request: vreq, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
	if err := openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in, Status: res.StatusCode, Header: res.Header, Body: io.NopCloser(bytes.NewReader(raw)),
		Options: &openapi3filter.Options{IncludeResponseStatus: true}}); err != nil {
		c.t.Errorf("%s %s answered %d not as openapi.json says: %v", method, path, res.StatusCode, err)
	}
	return apiAnswer{res.StatusCode, raw}
}

// tokenFor makes a token for the user with login, as `relay token create`
// does.
func tokenFor(t *testing.T, srv *webtest.Server, login string, days int) string {
	t.Helper()
	ctx := context.Background()
	var id int64
	if err := srv.Pool.QueryRow(ctx, `SELECT id FROM app_user WHERE login = $1`, login).Scan(&id); err != nil {
		t.Fatal(err)
	}
	_, secret, err := tokens.Create(ctx, srv.Pool, audit.Actor{Login: "test"}, id, tokens.New{Name: "test " + login, Days: days}, dbtest.DemoNow)
	if err != nil {
		t.Fatal(err)
	}
	return secret
}

// openTriggerOf returns an open trigger of client id that managers see.
func openTriggerOf(t *testing.T, srv *webtest.Server, clientWhere string, args ...any) string {
	t.Helper()
	var id int64
	if err := srv.Pool.QueryRow(context.Background(), `SELECT t.id FROM cross_sell_trigger t JOIN client c ON c.id = t.client_id
		WHERE NOT t.hidden AND t.status = 'new' AND `+clientWhere+` ORDER BY t.id LIMIT 1`, args...).Scan(&id); err != nil {
		t.Fatalf("an open trigger where %s: %v", clientWhere, err)
	}
	return strconv.FormatInt(id, 10)
}

// TestAPIEveryEndpointForEveryRole is the page scope test for the API: each
// endpoint as each role's token (and none), what answers and what is
// refused; a client or trigger outside the token's user's scope answers 404.
// Every answer is checked against openapi.json.
func TestAPIEveryEndpointForEveryRole(t *testing.T) {
	t.Parallel()
	srv := startScored(t)
	router := specRouter(t, srv)
	own := clientOf(t, srv, managerLogin)
	elsewhere := otherBranchClient(t, srv, managerLogin)
	ownTrigger := openTriggerOf(t, srv, `c.manager_id = (SELECT id FROM app_user WHERE login = $1)`, managerLogin)
	elsewhereTrigger := openTriggerOf(t, srv, `c.branch_id <> (SELECT branch_id FROM app_user WHERE login = $1)`, managerLogin)
	colleague := colleagueClient(t, srv, managerLogin)
	contact := map[string]any{"kind": "call", "happened_at": "2026-11-19T10:00:00Z", "outcome": "reached", "proactive": false}
	// A move from a status the trigger is not in: in scope it is refused as
	// stale (409) and nothing changes, out of scope it is not found.
	stale := map[string]any{"from": "won", "to": "contacted"}

	type endpoint struct{ name, method, path string }
	endpoints := []endpoint{
		{"clients", "GET", "/api/v1/clients"},
		{"own client's card", "GET", "/api/v1/clients/" + own},
		{"colleague's client's card", "GET", "/api/v1/clients/" + colleague},
		{"other branch's client's card", "GET", "/api/v1/clients/" + elsewhere},
		{"no such client", "GET", "/api/v1/clients/99999999"},
		{"a client id that is no number", "GET", "/api/v1/clients/x"},
		{"contact on own client", "POST", "/api/v1/clients/" + own + "/contacts"},
		{"contact on colleague's client", "POST", "/api/v1/clients/" + colleague + "/contacts"},
		{"contact on other branch's client", "POST", "/api/v1/clients/" + elsewhere + "/contacts"},
		{"triggers", "GET", "/api/v1/triggers"},
		{"move own trigger", "POST", "/api/v1/triggers/" + ownTrigger + "/move"},
		{"move other branch's trigger", "POST", "/api/v1/triggers/" + elsewhereTrigger + "/move"},
		{"warnings", "GET", "/api/v1/warnings"},
		{"segments", "GET", "/api/v1/segments"},
		{"worklist", "GET", "/api/v1/worklist"},
		{"no such endpoint", "GET", "/api/v1/nothing"},
	}
	want := map[string][]int{ // manager, branch head, risk, admin, no token
		"clients":                          {200, 200, 200, 403, 401},
		"own client's card":                {200, 200, 200, 403, 401},
		"colleague's client's card":        {404, 200, 200, 403, 401},
		"other branch's client's card":     {404, 404, 200, 403, 401},
		"no such client":                   {404, 404, 404, 403, 401},
		"a client id that is no number":    {400, 400, 400, 403, 401},
		"contact on own client":            {201, 201, 403, 403, 401},
		"contact on colleague's client":    {404, 201, 403, 403, 401},
		"contact on other branch's client": {404, 404, 403, 403, 401},
		"triggers":                         {200, 200, 200, 403, 401},
		"move own trigger":                 {409, 409, 403, 403, 401},
		"move other branch's trigger":      {404, 404, 403, 403, 401},
		"warnings":                         {200, 200, 200, 403, 401},
		"segments":                         {200, 200, 200, 200, 401},
		"worklist":                         {200, 403, 403, 403, 401},
		"no such endpoint":                 {404, 404, 404, 404, 401},
	}
	logins := []string{managerLogin, headLogin, riskLogin, adminLogin, ""}
	for i, login := range logins {
		token := ""
		if login != "" {
			token = tokenFor(t, srv, login, 30)
		}
		c := newAPIClient(t, srv, router, token)
		for _, e := range endpoints {
			var a apiAnswer
			switch {
			case e.method == "GET":
				a = c.get(e.path)
			case strings.HasSuffix(e.path, "/move"):
				a = c.post(e.path, stale)
			default:
				a = c.post(e.path, contact)
			}
			if a.Status != want[e.name][i] {
				t.Errorf("%s as %q: %d, want %d: %.300s", e.name, login, a.Status, want[e.name][i], a.Body)
			}
			if a.Status == http.StatusNotFound && strings.HasPrefix(e.path, "/api/v1/clients/") {
				var name string
				_ = srv.Pool.QueryRow(context.Background(), `SELECT legal_name FROM client WHERE id = $1::bigint`,
					strings.Split(e.path, "/")[4]).Scan(&name)
				if name != "" && bytes.Contains(a.Body, []byte(name)) {
					t.Errorf("%s as %q: the 404 names the client", e.name, login)
				}
			}
		}
	}
}

// TestAPIClientsPagesThroughExactlyTheViewersClients walks the client list
// by cursor as a manager and as a branch head: every client of their scope
// once, no other.
func TestAPIClientsPagesThroughExactlyTheViewersClients(t *testing.T) {
	t.Parallel()
	srv := start(t)
	router := specRouter(t, srv)
	for _, tt := range []struct {
		login, scope string
	}{
		{managerLogin, `c.manager_id = (SELECT id FROM app_user WHERE login = $1)`},
		{headLogin, `c.branch_id = (SELECT branch_id FROM app_user WHERE login = $1)`},
	} {
		c := newAPIClient(t, srv, router, tokenFor(t, srv, tt.login, 30))
		want := count(t, srv, `SELECT count(*) FROM client c WHERE c.left_on IS NULL AND `+tt.scope, tt.login)
		seen := map[int64]bool{}
		path, pages := "/api/v1/clients?limit=40", 0
		for {
			a := c.get(path)
			if a.Status != http.StatusOK {
				t.Fatalf("%s %s: %d %s", tt.login, path, a.Status, a.Body)
			}
			var page struct {
				Clients []struct {
					ID int64 `json:"id"`
				} `json:"clients"`
				NextCursor *string `json:"next_cursor"`
			}
			if err := json.Unmarshal(a.Body, &page); err != nil {
				t.Fatal(err)
			}
			pages++
			for _, cl := range page.Clients {
				if seen[cl.ID] {
					t.Errorf("%s: client %d on two pages", tt.login, cl.ID)
				}
				seen[cl.ID] = true
			}
			if page.NextCursor == nil {
				break
			}
			path = "/api/v1/clients?limit=40&cursor=" + url.QueryEscape(*page.NextCursor)
		}
		if len(seen) != want || pages != (want+39)/40 && !(want%40 == 0 && pages == want/40+1) {
			t.Errorf("%s: %d clients in %d pages, want %d", tt.login, len(seen), pages, want)
		}
		ids := make([]int64, 0, len(seen))
		for id := range seen {
			ids = append(ids, id)
		}
		if n := count(t, srv, `SELECT count(*) FROM client c WHERE c.id = ANY($2) AND NOT (`+tt.scope+`)`, tt.login, ids); n != 0 {
			t.Errorf("%s: %d listed clients outside the scope", tt.login, n)
		}
	}

	c := newAPIClient(t, srv, router, tokenFor(t, srv, managerLogin, 30))
	for _, tt := range []struct{ name, query, field string }{
		{"a cursor made up", "cursor=bm9wZQ", "cursor"},
		{"a cursor of another list", "cursor=" + url.QueryEscape("dHJpZ2dlcnM6Mg"), "cursor"},
		{"a page size too large", "limit=1000", "limit"},
		{"an unknown size band", "size=huge", "size"},
		{"a bank that is no id", "bank=x", "bank"},
	} {
		a := c.get("/api/v1/clients?" + tt.query)
		if a.Status != http.StatusBadRequest || a.field() != tt.field {
			t.Errorf("%s: %d naming %q, want 400 naming %q: %s", tt.name, a.Status, a.field(), tt.field, a.Body)
		}
	}
}

// TestAPITokens checks a token's life: the owner's scope, refused when
// revoked, expired or its owner deactivated, its last use written at most
// once a minute, its making and revoking audited.
func TestAPITokens(t *testing.T) {
	t.Parallel()
	srv := start(t)
	router := specRouter(t, srv)
	ctx := context.Background()
	var userID int64
	if err := srv.Pool.QueryRow(ctx, `SELECT id FROM app_user WHERE login = $1`, managerLogin).Scan(&userID); err != nil {
		t.Fatal(err)
	}
	tok, secret, err := tokens.Create(ctx, srv.Pool, audit.Actor{UserID: userID, Login: managerLogin}, userID,
		tokens.New{Name: "warehouse", Days: 7}, dbtest.DemoNow)
	if err != nil {
		t.Fatal(err)
	}
	if n := count(t, srv, `SELECT count(*) FROM api_token WHERE token_hash = sha256($1::bytea)`, secret); n != 1 {
		t.Errorf("the token is not stored as its SHA-256: %d rows", n)
	}
	if n := count(t, srv, `SELECT count(*) FROM api_token WHERE position($1 in encode(token_hash, 'escape')) > 0 OR prefix = $1`, secret); n != 0 {
		t.Error("the token itself is stored")
	}
	if n := count(t, srv, `SELECT count(*) FROM audit_log WHERE action = 'token.create' AND object = $1`, "api_token:"+strconv.FormatInt(tok.ID, 10)); n != 1 {
		t.Errorf("token.create audited %d times, want 1", n)
	}
	c := newAPIClient(t, srv, router, secret)
	if a := c.get("/api/v1/clients?limit=1"); a.Status != http.StatusOK {
		t.Fatalf("a live token: %d %s", a.Status, a.Body)
	}
	var used1 time.Time
	if err := srv.Pool.QueryRow(ctx, `SELECT last_used_at FROM api_token WHERE id = $1`, tok.ID).Scan(&used1); err != nil {
		t.Fatalf("last use not written: %v", err)
	}
	c.get("/api/v1/clients?limit=1")
	var used2 time.Time
	if err := srv.Pool.QueryRow(ctx, `SELECT last_used_at FROM api_token WHERE id = $1`, tok.ID).Scan(&used2); err != nil {
		t.Fatal(err)
	}
	if !used1.Equal(used2) {
		t.Errorf("last use written twice within a minute: %s then %s", used1, used2)
	}

	for _, tt := range []struct{ name, header string }{
		{"no scheme", secret},
		{"basic", "Basic " + secret},
		{"a made-up token", "Bearer relay_" + strings.Repeat("A", 43)},
		{"not a relay token", "Bearer abc"},
	} {
		req, _ := http.NewRequest("GET", srv.URL+"/api/v1/clients", nil)
		req.Header.Set("Authorization", tt.header)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(res.Header.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("%s: %d, want 401 with WWW-Authenticate: Bearer", tt.name, res.StatusCode)
		}
	}

	// A session cookie does not open the API.
	browser := srv.NewClient(t)
	browser.Login(managerLogin, seeds.DemoPassword)
	if r := browser.Get("/api/v1/clients"); r.Status != http.StatusUnauthorized {
		t.Errorf("the API with a session cookie and no token: %d, want 401", r.Status)
	}

	expired := tokenFor(t, srv, managerLogin, 1)
	if _, err := srv.Pool.Exec(ctx, `UPDATE api_token SET expires_at = created_at - interval '1 day', created_at = created_at - interval '2 days'
		WHERE token_hash = sha256($1::bytea)`, expired); err != nil {
		t.Fatal(err)
	}
	if a := newAPIClient(t, srv, router, expired).get("/api/v1/clients"); a.Status != http.StatusUnauthorized {
		t.Errorf("an expired token: %d, want 401", a.Status)
	}

	if err := tokens.Revoke(ctx, srv.Pool, audit.Actor{UserID: userID, Login: managerLogin}, userID+1000, tok.ID, dbtest.DemoNow); err == nil {
		t.Error("another user revoked the manager's token")
	}
	if err := tokens.Revoke(ctx, srv.Pool, audit.Actor{UserID: userID, Login: managerLogin}, userID, tok.ID, dbtest.DemoNow); err != nil {
		t.Fatal(err)
	}
	if a := c.get("/api/v1/clients"); a.Status != http.StatusUnauthorized {
		t.Errorf("a revoked token: %d, want 401", a.Status)
	}
	if n := count(t, srv, `SELECT count(*) FROM audit_log WHERE action = 'token.revoke'`); n != 1 {
		t.Errorf("token.revoke audited %d times, want 1", n)
	}

	live := tokenFor(t, srv, headLogin, 30)
	if _, err := srv.Pool.Exec(ctx, `UPDATE app_user SET active = false WHERE login = $1`, headLogin); err != nil {
		t.Fatal(err)
	}
	if a := newAPIClient(t, srv, router, live).get("/api/v1/clients"); a.Status != http.StatusUnauthorized {
		t.Errorf("the token of a deactivated user: %d, want 401", a.Status)
	}
	if _, _, err := tokens.Create(ctx, srv.Pool, audit.Actor{}, userID, tokens.New{Name: " ", Days: 400}, dbtest.DemoNow); err == nil ||
		!strings.Contains(err.Error(), "name") || !strings.Contains(err.Error(), "days") {
		t.Errorf("a token without a name for 400 days: %v, want errors naming name and days", err)
	}
}

// TestAPIWrites logs a contact and moves a trigger through the API: the
// same checks, contact plan and audit as the pages.
func TestAPIWrites(t *testing.T) {
	t.Parallel()
	srv := startScored(t)
	router := specRouter(t, srv)
	c := newAPIClient(t, srv, router, tokenFor(t, srv, managerLogin, 30))
	own := clientOf(t, srv, managerLogin)

	bad := c.post("/api/v1/clients/"+own+"/contacts", map[string]any{"kind": "fax", "happened_at": "2026-11-19T10:00:00Z", "outcome": "reached"})
	if bad.Status != http.StatusUnprocessableEntity || bad.field() != "kind" {
		t.Errorf("a contact of kind fax: %d naming %q, want 422 naming kind: %s", bad.Status, bad.field(), bad.Body)
	}
	if a := c.post("/api/v1/clients/"+own+"/contacts", map[string]any{"kind": "call", "happened_at": "2026-11-19T10:00:00Z", "outcome": "reached", "color": "red"}); a.Status != http.StatusUnprocessableEntity || a.field() != "body" {
		t.Errorf("an unknown field: %d naming %q, want 422 naming body", a.Status, a.field())
	}
	if a := c.post("/api/v1/clients/"+own+"/contacts", map[string]any{"kind": "call", "happened_at": "2026-11-19T10:00:00Z", "outcome": "reached", "csat": "five"}); a.Status != http.StatusUnprocessableEntity || a.field() != "csat" {
		t.Errorf("a CSAT that is no number: %d naming %q, want 422 naming csat", a.Status, a.field())
	}
	ok := c.post("/api/v1/clients/"+own+"/contacts", map[string]any{"kind": "meeting", "happened_at": "2026-11-19T10:00:00Z",
		"outcome": "interested", "notes": "wants a card terminal", "csat": 4, "proactive": false})
	if ok.Status != http.StatusCreated {
		t.Fatalf("a contact: %d %s", ok.Status, ok.Body)
	}
	if n := count(t, srv, `SELECT count(*) FROM contact WHERE client_id = $1::bigint AND notes = 'wants a card terminal' AND csat = 4`, own); n != 1 {
		t.Errorf("the contact is stored %d times, want once", n)
	}
	if n := count(t, srv, `SELECT count(*) FROM audit_log WHERE action = 'contact.create' AND object = 'client:'||$1 AND login = $2`, own, managerLogin); n != 1 {
		t.Errorf("contact.create audited %d times, want once", n)
	}
	card := c.get("/api/v1/clients/" + own)
	if !bytes.Contains(card.Body, []byte("wants a card terminal")) {
		t.Error("the card does not list the contact just logged")
	}

	trig := openTriggerOf(t, srv, `c.manager_id = (SELECT id FROM app_user WHERE login = $1)`, managerLogin)
	if a := c.post("/api/v1/triggers/"+trig+"/move", map[string]any{"to": "lost"}); a.Status != http.StatusUnprocessableEntity || a.field() != "reason" {
		t.Errorf("lost without a reason: %d naming %q, want 422 naming reason: %s", a.Status, a.field(), a.Body)
	}
	moved := c.post("/api/v1/triggers/"+trig+"/move", map[string]any{"from": "new", "to": "contacted"})
	if moved.Status != http.StatusOK || !bytes.Contains(moved.Body, []byte(`"status":"contacted"`)) {
		t.Fatalf("move to contacted: %d %s", moved.Status, moved.Body)
	}
	if n := count(t, srv, `SELECT count(*) FROM audit_log WHERE action = 'trigger.move' AND object = 'trigger:'||$1 AND login = $2`, trig, managerLogin); n != 1 {
		t.Errorf("trigger.move audited %d times, want once", n)
	}
	if a := c.post("/api/v1/triggers/"+trig+"/move", map[string]any{"from": "new", "to": "contacted"}); a.Status != http.StatusConflict {
		t.Errorf("the same move again: %d, want 409", a.Status)
	}
}
