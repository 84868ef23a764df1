package exports

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/relaycrm/relay/internal/access"
	"github.com/relaycrm/relay/internal/audit"
	"github.com/relaycrm/relay/internal/db"
	"github.com/relaycrm/relay/internal/i18n"
	"github.com/relaycrm/relay/internal/warnings"
)

//go:embed churn.sql
var churnFS embed.FS

var churnFile = db.MustLoadFile(churnFS, "internal/exports", "churn.sql")

var churnQueries = churnFile.Queries

// SQL is the package's named queries, for the check at start.
var SQL = []db.File{churnFile, nightlyFile}

// Format is the file format of an export.
type Format string

// The formats of the churn list's export.
const (
	CSV  Format = "csv"
	XLSX Format = "xlsx"
)

// ParseFormat reads a format's name.
func ParseFormat(s string) (Format, error) {
	switch Format(strings.ToLower(s)) {
	case CSV:
		return CSV, nil
	case XLSX:
		return XLSX, nil
	}
	return "", fmt.Errorf("%q is not an export format; use csv or xlsx", s)
}

// ContentType is the format's media type.
func (f Format) ContentType() string {
	if f == XLSX {
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	}
	return "text/csv; charset=utf-8"
}

// ChurnHeader is the first row of a churn list export, in CSV and XLSX alike,
// as scripts read it (ChurnHeaderIn(i18n.English)): the client and where it
// stands, the warning, the value at risk (the client's lifetime value, a
// plain decimal in the bank's currency, named in the next column), the fired
// signals' names, then for each signal whether it fired, its measure, its
// strength (0-1), its share of the score (0-1) and its figures in words; then
// the score's probability (0-1), the learned model that gave it (empty: the
// fixed weights), its top reasons in words, and for every input of the score
// its value and its contribution to the log-odds.
var ChurnHeader = ChurnHeaderIn(i18n.English)

// churnBase are the message ids (exports.churn.<code>) of the columns before
// the signals', and churnTail those between the signals' and the inputs'.
var (
	churnBase = []string{"client_id", "client_ref", "client_name", "bank_code", "region", "branch", "industry_code",
		"industry", "segment", "stage", "manager_login", "manager", "score", "level", "warned_since", "as_of",
		"value_at_risk", "currency", "signals_fired"}
	churnTail = []string{"probability", "model_id", "top_reasons"}
)

// ChurnHeaderIn is the header row of a churn list export in language l: the
// column codes in English (the same as ChurnHeader), the columns named for
// people in Bulgarian and Russian. Every language has the same columns in
// the same order; only the names differ.
func ChurnHeaderIn(l i18n.Locale) []string {
	var h []string
	for _, code := range churnBase {
		h = append(h, l.T("exports.churn."+code))
	}
	for _, n := range warnings.SignalNames {
		name := l.T("exports.signal." + string(n))
		h = append(h, l.T("exports.churn.signal_fired", "Signal", name), l.T("exports.measure."+string(n)),
			l.T("exports.churn.signal_strength", "Signal", name), l.T("exports.churn.signal_share", "Signal", name),
			l.T("exports.churn.signal_figures", "Signal", name))
	}
	for _, code := range churnTail {
		h = append(h, l.T("exports.churn."+code))
	}
	for _, in := range warnings.Inputs {
		name := l.T("exports.input." + in.Code)
		h = append(h, name, l.T("exports.churn.contribution", "Input", name))
	}
	return h
}

// InputColumns are the columns of every input of the churn score: its value,
// then its contribution to the log-odds, in the registry's order.
func InputColumns() []string {
	var h []string
	for _, in := range warnings.Inputs {
		h = append(h, in.Code, in.Code+"_contribution")
	}
	return h
}

