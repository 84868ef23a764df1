// Package nightlytest builds small banks by hand for the tests of the nightly
// run and of the packages that read its results: a group with one bank, its
// users and catalogue, and clients with the holdings, monthly facts and
// contacts a test spells out, so that the right answer is known by reasoning.
package nightlytest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/relaycrm/relay/internal/access"
	"github.com/relaycrm/relay/internal/db"
	"github.com/relaycrm/relay/internal/settings"
)

// AsOf is the last month of facts of every hand-built bank; its nightly runs
// treat 2026-11-01 as the first day after the data.
var AsOf = Month(2026, 10)

// Month is the first day of a month.
func Month(y int, m time.Month) time.Time { return time.Date(y, m, 1, 0, 0, 0, 0, time.UTC) }

// Day is a date.
func Day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// Products of the hand-built catalogue: CA and ACQ are key products.
var Products = []string{"CA", "ACQ", "PAY", "FX", "INS"}

// Bank is a hand-built banking group with one bank (BN, EUR, 2 minor digits,
// discount rate 10%), regions R1 and R2, industries IND1 and IND2, branch BR1
// (in R1) with managers m1 and m2 and branch head h1, and a risk analyst.
// Its profiles need one best client and one best holder (see New).
type Bank struct {
	t    testing.TB
	Pool *pgxpool.Pool

	GroupID, BankID int64
	Region          map[string]int64
	Industry        map[string]int64
	Product         map[string]int64
	BranchID        int64
	Manager1        access.Viewer
	Manager2        access.Viewer
	Head            access.Viewer
	Risk            access.Viewer
	Settings        *settings.Store
}

// New builds the bank in pool's database.
func New(t testing.TB, pool *pgxpool.Pool) *Bank {
	t.Helper()
	b := &Bank{t: t, Pool: pool, Region: map[string]int64{}, Industry: map[string]int64{}, Product: map[string]int64{}}
	b.exec(`INSERT INTO banking_group (id, code, name) VALUES (1, 'G', 'Test Group')`)
	b.GroupID = 1
	b.exec(`INSERT INTO bank (id, group_id, code, name, currency, minor_digits, discount_rate) VALUES (1, 1, 'BN', 'Bank North', 'EUR', 2, 0.1)`)
	b.BankID = 1
	for i, r := range []string{"R1", "R2"} {
		b.exec(`INSERT INTO region (id, group_id, code, name) VALUES ($1, 1, $2, $3)`, i+1, r, "Region "+r)
		b.Region[r] = int64(i + 1)
	}
	for i, ind := range []string{"IND1", "IND2"} {
		b.exec(`INSERT INTO industry (id, group_id, code, name) VALUES ($1, 1, $2, $3)`, i+1, ind, "Industry "+ind)
		b.Industry[ind] = int64(i + 1)
	}
	families := map[string]string{"CA": "accounts_payments", "ACQ": "acquiring", "PAY": "payroll", "FX": "fx", "INS": "insurance"}
	for i, p := range Products {
		b.exec(`INSERT INTO product (id, group_id, code, name, family, income_kind, key_product) VALUES ($1, 1, $2, $3, $4, 'fee', $5)`,
			i+1, p, "Product "+p, families[p], p == "CA" || p == "ACQ")
		b.Product[p] = int64(i + 1)
	}
	b.exec(`INSERT INTO branch (id, bank_id, region_id, code, name) VALUES (1, 1, 1, 'BR1', 'Branch One')`)
	b.BranchID = 1
	users := []struct {
		id    int64
		login string
		role  access.Role
	}{{1, "m1", access.Manager}, {2, "m2", access.Manager}, {3, "h1", access.BranchHead}, {4, "risk", access.Risk}}
	for _, u := range users {
		var branch *int64
		if u.role == access.Manager || u.role == access.BranchHead {
			branch = &b.BranchID
		}
		b.exec(`INSERT INTO app_user (id, group_id, login, name, role, branch_id, password_hash) VALUES ($1, 1, $2, $3, $4, $5, 'x')`,
			u.id, u.login, "User "+u.login, string(u.role), branch)
		v := access.Viewer{UserID: u.id, Login: u.login, Name: "User " + u.login, Role: u.role, GroupID: 1}
		if branch != nil {
			v.BranchID = *branch
		}
		switch u.login {
		case "m1":
			b.Manager1 = v
		case "m2":
			b.Manager2 = v
		case "h1":
			b.Head = v
		case "risk":
			b.Risk = v
		}
	}
	b.exec(`SELECT setval(pg_get_serial_sequence(t, 'id'), 100) FROM unnest(ARRAY['banking_group', 'bank', 'region', 'industry', 'product', 'branch', 'app_user']) t`)
	g, err := db.Gorm(pool)
	if err != nil {
		t.Fatal(err)
	}
	b.Settings = settings.NewStore(pool, g)
	// A hand-built segment has a handful of clients, so by default its
	// profile is learned from any number of best clients and a product needs
	// one best holder; a test of those rules sets them back.
	b.Set("profile.min_best_clients", "1")
	b.Set("profile.min_best_holders", "1")
	return b
}

