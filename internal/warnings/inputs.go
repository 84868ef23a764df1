package warnings

import (
	"fmt"
	"math"
	"strings"
	"sync"

	"github.com/relaycrm/relay/internal/i18n"
	"github.com/relaycrm/relay/internal/reasons"
)

// Unit says how an input's value reads.
type Unit string

// The units of the churn model's inputs.
const (
	Strength Unit = "strength" // 0 to 1: how strongly a signal shows
	Money    Unit = "money"    // minor units of the bank's currency, a month
	Count    Unit = "count"    // a number of things (transactions a month, products, contacts)
	Ratio    Unit = "ratio"    // one figure over another: 1 is the same
	Months   Unit = "months"
	Days     Unit = "days"
)

// Input is one input of the churn model: its code (stable: models name their
// inputs by it, so a model carried to another installation finds them), what
// it measures, and the SQL expression that computes it per client in the
// warnings.input statement (over nightly_w_client c, nightly_w_signal s, the
// 12-month levels l, the peers' medians pe, the product counts pd and the
// client's contacts k, nightly_w_contact). Adding an input is adding one entry
// here.
//
// Dated marks an input that moves with the run's day (contacts are counted to
// it) while all else stays: its SQL reads the contacts k alone, so that a
// quick night (nothing changed but the date) recomputes it over the kept
// inputs of the night before (warnings.input-redate) instead of every input.
type Input struct {
	Code  string
	Label string
	Unit  Unit
	SQL   string
	Dated bool
}

// monthsLowSQL counts the months of the window in which the client did less
// than a quarter of its usual monthly transactions.
func monthsLowSQL() string {
	var terms []string
	for k := 0; k < 12; k++ {
		terms = append(terms, fmt.Sprintf("(c.tx_%d < 0.25 * l.tx_avg)::integer", k))
	}
	return "coalesce(" + strings.Join(terms, ", 0) + coalesce(") + ", 0)"
}

// monthsSinceActiveSQL is the months since the client's last month with a
// transaction (12 when none in the window).
func monthsSinceActiveSQL() string {
	var b strings.Builder
	b.WriteString("CASE")
	for k := 0; k < 12; k++ {
		fmt.Fprintf(&b, " WHEN c.tx_%d > 0 THEN %d", k, k)
	}
	b.WriteString(" ELSE 12 END")
	return b.String()
}

// q4q1SQL is the ratio of the last 3 months' monthly average of a measure to
// the first 3 months' of the 12-month window, when the client was there for
// at least 6 of them.
func q4q1SQL(measure string) string {
	return fmt.Sprintf("CASE WHEN c.window_months >= 6 AND c.m_last3 > 0 AND c.m_first3 > 0 AND c.%[1]s_first3 > 0 "+
		"THEN (c.%[1]s_last3::float8 / c.m_last3) / (c.%[1]s_first3::float8 / c.m_first3) END", measure)
}

// Inputs is the registry of the churn model's inputs, in the order of every
// inputs array the run writes. The first seven are the fixed signals'
// strengths, which the published weights score.
var Inputs = []Input{
	{"sig_turnover", "Turnover fall (signal strength)", Strength, "s.s_turnover", false},
	{"sig_balance", "Balance fall (signal strength)", Strength, "s.s_balance", false},
	{"sig_tx", "Transactions fall (signal strength)", Strength, "s.s_tx", false},
	{"sig_closed", "Product closed (signal strength)", Strength, "s.s_closed", false},
	{"sig_income", "Income falling (signal strength)", Strength, "s.s_income", false},
	{"sig_lifetime", "Near the typical lifetime (signal strength)", Strength, "s.s_lifetime", false},
	{"sig_contact", "No contact (signal strength)", Strength, "k.s_contact", true},

	{"turnover_avg", "Turnover a month, last 12 months", Money, "l.turnover_avg", false},
	{"tx_avg", "Transactions a month, last 12 months", Count, "l.tx_avg", false},
	{"balance_avg", "Average balance, last 12 months", Money, "l.balance_avg", false},
	{"income_avg", "Income a month, last 12 months", Money, "l.income_avg", false},
	{"turnover_vs_peers", "Turnover against peers' median", Ratio, "l.turnover_avg / nullif(pe.turnover, 0)", false},
	{"tx_vs_peers", "Transactions against peers' median", Ratio, "l.tx_avg / nullif(pe.tx, 0)", false},
	{"balance_vs_peers", "Balance against peers' median", Ratio, "l.balance_avg / nullif(pe.balance, 0)", false},
	{"income_vs_peers", "Income against peers' median", Ratio, "l.income_avg / nullif(pe.income, 0)", false},

	{"turnover_q4q1", "Turnover, last 3 months against the first 3 of the year", Ratio, q4q1SQL("turnover"), false},
	{"tx_q4q1", "Transactions, last 3 months against the first 3 of the year", Ratio, q4q1SQL("tx"), false},
	{"balance_q4q1", "Balance, last 3 months against the first 3 of the year", Ratio, q4q1SQL("balance"), false},
	{"income_q4q1", "Income, last 3 months against the first 3 of the year", Ratio, q4q1SQL("income"), false},
	{"turnover_change", "Turnover, recent months against the months before", Ratio, "1 - s.turnover_value", false},
	{"tx_change", "Transactions, recent months against the months before", Ratio, "1 - s.tx_value", false},
	{"balance_change", "Balance, recent months against the months before", Ratio, "1 - s.balance_value", false},
	{"income_change", "Income, recent months against the months before", Ratio, "1 + s.income_trend", false},

	{"idle_months", "Months without a transaction, last 12", Months, "(c.window_months - c.m12) + c.idle_rows", false},
	{"low_months", "Months with under a quarter of the usual transactions, last 12", Months, monthsLowSQL(), false},
	{"months_since_active", "Months since the last transaction", Months, monthsSinceActiveSQL(), false},
	{"turnover_per_tx", "Turnover per transaction, last 12 months", Money, "c.turnover_sum12::float8 / nullif(c.tx_sum12, 0)", false},

	{"products_held", "Products held", Count, "cardinality(c.held)", false},
	{"key_products_held", "Key products held (payroll, acquiring, main account)", Count, "coalesce(pd.key_held, 0)", false},
	{"products_opened_12m", "Products opened, last 12 months", Count, "coalesce(pd.opened_12, 0)", false},
	{"products_closed_6m", "Products closed, last 6 months", Count, "coalesce(pd.closed_6, 0)", false},
	{"products_closed_12m", "Products closed, last 12 months", Count, "coalesce(pd.closed_12, 0)", false},

	{"tenure_months", "Tenure", Months, "c.tenure_months", false},
	{"lifetime_gap", "Tenure against the typical lifetime of leavers", Months, "c.tenure_months - s.lifetime_typical", false},
	{"contacts_bank_12m", "Contacts the bank started, last 12 months", Count, "coalesce(k.bank_started, 0)", true},
	{"contacts_client_12m", "Contacts the client started, last 12 months", Count, "coalesce(k.client_started, 0)", true},
	{"complaints_12m", "Complaints, last 12 months", Count, "coalesce(k.complaints, 0)", true},
	{"days_since_contact", "Days since the last contact", Days, "k.contact_value", true},
	{"income_fall_months", "Months of income falling in a row", Months, "s.income_months", false},
	{"window_months", "Months of history, of the last 12", Months, "c.window_months", false},
}

