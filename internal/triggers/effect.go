package triggers

import (
	"context"
	"encoding/csv"
	"fmt"
	"math"
	"sort"
	"strconv"
	"time"

	"github.com/relaycrm/relay/internal/access"
	"github.com/relaycrm/relay/internal/db"
	"github.com/relaycrm/relay/internal/i18n"
	"github.com/relaycrm/relay/internal/money"
)

// Proportion is k successes out of n.
type Proportion struct{ K, N int }

// Rate is K / N, zero when N is.
func (p Proportion) Rate() float64 {
	if p.N == 0 {
		return 0
	}
	return float64(p.K) / float64(p.N)
}

// z95 is the standard normal quantile of a two-sided 95% interval.
var z95 = math.Sqrt2 * math.Erfinv(0.95)

// Wilson is the Wilson score interval of p at 95%: it stays inside 0-1 and
// keeps its coverage for small n and rates near 0 or 1, where the textbook
// p ± z·se does not.
func (p Proportion) Wilson() (lo, hi float64) {
	if p.N == 0 {
		return 0, 1
	}
	n, r, z2 := float64(p.N), p.Rate(), z95*z95
	centre := (r + z2/(2*n)) / (1 + z2/n)
	half := z95 / (1 + z2/n) * math.Sqrt(r*(1-r)/n+z2/(4*n*n))
	return max(0, centre-half), min(1, centre+half)
}

// Uplift is the difference of two proportions with its 95% interval.
type Uplift struct {
	Diff, Lo, Hi float64
}

// NewcombeUplift is a - b with Newcombe's hybrid score interval (his method
// 10, Statistics in Medicine 1998): each side's Wilson interval, combined. It
// is the interval recommended for a difference of independent proportions
// when samples are small or rates near 0, as take-up rates are.
func NewcombeUplift(a, b Proportion) Uplift {
	p1, p2 := a.Rate(), b.Rate()
	l1, u1 := a.Wilson()
	l2, u2 := b.Wilson()
	d := p1 - p2
	return Uplift{Diff: d,
		Lo: d - math.Sqrt((p1-l1)*(p1-l1)+(u2-p2)*(u2-p2)),
		Hi: d + math.Sqrt((u1-p1)*(u1-p1)+(p2-l2)*(p2-l2))}
}

// EffectRow is the effectiveness of one product's triggers, at one segment
// level or (Level zero) at all of them.
type EffectRow struct {
	ProductID   int64
	ProductCode string
	ProductName string
	Level       int16 // zero: every level

	Shown, HeldBack Proportion // taken within the window, of the triggers shown and held back
	// IncomeShown and IncomeHeld are the income the product brought the
	// clients of the triggers over the window's months, minor units.
	IncomeShown, IncomeHeld int64
	// Enough is false when either side has fewer than the minimum cases:
	// there is no uplift to speak of yet.
	Enough bool
	Uplift Uplift
	// IncomeAdded is what showing the triggers added over the window: the
	// income per shown trigger less that per held-back one, times the shown
	// triggers (zero unless Enough).
	IncomeAdded int64

	// The backtest: the take-up of all the triggers (shown and held back)
	// against the base rate of clients without one, the factor it gives the
	// priority (nil until there are enough cases), and whether the expected
	// value matched what followed: the expected yearly value of the taken
	// triggers against the income they brought, a year.
	Base          Proportion
	Factor        *float64
	TakenExpected int64 // sum of the expected yearly values of the taken triggers
}

// All is the take-up of every trigger, shown or held back.
func (r EffectRow) All() Proportion {
	return Proportion{K: r.Shown.K + r.HeldBack.K, N: r.Shown.N + r.HeldBack.N}
}

// RealisedYearly is the income the taken triggers brought over the window,
// scaled to a year, per taken trigger; ExpectedYearly the value they were
// expected to bring a year. Both zero when none was taken.
func (r EffectRow) RealisedYearly(windowMonths int) int64 {
	taken := r.All().K
	if taken == 0 || windowMonths <= 0 {
		return 0
	}
	return int64(math.Round(float64(r.IncomeShown+r.IncomeHeld) * 12 / float64(windowMonths) / float64(taken)))
}

// ExpectedYearly is the expected yearly value per taken trigger.
func (r EffectRow) ExpectedYearly() int64 {
	if taken := r.All().K; taken > 0 {
		return int64(math.Round(float64(r.TakenExpected) / float64(taken)))
	}
	return 0
}

