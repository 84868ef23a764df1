// Package clients owns the client records: the list managers, branch heads and
// the risk team search, and the client card's identity, facts and products.
// Every read is scoped to the viewer in SQL through access.ClientScope.
package clients

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
)

//go:embed clients.sql
var sqlFS embed.FS

var clientsFile = db.MustLoadFile(sqlFS, "internal/clients", "clients.sql")

// SQL is the package's named queries, for the check at start.
var SQL = []db.File{clientsFile, reassignFile}

// Store reads clients.
type Store struct {
	pool *pgxpool.Pool
	q    db.Queries
}

// NewStore returns a Store over pool.
func NewStore(pool *pgxpool.Pool) *Store {
	return &Store{pool: pool, q: clientsFile.Queries}
}

// TenureBands are the segment's tenure bands, in months.
var TenureBands = []TenureBand{
	{"0-6", "0-6 months", 0, 6},
	{"6-12", "6-12 months", 6, 12},
	{"12-24", "1-2 years", 12, 24},
	{"24-36", "2-3 years", 24, 36},
	{"36+", "3 years and more", 36, 0},
}

// TenureBand is a range of tenure in whole months, To zero meaning no end.
type TenureBand struct {
	Code, Label string
	From, To    int
}

// TenureBandOf returns the band of a tenure in months.
func TenureBandOf(months int) TenureBand {
	for _, b := range TenureBands {
		if months >= b.From && (b.To == 0 || months < b.To) {
			return b
		}
	}
	return TenureBands[0]
}

// MonthsBetween counts whole months from a to b.
func MonthsBetween(a, b time.Time) int {
	m := (b.Year()-a.Year())*12 + int(b.Month()) - int(a.Month())
	if b.Day() < a.Day() {
		m--
	}
	return max(m, 0)
}

// Card is everything the client card shows about a client's record.
type Card struct {
	ID                       int64
	Ref, TaxID, LegalName    string
	Size                     string
	Since                    time.Time
	LeftOn                   *time.Time
	BankID                   int64
	BankCode, Bank, Currency string
	MinorDigits              int
	BranchCode, Branch       string
	Region                   string
	IndustryCode, Industry   string
	ManagerID                *int64
	Manager, ManagerLogin    string
	TenureMonths             int
	Tenure                   TenureBand
	Facts                    []MonthFacts // up to the last 24 months, oldest first
	Profitability            Profitability
	Held, Closed             []Holding
}

// MonthFacts is one month of a client's facts.
type MonthFacts struct {
	Month      time.Time
	Income     int64
	Turnover   int64
	AvgBalance int64
	TxCount    int
}

// Profitability is the client's average monthly income over its last months
// and how it is moving.
type Profitability struct {
	AvgMonthly int64 // minor units
	Months     int   // months averaged: 12, or the client's life if shorter
	From, To   time.Time
	// TrendPct compares the last three months' average income with the three
	// before; zero when there are fewer than six months.
	TrendPct  float64
	HasTrend  bool
	Last3Avg  int64
	Prior3Avg int64
}

// Holding is a product a client holds or held.
type Holding struct {
	Code, Name, Family, IncomeKind string
	Opened                         time.Time
	Closed                         *time.Time
}

// chartMonths is how many months of facts the card charts.
const chartMonths = 24

// profitMonths is the profitability window of the card's record view; the
// nightly run's segment profitability uses the setting of the same meaning.
const profitMonths = 12

// Card returns client id as v may see it, or db.ErrNotFound.
func (s *Store) Card(ctx context.Context, v access.Viewer, id int64, now time.Time) (Card, error) {
	return CardOf(ctx, s.pool, v, id, now)
}

