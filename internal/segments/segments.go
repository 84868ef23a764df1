// Package segments owns the peer groups clients are compared with and what
// the nightly run learns from them: each segment's ideal-client profile
// (adoption of every product, the ideal set, ideal profitability, product
// value), its churn rate and lifetime value, overall and by lifecycle stage;
// and every client's standing in its segment: profitability and band, gap to
// the ideal, score, lifecycle stage, activity cell and CLV.
//
// The nightly package builds these tables; this package reads them. Segment
// data is aggregate and read by any role of the group; a client's standing is
// client data, scoped by access.ClientScope.
package segments

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/relaycrm/relay/internal/access"
	"github.com/relaycrm/relay/internal/db"
)

//go:embed segments.sql
var sqlFS embed.FS

// SQL is the package's named queries, for the check at start.
var SQL = []db.File{db.MustLoadFile(sqlFS, "internal/segments", "segments.sql")}

var queries = SQL[0].Queries

// Level is how fine a segment is; a segment with too few active clients backs
// off to the next level.
type Level int16

// The levels, finest first.
const (
	LevelBankRegionIndustryTenure Level = 1
	LevelBankIndustryTenure       Level = 2
	LevelBankIndustry             Level = 3
	LevelGroupIndustry            Level = 4 // within one currency
)

// Label says what the level compares.
func (l Level) Label() string {
	switch l {
	case LevelBankRegionIndustryTenure:
		return "bank × region × industry × tenure"
	case LevelBankIndustryTenure:
		return "bank × industry × tenure"
	case LevelBankIndustry:
		return "bank × industry"
	case LevelGroupIndustry:
		return "group × industry (one currency)"
	}
	return fmt.Sprintf("level %d", l)
}

// TenureBand is a band of months with the bank.
type TenureBand int16

// The tenure bands.
const (
	Tenure0to6   TenureBand = 0
	Tenure6to12  TenureBand = 1
	Tenure12to24 TenureBand = 2
	Tenure24to36 TenureBand = 3
	Tenure36Plus TenureBand = 4
)

// Label names the band as the card shows it.
func (b TenureBand) Label() string {
	switch b {
	case Tenure0to6:
		return "0-6 months"
	case Tenure6to12:
		return "6-12 months"
	case Tenure12to24:
		return "1-2 years"
	case Tenure24to36:
		return "2-3 years"
	case Tenure36Plus:
		return "3+ years"
	}
	return fmt.Sprintf("band %d", b)
}

// Stage is a client's lifecycle stage.
type Stage string

// The lifecycle stages.
const (
	Onboarding Stage = "onboarding"
	RampUp     Stage = "ramp_up"
	Plateau    Stage = "plateau"
	Decline    Stage = "decline"
	Left       Stage = "left"
)

// Stages lists the stages in lifecycle order.
var Stages = []Stage{Onboarding, RampUp, Plateau, Decline, Left}

// Label names the stage.
func (s Stage) Label() string {
	switch s {
	case Onboarding:
		return "Onboarding"
	case RampUp:
		return "Ramp-up"
	case Plateau:
		return "Plateau"
	case Decline:
		return "Decline"
	case Left:
		return "Left"
	}
	return string(s)
}

// Activity is a client's RFM-style activity cell.
type Activity string

// The activity cells.
const (
	Champions      Activity = "champions"
	Loyal          Activity = "loyal"
	Promising      Activity = "promising"
	NeedsAttention Activity = "needs_attention"
	AtRisk         Activity = "at_risk"
	CannotLose     Activity = "cannot_lose"
	Hibernating    Activity = "hibernating"
	Lost           Activity = "lost"
)

// Activities lists the cells from best to worst.
var Activities = []Activity{Champions, Loyal, Promising, NeedsAttention, AtRisk, CannotLose, Hibernating, Lost}

// Label names the cell.
func (a Activity) Label() string {
	switch a {
	case Champions:
		return "Champions"
	case Loyal:
		return "Loyal"
	case Promising:
		return "Promising"
	case NeedsAttention:
		return "Needs attention"
	case AtRisk:
		return "At risk"
	case CannotLose:
		return "Cannot lose"
	case Hibernating:
		return "Hibernating"
	case Lost:
		return "Lost"
	}
	return string(a)
}

