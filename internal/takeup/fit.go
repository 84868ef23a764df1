package takeup

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/relaycrm/relay/internal/db"
	"github.com/relaycrm/relay/internal/i18n"
	"github.com/relaycrm/relay/internal/model"
	"github.com/relaycrm/relay/internal/settings"
)

// RuleName and PopularityName are what the cards call the two baselines.
const (
	RuleName       = "the ideal-set rule"
	PopularityName = "popularity"
)

// Card is a take-up model's card: what it was fitted and tested on, and how
// it ranked the test months' candidates beside the ideal-set rule and plain
// popularity, overall, per bank and per product.
type Card struct {
	Purpose  string    `json:"purpose"` // "takeup"
	Target   string    `json:"target"`
	Scope    string    `json:"scope"`
	FittedAt time.Time `json:"fitted_at"`
	Horizon  int       `json:"horizon_months"`
	FittedOn []string  `json:"fitted_on"`
	TestedOn []string  `json:"tested_on"`
	// ClientMonths are the client-months read (Share of the clients each
	// month); Candidates the (client, product) rows among them.
	ClientMonths int           `json:"client_months"`
	Candidates   int           `json:"candidates"`
	Share        float64       `json:"share"`
	Overall      Comparison    `json:"overall"`
	Banks        []BankResult  `json:"banks"`
	Products     []ProductCard `json:"products"`
}

// Comparison is the test months' figures of the model and both baselines on
// the same candidates. Lift10 is the top-10% lift; precision in the top 10%
// is Lift10 x Rate.
type Comparison struct {
	Model      model.Metrics `json:"model"`
	Rule       model.Metrics `json:"rule"`
	Popularity model.Metrics `json:"popularity"`
}

// BankResult is how the model did on one bank's test candidates, whether it
// now ranks that bank's offers, and how the triggers shown there did.
type BankResult struct {
	BankID int16      `json:"bank_id"`
	Code   string     `json:"code"`
	Name   string     `json:"name"`
	Test   Comparison `json:"test"`
	Beats  bool       `json:"beats"`
	Used   bool       `json:"used"`
	Why    string     `json:"why"` // in English; WhyIn in a reader's language
	Shown  Shown      `json:"shown"`
	// WhyKey and WhyArgs are the why as data (why.go); empty on older cards.
	WhyKey  string   `json:"why_key,omitempty"`
	WhyArgs *WhyArgs `json:"why_args,omitempty"`
}

// Shown is how the triggers really shown to managers in the test months did:
// how many were taken within the window and the income the taken ones
// brought (minor units of the bank's currency), beside the take-up rate of
// every candidate those months.
type Shown struct {
	Triggers      int     `json:"triggers"`
	Taken         int     `json:"taken"`
	Rate          float64 `json:"rate"`
	CandidateRate float64 `json:"candidate_rate"`
	Lift          float64 `json:"lift"`
	IncomeAfter   int64   `json:"income_after"`
	Currency      string  `json:"currency"`
	MinorDigits   int     `json:"minor_digits"`
}

// ProductCard is one product's part of the card.
type ProductCard struct {
	Code    string `json:"code"`
	Name    string `json:"name"`
	Learned bool   `json:"learned"`
	Why     string `json:"why"` // in English; WhyIn in a reader's language
	// WhyKey and WhyArgs are the why as data (why.go); empty on older cards.
	WhyKey     string   `json:"why_key,omitempty"`
	WhyArgs    *WhyArgs `json:"why_args,omitempty"`
	Popularity float64  `json:"popularity"`
	Candidates int      `json:"candidates"`
	Takers     int      `json:"takers"`
	// Test and Rule are the product's own test figures (nil when the product
	// keeps its popularity); Strongest its inputs of most weight.
	Test      *model.Metrics `json:"test,omitempty"`
	Rule      *model.Metrics `json:"rule,omitempty"`
	Strongest []string       `json:"strongest,omitempty"`
	// StrongestInputs are the same inputs as codes, said in a reader's
	// language by StrongestIn; empty on cards fitted before they were kept.
	StrongestInputs []InputRef `json:"strongest_inputs,omitempty"`
}

// InputRef names one input of the take-up model: its code, and for a
// holding the product's name.
type InputRef struct {
	Input   string `json:"input"`
	Product string `json:"product,omitempty"`
}

