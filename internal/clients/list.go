package clients

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/relaycrm/relay/internal/access"
	"github.com/relaycrm/relay/internal/db"
	"github.com/relaycrm/relay/internal/input"
)

// Filter is what the client list is narrowed and ordered by. Zero values mean
// "any".
type Filter struct {
	Query      string // part of the legal name, or the start of a tax id or the bank's client id
	BankID     int64
	RegionID   int64
	BranchID   int64
	IndustryID int64
	ManagerID  int64
	Tenure     string // a TenureBand code
	Size       string // micro, small, medium
	Status     string // active (default), left, all
	Sort       string // a key of Sorts
	Page       int    // from 1
}

// PerPage is the list's page size.
const PerPage = 25

// searchCap bounds the clients a search of the whole group considers: past
// it, the list is cut from the first matches and says so, as it does past
// countCap.
const searchCap = 100000

// MaxPage keeps offsets bounded: past it, the user is asked to narrow the search.
const MaxPage = 400

// countCap bounds the count of matching clients: past it the list says "more than".
const countCap = 10000

// Sorts are the orders the list offers, by key; anything else is refused.
var Sorts = map[string]string{
	"name":   "c.legal_name, c.id",
	"-name":  "c.legal_name DESC, c.id DESC",
	"since":  "c.since, c.id",
	"-since": "c.since DESC, c.id DESC",
	"tax":    "c.tax_id, c.id",
	"-tax":   "c.tax_id DESC, c.id DESC",
	"bank":   "c.bank_id, c.legal_name, c.id",
	"-bank":  "c.bank_id DESC, c.legal_name DESC, c.id DESC",
}

// sortColumns are the columns of the client aliased c that each of Sorts
// orders by (besides the id).
var sortColumns = map[string]string{
	"name": "c.legal_name", "-name": "c.legal_name",
	"since": "c.since", "-since": "c.since",
	"tax": "c.tax_id", "-tax": "c.tax_id",
	"bank": "c.bank_id, c.legal_name", "-bank": "c.bank_id, c.legal_name",
}

var sizes = map[string]bool{"micro": true, "small": true, "medium": true}

// Validate normalises f and reports every value it cannot use, by parameter.
func (f *Filter) Validate() error {
	errs := input.Errors{}
	f.Query = strings.TrimSpace(f.Query)
	if len([]rune(f.Query)) > 100 {
		errs.Add("q", "search text is longer than 100 characters")
	}
	if f.Sort == "" {
		f.Sort = "name"
	}
	if _, ok := Sorts[f.Sort]; !ok {
		errs.Add("sort", fmt.Sprintf("%q is not a sort order; use name, since, tax or bank, with - for descending", f.Sort))
	}
	if f.Tenure != "" {
		ok := false
		for _, b := range TenureBands {
			ok = ok || b.Code == f.Tenure
		}
		if !ok {
			errs.Add("tenure", fmt.Sprintf("%q is not a tenure band; use 0-6, 6-12, 12-24, 24-36 or 36+", f.Tenure))
		}
	}
	if f.Size != "" && !sizes[f.Size] {
		errs.Add("size", fmt.Sprintf("%q is not a size band; use micro, small or medium", f.Size))
	}
	switch f.Status {
	case "":
		f.Status = "active"
	case "active", "left", "all":
	default:
		errs.Add("status", fmt.Sprintf("%q is not a status; use active, left or all", f.Status))
	}
	if f.Page == 0 {
		f.Page = 1
	}
	if f.Page < 1 || f.Page > MaxPage {
		errs.Add("page", fmt.Sprintf("page must be between 1 and %d; narrow the search to see further", MaxPage))
	}
	return errs.Err()
}

// Row is one client in the list.
type Row struct {
	ID                    int64
	Ref, TaxID, LegalName string
	BankCode, Bank        string
	Branch, Region        string
	IndustryCode          string
	Industry              string
	Size                  string
	Since                 time.Time
	LeftOn                *time.Time
	Manager               string
	TenureMonths          int // to the day it left, or to now (ListView fills it)
}

// Page is one page of the list.
type Page struct {
	Rows []Row
	// Total counts the matching clients up to countCap; Capped says there are more.
	Total  int
	Capped bool
	// Partial says the page is ordered among the first countCap matches of a
	// text search, not among all of them.
	Partial bool
	Filter  Filter
}