// Segment is a peer group: which bank, region, industry and tenure band it
// describes, at its level.
type Segment struct {
	ID           int64
	Level        Level
	GroupID      int64
	GroupName    string
	Currency     string // income is compared within one currency
	MinorDigits  int    // of Currency
	BankID       int64  // zero at the group level
	BankCode     string
	BankName     string
	RegionID     int64 // zero unless the level is bank × region × industry × tenure
	RegionName   string
	IndustryID   int64
	IndustryCode string
	IndustryName string
	HasTenure    bool // the level has a tenure band
	TenureBand   TenureBand
	Label        string // e.g. "Bank North / Varna / Retail trade / 1-2 years"
}

// ProductStat is a product as a segment holds it.
type ProductStat struct {
	ProductID    int64
	Code, Name   string
	Holders      int     // the segment's clients that hold it
	BestHolders  int     // its best clients that hold it
	Adoption     float64 // BestHolders / best clients, 0-1
	InIdeal      bool    // adoption at or above profile.ideal_adoption, with enough best holders
	ValueHolders int     // holders held it before the as-of month: its value is measured on them
	Value        int64   // median of their average monthly income from it over the last 12 months, minor units
	// ValueWithheld says Value was learned from fewer than MinClientsShown
	// holders and is not shown to this viewer (Value is zero).
	ValueWithheld bool
}

// Summary is what the segments list shows of a segment.
type Summary struct {
	Segment
	AsOf          time.Time // the as-of month of the run that built it
	Size          int       // active clients the segment describes
	Assigned      int       // of them, those whose own segment it is
	BestClients   int       // band A with enough tenure: whom the profile is learned from
	IdealIncome   int64     // median monthly income of the best clients
	AvgIncome     int64     // average monthly income of its clients
	IdealSet      []ProductStat
	ChurnBase     int      // clients active 12 months before the end of the as-of month
	ChurnLeavers  int      // of them, those that left since
	ChurnRate     *float64 // nil when no client was active then
	ExpectedYears *float64 // min(1 / churn rate, ltv.max_years)
	LTV           *int64   // AvgIncome x 12 x ExpectedYears
	// ProfileID is the segment whose ideal profile its clients take: its own
	// ID, a coarser segment's when it has too few best clients, zero when no
	// segment has enough (no ideal yet).
	ProfileID    int64
	ProfileLabel string
	// IncomeWithheld says AvgIncome and LTV, and IdealWithheld says
	// IdealIncome, were learned from fewer than MinClientsShown clients and
	// are not shown to this viewer (they are zero).
	IncomeWithheld, IdealWithheld bool

	total int // rows of the whole list, for paging
}

// StageValue is a segment's clients in one lifecycle stage and their value.
type StageValue struct {
	Stage     Stage
	Clients   int
	AvgIncome int64
	LTV       *int64 // AvgIncome x 12 x the segment's expected years
	// Withheld says AvgIncome and LTV were learned from fewer than
	// MinClientsShown clients and are not shown to this viewer.
	Withheld bool
}

// MinClientsShown is the fewest clients a figure of a segment (an income, a
// value) must be learned from to be shown to a viewer who may not see all of
// them: from fewer, it would tell one client's income (a manager once read
// the exact income of the one mining client of a segment). The risk team,
// who see every client of the group, see every figure.
const MinClientsShown = 5

// withholds tells whether v is shown only figures learned from at least
// MinClientsShown clients.
func withholds(v access.Viewer) bool { return v.Role != access.Risk }

// withhold zeroes the figures of s learned from too few clients for v.
func (s *Summary) withhold(v access.Viewer) {
	if !withholds(v) {
		return
	}
	if s.Size < MinClientsShown {
		s.IncomeWithheld, s.AvgIncome, s.LTV = true, 0, nil
	}
	if s.BestClients < MinClientsShown {
		s.IdealWithheld, s.IdealIncome = true, 0
	}
	for i := range s.IdealSet {
		s.IdealSet[i].withhold(v)
	}
}

func (p *ProductStat) withhold(v access.Viewer) {
	if withholds(v) && p.ValueHolders < MinClientsShown {
		p.ValueWithheld, p.Value = true, 0
	}
}