// StrongestIn says the product's strongest inputs in locale l; a card that
// kept only their English words says those.
func (p ProductCard) StrongestIn(l i18n.Locale) string {
	refs := p.StrongestInputs
	if len(refs) == 0 {
		// an older card: its words, but those that are an input's code (the
		// first cards kept codes) named in the language
		for _, w := range p.Strongest {
			if _, known := inputLabels[w]; !known && !strings.HasPrefix(w, "holds:") {
				return strings.Join(p.Strongest, ", ")
			}
		}
		for _, w := range p.Strongest {
			if product, ok := strings.CutPrefix(w, "holds:"); ok {
				refs = append(refs, InputRef{Input: w, Product: product})
			} else {
				refs = append(refs, InputRef{Input: w})
			}
		}
	}
	names := make([]string, len(refs))
	for i, in := range refs {
		names[i] = in.LabelIn(l)
	}
	return strings.Join(names, l.T("takeup.input.sep"))
}

// LabelIn is the input's name in locale l; an input this version does not
// know is its code.
func (in InputRef) LabelIn(l i18n.Locale) string {
	if in.Product != "" {
		return l.T("takeup.input.holds", "Product", in.Product)
	}
	if _, ok := inputLabels[in.Input]; !ok {
		return in.Input
	}
	return l.T("takeup.input." + in.Input)
}

// FitRequest says what to fit.
type FitRequest struct {
	Bank     string // code; empty: the whole group
	UserID   int64
	Progress func(string)
}

// FitOutcome is what a fit did.
type FitOutcome struct {
	ModelID int64
	Bundle  *Bundle
}

// ErrNoHistory is returned when no month has a whole take-up window behind it.
var ErrNoHistory = errors.New("no month of history with a known take-up window")

// minBankTestTakers is the fewest takers a bank's test candidates need to be
// judged on their own.
const minBankTestTakers = 10

// Fit replays the latest takeup.months months whose take-up window the data
// covers, fits one model per product on all but the latest
// takeup.test_months, tests them there against the ideal-set rule and
// popularity, refits on every month, stores the bundle with its card and
// uses it for every bank where it beats the rule.
func Fit(ctx context.Context, pool *pgxpool.Pool, st *settings.Store, req FitRequest) (FitOutcome, error) {
	vals, err := st.Load(ctx)
	if err != nil {
		return FitOutcome{}, err
	}
	sc, banks, err := resolveScope(ctx, pool, req.Bank)
	if err != nil {
		return FitOutcome{}, err
	}
	f, err := prepare(ctx, pool, vals, sc)
	if err != nil {
		return FitOutcome{}, err
	}
	if err := f.collect(ctx, pool, req.Progress); err != nil {
		return FitOutcome{}, err
	}
	b := f.fit(req.Progress)
	b.Card.Scope = sc.label
	b.Card.Banks = f.judge(banks, b.Card.Products)
	if err := f.shown(ctx, pool, b.Card.Banks); err != nil {
		return FitOutcome{}, err
	}
	out := FitOutcome{Bundle: b}
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		id, err := insertBundle(ctx, tx, sc, "fitted", "", b, req.UserID)
		if err != nil {
			return err
		}
		out.ModelID = id
		for i, v := range b.Card.Banks {
			if !v.Beats {
				continue
			}
			why := fmt.Sprintf("take-up model %d beats %s on %s's test months (%s): top-10%% lift %.2f against %.2f, AUC %.3f against %.3f",
				id, RuleName, v.Code, monthRange(b.Card.TestedOn), v.Test.Model.Lift10, v.Test.Rule.Lift10,
				v.Test.Model.AUC, v.Test.Rule.AUC)
			if err := useBundle(ctx, tx, v.BankID, &id, req.UserID, why); err != nil {
				return err
			}
			b.Card.Banks[i].Used = true
		}
		return updateCard(ctx, tx, id, b.Card)
	})
	if err != nil {
		return FitOutcome{}, fmt.Errorf("store the take-up model: %w", err)
	}
	return out, nil
}

// fitter holds a fit's settings and the history it read.
type fitter struct {
	sc           scope
	layout       *Layout
	horizon      int
	months       []time.Time
	test         int
	minTakers    int
	ideal        float64
	controlShare float64
	share        float64
	cells        []*Cells
	recs         []record
	// the test candidates, pooled over products
	testBank            []int16
	testY               []bool
	pModel, pRule, pPop []float64
	bankByClient        map[int64]int16
}

