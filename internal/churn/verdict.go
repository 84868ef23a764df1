package churn

import (
	"strconv"
	"time"

	"github.com/relaycrm/relay/internal/i18n"
)

// A verdict's why is kept on the card as a key and its figures (WhyKey,
// WhyArgs), written in the reader's language on read (WhyIn); Why keeps the
// English words, for the command line and for cards stored before keys
// (which have no key and read as their words).
const (
	whyNoClients  = "no_clients"   // no client of the bank in the test months
	whyBeats      = "beats"        // beats the fixed weights on the bank's test months
	whyNotBeats   = "not_beats"    // does not
	whyFewGroup   = "few_group"    // too few leavers: judged on the group's test
	whyFew        = "few"          // too few leavers to judge
	whyShort      = "import_short" // imported: the bank's history is too short to judge it
	whyImportFew  = "import_few"   // imported: too few leavers in the bank's latest months
	whyImportLose = "import_loses" // imported: loses to the fixed weights there
	whyImportHold = "import_holds" // imported: holds up there
)

// WhyArgs are the figures of a verdict's why: leavers, the months (first and
// last, YYYY-MM) and the two scorers' AUC and top-10% lift.
type WhyArgs struct {
	Leavers   int     `json:"leavers,omitempty"`
	From      string  `json:"from,omitempty"`
	To        string  `json:"to,omitempty"`
	ModelAUC  float64 `json:"model_auc,omitempty"`
	FixedAUC  float64 `json:"fixed_auc,omitempty"`
	ModelLift float64 `json:"model_lift,omitempty"`
	FixedLift float64 `json:"fixed_lift,omitempty"`
}

// setWhy gives v its verdict's key and figures, and its English words.
func (v *BankVerdict) setWhy(key string, args WhyArgs) {
	v.WhyKey, v.WhyArgs = key, &args
	v.Why = v.WhyIn(i18n.English)
}

// spanArgs are the figures of a span of months.
func spanArgs(months []time.Time) WhyArgs {
	if len(months) == 0 {
		return WhyArgs{}
	}
	return WhyArgs{From: months[0].Format("2006-01"), To: months[len(months)-1].Format("2006-01")}
}

// WhyIn is the verdict's why in locale l: its stored words when the card has
// no key (fitted before keys were kept).
func (v BankVerdict) WhyIn(l i18n.Locale) string {
	if v.WhyKey == "" || v.WhyArgs == nil {
		return v.Why
	}
	a := v.WhyArgs
	id := "models.verdictwhy." + v.WhyKey
	fig := func(f float64, digits int) string {
		s := strconv.FormatFloat(f, 'f', digits, 64)
		if l == i18n.English {
			return s
		}
		return l.Decimal(f, digits)
	}
	leavers := strconv.Itoa(a.Leavers)
	if l != i18n.English {
		leavers = l.Int(int64(a.Leavers))
	}
	span := func() string {
		month := func(s string) string {
			t, err := time.Parse("2006-01", s)
			if err != nil || l == i18n.English {
				return s
			}
			return l.Month(t)
		}
		if a.From == a.To {
			return month(a.From)
		}
		return l.T("models.verdictwhy.span", "From", month(a.From), "To", month(a.To))
	}
	switch v.WhyKey {
	case whyFewGroup, whyFew:
		return l.Plural(id, int64(a.Leavers), "Leavers", leavers)
	case whyImportFew:
		return l.Plural(id, int64(a.Leavers), "Leavers", leavers, "Months", span())
	case whyImportLose, whyImportHold:
		return l.T(id, "Months", span(), "ModelAUC", fig(a.ModelAUC, 3), "FixedAUC", fig(a.FixedAUC, 3),
			"ModelLift", fig(a.ModelLift, 2), "FixedLift", fig(a.FixedLift, 2))
	}
	return l.T(id)
}