// inputCells fills row from i with a score's input values and contributions
// in InputColumns' order (a missing value is an empty cell).
func inputCells(row []any, i int, inputs []warnings.InputValue) {
	clear(row[i : i+2*len(warnings.Inputs)])
	for _, v := range inputs {
		k, ok := inputColumn[v.Code]
		if !ok {
			continue // an input this version does not know has no column
		}
		if !math.IsNaN(v.Value) {
			row[i+2*k] = round6(v.Value)
		}
		row[i+2*k+1] = ratio(v.Contribution)
	}
}

// inputColumn is each input's place in the registry, so in InputColumns.
var inputColumn = func() map[string]int {
	m := make(map[string]int, len(warnings.Inputs))
	for k, in := range warnings.Inputs {
		m[in.Code] = k
	}
	return m
}()

// round6 keeps six significant digits of an input's value.
func round6(x float64) float64 {
	if x == 0 || math.IsInf(x, 0) {
		return x
	}
	p := math.Pow(10, 5-math.Floor(math.Log10(math.Abs(x))))
	return math.Round(x*p) / p
}

// Cell values of a row, typed so that each format writes them its own way:
// text (escaped against formula injection), whole numbers, money, ratios,
// flags, months, or nothing.
type (
	money struct {
		minor  int64
		digits int
	}
	month time.Time
)

// ChurnOptions say what a churn export writes and who asked for it.
type ChurnOptions struct {
	Filter warnings.ListFilter // the list's filters and order; its page is ignored
	Format Format
	IP     string // the requester's address, for the audit log; empty from the command line
	// Labels name the filters for the audit log as the requester chose them
	// (a bank's code, a level); the filter's ids are recorded anyway.
	Labels map[string]string
	// Locale is the language of the header row (ChurnHeaderIn); empty:
	// English, the column codes. The rows are the same in every language.
	Locale i18n.Locale
}

// Churn writes the churn list of the clients v sees, filtered and ordered as
// opts.Filter says (the same rows, in the same order, as the page), to out in
// opts.Format, reading and writing one row at a time: CSV goes straight to
// out; XLSX is written into its zip entry in out as the rows come (xlsx.go).
// Every export, finished or not, is written to the audit log with who, the
// filters and the rows written. It returns the rows written.
func Churn(ctx context.Context, q db.Querier, v access.Viewer, out io.Writer, opts ChurnOptions) (n int64, err error) {
	if err := opts.Filter.Validate(); err != nil {
		return 0, err
	}
	var w rowWriter
	switch opts.Format {
	case CSV:
		w = newCSVRows(out)
	case XLSX:
		w, err = newXLSXRows(out, churnSheet)
		if err != nil {
			return 0, fmt.Errorf("export churn list: %w", err)
		}
	default:
		return 0, fmt.Errorf("export churn list: %q is not an export format; use csv or xlsx", opts.Format)
	}
	defer func() {
		err = errors.Join(err, w.Close())
		// The entry is written even when the client went away mid-way: what
		// left the building is on record.
		rerr := recordChurn(context.WithoutCancel(ctx), q, v, opts, n, err)
		if err == nil {
			err = rerr
		}
	}()
	locale := opts.Locale
	if locale == "" {
		locale = i18n.English
	}
	if err := w.Header(ChurnHeaderIn(locale)); err != nil {
		return 0, fmt.Errorf("export churn list: %w", err)
	}
	row := make([]any, len(ChurnHeader))
	n, err = warnings.Each(ctx, q, v, opts.Filter, func(wn *warnings.Warning) error {
		churnRow(row, wn, locale)
		return w.Row(row)
	})
	if err != nil {
		return n, fmt.Errorf("export churn list: row %d: %w", n+1, err)
	}
	if err := w.Finish(); err != nil {
		return n, fmt.Errorf("export churn list: %w", err)
	}
	return n, nil
}