// Pages is the number of pages the total fills.
func (p Page) Pages() int { return min((p.Total+PerPage-1)/PerPage, MaxPage) }

// from is the list's FROM clause, the clients aliased c: for the risk
// team's search by name, the matching clients of its group with the columns
// that where and the list read; otherwise the client table. A search text
// without a space is found among the words of the names (client_search_words,
// migration 00030: the words' index alone), one with a space among the names
// themselves (client_search_named, 00022: the trigram index and the heap).
func (f Filter) from(v access.Viewer, args *db.Args) string {
	if f.Query == "" || v.Role != access.Risk || looksLikeID(f.Query) {
		return "client c"
	}
	search := "client_search_named"
	if !strings.ContainsAny(f.Query, wordSpaces) {
		search = "client_search_words"
	}
	return fmt.Sprintf("%s(%s::text, %s::smallint, %d) c",
		search, args.Add("%"+escapeLike(f.Query)+"%"), args.Add(v.GroupID), searchCap)
}

// wordSpaces are the characters that part the words of a name in
// client_name_word (migration 00030: client_name_words). A text without any
// of them is a substring of a name exactly when it is one of a word of it.
const wordSpaces = " \t\n\r\f\v"

// where builds the list's WHERE clause over the clients aliased c: the
// viewer's scope first, then each filter that is set. With rows, c is what
// from gives, whose name search is done already.
func (f Filter) where(v access.Viewer, now time.Time, args *db.Args, rows bool) string {
	conds := []string{access.ClientScope(v, "c", args)}
	if f.Query != "" {
		switch {
		case v.Role == access.Risk && rows && !looksLikeID(f.Query):
			// searched by from
		case v.Role == access.Risk:
			// The whole group: its name and tax id indexes, which row-level
			// security keeps a plain ILIKE from (client_ids_named, 00011).
			name, tax, ref := any(nil), any(nil), any(nil)
			if looksLikeID(f.Query) {
				tax, ref = escapeLike(strings.ToUpper(f.Query))+"%", f.Query
			} else {
				name = "%" + escapeLike(f.Query) + "%"
			}
			conds = append(conds, fmt.Sprintf("c.id = ANY (client_ids_named(%s::text, %s::text, %s::text, %s::smallint, %d))",
				args.Add(name), args.Add(tax), args.Add(ref), args.Add(v.GroupID), searchCap))
		case looksLikeID(f.Query):
			q := strings.ToUpper(f.Query)
			conds = append(conds, fmt.Sprintf("(c.tax_id LIKE %s OR c.ref = %s)", args.Add(escapeLike(q)+"%"), args.Add(f.Query)))
		default:
			conds = append(conds, fmt.Sprintf("c.legal_name ILIKE %s", args.Add("%"+escapeLike(f.Query)+"%")))
		}
	}
	eq := func(col string, v int64) {
		if v != 0 {
			conds = append(conds, fmt.Sprintf("%s = %s", col, args.Add(v)))
		}
	}
	eq("c.bank_id", f.BankID)
	eq("c.region_id", f.RegionID)
	eq("c.branch_id", f.BranchID)
	eq("c.industry_id", f.IndustryID)
	eq("c.manager_id", f.ManagerID)
	if f.Size != "" {
		conds = append(conds, "c.size_band = "+args.Add(f.Size))
	}
	for _, b := range TenureBands {
		if b.Code != f.Tenure {
			continue
		}
		// tenure of at least From months: arrived on or before now - From months
		conds = append(conds, "c.since <= "+args.Add(now.AddDate(0, -b.From, 0)))
		if b.To > 0 {
			conds = append(conds, "c.since > "+args.Add(now.AddDate(0, -b.To, 0)))
		}
	}
	switch f.Status {
	case "active":
		conds = append(conds, "c.left_on IS NULL")
	case "left":
		conds = append(conds, "c.left_on IS NOT NULL")
	}
	return strings.Join(conds, " AND ")
}