// Profile is one segment's full ideal-client profile.
type Profile struct {
	Summary
	Products []ProductStat // every product held in the segment, by adoption
	Stages   []StageValue  // in lifecycle order
}

// ListFilter selects and orders a page of segments.
type ListFilter struct {
	BankID  int64  // zero: every bank (a group-level segment shows under each bank of its currency)
	Level   Level  // zero: every level
	Sort    string // label, size, best_clients, ideal_income, churn_rate or ltv; default size
	Desc    bool
	Page    int // from 1
	PerPage int // default 50, at most 200
	// After, when set, asks for the page after this key (the API's cursor)
	// in the order of size descending instead of a page by number: Sort,
	// Desc and Page are ignored and Total is not counted.
	After *Key
}

// Key is a segment's place in the list by size descending (then label, then
// id): a keyset cursor.
type Key struct {
	Size  int
	Label string
	ID    int64
}

// SortKeys are the sort orders List accepts.
var SortKeys = []string{"label", "size", "best_clients", "ideal_income", "churn_rate", "ltv"}

// Page is a page of segments.
type Page struct {
	Segments      []Summary
	Total         int // not counted for a page after a key
	Page, PerPage int
	// Next is the key of the page's last segment when another page follows
	// in the order of size descending (set for that order only); nil on the
	// last page.
	Next *Key
}

// List returns a page of the segments of v's group that the latest run used.
func List(ctx context.Context, q db.Querier, v access.Viewer, f ListFilter) (Page, error) {
	sortKey := "size"
	for _, k := range SortKeys {
		if f.Sort == k {
			sortKey = k
		}
	}
	if f.Sort != "" && f.Sort != sortKey {
		return Page{}, fmt.Errorf("sort: %q is not one of %s", f.Sort, strings.Join(SortKeys, ", "))
	}
	if f.PerPage <= 0 || f.PerPage > 200 {
		f.PerPage = 50
	}
	if f.Page < 1 {
		f.Page = 1
	}
	var rows pgx.Rows
	var err error
	if f.After != nil {
		// one more than a page, to know whether another follows
		f.Page, sortKey, f.Desc = 0, "size", true
		rows, err = q.Query(ctx, queries.Get("list-after"), v.GroupID, f.BankID, int16(f.Level), f.After.Size,
			f.After.Label, f.After.ID, f.PerPage+1)
	} else {
		rows, err = q.Query(ctx, queries.Get("list"), v.GroupID, f.BankID, int16(f.Level), sortKey, f.Desc,
			f.PerPage, (f.Page-1)*f.PerPage)
	}
	if err != nil {
		return Page{}, fmt.Errorf("segments: %w", err)
	}
	page := Page{Page: f.Page, PerPage: f.PerPage}
	for rows.Next() {
		var s Summary
		var idealIDs []int16
		if err := rows.Scan(append(segmentDest(&s.Segment), summaryDest(&s, &idealIDs)...)...); err != nil {
			rows.Close()
			return Page{}, fmt.Errorf("segments: %w", err)
		}
		page.Segments = append(page.Segments, s)
	}
	if err := rows.Err(); err != nil {
		return Page{}, fmt.Errorf("segments: %w", err)
	}
	more := len(page.Segments) > f.PerPage
	if f.After == nil && len(page.Segments) > 0 {
		page.Total = page.Segments[0].total
		more = f.Page*f.PerPage < page.Total
	}
	page.Segments = page.Segments[:min(len(page.Segments), f.PerPage)]
	if more && sortKey == "size" && f.Desc && len(page.Segments) > 0 {
		last := page.Segments[len(page.Segments)-1]
		page.Next = &Key{Size: last.Size, Label: last.Label, ID: last.ID}
	}
	ids := make([]int64, len(page.Segments))
	for i, sg := range page.Segments {
		ids[i] = sg.ID
	}
	ideal, err := products(ctx, q, ids, true)
	if err != nil {
		return Page{}, err
	}
	for i := range page.Segments {
		page.Segments[i].IdealSet = ideal[page.Segments[i].ID]
		page.Segments[i].withhold(v)
	}
	return page, nil
}

