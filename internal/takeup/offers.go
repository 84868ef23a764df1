package takeup

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/relaycrm/relay/internal/db"
	"github.com/relaycrm/relay/internal/exports"
	"github.com/relaycrm/relay/internal/i18n"
	"github.com/relaycrm/relay/internal/reasons"
	"github.com/relaycrm/relay/internal/settings"
)

// Offer is one scored candidate: a product a client does not hold.
type Offer struct {
	ProductIndex int // in the layout
	Probability  float64
	Value        int64 // the product's monthly value in the client's bank (minor units); 0 when unknown
	Priority     float64
	// Learned says the product has a model of its own; Popularity is its
	// take-up rate where the model was fitted.
	Learned    bool
	Popularity float64
}

// scoring is what scoring a month needs.
type scoring struct {
	layout   *Layout
	scorers  map[int16]*Scorer
	ids      map[int16]int64
	excluded map[string]bool
	currency map[int16]reasons.Currency
	// the month being scored: its cells, and the current client's inputs
	cells           *Cells
	x, px, contribs []float64
	ideal           float64
	control         float64
	interest        float64
}

func newScoring(ctx context.Context, q db.Querier, vals settings.Values, groupID int16) (*scoring, error) {
	products, err := loadProducts(ctx, q, groupID)
	if err != nil {
		return nil, err
	}
	s := &scoring{layout: NewLayout(products), excluded: map[string]bool{}, ideal: vals.Ratio("profile.ideal_adoption"),
		control: vals.Ratio("trigger.control_share"), interest: vals.Ratio("trigger.interest_weight")}
	for _, f := range vals.List("trigger.excluded_families") {
		s.excluded[f] = true
	}
	if s.scorers, s.ids, err = bankBundles(ctx, q, groupID, s.layout); err != nil {
		return nil, err
	}
	if s.currency, err = bankCurrencies(ctx, q, groupID); err != nil {
		return nil, err
	}
	return s, nil
}

// month scores every client of a bank with a take-up model in use as of
// month m, calling fn with each client's candidates (the slice is reused;
// s.explain gives an offer's evidence during the call). values, when not
// nil, gives each (bank, product)'s monthly value for the priority.
func (s *scoring) month(ctx context.Context, q db.Querier, m time.Time, values map[[2]int16]int64,
	fn func(c *clientRow, offers []Offer) error) error {
	cells, err := loadCells(ctx, q, m, nil)
	if err != nil {
		return err
	}
	s.cells = cells
	rows, err := q.Query(ctx, queries.Get("client-rows"), m, 0, 1.0, 0, nil, s.control)
	if err != nil {
		return fmt.Errorf("clients: %w", err)
	}
	defer rows.Close()
	l := s.layout
	x := make([]float64, len(l.Codes))
	s.x, s.px, s.contribs = x, make([]float64, len(l.Codes)), make([]float64, len(l.Codes))
	var c clientRow
	var offers []Offer
	for rows.Next() {
		if err := scanClient(rows, &c); err != nil {
			return fmt.Errorf("clients: %w", err)
		}
		sc := s.scorers[c.BankID]
		if sc == nil {
			continue
		}
		l.fill(&c, x)
		offers = offers[:0]
		for i, p := range l.Products {
			if !p.Active || s.excluded[p.Family] || !sc.Knows(i) || has(c.Held, p.ID) {
				continue
			}
			l.setProduct(&c, p.ID, cells, s.ideal, x)
			o := Offer{ProductIndex: i, Probability: sc.Probability(i, x, nil), Value: values[[2]int16{c.BankID, p.ID}]}
			weight := 1.0
			if p.IncomeKind == "interest" {
				weight = s.interest
			}
			o.Priority = o.Probability * float64(max(o.Value, 1)) * weight
			o.Learned = sc.Learned(i)
			o.Popularity = sc.pop[i]
			offers = append(offers, o)
		}
		if err := fn(&c, offers); err != nil {
			return err
		}
	}
	return rows.Err()
}

// explain gives the n inputs that raise offer o's chance most, for client c
// during month's call, as the JSON array a trigger's figures keep ("[]" for
// a product scored by popularity); reasons.Evidence writes it in words.
func (s *scoring) explain(c *clientRow, o Offer, n int) []byte {
	sc := s.scorers[c.BankID]
	if !o.Learned || sc == nil {
		return []byte("[]")
	}
	copy(s.px, s.x)
	s.layout.setProduct(c, s.layout.Products[o.ProductIndex].ID, s.cells, s.ideal, s.px)
	sc.Probability(o.ProductIndex, s.px, s.contribs)
	return s.layout.Evidence(s.px, s.contribs, n)
}

