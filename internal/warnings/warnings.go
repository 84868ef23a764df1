// Package warnings owns churn early warnings: the clients whose churn score
// reached the watch level, each with the signals behind it, their figures,
// strengths and shares of the score, and the manager it names. The nightly run
// builds them; this package reads them for the card, the lists and exports,
// always scoped by access.ClientScope.
package warnings

import (
	"cmp"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/relaycrm/relay/internal/access"
	"github.com/relaycrm/relay/internal/db"
	"github.com/relaycrm/relay/internal/i18n"
	"github.com/relaycrm/relay/internal/input"
	"github.com/relaycrm/relay/internal/reasons"
)

//go:embed warnings.sql
var sqlFS embed.FS

// SQL is the package's named queries, for the check at start.
var SQL = []db.File{db.MustLoadFile(sqlFS, "internal/warnings", "warnings.sql")}

var queries = SQL[0].Queries

// Level is how strong a warning is.
type Level string

// The levels: watch from warning.level_watch, high from warning.level_high.
const (
	Watch Level = "watch"
	High  Level = "high"
)

// Label names the level.
func (l Level) Label() string {
	switch l {
	case Watch:
		return "Watch"
	case High:
		return "High"
	}
	return string(l)
}

// SignalName names a churn signal.
type SignalName string

// The churn signals of MISSION.md.
const (
	Turnover      SignalName = "turnover"       // turnover fell, recent window against the base window
	Balance       SignalName = "balance"        // average balance fell
	Transactions  SignalName = "transactions"   // number of transactions fell
	ProductClosed SignalName = "product_closed" // a product closed recently, worst for a key product
	IncomeFalling SignalName = "income_falling" // income fell months in a row
	Lifetime      SignalName = "lifetime"       // tenure near the typical lifetime of leavers
	NoContact     SignalName = "no_contact"     // no contact for a while
)

// SignalNames lists the signals in the order a warning shows them.
var SignalNames = []SignalName{Turnover, Balance, Transactions, ProductClosed, IncomeFalling, Lifetime, NoContact}

// labelIDs are the message ids of the signals' names.
var labelIDs = map[SignalName]string{
	Turnover: "signals.label.turnover", Balance: "signals.label.balance", Transactions: "signals.label.transactions",
	ProductClosed: "signals.label.product_closed", IncomeFalling: "signals.label.income_falling",
	Lifetime: "signals.label.lifetime", NoContact: "signals.label.no_contact",
}

// LabelIn names the signal in locale l.
func (n SignalName) LabelIn(l i18n.Locale) string {
	if id, ok := labelIDs[n]; ok {
		return nameIn(l, id, "")
	}
	return string(n)
}

// Label names the signal in English.
func (n SignalName) Label() string {
	switch n {
	case Turnover:
		return "Turnover fell"
	case Balance:
		return "Balance fell"
	case Transactions:
		return "Transactions fell"
	case ProductClosed:
		return "Product closed"
	case IncomeFalling:
		return "Income falling"
	case Lifetime:
		return "Near the typical lifetime"
	case NoContact:
		return "No contact"
	}
	return string(n)
}

// Unit says what a signal's Value measures.
func (n SignalName) Unit() string {
	switch n {
	case Turnover, Balance, Transactions:
		return "fall" // 0.4 is a 40% fall
	case ProductClosed, NoContact:
		return "days"
	case IncomeFalling:
		return "months in a row"
	case Lifetime:
		return "months from the typical lifetime"
	}
	return ""
}

// Signal is one signal of a warning.
type Signal struct {
	Name  SignalName
	Fired bool // reached its threshold: the warning lists it
	// Value is the measure the threshold applies to (see SignalName.Unit);
	// nil when it cannot be measured (too few months, no leavers yet).
	Value    *float64
	Strength float64 // 0-1: how strongly the client shows the sign
	Share    float64 // of the weighted sum of the signals, 0-1
	// Label and Figures are the signal's name and its figures in words, in
	// the language of the context the warning was read with (English
	// without one); Data is the figures as stored: the message key and its
	// named figures (internal/reasons, migration 00024).
	Label   string
	Figures string
	Data    []byte
}

