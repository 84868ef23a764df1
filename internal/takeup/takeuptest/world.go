// Package takeuptest draws synthetic product histories for the take-up
// model's tests and benchmark, shaped like a public retail bank's (24
// products, the month each was first held, 17 months, a neutral fee per
// product and no other income detail). They come from a process of their
// own, unlike the demo bank's: each client has hidden needs (three traits);
// each product appeals to some of them; some products lead to others (a
// payroll account to insurance, say); a client that has just opened one is
// more likely to open another; and the cell a client is in (region x
// industry) matters a little. So the ideal profile of a cell says something
// about a client, and what the client already holds says more.
package takeuptest

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/relaycrm/relay/internal/nightly/nightlytest"
)

// Products are the world's 24 products: nightlytest's five and 19 more.
var Products = func() []string {
	out := append([]string{}, nightlytest.Products...)
	for i := 6; i <= 24; i++ {
		out = append(out, fmt.Sprintf("P%02d", i))
	}
	return out
}()

// Fee is every product's neutral monthly fee (minor units).
const Fee = 1000

// Lead is a product that makes another likelier: a client holding From is
// Bonus likelier on the log-odds scale to take To.
type Lead struct {
	From, To string
	Bonus    float64
}

// World says what to draw.
type World struct {
	Seed    uint64
	Clients int
	// Months of facts, ending with nightlytest.AsOf.
	Months int
	// FirstRef numbers the clients, so that two halves of one world loaded
	// into two databases do not collide.
	FirstRef int
	// Leads are the products that lead to others (default DefaultLeads).
	Leads []Lead
	// Rate scales every product's monthly take-up (default 1).
	Rate float64
	// Appeal scales how much the hidden traits decide what a client holds
	// and takes (default 1).
	Appeal float64
}

// DefaultLeads are the world's products that lead to others.
var DefaultLeads = []Lead{{"PAY", "INS", 3}, {"P06", "P07", 2.5}, {"P08", "P09", 2.2}, {"FX", "P10", 2},
	{"P11", "P12", 2.2}, {"ACQ", "P13", 1.8}, {"P14", "P15", 2}}

// Client is one drawn client.
type Client struct {
	Ref      string
	Since    time.Time
	Region   int16 // 1 or 2
	Industry int16 // 1 or 2
	// Opened is the day each product (by index in Products) was opened;
	// zero: never.
	Opened []time.Time
}

// product is a product's hidden parameters.
type product struct {
	start, monthly float64    // log-odds of holding it on arrival, of taking it in a month
	loading        [3]float64 // appeal to each trait
	cell           [4]float64 // effect of each cell
}

func (w World) products() []product {
	r := rand.New(rand.NewPCG(w.Seed^0x7a6b, 99))
	out := make([]product, len(Products))
	for i := range out {
		p := &out[i]
		// a product many clients hold is one many take: the two go together,
		// as a bank's popular products are
		pop := r.NormFloat64()
		p.start = -2.2 + 1.6*pop
		p.monthly = -6.9 + 0.9*pop + 0.5*r.NormFloat64()
		for k := range p.loading {
			if r.Float64() < 0.5 {
				p.loading[k] = 2.0 * r.NormFloat64()
			}
		}
		for k := range p.cell {
			p.cell[k] = 0.35 * r.NormFloat64()
		}
	}
	out[0].start = 10 // the current account: every client opens one
	return out
}

func sigmoid(z float64) float64 { return 1 / (1 + math.Exp(-z)) }

// Draw draws the world's clients, their take-up running to the last month of
// facts and 6 months beyond it (the outcome a bank's later feed shows).
func (w World) Draw() []Client {
	if w.Rate == 0 {
		w.Rate = 1
	}
	if w.Leads == nil {
		w.Leads = DefaultLeads
	}
	if w.Appeal == 0 {
		w.Appeal = 1
	}
	ps := w.products()
	index := map[string]int{}
	for i, p := range Products {
		index[p] = i
	}
	first := nightlytest.AsOf.AddDate(0, -(w.Months - 1), 0)
	end := nightlytest.AsOf // holdings are known to the end of the data
	out := make([]Client, w.Clients)
	for i := range out {
		r := rand.New(rand.NewPCG(w.Seed, uint64(i+w.FirstRef)))
		c := &out[i]
		c.Ref = fmt.Sprintf("T%06d", i+w.FirstRef)
		c.Region, c.Industry = int16(1+r.IntN(2)), int16(1+r.IntN(2))
		cell := int(c.Region-1)*2 + int(c.Industry-1)
		var z [3]float64
		for k := range z {
			z[k] = r.NormFloat64()
		}
		// take-up is concentrated: a few clients open things far more readily
		activity := 1.3 * r.NormFloat64()
		if r.Float64() < 0.8 {
			c.Since = first.AddDate(0, -(3 + r.IntN(48)), r.IntN(27))
		} else {
			c.Since = first.AddDate(0, r.IntN(w.Months-1), r.IntN(27))
		}
		c.Opened = make([]time.Time, len(Products))
		appeal := func(p int) float64 {
			a := ps[p].cell[cell]
			for k := range z {
				a += w.Appeal * ps[p].loading[k] * z[k]
			}
			return a
		}
		for p := range Products {
			if r.Float64() < sigmoid(ps[p].start+appeal(p)) {
				c.Opened[p] = c.Since
			}
		}
		lastOpen := c.Since
		for m := firstOfMonth(c.Since).AddDate(0, 1, 0); !m.After(end); m = m.AddDate(0, 1, 0) {
			recent := m.Sub(lastOpen) < 100*24*time.Hour
			for p := range Products {
				if !c.Opened[p].IsZero() {
					continue
				}
				lz := ps[p].monthly + math.Log(w.Rate) + appeal(p) + activity
				for _, l := range w.Leads {
					if index[l.To] == p && !c.Opened[index[l.From]].IsZero() && c.Opened[index[l.From]].Before(m) {
						lz += l.Bonus
					}
				}
				if recent {
					lz += 0.9
				}
				if r.Float64() < sigmoid(lz) {
					c.Opened[p] = m.AddDate(0, 0, r.IntN(27))
					lastOpen = c.Opened[p]
				}
			}
		}
	}
	return out
}

