package web

import (
	"context"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/relaycrm/relay/internal/access"
	"github.com/relaycrm/relay/internal/db"
	"github.com/relaycrm/relay/internal/input"
	"github.com/relaycrm/relay/internal/tokens"
	"github.com/relaycrm/relay/internal/triggers"
)

// The read API (/api/v1): JSON over the same read models as the pages, as
// the user whose personal access token signs each request, scoped exactly as
// that user's pages. Bearer tokens only: no session and no cookie is read
// under /api, so there is no CSRF to guard against. docs/api.md says how to
// use it; openapi.json describes every answer and the tests check each
// answer against it.

//go:embed openapi.json
var openAPISpec []byte

// apiRoutes registers /api/v1.
func (s *server) apiRoutes(e *echo.Echo) {
	e.GET("/api/v1/openapi.json", func(c echo.Context) error {
		return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, openAPISpec)
	})
	api := e.Group("/api/v1", apiEnglish, apiErrorsInside(s), s.limitBody, checkText, s.requireToken)
	readers := requireRole(access.Manager, access.BranchHead, access.Risk)
	api.GET("/clients", s.apiClients, readers)
	api.GET("/clients/:id", s.apiCard, readers)
	api.POST("/clients/:id/contacts", s.apiContactCreate, readers)
	api.GET("/triggers", s.apiTriggers, readers)
	api.POST("/triggers/:id/move", s.apiTriggerMove, readers)
	api.GET("/warnings", s.apiWarnings, readers)
	api.GET("/segments", s.apiSegments)
	api.GET("/worklist", s.apiWorklist, requireRole(access.Manager))
	api.Any("/*", func(echo.Context) error { return echo.ErrNotFound })
}

// requireToken signs the request in as the owner of its bearer token, if the
// token is live and its owner active.
func (s *server) requireToken(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx := c.Request().Context()
		h := c.Request().Header.Get(echo.HeaderAuthorization)
		scheme, secret, _ := strings.Cut(h, " ")
		if h == "" || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(secret) == "" {
			return errNoToken
		}
		// The token's last use is written on the primary (SessionPool), also
		// when reads are served from a replica.
		id, err := tokens.Authenticate(ctx, s.SessionPool, strings.TrimSpace(secret), s.Now())
		if err != nil {
			return err
		}
		u, err := s.Users.Get(ctx, id)
		if errors.Is(err, db.ErrNotFound) || err == nil && !u.Active {
			return tokens.ErrInvalid
		}
		if err != nil {
			return err
		}
		v := u.Viewer()
		c.Set(viewerKey, v)
		c.SetRequest(c.Request().WithContext(access.WithViewer(ctx, v)))
		return next(c)
	}
}

var errNoToken = errors.New("send a personal access token: Authorization: Bearer <token>")

// apiError is the body of every refused API request.
type apiError struct {
	Error apiErrorBody `json:"error"`
}

type apiErrorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	// Field is the parameter or body field at fault, when one is.
	Field string `json:"field,omitempty"`
	// Fields has every field at fault with what is wrong with it.
	Fields    map[string]string `json:"fields,omitempty"`
	RequestID string            `json:"request_id,omitempty"`
}