// record is one client as of one replayed month.
type record struct {
	month  int // index in months
	client clientRow
	x      []float64 // the client's inputs (product inputs unset)
}

func prepare(ctx context.Context, q db.Querier, vals settings.Values, sc scope) (*fitter, error) {
	products, err := loadProducts(ctx, q, sc.groupID)
	if err != nil {
		return nil, err
	}
	f := &fitter{sc: sc, layout: NewLayout(products), horizon: vals.Int("trigger.win_window_months"),
		minTakers: vals.Int("takeup.min_takers"), ideal: vals.Ratio("profile.ideal_adoption"),
		controlShare: vals.Ratio("trigger.control_share")}
	var first, last *time.Time
	if err := q.QueryRow(ctx, queries.Get("span")).Scan(&first, &last); err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	if first == nil || last == nil {
		return nil, fmt.Errorf("%w: there are no monthly facts", ErrNoHistory)
	}
	earliest := first.AddDate(0, 2, 0)
	end := last.AddDate(0, -f.horizon, 0)
	for m := end; !m.Before(earliest) && len(f.months) < vals.Int("takeup.months"); m = m.AddDate(0, -1, 0) {
		f.months = append(f.months, m)
	}
	slices.Reverse(f.months)
	if len(f.months) < 2 {
		return nil, fmt.Errorf("%w: the facts run %s to %s, and a fit needs two months with 3 months of facts before them and %d months after",
			ErrNoHistory, first.Format("2006-01"), last.Format("2006-01"), f.horizon)
	}
	f.test = min(vals.Int("takeup.test_months"), len(f.months)-1)
	var active int64
	if err := q.QueryRow(ctx, queries.Get("active-at"), f.months[len(f.months)-1], sc.bankID).Scan(&active); err != nil {
		return nil, fmt.Errorf("active clients: %w", err)
	}
	f.share = 1
	if total := float64(active) * float64(len(f.months)); total > float64(vals.Int("takeup.sample_rows")) {
		f.share = float64(vals.Int("takeup.sample_rows")) / total
	}
	return f, nil
}

// collect reads every replayed month's cells and clients.
func (f *fitter) collect(ctx context.Context, pool *pgxpool.Pool, progress func(string)) error {
	for i, m := range f.months {
		started := time.Now()
		cells, err := loadCells(ctx, pool, m, f.sc.bankID)
		if err != nil {
			return err
		}
		f.cells = append(f.cells, cells)
		rows, err := pool.Query(ctx, queries.Get("client-rows"), m, f.horizon, f.share, periodOf(m), f.sc.bankID, f.controlShare)
		if err != nil {
			return fmt.Errorf("clients of %s: %w", m.Format("2006-01"), err)
		}
		n, took := 0, 0
		for rows.Next() {
			r := record{month: i, x: make([]float64, len(f.layout.Codes))}
			if err := scanClient(rows, &r.client); err != nil {
				rows.Close()
				return fmt.Errorf("clients of %s: %w", m.Format("2006-01"), err)
			}
			f.layout.fill(&r.client, r.x)
			f.recs = append(f.recs, r)
			n++
			took += len(r.client.OpenedAfter)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("clients of %s: %w", m.Format("2006-01"), err)
		}
		if progress != nil {
			progress(fmt.Sprintf("%s: %d clients read, %d products taken within %d months, %s", m.Format("2006-01"), n,
				took, f.horizon, time.Since(started).Round(time.Millisecond)))
		}
	}
	return nil
}

// ruleScore is the ideal-set rule's score of a candidate: its best clients'
// adoption when the product is in the ideal set, else nothing (the rule never
// offers it).
func ruleScore(x []float64, l *Layout) float64 {
	if x[l.product+2] < 0.5 {
		return 0
	}
	return x[l.product+1]
}