// Warning is a client's churn warning.
type Warning struct {
	ClientID    int64
	ClientRef   string // the client's id in its bank
	ClientName  string
	BankCode    string
	Currency    string
	MinorDigits int
	ManagerID   int64 // zero when the client has no manager
	ManagerName string
	Score       int // 0-100
	Level       Level
	Since       time.Time // as-of month of the first run in a row that warned
	AsOf        time.Time
	Signals     []Signal // every signal, in SignalNames order

	// The figures behind the signals, exact.
	TurnoverRecent, TurnoverBase *int64 // a month, minor units
	BalanceRecent, BalanceBase   *int64
	TxRecent, TxBase             *float64 // a month
	ClosedProductID              int64    // zero: none closed
	ClosedProductCode            string
	ClosedOn                     time.Time
	ClosedKey                    bool
	IncomeFrom, IncomeTo         *int64   // a month, at the start and the end of the fall
	LifetimeTypical              *float64 // months: median tenure at exit of leavers
	LifetimeLeavers              int
	LifetimeTenure               int
	LastContact                  time.Time // zero: never contacted

	// Where the client stands, for the churn list and its exports.
	ManagerLogin           string
	Region, Branch         string
	IndustryCode, Industry string
	SegmentID              int64  // zero: not scored by the same run (not expected)
	Segment                string // the segment's label
	Stage                  string // a segments.Stage
	CLV                    *int64 // the value at risk: the client's lifetime value; nil when not known

	// Probability is the chance the client leaves within the horizon, as
	// its scorer gives it (Score is its rounding to 0-100); ModelID the
	// learned model that scored it (zero: the fixed weights).
	Probability float64
	ModelID     int64
	// Inputs are every input of the score with its figure and contribution,
	// the largest contribution first.
	Inputs []InputValue
}

// InputValue is one input of a client's churn score: its value, how it reads,
// and how much it moved the score's log-odds (positive: towards leaving).
// Its Label and Figure are in the language it was read in (InputValues).
type InputValue struct {
	Input
	Value        float64 // NaN: no figure
	Figure       string
	Contribution float64
}

// Reasons are the inputs that raise the score most, at most n, biggest
// first: the warning's top reasons.
func (w Warning) Reasons(n int) []InputValue {
	var out []InputValue
	for _, in := range w.Inputs {
		if len(out) == n {
			break
		}
		if in.Contribution > 0 {
			out = append(out, in)
		}
	}
	return out
}

// MaxContribution is the largest contribution in absolute value, to scale
// the bars of the inputs.
func (w Warning) MaxContribution() float64 {
	var m float64
	for _, in := range w.Inputs {
		m = max(m, math.Abs(in.Contribution))
	}
	return m
}

// InputValues pairs a scored client's inputs and contributions (in the order
// of codes, as the run published them) with the registry, largest
// contribution first, their labels and figures in locale l. A code this
// version does not know is shown by its code.
func InputValues(l i18n.Locale, codes []string, inputs, contribs []*float32, currency string, digits int) []InputValue {
	// As many as there are values: an unscored client has none, whatever
	// its bank's scorer's 40 codes (a capacity of 40 was 4.6 kB a row).
	out := make([]InputValue, 0, min(len(codes), len(inputs), len(contribs)))
	for k, code := range codes {
		if k >= len(inputs) || k >= len(contribs) {
			break
		}
		in, ok := InputByCode(code)
		if !ok {
			in = Input{Code: code, Label: code, Unit: Count}
		}
		v := math.NaN()
		if inputs[k] != nil {
			v = float64(*inputs[k])
		}
		var c float64
		if contribs[k] != nil {
			c = float64(*contribs[k])
		}
		figure := in.FormatIn(l, v, currency, digits)
		in.Label = in.LabelIn(l)
		out = append(out, InputValue{Input: in, Value: v, Figure: figure, Contribution: c})
	}
	slices.SortStableFunc(out, func(a, b InputValue) int {
		return cmp.Compare(math.Abs(b.Contribution), math.Abs(a.Contribution))
	})
	return out
}