func firstOfMonth(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
}

// Load writes the world's products (beyond nightlytest's five) and clients
// into b's bank with COPY: holdings with their opening days, and each month
// of facts from the data's first month, the income the neutral fee of each
// product held.
func (w World) Load(t testing.TB, b *nightlytest.Bank) []Client {
	t.Helper()
	clients := w.Draw()
	if err := load(context.Background(), b.Pool, w.Months, clients); err != nil {
		t.Fatalf("load the take-up world: %v", err)
	}
	return clients
}

var families = []string{"cards", "deposits", "lending", "insurance", "digital", "fx", "cash", "guarantees_trade",
	"leasing_factoring", "accounts_payments"}

func load(ctx context.Context, pool *pgxpool.Pool, months int, clients []Client) error {
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		for i := len(nightlytest.Products); i < len(Products); i++ {
			if _, err := tx.Exec(ctx, `INSERT INTO product (id, group_id, code, name, family, income_kind)
				VALUES ($1, 1, $2, $3, $4, 'fee') ON CONFLICT DO NOTHING`, i+1, Products[i], "Product "+Products[i],
				families[i%len(families)]); err != nil {
				return fmt.Errorf("products: %w", err)
			}
		}
		first := nightlytest.AsOf.AddDate(0, -(months - 1), 0)
		var rows, holdings, facts [][]any
		for i, c := range clients {
			id := int64(i + 1)
			rows = append(rows, []any{id, int16(1), int16(1), c.Ref, fmt.Sprintf("TAX%06d", i+1), "Client " + c.Ref,
				int32(1), c.Region, c.Industry, "small", c.Since, nil, int32(1 + i%2)})
			for p, at := range c.Opened {
				if !at.IsZero() {
					holdings = append(holdings, []any{id, int16(p + 1), at, nil})
				}
			}
			for m := first; !m.After(nightlytest.AsOf); m = m.AddDate(0, 1, 0) {
				if m.Before(firstOfMonth(c.Since)) {
					continue
				}
				var ids []int16
				var fees []int64
				for p, at := range c.Opened {
					if !at.IsZero() && at.Before(m.AddDate(0, 1, 0)) {
						ids, fees = append(ids, int16(p+1)), append(fees, Fee)
					}
				}
				n := int64(len(ids))
				facts = append(facts, []any{id, m, int32(5 * n), 10000 * n, 5000 * n, Fee * n, ids, fees})
			}
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"client"}, []string{"id", "group_id", "bank_id", "ref", "tax_id",
			"legal_name", "branch_id", "region_id", "industry_id", "size_band", "since", "left_on", "manager_id"},
			pgx.CopyFromRows(rows)); err != nil {
			return fmt.Errorf("clients: %w", err)
		}
		if _, err := tx.Exec(ctx, `SELECT setval(pg_get_serial_sequence('client', 'id'), (SELECT max(id) FROM client))`); err != nil {
			return err
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"holding"}, []string{"client_id", "product_id", "opened_on", "closed_on"},
			pgx.CopyFromRows(holdings)); err != nil {
			return fmt.Errorf("holdings: %w", err)
		}
		for m := first; !m.After(nightlytest.AsOf); m = m.AddDate(0, 1, 0) {
			if _, err := tx.Exec(ctx, `SELECT ensure_fact_partition($1)`, m); err != nil {
				return err
			}
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"monthly_fact"}, []string{"client_id", "month", "tx_count", "turnover",
			"avg_balance", "income", "product_ids", "product_income"}, pgx.CopyFromRows(facts)); err != nil {
			return fmt.Errorf("facts: %w", err)
		}
		_, err := tx.Exec(ctx, `ANALYZE`)
		return err
	})
}
