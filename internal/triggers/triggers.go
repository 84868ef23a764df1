// Package triggers owns cross-sell triggers: this client, this product, this
// reason, this value. The nightly run raises and expires them; the manager
// moves them along (new, contacted, offered, then won, lost or dismissed),
// each move audited. Triggers of the control group are recorded like the
// others and never shown to a manager or a branch head.
package triggers

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/relaycrm/relay/internal/access"
	"github.com/relaycrm/relay/internal/db"
	"github.com/relaycrm/relay/internal/i18n"
	"github.com/relaycrm/relay/internal/reasons"
)

//go:embed triggers.sql
var sqlFS embed.FS

// SQL is the package's named queries, for the check at start.
var SQL = []db.File{db.MustLoadFile(sqlFS, "internal/triggers", "triggers.sql")}

var queries = SQL[0].Queries

// Status is where a trigger stands.
type Status string

// The statuses of a trigger.
const (
	New       Status = "new"
	Contacted Status = "contacted"
	Offered   Status = "offered"
	Won       Status = "won"
	Lost      Status = "lost"      // the client refused; carries a reason
	Dismissed Status = "dismissed" // not relevant; carries a reason
	Expired   Status = "expired"   // by the nightly run: product taken, client left or product out of the ideal set
)

// Statuses lists every status in the order of a trigger's life.
var Statuses = []Status{New, Contacted, Offered, Won, Lost, Dismissed, Expired}

// Open tells whether the trigger still waits for the manager.
func (s Status) Open() bool { return s == New || s == Contacted || s == Offered }

// NeedsReason tells whether moving to s takes a reason.
func (s Status) NeedsReason() bool { return s == Lost || s == Dismissed }

// Label names the status in English (the API, the command line).
func (s Status) Label() string { return s.Text(context.Background()) }

// Text names the status in ctx's language; a status Relay does not know
// shows its code.
func (s Status) Text(ctx context.Context) string {
	if !slices.Contains(Statuses, s) {
		return string(s)
	}
	return i18n.T(ctx, "triggers.status."+string(s))
}

// next are the moves a manager may make from each status.
var next = map[Status][]Status{
	New:       {Contacted, Offered, Won, Lost, Dismissed},
	Contacted: {Offered, Won, Lost, Dismissed},
	Offered:   {Won, Lost, Dismissed},
}

// Next lists the statuses a manager may move a trigger in s to.
func (s Status) Next() []Status { return next[s] }

// CanMoveTo tells whether a manager may move a trigger from s to to.
func (s Status) CanMoveTo(to Status) bool {
	for _, n := range next[s] {
		if n == to {
			return true
		}
	}
	return false
}

// Trigger is one cross-sell trigger.
type Trigger struct {
	ID            int64
	ClientID      int64
	ClientRef     string
	ClientName    string
	ManagerID     int64
	ProductID     int64
	ProductCode   string
	ProductName   string
	SegmentID     int64
	Status        Status
	StatusReason  string // why it was lost, dismissed or expired
	Hidden        bool   // control group: never shown to a manager or branch head
	Reason        string // in words and figures, as raised
	ExpectedValue int64  // ProductValue x 12, minor units
	Priority      int64  // ExpectedValue x Adoption
	Adoption      float64
	ProductValue  int64 // the product's monthly value in the segment
	BestClients   int
	BestHolders   int
	Currency      string
	MinorDigits   int
	RaisedAsOf    time.Time // the as-of month of the run that raised it
	RaisedAt      time.Time
	ChangedAt     time.Time
	ClosedAt      time.Time // zero while open
	// WonConfirmedAt is when a later feed showed the holding of a won
	// trigger; zero until then.
	WonConfirmedAt time.Time
}

// said is what a row keeps of why: a sentence written before migration
// 00014, or a message key and its figures (internal/reasons).
type said struct {
	text string
	key  *string
	args []byte
}

// read is one read of a trigger's columns: the scan targets every read
// selects, and what is turned into the trigger once scanned.
type read struct {
	l                 i18n.Locale // the language the reasons are written in
	t                 *Trigger
	closed, confirmed *time.Time
	reason, status    said
}

func newRead(l i18n.Locale, t *Trigger) *read { return &read{l: l, t: t} }

// dest are the scan targets of the trigger columns every read selects.
func (r *read) dest() []any {
	t := r.t
	return []any{&t.ID, &t.ClientID, &t.ClientRef, &t.ClientName, &t.ManagerID, &t.ProductID, &t.ProductCode,
		&t.ProductName, &t.SegmentID, &t.Status, &r.status.text, &r.status.key, &r.status.args, &t.Hidden,
		&r.reason.text, &r.reason.key, &r.reason.args, &t.ExpectedValue,
		&t.Priority, &t.Adoption, &t.ProductValue, &t.BestClients, &t.BestHolders, &t.Currency, &t.MinorDigits,
		&t.RaisedAsOf, &t.RaisedAt, &t.ChangedAt, &r.closed, &r.confirmed}
}

