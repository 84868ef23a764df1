// Package takeup owns the take-up models: for each client and each product
// it does not hold, the chance that it takes the product within
// trigger.win_window_months, learned from the bank's own history replayed
// month by month. One additive model per product (the internal/model
// package's, as the churn model uses) reads the client's holdings, its
// behaviour, its cell's adoption of the product (the ideal profile as an
// input, not the rule) and its offers so far. A fit is tested out of time
// against the ideal-set rule and plain popularity, and a bank's triggers are
// ranked by it only where it beats the rule there.
package takeup

import (
	"context"
	"embed"
	"fmt"
	"math"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/relaycrm/relay/internal/db"
)

//go:embed takeup.sql
var sqlFS embed.FS

// SQL is the package's named queries, for the check at start.
var SQL = []db.File{db.MustLoadFile(sqlFS, "internal/takeup", "takeup.sql")}

var queries = SQL[0].Queries

// Product is a product a model can be fitted for.
type Product struct {
	ID         int16
	Code       string
	Name       string
	Family     string
	IncomeKind string
	Active     bool
}

func loadProducts(ctx context.Context, q db.Querier, groupID int16) ([]Product, error) {
	rows, err := q.Query(ctx, queries.Get("products"), groupID)
	if err != nil {
		return nil, fmt.Errorf("products: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Product, error) {
		var p Product
		return p, r.Scan(&p.ID, &p.Code, &p.Name, &p.Family, &p.IncomeKind, &p.Active)
	})
}

// The inputs every product's model reads, after one "holds:CODE" per product
// of the group (1 when the client holds it at the end of the month).
const (
	InHeld      = "products_held"     // products held
	InOpened12  = "opened_12m"        // products opened in the last 12 months
	InOpened3   = "opened_3m"         // products opened in the last 3 months
	InOpenRate  = "opened_per_year"   // products opened after its first month, per year since it joined
	InSinceOpen = "months_since_open" // months since the latest product was opened
	InTenure    = "tenure_months"
	InIncome    = "income_3m" // average monthly income, turnover, balance and transactions, last 3 months
	InTurnover  = "turnover_3m"
	InBalance   = "balance_3m"
	InTx        = "tx_3m"
	InControl   = "control_group" // 1 when in the control group (its triggers are never shown)
	// the product's own
	InCellAdoption = "cell_adoption"  // share of the cell's clients that hold it
	InBestAdoption = "best_adoption"  // share of the cell's best clients that hold it
	InIdeal        = "in_ideal_set"   // 1 when best_adoption reaches profile.ideal_adoption
	InRefused      = "refused_before" // 1 when a trigger for it was refused or dismissed before
	InOffered      = "offered_before" // 1 when a trigger for it was shown before
)

const holdsPrefix = "holds:"

// clientInputs are the inputs of the client itself, in order after the holds.
var clientInputs = []string{InHeld, InOpened12, InOpened3, InOpenRate, InSinceOpen, InTenure, InIncome, InTurnover, InBalance, InTx, InControl}

// productInputs are the inputs that depend on the product scored.
var productInputs = []string{InCellAdoption, InBestAdoption, InIdeal, InRefused, InOffered}

// Layout places the inputs of a group's products in a vector.
type Layout struct {
	Products []Product
	index    map[int16]int // product id -> position in Products
	Codes    []string      // every input code, in vector order
	client   int           // position of the first client input
	product  int           // position of the first product input
}

// NewLayout lays out the inputs for products.
func NewLayout(products []Product) *Layout {
	l := &Layout{Products: products, index: make(map[int16]int, len(products))}
	for i, p := range products {
		l.index[p.ID] = i
		l.Codes = append(l.Codes, holdsPrefix+p.Code)
	}
	l.client = len(l.Codes)
	l.Codes = append(l.Codes, clientInputs...)
	l.product = len(l.Codes)
	l.Codes = append(l.Codes, productInputs...)
	return l
}

// clientRow is one client as of a month.
type clientRow struct {
	ID                        int64
	BankID                    int16
	RegionID, IndustryID      int16
	Tenure                    int32
	Held                      []int16
	Opened12, Opened3, Since1 int32
	SinceOpen                 *int32
	Income, Tx, Balance, Turn *float64
	Refused, Offered          []int16
	Control                   bool
	OpenedAfter               []int16
}

func scanClient(rows pgx.Rows, c *clientRow) error {
	return rows.Scan(&c.ID, &c.BankID, &c.RegionID, &c.IndustryID, &c.Tenure, &c.Held, &c.Opened12, &c.Opened3, &c.Since1, &c.SinceOpen,
		&c.Income, &c.Tx, &c.Balance, &c.Turn, &c.Refused, &c.Offered, &c.Control, &c.OpenedAfter)
}