// apiErrorsInside answers every error under /api as JSON (the pages' error
// handler renders HTML).
func apiErrorsInside(s *server) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			err := next(c)
			if err == nil || c.Response().Committed {
				return err
			}
			status, body := s.apiProblem(c, err)
			if status == http.StatusUnauthorized {
				c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="relay"`)
			}
			return c.JSON(status, apiError{body})
		}
	}
}

// apiProblem maps an error to its status and body, as handleError does for
// pages.
func (s *server) apiProblem(c echo.Context, err error) (int, apiErrorBody) {
	var he *echo.HTTPError
	var fields input.Errors
	var transErr *triggers.TransitionError
	var staleErr *triggers.StaleError
	switch {
	case errors.Is(err, errNoToken), errors.Is(err, tokens.ErrInvalid):
		return http.StatusUnauthorized, apiErrorBody{Code: "unauthorized", Message: sentence(err.Error()), Field: "Authorization"}
	case errors.As(err, &he):
		code := strings.ToLower(strings.ReplaceAll(http.StatusText(he.Code), " ", "_"))
		msg := fmt.Sprint(he.Message)
		if he.Code == http.StatusNotFound {
			msg = "There is no such endpoint; see /api/v1/openapi.json."
		}
		return he.Code, apiErrorBody{Code: code, Message: msg}
	case errors.Is(err, db.ErrNotFound):
		return http.StatusNotFound, apiErrorBody{Code: "not_found", Message: "This record does not exist, or it is not one your role can see."}
	case errors.As(err, &fields):
		status := http.StatusBadRequest
		if c.Request().Method != http.MethodGet {
			status = http.StatusUnprocessableEntity
		}
		keys := make([]string, 0, len(fields))
		for k := range fields {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		return status, apiErrorBody{Code: "invalid", Message: fields.Error(), Field: keys[0], Fields: fields}
	case errors.As(err, &transErr), errors.As(err, &staleErr):
		return http.StatusConflict, apiErrorBody{Code: "conflict", Message: sentence(err.Error()), Field: "from"}
	case errors.Is(err, access.ErrForbidden):
		return http.StatusForbidden, apiErrorBody{Code: "forbidden", Message: sentence(err.Error())}
	}
	if s.Log != nil {
		s.Log.ErrorContext(c.Request().Context(), "api request failed", "err", err, "path", c.Request().URL.Path)
	}
	return http.StatusInternalServerError, apiErrorBody{Code: "internal",
		Message:   "Relay could not finish this request. Try again; if it keeps failing, tell the service desk with the request id.",
		RequestID: c.Response().Header().Get(echo.HeaderXRequestID)}
}

// A cursor is opaque to API clients: base64 of the list's kind and a
// position: the last item's key in the list's order (the last client id for
// the client list, the last trigger's priority and id, ...), a page number
// for the worklist. It is validated, not signed: a cursor
// made up by hand can only move within what the token's user may see,
// because scoping is in the SQL of every list.
func encodeCursor(kind string, n int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(kind + ":" + strconv.FormatInt(n, 10)))
}

// decodeCursor reads the query's cursor of kind; zero when there is none.
func decodeCursor(c echo.Context, kind string) (int64, error) {
	raw := c.QueryParam("cursor")
	if raw == "" {
		return 0, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(raw)
	k, num, ok := strings.Cut(string(b), ":")
	n, nerr := strconv.ParseInt(num, 10, 64)
	if err != nil || !ok || k != kind || nerr != nil || n < 1 {
		return 0, input.Errors{"cursor": "not a cursor of this list: pass next_cursor from the previous page as it was"}
	}
	return n, nil
}

// encodeKey is the cursor of the page after key in the list of kind (a
// keyset cursor: the last item's place in the list's order), nil when key
// is nil (the last page).
func encodeKey[K any](kind string, key *K) *string {
	if key == nil {
		return nil
	}
	b, err := json.Marshal(key)
	if err != nil { // a struct of numbers and strings
		panic(err)
	}
	cur := base64.RawURLEncoding.EncodeToString(append([]byte(kind+":"), b...))
	return &cur
}

// decodeKey reads the query's keyset cursor of kind into a new key, which
// valid checks; nil when there is no cursor.
func decodeKey[K any](c echo.Context, kind string, valid func(K) bool) (*K, error) {
	raw := c.QueryParam("cursor")
	if raw == "" {
		return nil, nil
	}
	bad := input.Errors{"cursor": "not a cursor of this list: pass next_cursor from the previous page as it was"}
	b, err := base64.RawURLEncoding.DecodeString(raw)
	if err != nil {
		return nil, bad
	}
	k, body, ok := strings.Cut(string(b), ":")
	if !ok || k != kind {
		return nil, bad
	}
	var key K
	dec := json.NewDecoder(strings.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&key); err != nil || dec.More() || !valid(key) {
		return nil, bad
	}
	return &key, nil
}

// nextPage is the cursor of the worklist's page after page when there is more; nil on
// the last.
func nextPage(kind string, page int, more bool) *string {
	if !more {
		return nil
	}
	cur := encodeCursor(kind, int64(page+1))
	return &cur
}

// limitParam reads the optional page size.
func limitParam(c echo.Context, def, most int) (int, error) {
	raw := c.QueryParam("limit")
	if raw == "" {
		return def, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < 1 || n > most {
		return 0, input.Errors{"limit": fmt.Sprintf("%q: give a page size from 1 to %d", raw, most)}
	}
	return n, nil
}

// bindJSON decodes the request's JSON body into dst, refusing unknown fields.
func bindJSON(c echo.Context, dst any) error {
	if ct := c.Request().Header.Get(echo.HeaderContentType); !strings.HasPrefix(ct, echo.MIMEApplicationJSON) {
		return input.Errors{"Content-Type": "send the body as application/json"}
	}
	dec := json.NewDecoder(c.Request().Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) && typeErr.Field != "" {
			return input.Errors{typeErr.Field: fmt.Sprintf("must be %s", typeErr.Type.String())}
		}
		return input.Errors{"body": "not a JSON object of this request: " + err.Error()}
	}
	return nil
}

// ctxOf is the request's context, for the handlers.
func ctxOf(c echo.Context) context.Context { return c.Request().Context() }
