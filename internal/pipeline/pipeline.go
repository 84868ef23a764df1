// Package pipeline owns the branch head's pipeline screens' read models: the
// branch per manager (ForBranch) and one manager's book (BookOf), each read
// by one call in one read-only transaction. The pages call them; neither
// assembles a screen from its parts. The figures are counted at request
// time over covering indexes of the branch's clients and their triggers
// (migration 00023), so that a move or a reassignment shows at once.
package pipeline

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/relaycrm/relay/internal/access"
	"github.com/relaycrm/relay/internal/db"
	"github.com/relaycrm/relay/internal/triggers"
)

//go:embed pipeline.sql
var sqlFS embed.FS

// SQL is the package's named queries, for the check at start.
var SQL = []db.File{db.MustLoadFile(sqlFS, "internal/pipeline", "pipeline.sql")}

var queries = SQL[0].Queries

// UntouchedAfter is how long an open trigger may wait without a move before
// the pipeline flags it as untouched.
const UntouchedAfter = 14 * 24 * time.Hour

// ErrNotBranchHead is returned when someone other than a branch head asks for
// a branch's pipeline.
var ErrNotBranchHead = access.Forbidden("the pipeline is the branch head's page")

// Figures are one manager's pipeline, or the branch's.
//
// The status counts, Raised and WonConfirmed cover the triggers raised in the
// period, by their status now. Open, OpenValue and Untouched cover every open
// trigger, whenever raised: the work waiting now. WonCount and WonValue cover
// the wins a later feed confirmed during the period. Control-group triggers
// are never counted.
type Figures struct {
	Clients, ActiveClients int

	Raised                                                 int
	New, Contacted, Offered, Won, Lost, Dismissed, Expired int
	WonConfirmed                                           int // of Won, those a later feed confirmed

	Open      int
	OpenValue int64 // sum of the expected value of the open triggers, minor units
	Untouched int   // open triggers not moved for more than UntouchedAfter

	WonCount int
	WonValue int64 // sum of the expected value of the wins confirmed in the period

	HighWarnings  int // clients with a high churn warning
	HighNoContact int // of them, those with no contact logged since the warning began
}

// Count returns the number of triggers of the period in status s.
func (f Figures) Count(s triggers.Status) int {
	switch s {
	case triggers.New:
		return f.New
	case triggers.Contacted:
		return f.Contacted
	case triggers.Offered:
		return f.Offered
	case triggers.Won:
		return f.Won
	case triggers.Lost:
		return f.Lost
	case triggers.Dismissed:
		return f.Dismissed
	case triggers.Expired:
		return f.Expired
	}
	return 0
}

// Decided counts the triggers of the period the manager closed: won, lost or
// dismissed. Expired ones were closed by the nightly run, not by a decision.
func (f Figures) Decided() int { return f.Won + f.Lost + f.Dismissed }

// Conversion is the share of the decided triggers that were won, 0-1; ok is
// false when none was decided.
func (f Figures) Conversion() (rate float64, ok bool) {
	if f.Decided() == 0 {
		return 0, false
	}
	return float64(f.Won) / float64(f.Decided()), true
}

// Stage is a step of the funnel and the triggers that got at least that far.
type Stage struct {
	Name  string
	Count int
}

// Funnel follows the triggers of the period from raised to won. A status
// shows how far a trigger got: contacted counts those now contacted, offered,
// won or lost (a client who refused was reached); offered counts offered or
// won; won counts won.
func (f Figures) Funnel() []Stage {
	return []Stage{
		{"Raised", f.Raised},
		{"Contacted", f.Contacted + f.Offered + f.Won + f.Lost},
		{"Offered", f.Offered + f.Won},
		{"Won", f.Won},
	}
}

func (f *Figures) add(g Figures) {
	f.Clients += g.Clients
	f.ActiveClients += g.ActiveClients
	f.Raised += g.Raised
	f.New += g.New
	f.Contacted += g.Contacted
	f.Offered += g.Offered
	f.Won += g.Won
	f.Lost += g.Lost
	f.Dismissed += g.Dismissed
	f.Expired += g.Expired
	f.WonConfirmed += g.WonConfirmed
	f.Open += g.Open
	f.OpenValue += g.OpenValue
	f.Untouched += g.Untouched
	f.WonCount += g.WonCount
	f.WonValue += g.WonValue
	f.HighWarnings += g.HighWarnings
	f.HighNoContact += g.HighNoContact
}