// fill writes the client's own inputs into x (len(l.Codes)); the product
// inputs are left for setProduct.
func (l *Layout) fill(c *clientRow, x []float64) {
	for i := 0; i < l.client; i++ {
		x[i] = 0
	}
	for _, id := range c.Held {
		if i, ok := l.index[id]; ok {
			x[i] = 1
		}
	}
	k := l.client
	x[k] = float64(len(c.Held))
	x[k+1] = float64(c.Opened12)
	x[k+2] = float64(c.Opened3)
	x[k+3] = float64(c.Since1) * 12 / float64(max(c.Tenure, 1))
	x[k+4] = optInt(c.SinceOpen)
	x[k+5] = float64(c.Tenure)
	x[k+6] = optFloat(c.Income)
	x[k+7] = optFloat(c.Turn)
	x[k+8] = optFloat(c.Balance)
	x[k+9] = optFloat(c.Tx)
	x[k+10] = boolf(c.Control)
}

// setProduct writes the inputs of product id for client c into x.
func (l *Layout) setProduct(c *clientRow, id int16, cells *Cells, ideal float64, x []float64) {
	all, best := cells.Adoption(c.BankID, c.RegionID, c.IndustryID, id)
	k := l.product
	x[k] = all
	x[k+1] = best
	x[k+2] = boolf(best >= ideal)
	x[k+3] = boolf(has(c.Refused, id))
	x[k+4] = boolf(has(c.Offered, id))
}

func has(ids []int16, id int16) bool {
	for _, v := range ids {
		if v == id {
			return true
		}
	}
	return false
}

func boolf(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func optInt(v *int32) float64 {
	if v == nil {
		return math.NaN()
	}
	return float64(*v)
}

func optFloat(v *float64) float64 {
	if v == nil {
		return math.NaN()
	}
	return *v
}

// Cells are the adoption of each product per cell of a month: bank x region
// x industry, backed off to bank x industry and then bank where a cell has
// fewer than minCellClients clients or minCellBest best ones.
type Cells struct {
	count map[cellKey][2]int64 // clients, best
	held  map[cellProduct][2]int64
}

const (
	minCellClients = 30
	minCellBest    = 5
)

type cellKey struct{ bank, region, industry int16 } // 0: backed off

type cellProduct struct {
	cellKey
	product int16
}

// loadCells reads the cells as of month m (of bank, or all when nil).
func loadCells(ctx context.Context, q db.Querier, m time.Time, bank *int16) (*Cells, error) {
	rows, err := q.Query(ctx, queries.Get("cells"), m, bank)
	if err != nil {
		return nil, fmt.Errorf("cells: %w", err)
	}
	defer rows.Close()
	c := &Cells{count: map[cellKey][2]int64{}, held: map[cellProduct][2]int64{}}
	for rows.Next() {
		var b int16
		var r, i, p *int16
		var n, best int64
		if err := rows.Scan(&b, &r, &i, &p, &n, &best); err != nil {
			return nil, fmt.Errorf("cells: %w", err)
		}
		k := cellKey{bank: b, region: deref(r), industry: deref(i)}
		if p == nil {
			c.count[k] = [2]int64{n, best}
		} else {
			c.held[cellProduct{k, *p}] = [2]int64{n, best}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("cells: %w", err)
	}
	return c, nil
}

func deref(v *int16) int16 {
	if v == nil {
		return 0
	}
	return *v
}

// cellOf is the cell whose adoption a client of bank, region and industry
// reads.
func (c *Cells) cellOf(bank, region, industry int16) (cellKey, [2]int64) {
	for _, k := range []cellKey{{bank, region, industry}, {bank, 0, industry}, {bank, 0, 0}} {
		if n := c.count[k]; n[0] >= minCellClients && n[1] >= minCellBest {
			return k, n
		}
	}
	k := cellKey{bank, 0, 0}
	return k, c.count[k]
}

// Adoption is the share of the client's cell, and of its best clients, that
// hold product.
func (c *Cells) Adoption(bank, region, industry, product int16) (all, best float64) {
	k, n := c.cellOf(bank, region, industry)
	h := c.held[cellProduct{k, product}]
	if n[0] > 0 {
		all = float64(h[0]) / float64(n[0])
	}
	if n[1] > 0 {
		best = float64(h[1]) / float64(n[1])
	}
	return all, best
}