// Fired returns the signals that reached their threshold.
func (w Warning) Fired() []Signal {
	var out []Signal
	for _, s := range w.Signals {
		if s.Fired {
			out = append(out, s)
		}
	}
	return out
}

// Signal returns the warning's signal called name.
func (w Warning) Signal(name SignalName) Signal {
	for _, s := range w.Signals {
		if s.Name == name {
			return s
		}
	}
	return Signal{Name: name}
}

// scan scans the columns every read selects and writes the signals in
// locale l.
func scan(l i18n.Locale, row pgx.Row, extra ...any) (Warning, error) {
	var r scanned
	if err := r.scan(row, extra...); err != nil {
		return Warning{}, err
	}
	return r.finish(l)
}

// scanned is a row as read, before its figures are put into words: scan
// in two halves, so that an export can read rows in one goroutine and word
// them in others (eachOrdered).
type scanned struct {
	w                     Warning
	sig                   []Signal
	closedOn, lastContact *time.Time
	inputs, contribs      []*float32
	codes                 []string
}

// scan reads the columns every read selects, then extra.
func (r *scanned) scan(row pgx.Row, extra ...any) error {
	w := &r.w
	r.sig = make([]Signal, len(SignalNames))
	sig := r.sig
	for i, n := range SignalNames {
		sig[i].Name = n
	}
	dest := make([]any, 0, 80+len(extra)) // the columns below and extra, without growing
	dest = append(dest, &w.ClientID, &w.ClientRef, &w.ClientName, &w.BankCode, &w.Currency, &w.MinorDigits, &w.ManagerID,
		&w.ManagerName, &w.Score, &w.Level, &w.Since, &w.AsOf,
		&w.TurnoverRecent, &w.TurnoverBase, &sig[0].Value, &sig[0].Fired, &sig[0].Strength, &sig[0].Share, &sig[0].Data,
		&w.BalanceRecent, &w.BalanceBase, &sig[1].Value, &sig[1].Fired, &sig[1].Strength, &sig[1].Share, &sig[1].Data,
		&w.TxRecent, &w.TxBase, &sig[2].Value, &sig[2].Fired, &sig[2].Strength, &sig[2].Share, &sig[2].Data,
		&w.ClosedProductID, &w.ClosedProductCode, &r.closedOn, &w.ClosedKey,
		&sig[3].Value, &sig[3].Fired, &sig[3].Strength, &sig[3].Share, &sig[3].Data,
		&w.IncomeFrom, &w.IncomeTo, &sig[4].Value, &sig[4].Fired, &sig[4].Strength, &sig[4].Share, &sig[4].Data,
		&w.LifetimeTypical, &w.LifetimeLeavers, &w.LifetimeTenure,
		&sig[5].Value, &sig[5].Fired, &sig[5].Strength, &sig[5].Share, &sig[5].Data,
		&r.lastContact, &sig[6].Value, &sig[6].Fired, &sig[6].Strength, &sig[6].Share, &sig[6].Data,
		&w.ManagerLogin, &w.Region, &w.Branch, &w.IndustryCode, &w.Industry, &w.SegmentID, &w.Segment,
		&w.Stage, &w.CLV, &w.Probability, &w.ModelID, &r.inputs, &r.contribs, &r.codes)
	return row.Scan(append(dest, extra...)...)
}

// finish puts the row's inputs and signals into words in locale l.
func (r *scanned) finish(l i18n.Locale) (Warning, error) {
	w, sig := r.w, r.sig
	w.Inputs = InputValues(l, r.codes, r.inputs, r.contribs, w.Currency, w.MinorDigits)
	cur := reasons.Currency{Code: w.Currency, MinorDigits: w.MinorDigits}
	for i := range sig {
		sig[i].Label = sig[i].Name.LabelIn(l)
		text, err := reasons.Signal(l, sig[i].Data, cur)
		if err != nil {
			return Warning{}, fmt.Errorf("client %d, signal %s: %w", w.ClientID, sig[i].Name, err)
		}
		sig[i].Figures = text
	}
	if r.closedOn != nil {
		w.ClosedOn = *r.closedOn
	}
	if r.lastContact != nil {
		w.LastContact = *r.lastContact
	}
	w.Signals = sig
	return w, nil
}