// finish writes the scanned trigger's dates and its reasons in words.
func (r *read) finish() error {
	t := r.t
	if r.closed != nil {
		t.ClosedAt = *r.closed
	}
	if r.confirmed != nil {
		t.WonConfirmedAt = *r.confirmed
	}
	cur := reasons.Currency{Code: t.Currency, MinorDigits: t.MinorDigits}
	var err error
	if t.Reason, err = reasons.Stored(r.l, r.reason.text, r.reason.key, r.reason.args, cur); err != nil {
		return fmt.Errorf("trigger %d: %w", t.ID, err)
	}
	if t.StatusReason, err = reasons.Stored(r.l, r.status.text, r.status.key, r.status.args, cur); err != nil {
		return fmt.Errorf("trigger %d: %w", t.ID, err)
	}
	// the nightly run's sentences from before reasons were data (a
	// manager's words in status_reason are theirs, and only a lost or
	// dismissed trigger has them)
	if r.reason.key == nil || *r.reason.key == "" {
		t.Reason = reasons.Legacy(r.l, t.Reason)
	}
	if (r.status.key == nil || *r.status.key == "") && t.Status == Expired {
		t.StatusReason = reasons.Legacy(r.l, t.StatusReason)
	}
	return nil
}

// scan reads a trigger, its reasons written in locale l (the reader's:
// i18n.From of the request's context).
func scan(l i18n.Locale, row pgx.Row) (Trigger, error) {
	var t Trigger
	r := newRead(l, &t)
	if err := row.Scan(r.dest()...); err != nil {
		return Trigger{}, err
	}
	if err := r.finish(); err != nil {
		return Trigger{}, err
	}
	return t, nil
}

// SeesHidden tells whether v may see control-group triggers: only the risk
// team, which measures the uplift; never a manager or a branch head.
func SeesHidden(v access.Viewer) bool { return v.Role == access.Risk }