// looksLikeID tells a tax id or client id (letters and digits with at least one
// digit) from a name.
func looksLikeID(s string) bool {
	digit := false
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digit = true
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r == '-', r == '/', r == '.':
		default:
			return false
		}
	}
	return digit
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// List returns one page of the clients v may see that match f.
func (s *Store) List(ctx context.Context, v access.Viewer, f Filter, now time.Time) (Page, error) {
	err := f.Validate()
	page := Page{Filter: f}
	if err != nil {
		return page, err
	}
	args := &db.Args{}
	from := f.from(v, args)
	where := f.where(v, now, args, true)
	limit, offset := args.Add(PerPage), args.Add((f.Page-1)*PerPage)
	searching := fmt.Sprint(f.Query != "") // a literal true or false
	// First, the matching clients up to countCap+1, in no order, so the
	// planner may use any index the filters suit; when they are all there the
	// page is cut from them. When more match, the filters are weak and the
	// page is read in order from the sort's index instead, except for a text
	// search: a common word is spread over the whole name index, so the page
	// is cut from the first matches found (by id, the order in which the list
	// has always found them) and the list says so. The matches carry only
	// the id and the sort's columns: copying every column of 10,001 matches
	// cost more than finding them.
	cols := sortColumns[f.Sort]
	ctes := fmt.Sprintf(`m AS MATERIALIZED (SELECT c.id, %s FROM %s WHERE %s ORDER BY c.id LIMIT %d),
		n AS (SELECT count(*) AS total FROM m)`, cols, from, where, countCap+1)
	if f.Query == "" {
		// Without a search, the first countCap+1 matches are counted
		// without copying any column, and collected only when there are
		// at most countCap of them (a weak filter's page is read below).
		ctes = fmt.Sprintf(`n AS MATERIALIZED (SELECT count(*) AS total FROM (SELECT FROM %s WHERE %s LIMIT %d) x),
		m AS MATERIALIZED (SELECT c.id, %s FROM %s WHERE %s AND (SELECT n.total FROM n) <= %d LIMIT %d)`,
			from, where, countCap+1, cols, from, where, countCap, countCap+1)
	}
	rows, err := s.pool.Query(ctx, fmt.Sprintf(`
		WITH %s,
		p AS (SELECT c.id FROM m c, n WHERE n.total <= %d OR %s ORDER BY %s LIMIT %s OFFSET %s)
		SELECT n.total, %s
		FROM n LEFT JOIN (p JOIN client c ON c.id = p.id %s) ON true
		ORDER BY %s`,
		ctes, countCap, searching, Sorts[f.Sort], limit, offset, rowColumns, rowJoins, Sorts[f.Sort]),
		args.Values()...)
	if err != nil {
		return page, fmt.Errorf("list clients: %w", err)
	}
	page.Rows, err = collectRows(rows, &page.Total)
	if err != nil {
		return page, fmt.Errorf("list clients: %w", err)
	}
	if page.Total <= countCap {
		return page, nil
	}
	page.Total, page.Capped = countCap, true
	if f.Query != "" {
		page.Partial = true
		return page, nil
	}
	// The page's ids are read first, so that the offset is skipped on an
	// index alone (for a whole group's active clients by name, the partial
	// index of migration 00015 carries the row policy's columns: an
	// index-only scan), then its 25 rows are read.
	rows, err = s.pool.Query(ctx, fmt.Sprintf(`
		SELECT 0, %s
		FROM (SELECT c.id FROM client c WHERE %s ORDER BY %s LIMIT %s OFFSET %s) p
		JOIN client c ON c.id = p.id %s
		ORDER BY %s`,
		rowColumns, where, Sorts[f.Sort], limit, offset, rowJoins, Sorts[f.Sort]), args.Values()...)
	if err != nil {
		return page, fmt.Errorf("list clients: %w", err)
	}
	var ignored int
	page.Rows, err = collectRows(rows, &ignored)
	if err != nil {
		return page, fmt.Errorf("list clients: %w", err)
	}
	return page, nil
}

// rowColumns and rowJoins read a list row of the client aliased c.
const (
	rowColumns = `c.id, c.ref, c.tax_id, c.legal_name, b.code, b.name, br.name, r.name, i.code, i.name,
		c.size_band, c.since, c.left_on, coalesce(u.name, '')`
	rowJoins = `JOIN bank b ON b.id = c.bank_id
		JOIN branch br ON br.id = c.branch_id
		JOIN region r ON r.id = c.region_id
		JOIN industry i ON i.id = c.industry_id
		LEFT JOIN app_user u ON u.id = c.manager_id`
)