// ForClient returns a client's warning, or db.ErrNotFound when the client has
// none or v may not see it.
func ForClient(ctx context.Context, q db.Querier, v access.Viewer, clientID int64) (Warning, error) {
	var args db.Args
	args.Add(clientID)
	w, err := scan(i18n.From(ctx), q.QueryRow(ctx, access.Scoped(queries.Get("for-client"), v, &args), args.Values()...))
	if errors.Is(err, pgx.ErrNoRows) {
		return Warning{}, fmt.Errorf("client %d warning: %w", clientID, db.ErrNotFound)
	}
	if err != nil {
		return Warning{}, fmt.Errorf("client %d warning: %w", clientID, err)
	}
	return w, nil
}

// ListFilter selects and orders the churn list, or a page of it; zero values
// select everything, riskiest first.
type ListFilter struct {
	BankID, RegionID, BranchID, IndustryID int64
	ManagerID                              int64
	Level                                  Level
	Signal                                 SignalName // only warnings where this signal fired
	Sort                                   string     // a key of Sorts; default "-score"
	Page                                   int        // from 1
	PerPage                                int        // default 50, at most MaxPerPage
	// After, when set, asks for the page after this key (the API's cursor)
	// in the order of Sort instead of a page by number: Page is ignored and
	// Total is not counted.
	After *Key
}

// Key is a warning's place in every order of the list (the columns of
// client_warning the sorts read): a keyset cursor. Sort is the order it was
// taken in; a key of another order is refused.
type Key struct {
	Sort        string
	Probability *float64
	CLV         *int64
	Name        *string
	Since       *string // YYYY-MM-DD
	ClientID    int64
}

// keyCol is one column of a sort: its expression over w, its direction and
// where its nulls go (PostgreSQL's default: last ascending, first
// descending), and its value in a key (nil for null).
type keyCol struct {
	expr      string
	desc      bool
	nullsLast bool // with desc; ascending nulls are always last here
	notNull   bool
	cast      string
	value     func(Key) any
}

var (
	byProbability = keyCol{expr: "w.probability", desc: true, cast: "float8", value: func(k Key) any { return deref(k.Probability) }}
	byClient      = keyCol{expr: "w.client_id", notNull: true, cast: "bigint", value: func(k Key) any { return k.ClientID }}
	byCLV         = keyCol{expr: "w.clv", cast: "bigint", value: func(k Key) any { return deref(k.CLV) }}
	byName        = keyCol{expr: "w.legal_name", cast: "text", value: func(k Key) any { return deref(k.Name) }}
	bySince       = keyCol{expr: "w.warned_since", cast: "date", value: func(k Key) any { return deref(k.Since) }}
)

func deref[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}

func descending(c keyCol, nullsLast bool) keyCol {
	c.desc, c.nullsLast = true, nullsLast
	return c
}

// sortKeys are the columns of each of Sorts; ties go to the higher score,
// then the client id, so that every order is total. The riskiest first is
// the order of the scope indexes, so that a page of it is read from an index
// with a limit.
var sortKeys = map[string][]keyCol{
	"-score": {byProbability, byClient},
	"score":  {func() keyCol { c := byProbability; c.desc = false; return c }(), byClient},
	"-clv":   {descending(byCLV, true), byProbability, byClient},
	"clv":    {byCLV, byProbability, byClient},
	"name":   {byName, byProbability, byClient},
	"-name":  {descending(byName, false), byProbability, byClient},
	"since":  {bySince, byProbability, byClient},
	"-since": {descending(bySince, false), byProbability, byClient},
}

