package exports

import (
	"context"
	"embed"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/relaycrm/relay/internal/access"
	"github.com/relaycrm/relay/internal/audit"
	"github.com/relaycrm/relay/internal/db"
	"github.com/relaycrm/relay/internal/i18n"
	units "github.com/relaycrm/relay/internal/money"
	"github.com/relaycrm/relay/internal/reasons"
	"github.com/relaycrm/relay/internal/warnings"
)

//go:embed nightly.sql
var nightlyFS embed.FS

var nightlyFile = db.MustLoadFile(nightlyFS, "internal/exports", "nightly.sql")

var nightlyQueries = nightlyFile.Queries

// TriggerHeader is the first line of a triggers export. Money is in major
// units of the bank's currency with its minor digits ("4950.00").
var TriggerHeader = []string{"trigger_id", "client_ref", "bank_code", "product_code", "expected_value", "priority",
	"currency", "status", "raised_as_of", "manager", "reason"}

// Triggers writes the open triggers of the clients v sees (not the control
// group's), highest priority first, and records the export. It returns the
// number of triggers written.
func Triggers(ctx context.Context, q db.Querier, v access.Viewer, w io.Writer, ip string) (int64, error) {
	var args db.Args
	rows, err := q.Query(ctx, access.Scoped(nightlyQueries.Get("triggers"), v, &args), args.Values()...)
	if err != nil {
		return 0, fmt.Errorf("export triggers: %w", err)
	}
	defer rows.Close()
	cw := csv.NewWriter(w)
	if err := cw.Write(TriggerHeader); err != nil {
		return 0, fmt.Errorf("export triggers: %w", err)
	}
	var n int64
	rec := make([]string, len(TriggerHeader))
	for rows.Next() {
		var (
			id, expected, priority int64
			digits                 int
			ref, bank, product     string
			currency, status       string
			manager, text          string
			key                    *string
			figures                []byte
			asOf                   time.Time
		)
		if err := rows.Scan(&id, &ref, &bank, &product, &expected, &priority, &digits, &currency, &status, &asOf,
			&manager, &text, &key, &figures); err != nil {
			return n, fmt.Errorf("export triggers: %w", err)
		}
		reason, err := reasons.Stored(i18n.From(ctx), text, key, figures, reasons.Currency{Code: currency, MinorDigits: digits})
		if err != nil {
			return n, fmt.Errorf("export triggers: %w", err)
		}
		if key == nil || *key == "" {
			reason = reasons.Legacy(i18n.From(ctx), reason)
		}
		rec[0], rec[1], rec[2], rec[3] = strconv.FormatInt(id, 10), ref, bank, product
		rec[4], rec[5] = units.Decimal(expected, digits), units.Decimal(priority, digits)
		rec[6], rec[7], rec[8], rec[9], rec[10] = currency, status, asOf.Format("2006-01"), manager, reason
		if err := cw.Write(rec); err != nil {
			return n, fmt.Errorf("export triggers: %w", err)
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return n, fmt.Errorf("export triggers: %w", err)
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return n, fmt.Errorf("export triggers: %w", err)
	}
	return n, record(ctx, q, v, ip, "export.triggers", n)
}

// WarningHeader is the first line of a warnings export: each signal's value
// (a fall as a share, days, or months, see warnings.SignalName.Unit) and
// whether it fired, then the figures of those that fired.
var WarningHeader = []string{"client_ref", "bank_code", "manager", "score", "level", "warned_since", "as_of",
	"turnover_fall", "turnover_fired", "balance_fall", "balance_fired", "transactions_fall", "transactions_fired",
	"product_closed_days", "product_closed_fired", "income_falling_months", "income_falling_fired",
	"lifetime_distance_months", "lifetime_fired", "no_contact_days", "no_contact_fired", "reasons"}

// Warnings writes the warnings of the clients v sees, highest score first,
// and records the export. It returns the number of warnings written.
func Warnings(ctx context.Context, q db.Querier, v access.Viewer, w io.Writer, ip string) (int64, error) {
	var args db.Args
	rows, err := q.Query(ctx, access.Scoped(nightlyQueries.Get("warnings"), v, &args), args.Values()...)
	if err != nil {
		return 0, fmt.Errorf("export warnings: %w", err)
	}
	defer rows.Close()
	cw := csv.NewWriter(w)
	if err := cw.Write(WarningHeader); err != nil {
		return 0, fmt.Errorf("export warnings: %w", err)
	}
	var n int64
	rec := make([]string, len(WarningHeader))
	for rows.Next() {
		var (
			ref, bank, manager, level string
			score                     int
			since, asOf               time.Time
			values                    [7]*float64
			fired                     [7]bool
			cur                       reasons.Currency
			figures                   [7][]byte // of the signals that fired
		)
		dest := []any{&ref, &bank, &manager, &score, &level, &since, &asOf}
		for i := range values {
			dest = append(dest, &values[i], &fired[i])
		}
		dest = append(dest, &cur.Code, &cur.MinorDigits)
		for i := range figures {
			dest = append(dest, &figures[i])
		}
		if err := rows.Scan(dest...); err != nil {
			return n, fmt.Errorf("export warnings: %w", err)
		}
		said, err := firedSignals(i18n.From(ctx), figures[:], cur)
		if err != nil {
			return n, fmt.Errorf("export warnings: client %s: %w", ref, err)
		}
		rec = rec[:0]
		rec = append(rec, ref, bank, manager, strconv.Itoa(score), level, since.Format("2006-01"), asOf.Format("2006-01"))
		for i := range values {
			v := ""
			if values[i] != nil {
				v = strconv.FormatFloat(*values[i], 'f', -1, 64)
			}
			rec = append(rec, v, strconv.FormatBool(fired[i]))
		}
		rec = append(rec, said)
		if err := cw.Write(rec); err != nil {
			return n, fmt.Errorf("export warnings: %w", err)
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return n, fmt.Errorf("export warnings: %w", err)
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return n, fmt.Errorf("export warnings: %w", err)
	}
	return n, record(ctx, q, v, ip, "export.warnings", n)
}

// firedSignals writes the figures of the signals that fired (those not nil),
// in locale l, joined by "; ".
func firedSignals(l i18n.Locale, figures [][]byte, cur reasons.Currency) (string, error) {
	var b strings.Builder
	for _, f := range figures {
		if f == nil {
			continue
		}
		text, err := reasons.Signal(l, f, cur)
		if err != nil {
			return "", err
		}
		if b.Len() > 0 {
			b.WriteString("; ")
		}
		b.WriteString(text)
	}
	return b.String(), nil
}

// record writes the export to the audit log.
func record(ctx context.Context, q db.Querier, v access.Viewer, ip, action string, rows int64) error {
	login := v.Login
	if login == "" {
		login = "cli"
	}
	return audit.Record(ctx, q, audit.Entry{UserID: v.UserID, Login: login, IP: ip, Action: action,
		Details: map[string]any{"rows": rows, "role": string(v.Role)}})
}

// GroupViewer is the viewer a command-line export runs as: the risk team of
// the group with code (or of the only group, when code is empty), which reads
// every client of the group.
func GroupViewer(ctx context.Context, q db.Querier, code string) (access.Viewer, error) {
	rows, err := q.Query(ctx, nightlyQueries.Get("group"), code)
	if err != nil {
		return access.Viewer{}, fmt.Errorf("banking group: %w", err)
	}
	defer rows.Close()
	var (
		id    int64
		found string
		n     int
	)
	if rows.Next() { // one row is enough: each holds the count of them all
		if err := rows.Scan(&id, &found, &n); err != nil {
			return access.Viewer{}, fmt.Errorf("banking group: %w", err)
		}
	}
	if err := rows.Err(); err != nil {
		return access.Viewer{}, fmt.Errorf("banking group: %w", err)
	}
	switch {
	case n == 0 && code != "":
		return access.Viewer{}, fmt.Errorf("--group: no banking group has code %q", code)
	case n == 0:
		return access.Viewer{}, fmt.Errorf("the database holds no banking group yet")
	case n > 1 && code == "":
		return access.Viewer{}, fmt.Errorf("--group: the database holds %d banking groups; name one by its code", n)
	}
	return access.Viewer{Login: "cli", Name: "relay export", Role: access.Risk, GroupID: id}, nil
}

// ScoresHeader is the first line of a scores export: the client, its bank, its
// churn probability (0-1, four decimals), score (0-100) and warning level
// (empty: not warned), the learned model that scored it (empty: the fixed
// weights), then every input's value and contribution to the log-odds
// (InputColumns).
var ScoresHeader = append([]string{"client_ref", "bank_code", "probability", "score", "level", "model_id"},
	InputColumns()...)

// Scores writes the churn score of every active client v sees, riskiest
// first, for the bank's analysts and data warehouse, and records the export.
// It returns the number of clients written.
func Scores(ctx context.Context, q db.Querier, v access.Viewer, w io.Writer, ip string) (int64, error) {
	var args db.Args
	rows, err := q.Query(ctx, access.Scoped(nightlyQueries.Get("scores"), v, &args), args.Values()...)
	if err != nil {
		return 0, fmt.Errorf("export scores: %w", err)
	}
	defer rows.Close()
	cw := csv.NewWriter(w)
	if err := cw.Write(ScoresHeader); err != nil {
		return 0, fmt.Errorf("export scores: %w", err)
	}
	var n int64
	rec := make([]string, len(ScoresHeader))
	cells := make([]any, len(ScoresHeader))
	for rows.Next() {
		var (
			ref, bank, level string
			p                float64
			score            int
			modelID          *int64
			inputs, contribs []*float32
			codes            []string
		)
		if err := rows.Scan(&ref, &bank, &p, &score, &level, &modelID, &inputs, &contribs, &codes); err != nil {
			return n, fmt.Errorf("export scores: %w", err)
		}
		rec[0], rec[1], rec[2], rec[3], rec[4] = ref, bank, strconv.FormatFloat(p, 'f', 4, 64), strconv.Itoa(score), level
		rec[5] = ""
		if modelID != nil {
			rec[5] = strconv.FormatInt(*modelID, 10)
		}
		inputCells(cells, 6, warnings.InputValues(i18n.English, codes, inputs, contribs, "", 0))
		for i := 6; i < len(rec); i++ {
			rec[i] = ""
			if f, ok := cells[i].(float64); ok {
				rec[i] = strconv.FormatFloat(f, 'g', -1, 64)
			}
		}
		if err := cw.Write(rec); err != nil {
			return n, fmt.Errorf("export scores: %w", err)
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return n, fmt.Errorf("export scores: %w", err)
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return n, fmt.Errorf("export scores: %w", err)
	}
	return n, record(ctx, q, v, ip, "export.scores", n)
}