// Effect is the effectiveness page of one bank over a span of months raised.
type Effect struct {
	BankID       int64
	BankCode     string
	From, To     time.Time // first and last month raised
	FirstMonth   time.Time // the earliest month with judged triggers (zero: none yet)
	LastMonth    time.Time
	AsOf         time.Time // of the run that judged them
	MinCases     int
	Rows         []EffectRow // per product (Level zero, first) and level
	Total        EffectRow   // every product, every level
	WindowMonths int
	Currency     string
	MinorDigits  int
}

// EffectFilter selects the bank and the months raised.
type EffectFilter struct {
	BankID   int64
	From, To time.Time // zero: from the first, to the last month judged
	// MinCases is trigger.effect_min_cases; WindowMonths
	// trigger.win_window_months.
	MinCases, WindowMonths int
}

// Effectiveness returns the effectiveness of a bank's triggers for v (any
// role of the bank's group: it is aggregate data), or db.ErrNotFound for a
// bank of another group.
func Effectiveness(ctx context.Context, q db.Querier, v access.Viewer, f EffectFilter) (Effect, error) {
	out := Effect{BankID: f.BankID, MinCases: f.MinCases, WindowMonths: f.WindowMonths}
	if err := q.QueryRow(ctx, `SELECT code, currency, minor_digits FROM bank WHERE id = $1 AND group_id = $2`, f.BankID, v.GroupID).
		Scan(&out.BankCode, &out.Currency, &out.MinorDigits); err != nil {
		return Effect{}, fmt.Errorf("bank %d: %w", f.BankID, db.ErrNotFound)
	}
	if err := q.QueryRow(ctx, queries.Get("effect-months"), v.GroupID, f.BankID).Scan(&out.FirstMonth, &out.LastMonth, &out.AsOf); err != nil {
		return Effect{}, fmt.Errorf("effect months: %w", err)
	}
	if out.FirstMonth.Year() == 1 {
		out.FirstMonth, out.LastMonth, out.AsOf = time.Time{}, time.Time{}, time.Time{}
	}
	out.From, out.To = f.From, f.To
	if out.From.IsZero() {
		out.From = out.FirstMonth
	}
	if out.To.IsZero() {
		out.To = out.LastMonth
	}
	rows, err := q.Query(ctx, queries.Get("effect"), v.GroupID, f.BankID, out.From, out.To)
	if err != nil {
		return Effect{}, fmt.Errorf("effectiveness: %w", err)
	}
	defer rows.Close()
	products := map[int64]*EffectRow{}
	var order []int64
	for rows.Next() {
		var r EffectRow
		if err := rows.Scan(&r.ProductID, &r.ProductCode, &r.ProductName, &r.Level, &r.Shown.N, &r.Shown.K, &r.IncomeShown,
			&r.HeldBack.N, &r.HeldBack.K, &r.IncomeHeld, &r.TakenExpected, &r.Base.N, &r.Base.K, &r.Factor); err != nil {
			return Effect{}, fmt.Errorf("effectiveness: %w", err)
		}
		p, ok := products[r.ProductID]
		if !ok {
			p = &EffectRow{ProductID: r.ProductID, ProductCode: r.ProductCode, ProductName: r.ProductName}
			products[r.ProductID] = p
			order = append(order, r.ProductID)
		}
		p.add(r)
		out.Total.add(r)
		out.Rows = append(out.Rows, r)
	}
	if err := rows.Err(); err != nil {
		return Effect{}, fmt.Errorf("effectiveness: %w", err)
	}
	// each product's total first, then its levels
	var all []EffectRow
	for _, id := range order {
		all = append(all, *products[id])
		for _, r := range out.Rows {
			if r.ProductID == id {
				all = append(all, r)
			}
		}
	}
	out.Rows = all
	for i := range out.Rows {
		out.Rows[i].judge(f.MinCases)
	}
	out.Total.judge(f.MinCases)
	return out, nil
}

// add sums a level's row into a product's (or the total's); the factor is
// per level and does not add up.
func (r *EffectRow) add(o EffectRow) {
	r.Shown.K += o.Shown.K
	r.Shown.N += o.Shown.N
	r.HeldBack.K += o.HeldBack.K
	r.HeldBack.N += o.HeldBack.N
	r.IncomeShown += o.IncomeShown
	r.IncomeHeld += o.IncomeHeld
	r.TakenExpected += o.TakenExpected
	r.Base.K += o.Base.K
	r.Base.N += o.Base.N
}