func (b *Bank) exec(sql string, args ...any) {
	b.t.Helper()
	if _, err := b.Pool.Exec(context.Background(), sql, args...); err != nil {
		b.t.Fatalf("%s: %v", sql, err)
	}
}

// Exec runs a statement of the test's own, failing the test on error.
func (b *Bank) Exec(sql string, args ...any) { b.t.Helper(); b.exec(sql, args...) }

// Set changes a setting.
func (b *Bank) Set(key, value string) {
	b.t.Helper()
	tag, err := b.Pool.Exec(context.Background(), `UPDATE setting SET value = $2 WHERE key = $1`, key, value)
	if err != nil || tag.RowsAffected() != 1 {
		b.t.Fatalf("set %s = %s: %v (%d rows)", key, value, err, tag.RowsAffected())
	}
}

// Holding is a product a client holds from Opened until Closed (zero: still).
type Holding struct {
	Product        string
	Opened, Closed time.Time
}

// Fact is one month of a client's facts; Income is by product code.
type Fact struct {
	Turnover, Balance int64
	Tx                int
	Income            map[string]int64
}

// Client is a client to add. Facts gives the facts of each month from the
// later of Since's month and FactsFrom to AsOf (or to the month before
// LeftOn); nil writes none.
type Client struct {
	Ref       string
	Region    string // default R1
	Industry  string // default IND1
	Since     time.Time
	LeftOn    time.Time // zero: active
	Manager   int       // 1 or 2; default 1
	Holdings  []Holding
	FactsFrom time.Time // default 2025-01
	Facts     func(month time.Time) Fact
	Contacts  []time.Time
}

// Add writes a client and returns its id.
func (b *Bank) Add(c Client) int64 {
	b.t.Helper()
	ctx := context.Background()
	if c.Region == "" {
		c.Region = "R1"
	}
	if c.Industry == "" {
		c.Industry = "IND1"
	}
	manager := int64(1)
	if c.Manager == 2 {
		manager = 2
	}
	var left *time.Time
	if !c.LeftOn.IsZero() {
		left = &c.LeftOn
	}
	var id int64
	err := b.Pool.QueryRow(ctx, `
		INSERT INTO client (group_id, bank_id, ref, tax_id, legal_name, branch_id, region_id, industry_id, size_band, since, left_on, manager_id)
		VALUES (1, 1, $1, $2, $3, 1, $4, $5, 'small', $6, $7, $8) RETURNING id`,
		c.Ref, "TAX"+strings.ToUpper(strings.NewReplacer("-", "", ".", "", "/", "", "_", "").Replace(c.Ref))+"0", "Client "+c.Ref, b.Region[c.Region], b.Industry[c.Industry], c.Since, left, manager,
	).Scan(&id)
	if err != nil {
		b.t.Fatalf("add client %s: %v", c.Ref, err)
	}
	for _, h := range c.Holdings {
		var closed *time.Time
		if !h.Closed.IsZero() {
			closed = &h.Closed
		}
		b.exec(`INSERT INTO holding (client_id, product_id, opened_on, closed_on) VALUES ($1, $2, $3, $4)`, id, b.Product[h.Product], h.Opened, closed)
	}
	if c.Facts != nil {
		from := c.FactsFrom
		if from.IsZero() {
			from = Month(2025, 1)
		}
		if first := Month(c.Since.Year(), c.Since.Month()); first.After(from) {
			from = first
		}
		for m := from; !m.After(AsOf); m = m.AddDate(0, 1, 0) {
			if left != nil && !left.After(m) {
				break
			}
			b.AddFact(id, m, c.Facts(m))
		}
	}
	for _, at := range c.Contacts {
		b.exec(`INSERT INTO contact (client_id, user_id, kind, happened_at, outcome) VALUES ($1, $2, 'call', $3, 'reached')`, id, manager, at)
	}
	return id
}

// AddFact writes one month of a client's facts.
func (b *Bank) AddFact(clientID int64, month time.Time, f Fact) {
	b.t.Helper()
	var ids []int16
	var amounts []int64
	var total int64
	for _, p := range Products {
		if v, ok := f.Income[p]; ok {
			ids = append(ids, int16(b.Product[p]))
			amounts = append(amounts, v)
			total += v
		}
	}
	b.exec(`SELECT ensure_fact_partition($1)`, month)
	b.exec(`INSERT INTO monthly_fact (client_id, month, tx_count, turnover, avg_balance, income, product_ids, product_income)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, clientID, month, f.Tx, f.Turnover, f.Balance, total, ids, amounts)
}

// Steady is a month of facts with the same turnover, balance and
// transactions every month and the given income by product.
func Steady(income map[string]int64) func(time.Time) Fact {
	return func(time.Time) Fact { return Fact{Turnover: 100000, Balance: 50000, Tx: 100, Income: income} }
}