// fit fits every product's model and gathers the test candidates.
func (f *fitter) fit(progress func(string)) *Bundle {
	l := f.layout
	firstTest := len(f.months) - f.test
	label := func(period int) string { return f.months[period].Format("2006-01") }
	rule, _ := model.NewLinear(-3, []model.Weight{{Input: InIdeal, Weight: 6}, {Input: InBestAdoption, Weight: 1}})
	b := &Bundle{Card: Card{Purpose: "takeup", FittedAt: time.Now().UTC().Truncate(time.Second), Horizon: f.horizon,
		Target: fmt.Sprintf("the client takes the product within %d months", f.horizon), ClientMonths: len(f.recs),
		Share: f.share}}
	for i := range f.months {
		if i < firstTest {
			b.Card.FittedOn = append(b.Card.FittedOn, label(i))
		} else {
			b.Card.TestedOn = append(b.Card.TestedOn, label(i))
		}
	}
	for pi, p := range l.Products {
		if !p.Active {
			continue
		}
		started := time.Now()
		ds := model.Dataset{Inputs: l.Codes, Cols: make([][]float64, len(l.Codes))}
		for k := range ds.Cols {
			ds.Cols[k] = make([]float64, 0, len(f.recs))
		}
		x := make([]float64, len(l.Codes))
		trainRows, trainTook := 0, 0
		for _, r := range f.recs {
			if has(r.client.Held, p.ID) {
				continue
			}
			copy(x, r.x)
			l.setProduct(&r.client, p.ID, f.cells[r.month], f.ideal, x)
			for k, v := range x {
				ds.Cols[k] = append(ds.Cols[k], v)
			}
			y := has(r.client.OpenedAfter, p.ID)
			ds.Y = append(ds.Y, y)
			ds.Period = append(ds.Period, r.month)
			ds.Entity = append(ds.Entity, r.client.ID)
			if r.month < firstTest {
				trainRows++
				if y {
					trainTook++
				}
			}
		}
		pc := ProductCard{Code: p.Code, Name: p.Name, Candidates: len(ds.Y)}
		for _, y := range ds.Y {
			if y {
				pc.Takers++
			}
		}
		if trainRows > 0 {
			pc.Popularity = float64(trainTook) / float64(trainRows)
		}
		pm := ProductModel{Code: p.Code, Popularity: pc.Popularity}
		res, err := model.Fit(ds, f.test, model.Options{MinPositives: f.minTakers, Baseline: rule, Refit: true,
			PeriodLabel: label, MaxBins: 8, SmoothGrid: []float64{10, 1, 0.1, 0.01}})
		var tested *model.Bound
		switch {
		case len(ds.Y) == 0:
			pc.setWhy(whyAllHold, WhyArgs{})
		case err != nil:
			pc.setWhy(whyPopularity, WhyArgs{Error: err.Error()})
		default:
			pc.Learned = true
			pc.setWhy(whyLearned, WhyArgs{})
			pc.Test, pc.Rule = &res.Test, res.Baseline
			res.Model.Card().Purpose = "takeup"
			res.Model.Card().Target = fmt.Sprintf("the client takes %s within %d months", p.Name, f.horizon)
			res.Model.Card().BaselineName = RuleName
			body, merr := model.Marshal(res.Model)
			if merr != nil {
				pc.Learned = false
				pc.setWhy(whyPopularity, WhyArgs{Error: merr.Error()})
				break
			}
			pm.Model = body
			tested, _ = res.Tested.Bind(l.Codes)
			for _, code := range strongest(res.Model, 4) {
				pc.Strongest = append(pc.Strongest, l.Label(code))
				pc.StrongestInputs = append(pc.StrongestInputs, l.Ref(code))
			}
		}
		// the test candidates, pooled
		for i := range ds.Y {
			if ds.Period[i] < firstTest {
				continue
			}
			for k := range x {
				x[k] = ds.Cols[k][i]
			}
			pm := pc.Popularity
			if tested != nil {
				pm = model.Probability(tested.Contributions(x, nil))
			}
			f.pModel = append(f.pModel, pm)
			f.pRule = append(f.pRule, ruleScore(x, l))
			f.pPop = append(f.pPop, pc.Popularity)
			f.testY = append(f.testY, ds.Y[i])
			f.testBank = append(f.testBank, f.bankOfEntity(ds.Entity[i]))
		}
		b.Card.Candidates += len(ds.Y)
		b.Card.Products = append(b.Card.Products, pc)
		b.Products = append(b.Products, pm)
		if progress != nil {
			progress(fmt.Sprintf("%s: %d candidates, %d takers, %s, %s", p.Code, pc.Candidates, pc.Takers, pc.Why,
				time.Since(started).Round(time.Millisecond)))
		}
		_ = pi
	}
	b.Card.Overall = compare(f.pModel, f.pRule, f.pPop, f.testY, nil)
	return b
}