// WriteOffers scores, for every bank whose take-up model is in use, each
// active client's candidates as of the run's month and writes the best keep
// per client by priority (probability x the product's value in the bank x the
// weight of its kind of income) into nightly_w_offer with COPY, with the
// inputs that raise each most. conn is the run's connection (its working
// tables), pool a second connection for the COPY. It returns the rows
// written.
func WriteOffers(ctx context.Context, conn *pgx.Conn, pool *pgxpool.Pool, vals settings.Values, asOf time.Time,
	keep int) (int64, error) {
	if _, err := conn.Exec(ctx, "TRUNCATE nightly_w_offer"); err != nil {
		return 0, fmt.Errorf("offers: %w", err)
	}
	rows, err := conn.Query(ctx, queries.Get("groups"))
	if err != nil {
		return 0, fmt.Errorf("offers: groups: %w", err)
	}
	groups, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (int16, error) {
		var id int16
		var code, name string
		return id, r.Scan(&id, &code, &name)
	})
	if err != nil {
		return 0, fmt.Errorf("offers: groups: %w", err)
	}
	values, err := bankValues(ctx, conn)
	if err != nil {
		return 0, err
	}
	var total int64
	for _, g := range groups {
		s, err := newScoring(ctx, conn, vals, g)
		if err != nil {
			return 0, fmt.Errorf("offers: %w", err)
		}
		if len(s.scorers) == 0 {
			continue
		}
		src := &offerSource{s: s, values: values, keep: keep, asOf: asOf, ctx: ctx, conn: conn, out: make(chan []any, 1024)}
		src.start()
		n, err := pool.CopyFrom(ctx, pgx.Identifier{"nightly_w_offer"},
			[]string{"client_id", "product_id", "model_id", "probability", "product_value", "expected_value", "priority",
				"evidence"}, src)
		src.stop()
		if err == nil {
			err = src.err
		}
		if err != nil {
			return 0, fmt.Errorf("offers: %w", err)
		}
		total += n
	}
	if _, err := conn.Exec(ctx, "ANALYZE nightly_w_offer"); err != nil {
		return 0, fmt.Errorf("offers: %w", err)
	}
	return total, nil
}

// bankCurrencies are the currency of each bank of the group, to write the
// amounts of the evidence.
func bankCurrencies(ctx context.Context, q db.Querier, groupID int16) (map[int16]reasons.Currency, error) {
	rows, err := q.Query(ctx, queries.Get("bank-currencies"), groupID)
	if err != nil {
		return nil, fmt.Errorf("bank currencies: %w", err)
	}
	defer rows.Close()
	out := map[int16]reasons.Currency{}
	for rows.Next() {
		var id int16
		var cur reasons.Currency
		if err := rows.Scan(&id, &cur.Code, &cur.MinorDigits); err != nil {
			return nil, fmt.Errorf("bank currencies: %w", err)
		}
		out[id] = cur
	}
	return out, rows.Err()
}

func bankValues(ctx context.Context, q db.Querier) (map[[2]int16]int64, error) {
	rows, err := q.Query(ctx, queries.Get("bank-values"))
	if err != nil {
		return nil, fmt.Errorf("offers: product values: %w", err)
	}
	defer rows.Close()
	out := map[[2]int16]int64{}
	for rows.Next() {
		var b, p int16
		var v int64
		if err := rows.Scan(&b, &p, &v); err != nil {
			return nil, fmt.Errorf("offers: product values: %w", err)
		}
		out[[2]int16{b, p}] = v
	}
	return out, rows.Err()
}

// offerSource feeds COPY the offers that a goroutine scores off the run's
// connection (COPY holds a connection of the pool; the scoring reads on the
// run's own).
type offerSource struct {
	s      *scoring
	values map[[2]int16]int64
	keep   int
	asOf   time.Time
	ctx    context.Context
	conn   *pgx.Conn
	out    chan []any
	done   chan struct{}
	cancel context.CancelFunc
	row    []any
	err    error
}