// orderBy is the ORDER BY of cols.
func orderBy(cols []keyCol) string {
	parts := make([]string, len(cols))
	for i, c := range cols {
		parts[i] = c.expr
		if c.desc {
			parts[i] += " DESC"
			if c.nullsLast {
				parts[i] += " NULLS LAST"
			}
		}
	}
	return strings.Join(parts, ", ")
}

// keysetAfter is the condition over w that keeps the rows after k in the
// order of cols, adding its parameters to args: for each column, the rows
// equal on the columns before it and after k on it. Nulls are placed as
// ORDER BY places them. A leading bound on the first column (when k's value
// is not null and the order puts nulls first or has none after it) lets the
// scan start at k in an index of that order.
func keysetAfter(cols []keyCol, k Key, args *db.Args) string {
	var ors, eqs []string
	bound := ""
	for i, c := range cols {
		v := c.value(k)
		nullsFirst := c.desc && !c.nullsLast
		var after, eq string
		if v == nil {
			eq = c.expr + " IS NULL"
			if nullsFirst {
				after = c.expr + " IS NOT NULL"
			}
		} else {
			p := args.Add(v) + "::" + c.cast
			eq = c.expr + " = " + p
			op := ">"
			if c.desc {
				op = "<"
			}
			after = c.expr + " " + op + " " + p
			if !nullsFirst && !c.notNull {
				after = "(" + after + " OR " + c.expr + " IS NULL)"
			}
			if i == 0 && nullsFirst {
				bound = c.expr + " <= " + p + " AND "
			}
		}
		if after != "" {
			ors = append(ors, strings.Join(append(slices.Clone(eqs), after), " AND "))
		}
		eqs = append(eqs, eq)
	}
	if len(ors) == 0 {
		return "false"
	}
	return bound + "(" + strings.Join(ors, " OR ") + ")"
}

// MaxPerPage bounds a page of the list.
const MaxPerPage = 200

// Sorts are the orders the churn list offers, by key; "-" is descending.
// Ties go to the higher score, then the client id (sortKeys).
var Sorts = []string{"-score", "score", "-clv", "clv", "name", "-name", "since", "-since"}

// sortOrder is the ORDER BY of each of Sorts over the warning aliased w.
var sortOrder = func() map[string]string {
	m := make(map[string]string, len(sortKeys))
	for s, cols := range sortKeys {
		m[s] = orderBy(cols)
	}
	return m
}()

// Validate normalises f and reports each value it cannot use, by the URL
// parameter that carries it.
func (f *ListFilter) Validate() error {
	errs := input.Errors{}
	if f.Level != "" && f.Level != Watch && f.Level != High {
		errs.Add("level", fmt.Sprintf("%q is not a level; use watch or high", f.Level))
	}
	if f.Signal != "" && !slices.Contains(SignalNames, f.Signal) {
		names := make([]string, len(SignalNames))
		for i, n := range SignalNames {
			names[i] = string(n)
		}
		errs.Add("signal", fmt.Sprintf("%q is not a signal; use one of %s", f.Signal, strings.Join(names, ", ")))
	}
	if f.Sort == "" {
		f.Sort = "-score"
	}
	if !slices.Contains(Sorts, f.Sort) {
		errs.Add("sort", fmt.Sprintf("%q is not an order; use score, clv, name or since, with - for descending", f.Sort))
	}
	for name, id := range map[string]int64{"bank": f.BankID, "region": f.RegionID, "branch": f.BranchID,
		"industry": f.IndustryID, "manager": f.ManagerID} {
		if id < 0 {
			errs.Add(name, fmt.Sprintf("%d is not a valid choice", id))
		}
	}
	if f.Page < 0 {
		errs.Add("page", "the page number must be 1 or more")
	}
	if f.Page == 0 {
		f.Page = 1
	}
	if f.PerPage <= 0 || f.PerPage > MaxPerPage {
		f.PerPage = 50
	}
	return errs.Err()
}