// ForClient returns a client's triggers, open ones first by priority, then
// the past ones newest first. Control-group triggers are left out for managers
// and branch heads. A client v may not see has none.
func ForClient(ctx context.Context, q db.Querier, v access.Viewer, clientID int64) ([]Trigger, error) {
	var args db.Args
	args.Add(clientID)
	args.Add(SeesHidden(v))
	rows, err := q.Query(ctx, access.Scoped(queries.Get("for-client"), v, &args), args.Values()...)
	if err != nil {
		return nil, fmt.Errorf("client %d triggers: %w", clientID, err)
	}
	defer rows.Close()
	var out []Trigger
	for rows.Next() {
		t, err := scan(i18n.From(ctx), rows)
		if err != nil {
			return nil, fmt.Errorf("client %d triggers: %w", clientID, err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("client %d triggers: %w", clientID, err)
	}
	return out, nil
}

// Get returns one trigger, or db.ErrNotFound when v may not see it.
func Get(ctx context.Context, q db.Querier, v access.Viewer, id int64) (Trigger, error) {
	var args db.Args
	args.Add(id)
	args.Add(SeesHidden(v))
	t, err := scan(i18n.From(ctx), q.QueryRow(ctx, access.Scoped(queries.Get("get"), v, &args), args.Values()...))
	if errors.Is(err, pgx.ErrNoRows) {
		return Trigger{}, fmt.Errorf("trigger %d: %w", id, db.ErrNotFound)
	}
	if err != nil {
		return Trigger{}, fmt.Errorf("trigger %d: %w", id, err)
	}
	return t, nil
}

// ListFilter selects a page of open triggers, highest priority first.
type ListFilter struct {
	ManagerID int64  // zero: every manager v sees
	ProductID int64  // zero: every product
	Status    Status // "": every open status
	Page      int    // from 1
	PerPage   int    // default 50, at most 200
	// After, when set, asks for the page after this key (the API's cursor)
	// instead of a page by number: Page is ignored and Total not counted.
	After *Key
}

// Key is a trigger's place in the open list's order (priority descending,
// then id): a keyset cursor.
type Key struct {
	Priority int64
	ID       int64
}

// Page is a page of triggers.
type Page struct {
	Triggers      []Trigger
	Total         int // every trigger of the list; not counted for a page after a key
	Page, PerPage int
	// Next is the key of the page's last trigger when another page follows;
	// nil on the last page.
	Next *Key
}

// ListOpen returns a page of the open triggers of the clients v sees, highest
// priority first: a manager's worklist. Control-group triggers are left out
// for managers and branch heads.
func ListOpen(ctx context.Context, q db.Querier, v access.Viewer, f ListFilter) (Page, error) {
	if f.Status != "" && !f.Status.Open() {
		return Page{}, fmt.Errorf("status: %q is not an open status; use new, contacted or offered", f.Status)
	}
	if f.PerPage <= 0 || f.PerPage > 200 {
		f.PerPage = 50
	}
	if f.Page < 1 {
		f.Page = 1
	}
	var args db.Args
	args.Add(SeesHidden(v))
	args.Add(f.ManagerID)
	args.Add(f.ProductID)
	args.Add(string(f.Status))
	query := "list-open"
	if f.After != nil {
		// one more than a page, to know whether another follows
		query = "list-open-after"
		f.Page = 0
		args.Add(f.After.Priority)
		args.Add(f.After.ID)
		args.Add(f.PerPage + 1)
	} else {
		args.Add(f.PerPage)
		args.Add((f.Page - 1) * f.PerPage)
	}
	rows, err := q.Query(ctx, access.Scoped(queries.Get(query), v, &args), args.Values()...)
	if err != nil {
		return Page{}, fmt.Errorf("open triggers: %w", err)
	}
	defer rows.Close()
	page := Page{Page: f.Page, PerPage: f.PerPage}
	var total int
	for rows.Next() {
		var t Trigger
		rd := newRead(i18n.From(ctx), &t)
		if err := rows.Scan(append(rd.dest(), &total)...); err != nil {
			return Page{}, fmt.Errorf("open triggers: %w", err)
		}
		if err := rd.finish(); err != nil {
			return Page{}, fmt.Errorf("open triggers: %w", err)
		}
		page.Triggers = append(page.Triggers, t)
	}
	if err := rows.Err(); err != nil {
		return Page{}, fmt.Errorf("open triggers: %w", err)
	}
	more := len(page.Triggers) > f.PerPage
	if f.After == nil {
		page.Total = total
		more = f.Page*f.PerPage < total
	}
	page.Triggers = page.Triggers[:min(len(page.Triggers), f.PerPage)]
	if more && len(page.Triggers) > 0 {
		last := page.Triggers[len(page.Triggers)-1]
		page.Next = &Key{Priority: last.Priority, ID: last.ID}
	}
	return page, nil
}

// Ranked is an open trigger as the next best action ranks it.
type Ranked struct {
	Trigger
	// WarningLevel is "watch" when the client has a watch-level churn warning
	// (its rank is lowered), "" when none.
	WarningLevel string
	WarningScore int
	// Rank is the priority the action is ranked by: Priority, times
	// trigger.watch_factor under a watch warning.
	Rank int64
}

// ListRanked returns a page of the open triggers of the clients v sees that a
// manager should act on, in the next best action's order: clients under a
// high churn warning are left out (their offers wait: ListWaiting), a watch
// warning multiplies the priority by watchFactor. It also returns how many
// there are in all. Control-group triggers never show.
func ListRanked(ctx context.Context, q db.Querier, v access.Viewer, watchFactor float64, limit, offset int) ([]Ranked, int, error) {
	var args db.Args
	args.Add(watchFactor)
	args.Add(limit)
	args.Add(offset)
	rows, err := q.Query(ctx, access.Scoped(queries.Get("list-ranked"), v, &args), args.Values()...)
	if err != nil {
		return nil, 0, fmt.Errorf("ranked triggers: %w", err)
	}
	defer rows.Close()
	var out []Ranked
	total := 0
	for rows.Next() {
		var r Ranked
		rd := newRead(i18n.From(ctx), &r.Trigger)
		if err := rows.Scan(append(rd.dest(), &r.WarningLevel, &r.WarningScore, &r.Rank, &total)...); err != nil {
			return nil, 0, fmt.Errorf("ranked triggers: %w", err)
		}
		if err := rd.finish(); err != nil {
			return nil, 0, fmt.Errorf("ranked triggers: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("ranked triggers: %w", err)
	}
	if len(out) == 0 && offset > 0 {
		// past the end: still say how many there are
		if _, n, err := ListRanked(ctx, q, v, watchFactor, 1, 0); err == nil {
			total = n
		} else {
			return nil, 0, err
		}
	}
	return out, total, nil
}

// ListWaiting returns the open triggers of the clients v sees that wait
// because the client has a high churn warning, by client then priority.
func ListWaiting(ctx context.Context, q db.Querier, v access.Viewer) ([]Trigger, error) {
	var args db.Args
	rows, err := q.Query(ctx, access.Scoped(queries.Get("list-waiting"), v, &args), args.Values()...)
	if err != nil {
		return nil, fmt.Errorf("waiting triggers: %w", err)
	}
	defer rows.Close()
	var out []Trigger
	for rows.Next() {
		t, err := scan(i18n.From(ctx), rows)
		if err != nil {
			return nil, fmt.Errorf("waiting triggers: %w", err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("waiting triggers: %w", err)
	}
	return out, nil
}

// HeldBack returns how many open triggers of a client are held back for the
// control group (the card says so instead of showing them); zero for a client
// v may not see.
func HeldBack(ctx context.Context, q db.Querier, v access.Viewer, clientID int64) (int, error) {
	var args db.Args
	args.Add(clientID)
	var n int
	if err := q.QueryRow(ctx, access.Scoped(queries.Get("held-back"), v, &args), args.Values()...).Scan(&n); err != nil {
		return 0, fmt.Errorf("client %d held-back triggers: %w", clientID, err)
	}
	return n, nil
}