// churnRow fills row with a warning's cells, in ChurnHeader's order; its
// words (the signals' figures, the top reasons) are in locale l.
func churnRow(row []any, w *warnings.Warning, l i18n.Locale) {
	var clv any
	if w.CLV != nil {
		clv = money{*w.CLV, w.MinorDigits}
	}
	var fired []string
	for _, s := range w.Signals {
		if s.Fired {
			fired = append(fired, string(s.Name))
		}
	}
	copy(row, []any{w.ClientID, text(w.ClientRef), text(w.ClientName), text(w.BankCode), text(w.Region),
		text(w.Branch), text(w.IndustryCode), text(w.Industry), text(w.Segment), text(w.Stage),
		text(w.ManagerLogin), text(w.ManagerName), int64(w.Score), text(string(w.Level)), month(w.Since),
		month(w.AsOf), clv, text(w.Currency), text(strings.Join(fired, " "))})
	i := 19
	for _, s := range w.Signals {
		var value any
		if s.Value != nil {
			value = ratio(*s.Value)
		}
		row[i], row[i+1], row[i+2], row[i+3], row[i+4] = s.Fired, value, ratio(s.Strength), ratio(s.Share),
			text(s.Figures)
		i += 5
	}
	var modelID any
	if w.ModelID != 0 {
		modelID = w.ModelID
	}
	var reasons []string
	for _, r := range w.Reasons(3) {
		reasons = append(reasons, r.Label+": "+r.Figure+" "+reasonOdds(l, r.Contribution))
	}
	row[i], row[i+1], row[i+2] = ratio(w.Probability), modelID, text(strings.Join(reasons, "; "))
	inputCells(row, i+3, w.Inputs)
}

// reasonOdds is the factor a top reason multiplies the odds of leaving by:
// "(x12.04 odds)" in English, as scripts have read it since the column was
// added; the locale's figure and words otherwise ("(шанс ×12,04)").
func reasonOdds(l i18n.Locale, contribution float64) string {
	odds := math.Exp(contribution)
	if l == i18n.English {
		return fmt.Sprintf("(x%.2f odds)", odds)
	}
	return l.T("churn.odds", "Odds", "×"+l.Decimal(odds, 2))
}

// ratio rounds a measure to 4 decimals: enough for a share or a fall, and the
// same digits in both formats.
func ratio(x float64) float64 { return math.Round(x*1e4) / 1e4 }

// text makes a value safe to open in a spreadsheet (see neutralise, which
// the row writers apply to every text cell as well).
func text(s string) string { return Neutralise(s) }

// recordChurn writes the export to the audit log: who, the filters, the
// format, the rows written, and whether it finished.
func recordChurn(ctx context.Context, q db.Querier, v access.Viewer, opts ChurnOptions, rows int64, failed error) error {
	login := v.Login
	if login == "" {
		login = "cli"
	}
	f := opts.Filter
	filters := map[string]any{"sort": f.Sort}
	for name, id := range map[string]int64{"bank": f.BankID, "region": f.RegionID, "branch": f.BranchID,
		"industry": f.IndustryID, "manager": f.ManagerID} {
		if id != 0 {
			filters[name] = id
		}
	}
	if f.Level != "" {
		filters["level"] = string(f.Level)
	}
	if f.Signal != "" {
		filters["signal"] = string(f.Signal)
	}
	for k, label := range opts.Labels {
		filters[k+"_label"] = label
	}
	details := map[string]any{"format": string(opts.Format), "filters": filters, "rows": rows,
		"role": string(v.Role), "complete": failed == nil}
	if failed != nil {
		details["error"] = failed.Error()
	}
	return audit.Record(ctx, q, audit.Entry{UserID: v.UserID, Login: login, IP: opts.IP, Action: "export.churn",
		Object: "churn_list", Details: details})
}

// BankByCode returns the id of the bank of v's group with code, for a
// command-line export's --bank.
func BankByCode(ctx context.Context, q db.Querier, v access.Viewer, code string) (int64, error) {
	var id int64
	err := q.QueryRow(ctx, churnQueries.Get("bank-by-code"), code, v.GroupID).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, fmt.Errorf("--bank: no bank of the group has code %q", code)
	}
	if err != nil {
		return 0, fmt.Errorf("bank %s: %w", code, err)
	}
	return id, nil
}