// Page is a page of warnings.
type Page struct {
	Warnings      []Warning
	Total         int // the warnings that match, on every page but one after a key
	Page, PerPage int
	// Next is the key of the page's last warning when another page follows;
	// nil on the last page.
	Next *Key
}

// Pages is the number of pages the total fills.
func (p Page) Pages() int {
	if p.PerPage <= 0 {
		return 0
	}
	return (p.Total + p.PerPage - 1) / p.PerPage
}

// List returns a page of the warnings of the clients v sees that match f,
// highest score first unless f says otherwise: the churn list. A filter it
// cannot use is an input.Errors naming it.
func List(ctx context.Context, q db.Querier, v access.Viewer, f ListFilter) (Page, error) {
	if err := f.Validate(); err != nil {
		return Page{}, err
	}
	page := Page{Page: f.Page, PerPage: f.PerPage}
	limit, offset := f.PerPage, (f.Page-1)*f.PerPage
	if f.After != nil {
		// one more than a page, to know whether another follows
		page.Page, limit, offset = 0, f.PerPage+1, 0
	}
	var last string
	n, err := each(ctx, q, v, f, limit, offset, &page.Total, func(w *Warning, key string) error {
		if len(page.Warnings) < f.PerPage {
			page.Warnings = append(page.Warnings, *w)
			last = key
		}
		return nil
	})
	if err != nil {
		return Page{}, err
	}
	more := f.After == nil && f.Page*f.PerPage < page.Total || f.After != nil && n > int64(f.PerPage)
	if f.After != nil {
		page.Total = 0
	}
	if more && last != "" {
		k := Key{Sort: f.Sort}
		if err := json.Unmarshal([]byte(last), &k); err != nil {
			return Page{}, fmt.Errorf("churn list: a row's key: %w", err)
		}
		page.Next = &k
	}
	if len(page.Warnings) == 0 && f.Page > 1 && f.After == nil {
		// Past the last page the count is not read; say how many there are.
		var total int
		f.After = nil
		if _, err := each(ctx, q, v, f, 1, 0, &total, func(*Warning, string) error { return nil }); err != nil {
			return Page{}, err
		}
		page.Total = total
	}
	return page, nil
}

// Each calls fn with every warning of the clients v sees that match f, in the
// list's order (f's page is ignored), reading them one at a time so that
// memory stays flat whatever their number. It returns how many it read; an
// error from fn stops the reading and is returned.
func Each(ctx context.Context, q db.Querier, v access.Viewer, f ListFilter, fn func(*Warning) error) (int64, error) {
	if err := f.Validate(); err != nil {
		return 0, err
	}
	f.After = nil
	return eachExport(ctx, q, v, f, queries.Get("list"), fn)
}

// beginner is a pool, or anything else that can begin a transaction.
type beginner interface {
	BeginTx(context.Context, pgx.TxOptions) (pgx.Tx, error)
}

