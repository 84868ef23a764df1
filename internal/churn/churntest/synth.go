// Package churntest writes synthetic bank histories for the churn model's
// tests and benchmark. They are drawn from a process of their own, unlike the
// demo bank's: each client has a hidden engagement, a hidden dissatisfaction
// and a number of products; together they set how much it transacts, how
// often it goes idle, how often it calls in or complains, and its monthly
// chance of leaving. Some leavers fade for a few months before they go, some
// leave abruptly, and staying clients have dips of their own, so that no
// single signal gives the leavers away and a model has to weigh levels and
// shapes together, as it must on a real bank's feed (public card-attrition
// data has this shape: the leavers transact less all year, fall from the first
// quarter to the last, hold fewer products and call more).
package churntest

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

// World says what to draw.
type World struct {
	Seed    uint64
	Clients int
	// Months of facts, ending with nightlytest.AsOf.
	Months int
	// Outcome: leaving is drawn for this many months after the last month of
	// facts too, and recorded as the client's leaving date, as a bank's data
	// knows who left after the last feed it scored.
	After int
	// FirstRef numbers the clients' refs, so that two halves of one world
	// loaded into two databases do not collide in meaning.
	FirstRef int
	// Hazard scales the monthly chance of leaving (default 1).
	Hazard float64
}

// Truth is what the world knows of a client and the database does not show
// directly: its monthly chance of leaving.
type Truth struct {
	Ref    string
	Hazard float64
	LeftOn time.Time // zero: stays through the outcome months
}

// Client is one client to write: its products (held from Since until it
// leaves), its months of facts and its contacts.
type Client struct {
	Ref           string
	Since, LeftOn time.Time
	Products      []string
	Facts         []Fact
	Contacts      []Contact

	// the world's hidden traits
	engagement    float64
	dissatisfied  float64
	hazard        float64
	declineMonths int
	dips          map[int]float64 // month index -> factor of a staying client's dip
}

// Fact is one month of a client's facts; Income is by product code.
type Fact struct {
	Month             time.Time
	Tx                int
	Turnover, Balance int64
	Income            map[string]int64
}

// Contact is a contact with a client: started by the bank (Proactive) or by
// the client, a complaint or not.
type Contact struct {
	At        time.Time
	Proactive bool
	Complaint bool
}

// sigmoid is the logistic function.
func sigmoid(z float64) float64 { return 1 / (1 + math.Exp(-z)) }