func (src *offerSource) start() {
	ctx, cancel := context.WithCancel(src.ctx)
	src.cancel, src.done = cancel, make(chan struct{})
	go func() {
		defer close(src.done)
		defer close(src.out)
		l := src.s.layout
		err := src.s.month(ctx, src.conn, src.asOf, src.values, func(c *clientRow, offers []Offer) error {
			slices.SortFunc(offers, func(a, b Offer) int {
				if a.Priority != b.Priority {
					if a.Priority > b.Priority {
						return -1
					}
					return 1
				}
				return a.ProductIndex - b.ProductIndex
			})
			// a product the client is less likely than the average candidate
			// to take is not offered
			kept := offers[:0]
			for _, o := range offers {
				if !o.Learned || o.Probability >= o.Popularity {
					kept = append(kept, o)
				}
			}
			for _, o := range kept[:min(len(kept), src.keep)] {
				p := l.Products[o.ProductIndex]
				row := []any{c.ID, p.ID, src.s.ids[c.BankID], o.Probability, o.Value,
					o.Value * 12, int64(math.Round(o.Priority * 12)), src.s.explain(c, o, 3)}
				select {
				case src.out <- row:
				case <-ctx.Done():
					return ctx.Err()
				}
			}
			return nil
		})
		if err != nil && ctx.Err() == nil {
			src.err = err
		}
	}()
}

func (src *offerSource) stop() {
	src.cancel()
	for range src.out {
	}
	<-src.done
}

func (src *offerSource) Next() bool {
	row, ok := <-src.out
	src.row = row
	return ok
}

func (src *offerSource) Values() ([]any, error) { return src.row, nil }

func (src *offerSource) Err() error { return nil }

// ExportOffers writes every candidate (client, product) of the banks with a
// take-up model in use as of the latest month of facts, with its
// probability, to w as CSV: for analysts.
func ExportOffers(ctx context.Context, pool *pgxpool.Pool, st *settings.Store, w io.Writer) (int, error) {
	vals, err := st.Load(ctx)
	if err != nil {
		return 0, err
	}
	var first, last *time.Time
	if err := pool.QueryRow(ctx, queries.Get("span")).Scan(&first, &last); err != nil {
		return 0, fmt.Errorf("history: %w", err)
	}
	if last == nil {
		return 0, ErrNoHistory
	}
	sc, _, err := resolveScope(ctx, pool, "")
	if err != nil {
		return 0, err
	}
	s, err := newScoring(ctx, pool, vals, sc.groupID)
	if err != nil {
		return 0, err
	}
	if len(s.scorers) == 0 {
		return 0, fmt.Errorf("no bank uses a take-up model: fit one with relay model fit --purpose takeup")
	}
	refs, err := clientRefs(ctx, pool)
	if err != nil {
		return 0, err
	}
	cw := csv.NewWriter(w)
	if err := cw.Write([]string{"as_of", "bank", "client_ref", "product", "probability", "model_id", "learned", "evidence"}); err != nil {
		return 0, err
	}
	n := 0
	asOf := last.Format("2006-01")
	err = s.month(ctx, pool, *last, nil, func(c *clientRow, offers []Offer) error {
		for _, o := range offers {
			evidence, err := reasons.Evidence(i18n.English, s.explain(c, o, 3), s.currency[c.BankID])
			if err != nil {
				return err
			}
			p := s.layout.Products[o.ProductIndex]
			ref := refs[c.ID]
			rec := []string{asOf, ref.bank, exports.Neutralise(ref.ref), p.Code, strconv.FormatFloat(o.Probability, 'f', 6, 64),
				strconv.FormatInt(s.ids[c.BankID], 10), strconv.FormatBool(s.scorers[c.BankID].Learned(o.ProductIndex)),
				exports.Neutralise(evidence)}
			if err := cw.Write(rec); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err != nil {
		return n, err
	}
	cw.Flush()
	return n, cw.Error()
}

type clientRef struct{ bank, ref string }

func clientRefs(ctx context.Context, q db.Querier) (map[int64]clientRef, error) {
	rows, err := q.Query(ctx, queries.Get("client-refs"))
	if err != nil {
		return nil, fmt.Errorf("clients: %w", err)
	}
	defer rows.Close()
	out := map[int64]clientRef{}
	for rows.Next() {
		var id int64
		var r clientRef
		if err := rows.Scan(&id, &r.bank, &r.ref); err != nil {
			return nil, err
		}
		out[id] = r
	}
	return out, rows.Err()
}