// bankOfEntity finds a client's bank among the records (the records of a
// client all carry its bank).
func (f *fitter) bankOfEntity(client int64) int16 {
	if f.bankByClient == nil {
		f.bankByClient = make(map[int64]int16, len(f.recs))
		for _, r := range f.recs {
			f.bankByClient[r.client.ID] = r.client.BankID
		}
	}
	return f.bankByClient[client]
}

// compare evaluates the three scores on the rows keep says (nil: all).
func compare(pm, pr, pp []float64, y []bool, keep func(i int) bool) Comparison {
	var a, b, c []float64
	var yy []bool
	for i := range y {
		if keep != nil && !keep(i) {
			continue
		}
		a, b, c = append(a, pm[i]), append(b, pr[i]), append(c, pp[i])
		yy = append(yy, y[i])
	}
	strip := func(m model.Metrics) model.Metrics { m.Calibration = nil; return m }
	return Comparison{Model: strip(model.Evaluate(a, yy, nil)), Rule: strip(model.Evaluate(b, yy, nil)),
		Popularity: strip(model.Evaluate(c, yy, nil))}
}

// judge says, per bank, whether the model beats the rule on its test
// candidates: a higher AUC and a top-10% lift at least as high.
func (f *fitter) judge(banks []bank, products []ProductCard) []BankResult {
	overall := compare(f.pModel, f.pRule, f.pPop, f.testY, nil)
	learned := false
	for _, p := range products {
		learned = learned || p.Learned
	}
	var out []BankResult
	for _, bk := range banks {
		r := BankResult{BankID: bk.ID, Code: bk.Code, Name: bk.Name}
		r.Test = compare(f.pModel, f.pRule, f.pPop, f.testY, func(i int) bool { return f.testBank[i] == bk.ID })
		beats := func(c Comparison) bool { return c.Model.AUC > c.Rule.AUC && c.Model.Lift10 >= c.Rule.Lift10 }
		switch {
		case !learned:
			r.setWhy(whyNothingLearned, WhyArgs{})
		case r.Test.Model.Rows == 0:
			r.setWhy(whyNoCandidates, WhyArgs{})
		case r.Test.Model.Positives >= minBankTestTakers:
			r.Beats = beats(r.Test)
			r.setWhy(map[bool]string{true: whyBeats, false: whyNotBeats}[r.Beats], WhyArgs{})
		case len(banks) > 1 && overall.Model.Positives >= minBankTestTakers:
			r.Beats = beats(overall)
			r.setWhy(whyFewGroup, WhyArgs{Takers: r.Test.Model.Positives})
		default:
			r.setWhy(whyFew, WhyArgs{Takers: r.Test.Model.Positives})
		}
		out = append(out, r)
	}
	return out
}

// shown counts, per bank, the triggers shown in the test months and how they
// did.
func (f *fitter) shown(ctx context.Context, q db.Querier, banks []BankResult) error {
	from := f.months[len(f.months)-f.test]
	to := f.months[len(f.months)-1]
	for i := range banks {
		s := &banks[i].Shown
		if err := q.QueryRow(ctx, queries.Get("shown"), banks[i].BankID, from, to).Scan(&s.Triggers, &s.Taken,
			&s.IncomeAfter, &s.Currency, &s.MinorDigits); err != nil {
			return fmt.Errorf("triggers shown: %w", err)
		}
		if s.Triggers > 0 {
			s.Rate = float64(s.Taken) / float64(s.Triggers)
		}
		s.CandidateRate = banks[i].Test.Model.Rate
		if s.CandidateRate > 0 {
			s.Lift = s.Rate / s.CandidateRate
		}
	}
	return nil
}

// strongest names the inputs of most weight in an additive model.
func strongest(m *model.Additive, n int) []string {
	shapes := m.Shapes()
	slices.SortStableFunc(shapes, func(a, b model.Shape) int {
		switch {
		case a.Importance > b.Importance:
			return -1
		case a.Importance < b.Importance:
			return 1
		}
		return 0
	})
	var out []string
	for _, s := range shapes {
		if len(out) == n || !(s.Importance > 0.01) {
			break
		}
		out = append(out, s.Input)
	}
	return out
}

func periodOf(m time.Time) int { return m.Year()*12 + int(m.Month()) - 1 }

func monthRange(months []string) string {
	switch len(months) {
	case 0:
		return ""
	case 1:
		return months[0]
	}
	return months[0] + " to " + months[len(months)-1]
}

func finiteOrNil(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}