// ManagerFigures is one manager's row of the pipeline. ManagerID is zero for
// the branch's clients without a manager.
type ManagerFigures struct {
	ManagerID   int64
	Name, Login string
	Active      bool
	Figures
	won []MonthValue // WonValue and WonCount by month of the period
}

// MonthValue is the value of the wins confirmed in one month.
type MonthValue struct {
	Month time.Time
	Value int64
	Count int
}

// Heading is the branch a screen of the pipeline is of, and the period its
// figures cover.
type Heading struct {
	BranchCode, BranchName, BankName string
	Currency                         string // a branch is of one bank, so of one currency
	MinorDigits                      int
	// From and Until bound the period: the last 12 calendar months, the
	// current one included (Until is the start of the next month).
	From, Until time.Time
	// UntouchedBefore is the moment before which an open trigger's last move
	// makes it untouched.
	UntouchedBefore time.Time
	months          []time.Time // the first instant of each month of the period
}

// Pipeline is a branch's cross-sell pipeline, per manager: the branch head's
// screen.
type Pipeline struct {
	Heading
	Managers []ManagerFigures // by name; clients without a manager last
	Total    Figures
	WonTrend []MonthValue // every month of the period, oldest first
}

// Manager returns the row of manager id, and whether there is one.
func (p Pipeline) Manager(id int64) (ManagerFigures, bool) {
	for _, m := range p.Managers {
		if m.ManagerID == id {
			return m, true
		}
	}
	return ManagerFigures{}, false
}