// CardOf returns the record of client id as v may see it, or db.ErrNotFound.
func CardOf(ctx context.Context, q db.Querier, v access.Viewer, id int64, now time.Time) (Card, error) {
	var c Card
	args := &db.Args{}
	args.Add(id)
	err := q.QueryRow(ctx, access.Scoped(clientsFile.Queries.Get("card"), v, args), args.Values()...).Scan(
		&c.ID, &c.Ref, &c.TaxID, &c.LegalName, &c.Size, &c.Since, &c.LeftOn,
		&c.BankID, &c.BankCode, &c.Bank, &c.Currency, &c.MinorDigits,
		&c.BranchCode, &c.Branch, &c.Region, &c.IndustryCode, &c.Industry,
		&c.ManagerID, &c.Manager, &c.ManagerLogin)
	if errors.Is(err, pgx.ErrNoRows) {
		return c, fmt.Errorf("client %d: %w", id, db.ErrNotFound)
	}
	if err != nil {
		return c, fmt.Errorf("client %d: %w", id, err)
	}
	end := now
	if c.LeftOn != nil {
		end = *c.LeftOn
	}
	c.TenureMonths = MonthsBetween(c.Since, end)
	c.Tenure = TenureBandOf(c.TenureMonths)

	args = &db.Args{}
	args.Add(id)
	args.Add(chartMonths)
	rows, err := q.Query(ctx, access.Scoped(clientsFile.Queries.Get("card-facts"), v, args), args.Values()...)
	if err != nil {
		return c, fmt.Errorf("facts of client %d: %w", id, err)
	}
	c.Facts, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (MonthFacts, error) {
		var f MonthFacts
		return f, r.Scan(&f.Month, &f.Income, &f.Turnover, &f.AvgBalance, &f.TxCount)
	})
	if err != nil {
		return c, fmt.Errorf("facts of client %d: %w", id, err)
	}
	c.Profitability = profitabilityOf(c.Facts)

	args = &db.Args{}
	args.Add(id)
	rows, err = q.Query(ctx, access.Scoped(clientsFile.Queries.Get("card-holdings"), v, args), args.Values()...)
	if err != nil {
		return c, fmt.Errorf("holdings of client %d: %w", id, err)
	}
	hs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Holding, error) {
		var h Holding
		return h, r.Scan(&h.Code, &h.Name, &h.Family, &h.IncomeKind, &h.Opened, &h.Closed)
	})
	if err != nil {
		return c, fmt.Errorf("holdings of client %d: %w", id, err)
	}
	for _, h := range hs {
		if h.Closed == nil {
			c.Held = append(c.Held, h)
		} else {
			c.Closed = append(c.Closed, h)
		}
	}
	return c, nil
}

// profitabilityOf averages the last profitMonths of facts (oldest first).
func profitabilityOf(facts []MonthFacts) Profitability {
	var p Profitability
	if len(facts) == 0 {
		return p
	}
	window := facts[max(0, len(facts)-profitMonths):]
	var sum int64
	for _, f := range window {
		sum += f.Income
	}
	p.Months = len(window)
	p.AvgMonthly = sum / int64(len(window))
	p.From, p.To = window[0].Month, window[len(window)-1].Month
	if len(facts) >= 6 {
		n := len(facts)
		for _, f := range facts[n-3:] {
			p.Last3Avg += f.Income
		}
		for _, f := range facts[n-6 : n-3] {
			p.Prior3Avg += f.Income
		}
		p.Last3Avg /= 3
		p.Prior3Avg /= 3
		if p.Prior3Avg > 0 {
			p.TrendPct = float64(p.Last3Avg-p.Prior3Avg) / float64(p.Prior3Avg) * 100
			p.HasTrend = true
		}
	}
	return p
}

// LastFactMonth is the latest month with facts in the database, the month
// every figure is as of; zero when there are no facts yet.
func (s *Store) LastFactMonth(ctx context.Context) (time.Time, error) {
	var m *time.Time
	if err := s.pool.QueryRow(ctx, s.q.Get("last-fact-month")).Scan(&m); err != nil {
		return time.Time{}, fmt.Errorf("last fact month: %w", err)
	}
	if m == nil {
		return time.Time{}, nil
	}
	return *m, nil
}