// inSnapshot runs read in one read-only repeatable-read transaction of p, so
// that every statement it runs sees the same snapshot.
func inSnapshot(ctx context.Context, p beginner, read func(q db.Querier) (int64, error)) (int64, error) {
	tx, err := p.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return 0, fmt.Errorf("churn list: %w", err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	n, err := read(tx)
	if err != nil {
		return n, err
	}
	return n, tx.Commit(ctx)
}

// eachExport reads the whole list for Each: the statement list (its text
// is passed in, so that a test can run a statement it replaced: the rows
// first, then their wide columns in order, no page key, no count) and each
// bank's scorer's input codes (scorer-codes, once, rather than on every row),
// in one read-only repeatable-read transaction when q is a pool, so that the
// codes are those the rows were scored with.
func eachExport(ctx context.Context, q db.Querier, v access.Viewer, f ListFilter, list string,
	fn func(*Warning) error) (int64, error) {
	if p, ok := q.(beginner); ok {
		return inSnapshot(ctx, p, func(tx db.Querier) (int64, error) { return eachExport(ctx, tx, v, f, list, fn) })
	}
	if _, ok := sortKeys[f.Sort]; !ok {
		return 0, fmt.Errorf("churn list: no order for sort %q", f.Sort)
	}
	codes := map[int64][]string{}
	rows, err := q.Query(ctx, queries.Get("scorer-codes"))
	if err != nil {
		return 0, fmt.Errorf("churn list: scorers' inputs: %w", err)
	}
	var bank int64
	var c []string
	if _, err := pgx.ForEachRow(rows, []any{&bank, &c}, func() error {
		codes[bank] = c
		return nil
	}); err != nil {
		return 0, fmt.Errorf("churn list: scorers' inputs: %w", err)
	}
	stmt, args := listStatement(v, f, list)
	rows, err = q.Query(ctx, stmt, args...)
	if err != nil {
		return 0, fmt.Errorf("churn list: %w", err)
	}
	defer rows.Close()
	return eachOrdered(rows, i18n.From(ctx), codes, fn)
}

// listStatement is list (or a statement of its parameters and markers)
// for v, filtered and ordered by f, with its arguments.
func listStatement(v access.Viewer, f ListFilter, list string) (string, []any) {
	var args db.Args
	for _, a := range []any{f.BankID, f.RegionID, f.BranchID, f.IndustryID, f.ManagerID, string(f.Level),
		string(f.Signal)} {
		args.Add(a)
	}
	return strings.ReplaceAll(access.Scoped(list, v, &args), db.OrderMarker, sortOrder[f.Sort]), args.Values()
}

// each reads a page of the list, limit rows from offset (eachOnPage). total
// receives the number of rows that match, counted on the first page; nil:
// not counted. (The whole list, for an export, is eachExport's.)
func each(ctx context.Context, q db.Querier, v access.Viewer, f ListFilter, limit, offset int, total *int,
	fn func(w *Warning, key string) error) (int64, error) {
	var args db.Args
	var lim any
	if limit >= 0 {
		lim = limit
	}
	count := f.After == nil && total != nil
	if total == nil {
		total = new(int)
	}
	for _, a := range []any{f.BankID, f.RegionID, f.BranchID, f.IndustryID, f.ManagerID, string(f.Level),
		string(f.Signal), lim, offset, count} {
		args.Add(a)
	}
	cols, ok := sortKeys[f.Sort]
	if !ok {
		return 0, fmt.Errorf("churn list: no order for sort %q", f.Sort)
	}
	after := "true"
	if f.After != nil {
		if f.After.Sort != f.Sort {
			return 0, input.Errors{"cursor": fmt.Sprintf("a cursor of the order %q, not of %q", f.After.Sort, f.Sort)}
		}
		after = keysetAfter(cols, *f.After, &args)
	}
	stmt := strings.ReplaceAll(access.Scoped(queries.Get("list-page"), v, &args), db.OrderMarker, sortOrder[f.Sort])
	stmt = strings.ReplaceAll(stmt, db.AfterMarker, after)
	return eachOnPage(ctx, q, v, f, stmt, args.Values(), total, fn)
}

// eachOnPage reads a page in two statements (list-page, then list-rows),
// in one read-only transaction when q is a pool: the first finds the page's
// client ids and the count in client_warning alone, the second reads their
// rows with a text that depends only on the viewer's role and the sort, so
// that PostgreSQL plans it once per connection. (The one statement of list,
// 13 tables with the filters folded in, was planned at every request and
// took as long to plan as to run.)
func eachOnPage(ctx context.Context, q db.Querier, v access.Viewer, f ListFilter, page string, args []any, total *int,
	fn func(w *Warning, key string) error) (int64, error) {
	if p, ok := q.(beginner); ok {
		return inSnapshot(ctx, p, func(tx db.Querier) (int64, error) {
			return eachOnPage(ctx, tx, v, f, page, args, total, fn)
		})
	}
	var ids []int64
	if err := q.QueryRow(ctx, page, args...).Scan(&ids, total); err != nil {
		return 0, fmt.Errorf("churn list: %w", err)
	}
	if len(ids) == 0 {
		return 0, nil
	}
	var rowArgs db.Args
	rowArgs.Add(ids)
	stmt := strings.ReplaceAll(access.Scoped(queries.Get("list-rows"), v, &rowArgs), db.OrderMarker, sortOrder[f.Sort])
	var ignored int
	return eachRow(ctx, q, stmt, rowArgs.Values(), &ignored, fn)
}

// eachRow runs stmt, a statement of a page's columns, its key and a count,
// and calls fn with each warning in turn.
func eachRow(ctx context.Context, q db.Querier, stmt string, args []any, total *int,
	fn func(w *Warning, key string) error) (int64, error) {
	rows, err := q.Query(ctx, stmt, args...)
	if err != nil {
		return 0, fmt.Errorf("churn list: %w", err)
	}
	defer rows.Close()
	var n int64
	for rows.Next() {
		var key string
		w, err := scan(i18n.From(ctx), rows, &key, total)
		if err != nil {
			return n, fmt.Errorf("churn list: %w", err)
		}
		if err := fn(&w, key); err != nil {
			return n, err
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return n, fmt.Errorf("churn list: %w", err)
	}
	return n, nil
}

// eachOrdered calls fn with every row of rows (list's) in order, for an
// export, each with its bank's scorer's input codes from codes: this goroutine calls fn while one goroutine reads the rows and
// others put them into words (scanned.finish: the signals' sentences and the
// inputs' figures, most of an export's CPU), a batch at a time. At most a
// few batches are held at once, so memory stays flat. An error (reading,
// wording, or from fn) stops the reading; the rows before it have been
// passed to fn.
func eachOrdered(rows pgx.Rows, l i18n.Locale, codes map[int64][]string, fn func(w *Warning) error) (int64, error) {
	const batchRows = 64
	workers := min(max(runtime.GOMAXPROCS(0), 1), 4)
	type batch struct {
		rows []scanned
		out  []Warning
		err  error // wording row len(out) failed
		done chan struct{}
	}
	work := make(chan *batch, 2*workers)
	order := make(chan *batch, 2*workers)
	stop := make(chan struct{})
	var readErr error // set by the reader before it closes order
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // the reader: rows belong to this goroutine until it returns
		defer wg.Done()
		defer close(order)
		defer close(work)
		for more := true; more; {
			b := &batch{rows: make([]scanned, 0, batchRows), done: make(chan struct{})}
			for len(b.rows) < batchRows {
				if !rows.Next() {
					more = false
					break
				}
				b.rows = append(b.rows, scanned{})
				r := &b.rows[len(b.rows)-1]
				var bank int64
				if err := r.scan(rows, &bank); err != nil {
					b.rows = b.rows[:len(b.rows)-1]
					readErr, more = err, false
					break
				}
				r.codes = codes[bank]
			}
			if len(b.rows) == 0 {
				return
			}
			// to the workers first: every batch in order is then worded
			select {
			case work <- b:
			case <-stop:
				return
			}
			select {
			case order <- b:
			case <-stop:
				return
			}
		}
	}()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range work {
				b.out = make([]Warning, 0, len(b.rows))
				for i := range b.rows {
					w, err := b.rows[i].finish(l)
					if err != nil {
						b.err = err
						break
					}
					b.out = append(b.out, w)
				}
				b.rows = nil
				close(b.done)
			}
		}()
	}
	var n int64
	err := func() error {
		for b := range order {
			<-b.done
			for i := range b.out {
				if err := fn(&b.out[i]); err != nil {
					return err
				}
				n++
			}
			if b.err != nil {
				return fmt.Errorf("churn list: %w", b.err)
			}
		}
		return nil
	}()
	close(stop)
	for b := range order { // let the workers finish what was sent them
		<-b.done
	}
	wg.Wait()
	if err != nil {
		return n, err
	}
	if readErr != nil {
		return n, fmt.Errorf("churn list: %w", readErr)
	}
	if err := rows.Err(); err != nil {
		return n, fmt.Errorf("churn list: %w", err)
	}
	return n, nil
}