// InputCodes are the registry's codes in order.
func InputCodes() []string {
	codes := make([]string, len(Inputs))
	for i, in := range Inputs {
		codes[i] = in.Code
	}
	return codes
}

// RedatedSQL is the list of the registry's expressions for the
// warnings.input-redate statement: a dated input's own expression over the
// contacts k, every other the kept input's value (i.x, of the night before).
func RedatedSQL() string {
	parts := make([]string, len(Inputs))
	for i, in := range Inputs {
		if in.Dated {
			parts[i] = fmt.Sprintf("(%s)::float8 /* %s */", in.SQL, in.Code)
		} else {
			parts[i] = fmt.Sprintf("i.x[%d] /* %s */", i+1, in.Code)
		}
	}
	return strings.Join(parts, ",\n       ")
}

// InputByCode finds an input of the registry.
func InputByCode(code string) (Input, bool) {
	if i, ok := inputIndex[code]; ok {
		return Inputs[i], true
	}
	return Input{}, false
}

// inputIndex is the place of each input in the registry: a list or an export
// looks up 40 inputs a row.
var inputIndex = func() map[string]int {
	m := make(map[string]int, len(Inputs))
	for i, in := range Inputs {
		m[in.Code] = i
	}
	return m
}()

// InputsSQL is the list of the registry's expressions, each cast to float8,
// for the {{inputs}} of the warnings.input statement.
func InputsSQL() string {
	parts := make([]string, len(Inputs))
	for i, in := range Inputs {
		parts[i] = fmt.Sprintf("(%s)::float8 /* %s */", in.SQL, in.Code)
	}
	return strings.Join(parts, ",\n       ")
}

// LabelIn names the input in locale l: its Label in English. An input this
// version does not know keeps its Label (its code).
func (in Input) LabelIn(l i18n.Locale) string {
	if _, ok := InputByCode(in.Code); !ok {
		return in.Label
	}
	return nameIn(l, "inputs.", in.Code)
}

// nameKey is a name of the registry (a signal's, an input's) in a locale.
type nameKey struct {
	l            i18n.Locale
	prefix, code string
}

// names caches nameIn: a list or an export names the same signals and inputs
// on every row (a message file does not change while Relay runs).
var names sync.Map // nameKey -> string

// nameIn is the message prefix+code in locale l, looked up once.
func nameIn(l i18n.Locale, prefix, code string) string {
	k := nameKey{l, prefix, code}
	if s, ok := names.Load(k); ok {
		return s.(string)
	}
	s := l.T(prefix + code)
	names.Store(k, s)
	return s
}

// Format writes an input's value for a person in English; see FormatIn.
func (in Input) Format(v float64, currency string, digits int) string {
	return in.FormatIn(i18n.English, v, currency, digits)
}

// FormatIn writes an input's value for a person in locale l: money in the
// bank's currency, ratios as a multiple, strengths as a percentage, the
// same digits in every language with the locale's separators. NaN is "no
// figure".
func (in Input) FormatIn(l i18n.Locale, v float64, currency string, digits int) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return l.T("inputs.figure.none")
	}
	// decimals is v with no decimal when whole, else with one
	decimals := func() string {
		if v == math.Trunc(v) {
			return reasons.Figure(l, fmt.Sprintf("%.0f", v))
		}
		return reasons.Figure(l, fmt.Sprintf("%.1f", v))
	}
	switch in.Unit {
	case Strength:
		if l == i18n.English {
			return fmt.Sprintf("%.0f%%", 100*v)
		}
		return reasons.Figure(l, fmt.Sprintf("%.0f", 100*v)) + "\u00a0%"
	case Money:
		return l.Money(int64(math.Round(v)), currency, digits)
	case Ratio:
		return "×" + reasons.Figure(l, fmt.Sprintf("%.2f", v))
	case Months:
		return l.Plural("inputs.figure.months", int64(v), "N", decimals())
	case Days:
		return l.Plural("inputs.figure.days", int64(math.Round(v)), "N", reasons.Figure(l, fmt.Sprintf("%.0f", v)))
	default:
		return decimals()
	}
}
