package web

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/relaycrm/relay/internal/access"
)

// maxFormBody bounds the body of every request but the feed upload: a form
// of Relay's fits in a few kilobytes.
const maxFormBody = 1 << 20

// maxUpload bounds a feed uploaded through the browser; bigger feeds go
// through the inbox directory or `relay import`.
const maxUpload = 512 << 20

// uploadPath is the one route that takes a multipart body: the admin's feed
// upload.
const uploadPath = "/admin/imports"

// errBodyTooLarge answers a body over its limit.
var errBodyTooLarge = echo.NewHTTPError(http.StatusRequestEntityTooLarge,
	"The request is larger than Relay accepts here.")

// limitBody bounds every request body before anything reads it: to
// maxFormBody, or to the upload limit on the upload route for a signed-in,
// active admin only. A multipart body is refused on every other route. It
// sits after the session is loaded, before the CSRF check that reads the form.
func (s *server) limitBody(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		if req.Body == nil || req.Method == http.MethodGet || req.Method == http.MethodHead {
			return next(c)
		}
		limit := int64(maxFormBody)
		mediaType, _, _ := mime.ParseMediaType(req.Header.Get(echo.HeaderContentType))
		if mediaType == "multipart/form-data" {
			if req.Method != http.MethodPost || req.URL.Path != uploadPath {
				return echo.NewHTTPError(http.StatusUnsupportedMediaType, "This page takes a form, not a file upload.")
			}
			if !s.sessionIsAdmin(c) {
				return errForbidden
			}
			limit = s.uploadLimit()
		}
		if req.ContentLength > limit {
			return errBodyTooLarge
		}
		req.Body = http.MaxBytesReader(c.Response(), req.Body, limit)
		return next(c)
	}
}

func (s *server) uploadLimit() int64 {
	if s.UploadLimit > 0 {
		return s.UploadLimit
	}
	return maxUpload
}

// sessionIsAdmin tells whether the session belongs to an active admin whose
// password has not changed since sign-in (what requireViewer would let
// through to the admin pages).
func (s *server) sessionIsAdmin(c echo.Context) bool {
	ctx := c.Request().Context()
	id := s.sessions.GetInt64(ctx, sessionUser)
	if id == 0 {
		return false
	}
	u, err := s.Users.Get(ctx, id)
	return err == nil && u.Active && u.Role == access.Admin &&
		u.PasswordChangedAt.UnixNano() <= s.sessions.GetInt64(ctx, sessionAuthAt)
}

// readForm parses the request's form within the body limit, and turns a body
// over it into 413 and a form that cannot be read into 400.
func readForm(c echo.Context) error {
	req := c.Request()
	var err error
	if strings.HasPrefix(req.Header.Get(echo.HeaderContentType), echo.MIMEMultipartForm) {
		// Parts beyond 8 MB spill to temporary files, removed by removeTempFiles.
		err = req.ParseMultipartForm(8 << 20)
	} else {
		err = req.ParseForm()
	}
	var tooLarge *http.MaxBytesError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &tooLarge):
		return errBodyTooLarge
	case errors.Is(err, io.ErrUnexpectedEOF):
		return echo.NewHTTPError(http.StatusBadRequest, "The request ended before its form did.")
	default:
		return echo.NewHTTPError(http.StatusBadRequest, fmt.Sprintf("The form could not be read: %v.", err))
	}
}

// removeTempFiles removes the files a multipart form spilled to the
// temporary directory. net/http removes them only for the request it made,
// and the session middleware replaces the request, so this runs outermost
// and looks at the request as the handlers last saw it.
func removeTempFiles(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		defer func() {
			if f := c.Request().MultipartForm; f != nil {
				_ = f.RemoveAll()
			}
		}()
		return next(c)
	}
}