// Draw draws the world's clients.
func (w World) Draw() []Client {
	if w.Hazard == 0 {
		w.Hazard = 1
	}
	first := nightlytest.AsOf.AddDate(0, -(w.Months - 1), 0)
	end := nightlytest.AsOf.AddDate(0, w.After, 0) // last month leaving is drawn for
	out := make([]Client, w.Clients)
	for i := range out {
		r := rand.New(rand.NewPCG(w.Seed, uint64(i+w.FirstRef)))
		c := &out[i]
		c.Ref = fmt.Sprintf("S%06d", i+w.FirstRef)
		// most clients were there before the data began; some arrive within it
		if r.Float64() < 0.85 {
			c.Since = first.AddDate(0, -(6 + r.IntN(60)), r.IntN(27))
		} else {
			c.Since = first.AddDate(0, r.IntN(w.Months), r.IntN(27))
		}
		c.engagement = r.NormFloat64()
		c.dissatisfied = 0.6*r.NormFloat64() - 0.3*c.engagement
		n := 1
		for k := 0; k < 4; k++ {
			if r.Float64() < sigmoid(0.2+0.6*c.engagement) {
				n++
			}
		}
		c.Products = nightlytest.Products[:n]
		// the monthly chance of leaving: low engagement, dissatisfaction and
		// few products raise it; a client that transacts little and small
		// doubly so
		z := -4.2 - 0.9*c.engagement + 0.7*c.dissatisfied - 0.35*float64(n-3)
		if c.engagement < -0.8 && c.dissatisfied > 0.3 {
			z += 0.9
		}
		c.hazard = math.Min(0.5, w.Hazard*sigmoid(z))
		// leaving, month by month from arrival (or the data's first month)
		start := c.Since
		if start.Before(first) {
			start = first
		}
		for m := nightlytest.Month(start.Year(), start.Month()); !m.After(end); m = m.AddDate(0, 1, 0) {
			if m.After(c.Since) && r.Float64() < c.hazard {
				c.LeftOn = m.AddDate(0, 0, 1+r.IntN(27))
				break
			}
		}
		// how a leaver goes: fading for some months, or abruptly
		if r.Float64() < 0.65 {
			c.declineMonths = 1 + r.IntN(6)
		}
		// staying clients' dips: a month or three at half their level
		c.dips = map[int]float64{}
		if r.Float64() < 0.2 {
			at, length := r.IntN(w.Months), 1+r.IntN(3)
			for k := at; k < at+length; k++ {
				c.dips[k] = 0.35 + 0.3*r.Float64()
			}
		}
		baseTx := math.Exp(3.0 + 0.55*c.engagement)
		ticket := math.Exp(8.2 + 0.35*c.engagement + 0.3*r.NormFloat64())
		baseBalance := math.Exp(11 + 0.6*c.engagement + 0.5*r.NormFloat64())
		for k := 0; k < w.Months; k++ {
			m := first.AddDate(0, k, 0)
			if m.Before(nightlytest.Month(c.Since.Year(), c.Since.Month())) {
				continue
			}
			if !c.LeftOn.IsZero() && !c.LeftOn.After(m) {
				break
			}
			level := 1.0
			if d, ok := c.dips[k]; ok {
				level = d
			}
			if !c.LeftOn.IsZero() && c.declineMonths > 0 {
				toGo := monthsBetween(m, c.LeftOn)
				if toGo < c.declineMonths {
					level *= 0.25 + 0.75*float64(toGo)/float64(c.declineMonths)
				}
			}
			idle := sigmoid(-3.4-1.1*c.engagement) + 0.35*(1-level)
			f := Fact{Month: m, Income: map[string]int64{}}
			if r.Float64() >= idle {
				f.Tx = poisson(r, baseTx*level)
			}
			f.Turnover = int64(float64(f.Tx) * ticket * (0.8 + 0.4*r.Float64()))
			f.Balance = int64(baseBalance * (0.4 + 0.6*level) * (0.85 + 0.3*r.Float64()))
			for _, p := range c.Products {
				f.Income[p] = 300 + int64(0.002*float64(f.Turnover))
			}
			c.Facts = append(c.Facts, f)
			// contacts: the bank calls now and then; the client calls in when
			// dissatisfied, and complains
			if r.Float64() < 0.25 {
				c.Contacts = append(c.Contacts, Contact{At: m.AddDate(0, 0, 2+r.IntN(25)), Proactive: true})
			}
			if r.Float64() < 0.06*math.Exp(0.9*c.dissatisfied)*(2-level) {
				c.Contacts = append(c.Contacts, Contact{At: m.AddDate(0, 0, 2+r.IntN(25)),
					Complaint: r.Float64() < sigmoid(-1.2+c.dissatisfied)})
			}
		}
	}
	return out
}

// productID is the id nightlytest gives a product code.
func productID(code string) int16 {
	for k, p := range nightlytest.Products {
		if p == code {
			return int16(k + 1)
		}
	}
	panic("churntest: no product " + code)
}

func monthsBetween(a, b time.Time) int {
	return (b.Year()-a.Year())*12 + int(b.Month()) - int(a.Month())
}

// poisson draws a Poisson count (normal approximation above 30).
func poisson(r *rand.Rand, mean float64) int {
	if mean <= 0 {
		return 0
	}
	if mean > 30 {
		return max(0, int(math.Round(mean+math.Sqrt(mean)*r.NormFloat64())))
	}
	l, k, p := math.Exp(-mean), 0, 1.0
	for {
		p *= r.Float64()
		if p <= l {
			return k
		}
		k++
	}
}

// Load writes the world into b's bank (nightlytest.New) with COPY and returns
// each client's truth.
func (w World) Load(t testing.TB, b *nightlytest.Bank) []Truth {
	t.Helper()
	clients := w.Draw()
	Load(t, b, clients)
	return truthOf(clients)
}