// collectRows reads list rows, each led by the total; a single row of nulls
// (no client on the page) is skipped.
func collectRows(rows pgx.Rows, total *int) ([]Row, error) {
	var out []Row
	defer rows.Close()
	for rows.Next() {
		var x Row
		var id *int64
		var ref, tax, name, bankCode, bank, branch, region, indCode, ind, size, manager *string
		var since *time.Time
		if err := rows.Scan(total, &id, &ref, &tax, &name, &bankCode, &bank, &branch, &region, &indCode, &ind,
			&size, &since, &x.LeftOn, &manager); err != nil {
			return nil, err
		}
		if id == nil {
			continue
		}
		x.ID, x.Ref, x.TaxID, x.LegalName, x.BankCode, x.Bank = *id, *ref, *tax, *name, *bankCode, *bank
		x.Branch, x.Region, x.IndustryCode, x.Industry, x.Size = *branch, *region, *indCode, *ind, *size
		x.Since, x.Manager = *since, *manager
		out = append(out, x)
	}
	return out, rows.Err()
}

// Option is a choice in a filter's drop-down.
type Option struct {
	ID    int64
	Label string
}

// Options are the choices of the list's filters, limited to what v may see.
type Options struct {
	Banks, Regions, Branches, Industries, Managers []Option
}

// FilterOptions returns the filter choices for v: a branch head sees their own
// bank and branch and its managers; a manager only themselves. Managers are
// listed for one branch (the viewer's, or the chosen branch), since a group
// has thousands.
func (s *Store) FilterOptions(ctx context.Context, v access.Viewer, branchID int64) (Options, error) {
	var o Options
	var err error
	q := func(sql string, args ...any) []Option {
		if err != nil {
			return nil
		}
		var rows pgx.Rows
		rows, err = s.pool.Query(ctx, sql, args...)
		if err != nil {
			return nil
		}
		var out []Option
		out, err = pgx.CollectRows(rows, pgx.RowToStructByPos[Option])
		return out
	}
	branchScope := "br.bank_id IN (SELECT id FROM bank WHERE group_id = $1)"
	args := []any{v.GroupID}
	if v.Role == access.Manager || v.Role == access.BranchHead {
		branchScope, args = "br.id = $1", []any{v.BranchID}
	}
	o.Branches = q(`SELECT br.id, br.name FROM branch br WHERE `+branchScope+` ORDER BY br.name`, args...)
	o.Banks = q(`SELECT b.id, b.name FROM bank b WHERE b.id IN (SELECT br.bank_id FROM branch br WHERE `+branchScope+`) ORDER BY b.name`, args...)
	o.Regions = q(`SELECT r.id, r.name FROM region r WHERE r.group_id = $1 ORDER BY r.name`, v.GroupID)
	o.Industries = q(`SELECT i.id, i.code || ' ' || i.name FROM industry i WHERE i.group_id = $1 ORDER BY i.code`, v.GroupID)
	uargs := &db.Args{}
	us := access.UserScope(v, "u", uargs)
	if v.Role == access.Manager || v.Role == access.BranchHead || branchID != 0 {
		o.Managers = q(`SELECT u.id, u.name FROM app_user u WHERE u.role = 'manager' AND `+us+
			` AND u.branch_id = `+uargs.Add(max(branchID, v.BranchID))+` ORDER BY u.name`, uargs.Values()...)
	}
	if err != nil {
		return o, fmt.Errorf("filter options: %w", err)
	}
	return o, nil
}

// MaxAfter bounds a keyset page of the list (ListQuery.Limit).
const MaxAfter = 200

// after returns up to limit of the clients v may see that match f (as
// validated), by id from the first id above after: the API's list, paged by
// keyset (so a page costs the same however deep, and a client added
// meanwhile is neither skipped nor repeated).
func (s *Store) after(ctx context.Context, v access.Viewer, f Filter, after int64, limit int, now time.Time) ([]Row, error) {
	args := &db.Args{}
	where := f.where(v, now, args, false)
	rows, err := s.pool.Query(ctx, fmt.Sprintf(`
		SELECT 0, %s FROM client c %s WHERE %s AND c.id > %s ORDER BY c.id LIMIT %s`,
		rowColumns, rowJoins, where, args.Add(after), args.Add(limit)), args.Values()...)
	if err != nil {
		return nil, fmt.Errorf("list clients: %w", err)
	}
	var ignored int
	out, err := collectRows(rows, &ignored)
	if err != nil {
		return nil, fmt.Errorf("list clients: %w", err)
	}
	return out, nil
}
