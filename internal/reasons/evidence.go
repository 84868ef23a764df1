package reasons

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/relaycrm/relay/internal/i18n"
)

// The take-up model's evidence (migration 00025): the inputs that raise a
// client's chance of taking a product most, stored in a trigger's figures
// ("evidence") as a JSON array, biggest first, of
//
//	{"input": "turnover_3m", "value": 1240000, "contribution": 0.41}
//	{"input": "holds:ACQ", "product": "Acquiring", "value": 1, "contribution": 0.2}
//
// the input's code (internal/takeup's), its value (null: no figure; amounts
// in minor units of the client's currency, shares as fractions) and what it
// adds to the log-odds. It is written here in the reader's language (area
// "reasons", reasons.evidence.*); the English is word for word what the run
// stored as text before.

// EvidenceItem is one input of the evidence.
type EvidenceItem struct {
	Input        string   `json:"input"`
	Product      string   `json:"product,omitempty"` // the product's name, for a holds:CODE input
	Value        *float64 `json:"value"`             // nil: no figure
	Contribution float64  `json:"contribution"`
}

// AppendEvidence appends item to the JSON array b (started with '[' and not
// yet closed) as the nightly run stores it, without reflection: it is called
// for every offer the take-up model keeps.
func AppendEvidence(b []byte, item EvidenceItem) []byte {
	if len(b) > 1 {
		b = append(b, ',')
	}
	b = append(b, `{"input":`...)
	b = strconv.AppendQuote(b, item.Input)
	if item.Product != "" {
		p, _ := json.Marshal(item.Product) // a string always marshals
		b = append(b, `,"product":`...)
		b = append(b, p...)
	}
	b = append(b, `,"value":`...)
	if item.Value == nil || math.IsNaN(*item.Value) || math.IsInf(*item.Value, 0) {
		b = append(b, "null"...)
	} else {
		b = strconv.AppendFloat(b, *item.Value, 'g', -1, 64)
	}
	b = append(b, `,"contribution":`...)
	b = strconv.AppendFloat(b, item.Contribution, 'g', -1, 64)
	return append(b, '}')
}

// Evidence writes stored evidence in locale l, amounts in cur: a JSON array
// of EvidenceItem, or (a trigger raised before migration 00025) a JSON
// string, the English words it was stored as. Empty evidence is "".
func Evidence(l i18n.Locale, evidence json.RawMessage, cur Currency) (string, error) {
	evidence = bytes.TrimSpace(evidence)
	if len(evidence) == 0 || string(evidence) == "null" {
		return "", nil
	}
	if evidence[0] == '"' {
		var s string
		if err := json.Unmarshal(evidence, &s); err != nil {
			return "", fmt.Errorf("reasons: evidence: %w", err)
		}
		return s, nil
	}
	var items []EvidenceItem
	if err := json.Unmarshal(evidence, &items); err != nil {
		return "", fmt.Errorf("reasons: evidence: %w", err)
	}
	return evidenceText(l, items, cur), nil
}

// evidenceText writes items in locale l.
func evidenceText(l i18n.Locale, items []EvidenceItem, cur Currency) string {
	parts := make([]string, len(items))
	for i, it := range items {
		odds := strconv.FormatFloat(math.Exp(it.Contribution), 'f', 1, 64)
		parts[i] = l.T("reasons.evidence.item", "Input", DescribeInput(l, it, cur), "Odds", Figure(l, odds))
	}
	return strings.Join(parts, l.T("reasons.evidence.sep"))
}

// DescribeInput says one take-up input at its value in locale l: "turnover
// of 12,400 EUR a month". An input this version does not know is its code.
func DescribeInput(l i18n.Locale, it EvidenceItem, cur Currency) string {
	const id = "reasons.evidence."
	missing := it.Value == nil
	var v float64
	if !missing {
		v = *it.Value
	}
	if strings.HasPrefix(it.Input, "holds:") {
		if v >= 0.5 {
			return l.T(id+"holds", "Product", it.Product)
		}
		return l.T(id+"holds_not", "Product", it.Product)
	}
	yes := func(code string) string {
		if v >= 0.5 {
			return l.T(id + code)
		}
		return l.T(id + code + "_not")
	}
	// whole is v as "%.0f" writes it (rounded half to even), in the locale
	whole := func(f float64) string {
		if missing {
			return l.T(id + "no_figure")
		}
		return wholeIn(l, strconv.FormatFloat(f, 'f', 0, 64))
	}
	// count is a number of things, rounded half away from zero, with the
	// plural form for it
	count := func(code string) string {
		r := math.Round(v)
		return l.Plural(id+code, int64(r), "N", wholeIn(l, strconv.FormatFloat(r, 'f', 0, 64)))
	}
	amount := func() string {
		if missing {
			return l.T(id + "no_figure")
		}
		return l.MoneyWhole(int64(math.Round(v)), cur.Code, cur.MinorDigits)
	}
	percent := func() string {
		p := Figure(l, strconv.FormatFloat(100*v, 'f', 0, 64))
		if l == i18n.English {
			return p + "%"
		}
		return p + "\u00a0%"
	}
	switch it.Input {
	case "products_held":
		return count("held")
	case "opened_12m":
		return count("opened_12m")
	case "opened_3m":
		return count("opened_3m")
	case "opened_per_year":
		return l.T(id+"opened_per_year", "N", Figure(l, strconv.FormatFloat(v, 'f', 1, 64)))
	case "months_since_open":
		switch {
		case missing:
			return l.T(id + "since_open_none")
		case v < 1:
			return l.T(id + "since_open_now")
		}
		return count("since_open")
	case "tenure_months":
		return count("tenure")
	case "income_3m":
		return l.T(id+"income", "Amount", amount())
	case "turnover_3m":
		return l.T(id+"turnover", "Amount", amount())
	case "balance_3m":
		return l.T(id+"balance", "Amount", amount())
	case "tx_3m":
		return l.T(id+"tx", "N", whole(v))
	case "control_group":
		return yes("control")
	case "cell_adoption":
		return l.T(id+"cell_adoption", "Percent", percent())
	case "best_adoption":
		return l.T(id+"best_adoption", "Percent", percent())
	case "in_ideal_set":
		return yes("ideal")
	case "refused_before":
		return yes("refused")
	case "offered_before":
		return yes("offered")
	}
	return it.Input
}

// wholeIn writes a whole number written the English way without grouping
// ("1500", as the run's %.0f wrote it) in locale l: as it is in English,
// grouped as the locale groups otherwise ("1 500").
func wholeIn(l i18n.Locale, s string) string {
	if l == i18n.English {
		return s
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return Figure(l, s)
	}
	return l.Int(n)
}