// Truth is each client's truth, as Load returns it, for a world loaded
// elsewhere (a template database holding it).
func (w World) Truth() []Truth { return truthOf(w.Draw()) }

func truthOf(clients []Client) []Truth {
	truth := make([]Truth, len(clients))
	for i, c := range clients {
		truth[i] = Truth{Ref: c.Ref, Hazard: c.hazard, LeftOn: c.LeftOn}
	}
	return truth
}

// Load writes clients into b's bank (nightlytest.New) with COPY: ids from 1,
// managers m1 and m2 in turn, regions and industries in turn.
func Load(t testing.TB, b *nightlytest.Bank, clients []Client) {
	t.Helper()
	if err := load(context.Background(), b.Pool, clients); err != nil {
		t.Fatalf("load clients: %v", err)
	}
}

func load(ctx context.Context, pool *pgxpool.Pool, clients []Client) error {
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		var rows [][]any
		for i, c := range clients {
			var left any
			if !c.LeftOn.IsZero() {
				left = c.LeftOn
			}
			rows = append(rows, []any{int64(i + 1), int16(1), int16(1), c.Ref, fmt.Sprintf("TAX%06d", i+1), "Client " + c.Ref,
				int32(1), int16(1 + i%2), int16(1 + (i/2)%2), "small", c.Since, left, int32(1 + i%2)})
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"client"}, []string{"id", "group_id", "bank_id", "ref", "tax_id",
			"legal_name", "branch_id", "region_id", "industry_id", "size_band", "since", "left_on", "manager_id"},
			pgx.CopyFromRows(rows)); err != nil {
			return fmt.Errorf("clients: %w", err)
		}
		if _, err := tx.Exec(ctx, `SELECT setval(pg_get_serial_sequence('client', 'id'), (SELECT max(id) FROM client))`); err != nil {
			return err
		}
		rows = rows[:0]
		months := map[time.Time]bool{}
		var facts [][]any
		var contacts [][]any
		for i, c := range clients {
			id := int64(i + 1)
			for _, p := range c.Products {
				var closed any
				if !c.LeftOn.IsZero() {
					closed = c.LeftOn
				}
				rows = append(rows, []any{id, productID(p), c.Since, closed})
			}
			for _, f := range c.Facts {
				months[f.Month] = true
				var ids []int16
				var amounts []int64
				var total int64
				for k, p := range nightlytest.Products {
					if v, ok := f.Income[p]; ok {
						ids, amounts, total = append(ids, int16(k+1)), append(amounts, v), total+v
					}
				}
				facts = append(facts, []any{id, f.Month, int32(f.Tx), f.Turnover, f.Balance, total, ids, amounts})
			}
			for _, ct := range c.Contacts {
				if !c.LeftOn.IsZero() && !ct.At.Before(c.LeftOn) {
					continue
				}
				outcome := "reached"
				if ct.Complaint {
					outcome = "complaint"
				}
				contacts = append(contacts, []any{id, int32(1 + i%2), "call", ct.At, outcome, ct.Proactive})
			}
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"holding"}, []string{"client_id", "product_id", "opened_on", "closed_on"},
			pgx.CopyFromRows(rows)); err != nil {
			return fmt.Errorf("holdings: %w", err)
		}
		for m := range months {
			if _, err := tx.Exec(ctx, `SELECT ensure_fact_partition($1)`, m); err != nil {
				return err
			}
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"monthly_fact"}, []string{"client_id", "month", "tx_count", "turnover",
			"avg_balance", "income", "product_ids", "product_income"}, pgx.CopyFromRows(facts)); err != nil {
			return fmt.Errorf("facts: %w", err)
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"contact"}, []string{"client_id", "user_id", "kind", "happened_at",
			"outcome", "proactive"}, pgx.CopyFromRows(contacts)); err != nil {
			return fmt.Errorf("contacts: %w", err)
		}
		_, err := tx.Exec(ctx, `ANALYZE`)
		return err
	})
}