// Get returns one segment's profile, or db.ErrNotFound when the latest run did
// not use it or it is not of v's group.
func Get(ctx context.Context, q db.Querier, v access.Viewer, id int64) (Profile, error) {
	var p Profile
	var idealIDs []int16
	err := q.QueryRow(ctx, queries.Get("get"), v.GroupID, id).Scan(append(segmentDest(&p.Segment), summaryDest(&p.Summary, &idealIDs)...)...)
	if err != nil {
		return Profile{}, notFound(err, "segment %d", id)
	}
	all, err := products(ctx, q, []int64{id}, false)
	if err != nil {
		return Profile{}, err
	}
	p.Products = all[id]
	for _, ps := range p.Products {
		if ps.InIdeal {
			p.IdealSet = append(p.IdealSet, ps)
		}
	}
	rows, err := q.Query(ctx, queries.Get("stages"), id)
	if err != nil {
		return Profile{}, fmt.Errorf("segment %d stages: %w", id, err)
	}
	defer rows.Close()
	for rows.Next() {
		var sv StageValue
		if err := rows.Scan(&sv.Stage, &sv.Clients, &sv.AvgIncome, &sv.LTV); err != nil {
			return Profile{}, fmt.Errorf("segment %d stages: %w", id, err)
		}
		p.Stages = append(p.Stages, sv)
	}
	if err := rows.Err(); err != nil {
		return Profile{}, fmt.Errorf("segment %d stages: %w", id, err)
	}
	p.Summary.withhold(v)
	for i := range p.Products {
		p.Products[i].withhold(v)
	}
	withheld, smallest := 0, -1
	for i := range p.Stages {
		if withholds(v) && p.Stages[i].Clients < MinClientsShown {
			p.Stages[i].Withheld, p.Stages[i].AvgIncome, p.Stages[i].LTV = true, 0, nil
			withheld++
		} else if smallest < 0 || p.Stages[i].Clients < p.Stages[smallest].Clients {
			smallest = i
		}
	}
	// The stages add up to the segment: with one stage withheld, the segment's
	// average and the others' would give it away, so the smallest other stage
	// is withheld too.
	if withheld == 1 && smallest >= 0 {
		p.Stages[smallest].Withheld, p.Stages[smallest].AvgIncome, p.Stages[smallest].LTV = true, 0, nil
	}
	return p, nil
}

// products reads the products of segments ids, by adoption; only the ideal
// set when idealOnly.
func products(ctx context.Context, q db.Querier, ids []int64, idealOnly bool) (map[int64][]ProductStat, error) {
	out := map[int64][]ProductStat{}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := q.Query(ctx, queries.Get("products"), ids, idealOnly)
	if err != nil {
		return nil, fmt.Errorf("segment products: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var ps ProductStat
		if err := rows.Scan(&id, &ps.ProductID, &ps.Code, &ps.Name, &ps.Holders, &ps.BestHolders, &ps.Adoption,
			&ps.InIdeal, &ps.ValueHolders, &ps.Value); err != nil {
			return nil, fmt.Errorf("segment products: %w", err)
		}
		out[id] = append(out[id], ps)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("segment products: %w", err)
	}
	return out, nil
}

// segmentDest are the scan targets of the segment columns every query starts with.
func segmentDest(s *Segment) []any {
	return []any{&s.ID, &s.Level, &s.GroupID, &s.GroupName, &s.Currency, &s.MinorDigits, &s.BankID, &s.BankCode,
		&s.BankName, &s.RegionID, &s.RegionName, &s.IndustryID, &s.IndustryCode, &s.IndustryName, &s.HasTenure,
		&s.TenureBand, &s.Label}
}

// summaryDest are the scan targets of a segment_profile row.
func summaryDest(s *Summary, idealIDs *[]int16) []any {
	return []any{&s.AsOf, &s.Size, &s.Assigned, &s.BestClients, &s.IdealIncome, &s.AvgIncome, idealIDs,
		&s.ChurnBase, &s.ChurnLeavers, &s.ChurnRate, &s.ExpectedYears, &s.LTV, &s.ProfileID, &s.ProfileLabel, &s.total}
}

// notFound turns "no rows" into db.ErrNotFound, naming what was looked for.
func notFound(err error, format string, a ...any) error {
	what := fmt.Sprintf(format, a...)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%s: %w", what, db.ErrNotFound)
	}
	return fmt.Errorf("%s: %w", what, err)
}