// ForBranch returns the pipeline of v's branch as of now. Only a branch head
// has one; anyone else gets ErrNotBranchHead.
func ForBranch(ctx context.Context, pool *pgxpool.Pool, v access.Viewer, now time.Time) (Pipeline, error) {
	if v.Role != access.BranchHead {
		return Pipeline{}, ErrNotBranchHead
	}
	var p Pipeline
	err := db.ReadOnly(ctx, pool, func(q db.Querier) error {
		var err error
		if p.Heading, err = heading(ctx, q, v, now); err != nil {
			return err
		}
		if p.Managers, err = managerFigures(ctx, q, v, p.Heading, 0); err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return Pipeline{}, err
	}
	p.WonTrend = make([]MonthValue, len(p.months))
	for i, m := range p.months {
		p.WonTrend[i].Month = m
	}
	for _, m := range p.Managers {
		p.Total.add(m.Figures)
		for i, w := range m.won {
			p.WonTrend[i].Value += w.Value
			p.WonTrend[i].Count += w.Count
		}
	}
	return p, nil
}

// heading reads v's branch and the period as of now.
func heading(ctx context.Context, q db.Querier, v access.Viewer, now time.Time) (Heading, error) {
	h := Heading{UntouchedBefore: now.Add(-UntouchedAfter)}
	err := q.QueryRow(ctx, queries.Get("pipeline-branch"), v.BranchID, now).Scan(
		&h.BranchCode, &h.BranchName, &h.BankName, &h.Currency, &h.MinorDigits, &h.From, &h.Until, &h.months)
	if errors.Is(err, pgx.ErrNoRows) {
		return Heading{}, fmt.Errorf("branch %d: %w", v.BranchID, db.ErrNotFound)
	}
	if err != nil {
		return Heading{}, fmt.Errorf("pipeline of branch %d: %w", v.BranchID, err)
	}
	return h, nil
}

// managerFigures returns the rows of the managers of v's branch, or of
// manager only when it is not 0, with their figures over the period of h.
func managerFigures(ctx context.Context, q db.Querier, v access.Viewer, h Heading, manager int64) ([]ManagerFigures, error) {
	var only *int64
	if manager != 0 {
		only = &manager
	}
	var args db.Args
	args.Add(v.BranchID)
	args.Add(only)
	rows, err := q.Query(ctx, access.Scoped(queries.Get("pipeline-managers"), v, &args), args.Values()...)
	if err != nil {
		return nil, fmt.Errorf("pipeline of branch %d: %w", v.BranchID, err)
	}
	ms, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ManagerFigures, error) {
		var m ManagerFigures
		f := &m.Figures
		err := r.Scan(&m.ManagerID, &m.Name, &m.Login, &m.Active, &f.Clients, &f.ActiveClients,
			&f.HighWarnings, &f.HighNoContact)
		m.won = make([]MonthValue, len(h.months))
		return m, err
	})
	if err != nil {
		return nil, fmt.Errorf("pipeline of branch %d: %w", v.BranchID, err)
	}
	at := make(map[int64]int, len(ms))
	for i, m := range ms {
		at[m.ManagerID] = i
	}

	args = db.Args{}
	args.Add(h.From)
	args.Add(h.Until)
	args.Add(h.UntouchedBefore)
	args.Add(only)
	rows, err = q.Query(ctx, access.Scoped(queries.Get("pipeline-triggers"), v, &args), args.Values()...)
	if err != nil {
		return nil, fmt.Errorf("triggers of branch %d: %w", v.BranchID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var month *time.Time
		var f Figures
		if err := rows.Scan(&id, &month, &f.Raised, &f.New, &f.Contacted, &f.Offered, &f.Won, &f.Lost, &f.Dismissed,
			&f.Expired, &f.WonConfirmed, &f.Open, &f.OpenValue, &f.Untouched, &f.WonCount, &f.WonValue); err != nil {
			return nil, fmt.Errorf("triggers of branch %d: %w", v.BranchID, err)
		}
		i, ok := at[id]
		if !ok { // a client's manager is always listed with its clients
			return nil, fmt.Errorf("triggers of branch %d: manager %d has triggers but no row", v.BranchID, id)
		}
		ms[i].add(f)
		if month != nil {
			m := monthIndex(h.months, *month)
			if m < 0 {
				return nil, fmt.Errorf("triggers of branch %d: month %v is not of the period", v.BranchID, *month)
			}
			ms[i].won[m].Value += f.WonValue
			ms[i].won[m].Count += f.WonCount
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("triggers of branch %d: %w", v.BranchID, err)
	}
	return ms, nil
}

// monthIndex returns the place of month among months, -1 if none.
func monthIndex(months []time.Time, month time.Time) int {
	for i, m := range months {
		if m.Equal(month) {
			return i
		}
	}
	return -1
}

// BranchManager is a manager of a branch as the pipeline names them.
type BranchManager struct {
	ID          int64
	Name, Login string
	Active      bool
}

// OpenItem is an open trigger in a manager's book.
type OpenItem struct {
	ID                   int64
	ClientID             int64
	ClientName           string
	ProductCode, Product string
	Status               triggers.Status
	ExpectedValue        int64
	Priority             int64
	RaisedAt, ChangedAt  time.Time
}

// Untouched tells whether the trigger waited more than UntouchedAfter since
// its last move (or since it was raised) as of now.
func (t OpenItem) Untouched(now time.Time) bool { return now.Sub(t.ChangedAt) > UntouchedAfter }

// WarnedClient is a churn warning in a manager's book.
type WarnedClient struct {
	ClientID    int64
	ClientName  string
	Level       string // watch or high
	Score       int
	Since       time.Time // the as-of month of the first run in a row that warned
	LastContact time.Time // zero: never contacted
}

// ContactedSince tells whether a contact was logged with the client since
// the warning began.
func (w WarnedClient) ContactedSince() bool {
	return !w.LastContact.IsZero() && !w.LastContact.Before(w.Since)
}

// BookClient is one of a manager's clients.
type BookClient struct {
	ID             int64
	Ref, LegalName string
	Since          time.Time
	LeftOn         *time.Time
	OpenTriggers   int
	OpenValue      int64
	WarningLevel   string // "", watch or high
}

// Book is what one manager of the branch has in hand: their figures in the
// pipeline, their open triggers, their clients' warnings and their clients,
// and the colleagues their clients may be given to. It is the manager's page
// of the pipeline.
type Book struct {
	Heading
	Manager      BranchManager
	Figures      Figures    // the manager's row of the pipeline (all zero for a deactivated one without clients)
	Open         []OpenItem // highest priority first, at most BookLimit
	OpenTotal    int
	Warnings     []WarnedClient
	Clients      []BookClient // active first, by name, at most BookLimit
	ClientsTotal int
	Colleagues   []BranchManager // the branch's other active managers
}

// BookLimit bounds the triggers and the clients a book lists.
const BookLimit = 1000

// BookOf returns the book of manager id of v's branch as of now, or
// db.ErrNotFound when id is not a manager of that branch. It counts the
// figures of that manager's clients only, not the whole branch's.
func BookOf(ctx context.Context, pool *pgxpool.Pool, v access.Viewer, id int64, now time.Time) (Book, error) {
	if v.Role != access.BranchHead {
		return Book{}, ErrNotBranchHead
	}
	var b Book
	err := db.ReadOnly(ctx, pool, func(q db.Querier) error {
		var err error
		if b, err = book(ctx, q, v, id); err != nil {
			return err
		}
		if b.Heading, err = heading(ctx, q, v, now); err != nil {
			return err
		}
		rows, err := managerFigures(ctx, q, v, b.Heading, id)
		if err != nil {
			return err
		}
		for _, m := range rows {
			b.Figures.add(m.Figures)
		}
		return nil
	})
	if err != nil {
		return Book{}, err
	}
	return b, nil
}

// book reads the lists of manager id's book.
func book(ctx context.Context, q db.Querier, v access.Viewer, id int64) (Book, error) {
	var b Book
	m := &b.Manager
	err := q.QueryRow(ctx, queries.Get("branch-manager"), id, v.BranchID).Scan(&m.ID, &m.Name, &m.Login, &m.Active)
	if errors.Is(err, pgx.ErrNoRows) {
		return Book{}, fmt.Errorf("manager %d: %w", id, db.ErrNotFound)
	}
	if err != nil {
		return Book{}, fmt.Errorf("manager %d: %w", id, err)
	}

	var args db.Args
	args.Add(id)
	args.Add(BookLimit)
	rows, err := q.Query(ctx, access.Scoped(queries.Get("manager-open-triggers"), v, &args), args.Values()...)
	if err != nil {
		return Book{}, fmt.Errorf("open triggers of manager %d: %w", id, err)
	}
	b.Open, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (OpenItem, error) {
		var t OpenItem
		return t, r.Scan(&t.ID, &t.ClientID, &t.ClientName, &t.ProductCode, &t.Product, &t.Status, &t.ExpectedValue,
			&t.Priority, &t.RaisedAt, &t.ChangedAt, &b.OpenTotal)
	})
	if err != nil {
		return Book{}, fmt.Errorf("open triggers of manager %d: %w", id, err)
	}

	args = db.Args{}
	args.Add(id)
	rows, err = q.Query(ctx, access.Scoped(queries.Get("manager-warnings"), v, &args), args.Values()...)
	if err != nil {
		return Book{}, fmt.Errorf("warnings of manager %d: %w", id, err)
	}
	b.Warnings, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (WarnedClient, error) {
		var w WarnedClient
		var last *time.Time
		if err := r.Scan(&w.ClientID, &w.ClientName, &w.Level, &w.Score, &w.Since, &last); err != nil {
			return w, err
		}
		if last != nil {
			w.LastContact = *last
		}
		return w, nil
	})
	if err != nil {
		return Book{}, fmt.Errorf("warnings of manager %d: %w", id, err)
	}

	args = db.Args{}
	args.Add(id)
	args.Add(BookLimit)
	rows, err = q.Query(ctx, access.Scoped(queries.Get("manager-clients"), v, &args), args.Values()...)
	if err != nil {
		return Book{}, fmt.Errorf("clients of manager %d: %w", id, err)
	}
	b.Clients, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (BookClient, error) {
		var c BookClient
		return c, r.Scan(&c.ID, &c.Ref, &c.LegalName, &c.Since, &c.LeftOn, &c.OpenTriggers, &c.OpenValue,
			&c.WarningLevel, &b.ClientsTotal)
	})
	if err != nil {
		return Book{}, fmt.Errorf("clients of manager %d: %w", id, err)
	}

	rows, err = q.Query(ctx, queries.Get("branch-colleagues"), v.BranchID)
	if err != nil {
		return Book{}, fmt.Errorf("managers of branch %d: %w", v.BranchID, err)
	}
	all, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (BranchManager, error) {
		var u BranchManager
		return u, r.Scan(&u.ID, &u.Name, &u.Login, &u.Active)
	})
	if err != nil {
		return Book{}, fmt.Errorf("managers of branch %d: %w", v.BranchID, err)
	}
	for _, u := range all {
		if u.ID != id {
			b.Colleagues = append(b.Colleagues, u)
		}
	}
	return b, nil
}