// judge works out the uplift when both sides have enough cases.
func (r *EffectRow) judge(minCases int) {
	r.Enough = r.Shown.N >= minCases && r.HeldBack.N >= minCases
	if !r.Enough {
		return
	}
	r.Uplift = NewcombeUplift(r.Shown, r.HeldBack)
	perShown := float64(r.IncomeShown) / float64(r.Shown.N)
	perHeld := float64(r.IncomeHeld) / float64(r.HeldBack.N)
	r.IncomeAdded = int64(math.Round((perShown - perHeld) * float64(r.Shown.N)))
}

// ByUplift returns the product rows (every level) that have an uplift, the
// largest first: the chart.
func (e Effect) ByUplift() []EffectRow {
	var out []EffectRow
	for _, r := range e.Rows {
		if r.Level == 0 && r.Enough {
			out = append(out, r)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Uplift.Diff > out[j].Uplift.Diff })
	return out
}

// EffectCSVHeader names the columns of WriteEffectCSV as scripts read them
// (EffectCSVHeaderIn(i18n.English)): one row per product at every level and
// per level, money in the bank's currency as decimals.
var EffectCSVHeader = EffectCSVHeaderIn(i18n.English)

// effectColumns are the message ids (effectiveness.csv.<code>) of the columns.
var effectColumns = []string{"bank", "currency", "raised_from", "raised_to", "product_code", "product", "level",
	"shown_triggers", "shown_taken", "shown_rate", "held_back_triggers", "held_back_taken", "held_back_rate",
	"uplift", "uplift_low_95", "uplift_high_95", "income_added", "all_triggers", "all_taken", "base_clients",
	"base_taken", "base_rate", "takeup_factor", "expected_yearly", "followed_yearly"}

// EffectCSVHeaderIn is the header row of WriteEffectCSV in language l: the
// column codes in English, the columns named for people in Bulgarian and
// Russian; the same columns in the same order in each.
func EffectCSVHeaderIn(l i18n.Locale) []string {
	h := make([]string, len(effectColumns))
	for i, code := range effectColumns {
		h[i] = l.T("effectiveness.csv." + code)
	}
	return h
}

// WriteEffectCSV writes the effectiveness table as the page shows it (the
// header first when header is true) in language l: the header and the
// all-products row's name (EffectCSVHeaderIn); codes and figures are the same
// in every language. The uplift and income added are empty where there are
// not enough cases yet. A bank with no judged trigger writes no row.
func WriteEffectCSV(w *csv.Writer, e Effect, header bool, l i18n.Locale) error {
	if header {
		if err := w.Write(EffectCSVHeaderIn(l)); err != nil {
			return err
		}
	}
	if e.FirstMonth.IsZero() {
		return nil
	}
	rate := func(p Proportion) string {
		if p.N == 0 {
			return ""
		}
		return strconv.FormatFloat(p.Rate(), 'f', 4, 64)
	}
	f4 := func(v float64) string { return strconv.FormatFloat(v, 'f', 4, 64) }
	amount := func(v int64) string { return money.Decimal(v, e.MinorDigits) }
	for _, r := range append(e.Rows, e.Total) {
		level, product := "all", r.ProductName
		if r.Level != 0 {
			level = strconv.Itoa(int(r.Level))
		}
		if r.ProductID == 0 {
			product = l.T("effectiveness.csv.all_products")
		}
		rec := []string{e.BankCode, e.Currency, e.From.Format("2006-01"), e.To.Format("2006-01"), r.ProductCode, product, level,
			strconv.Itoa(r.Shown.N), strconv.Itoa(r.Shown.K), rate(r.Shown),
			strconv.Itoa(r.HeldBack.N), strconv.Itoa(r.HeldBack.K), rate(r.HeldBack), "", "", "", "",
			strconv.Itoa(r.All().N), strconv.Itoa(r.All().K), strconv.Itoa(r.Base.N), strconv.Itoa(r.Base.K), rate(r.Base), "",
			"", ""}
		if r.Enough {
			rec[13], rec[14], rec[15], rec[16] = f4(r.Uplift.Diff), f4(r.Uplift.Lo), f4(r.Uplift.Hi), amount(r.IncomeAdded)
		}
		if r.Factor != nil {
			rec[22] = f4(*r.Factor)
		}
		if r.All().K > 0 {
			rec[23], rec[24] = amount(r.ExpectedYearly()), amount(r.RealisedYearly(e.WindowMonths))
		}
		if err := w.Write(rec); err != nil {
			return err
		}
	}
	return nil
}
