package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/relaycrm/relay/internal/input"
)

// maxListPage bounds every list's page number, and maxListOffset every
// offset, so that no page number overflows into an offset PostgreSQL refuses.
const (
	maxListPage   = 100000
	maxListOffset = 10000000
)

// pageParam reads the optional page number (1 when absent) into errs.
func pageParam(q url.Values, errs input.Errors) int {
	p := q.Get("page")
	if p == "" {
		return 1
	}
	n, err := strconv.Atoi(p)
	if err != nil || n < 1 || n > maxListPage {
		errs.Add("page", fmt.Sprintf("%q is not a page number; page must be between 1 and %d", p, maxListPage))
		return 1
	}
	return n
}

// checkText refuses a query or form value that PostgreSQL could not store as
// text (a NUL byte, bytes that are not UTF-8) with 400 naming the field, so
// that no such value reaches a query and fails there as a 500. It reads the
// form of a state-changing request (within limitBody's bound).
func checkText(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		errs := input.Errors{}
		checkValues(req.URL.Query(), errs)
		if req.Method != http.MethodGet && req.Method != http.MethodHead {
			if err := readForm(c); err != nil {
				return err
			}
			checkValues(req.PostForm, errs)
		}
		if err := errs.Err(); err != nil {
			return err
		}
		return next(c)
	}
}

func checkValues(vals url.Values, errs input.Errors) {
	for k, vs := range vals {
		if !textOK(k) {
			errs.Add(strconv.QuoteToASCII(k), "the parameter's name is not text")
			continue
		}
		for _, v := range vs {
			if !textOK(v) {
				errs.Add(k, "holds a NUL byte or bytes that are not UTF-8 text")
			}
		}
	}
}

// textOK tells whether s is UTF-8 without NUL bytes.
func textOK(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }
