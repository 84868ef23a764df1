package nightly

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Inputs is a run's inputs stamp: what its results depend on besides the
// date and the log of changes (nightly_input_change) since the last run
// started. Two runs with the same stamp and no change logged between them
// compute the same date-independent tables.
type Inputs struct {
	AsOf     string `json:"as_of"`    // the as-of month
	Settings string `json:"settings"` // a digest of every setting the run read (Params, but the date and the run)
	Months   string `json:"months"`   // the partitions of monthly_fact: a month added, reloaded or dropped
	Code     string `json:"code"`     // a digest of the run's statements, so that a new release runs in full
}

// codeDigest is the digest of the run's statements, the churn inputs' among them.
var codeDigest = func() string {
	names := make([]string, 0, len(queries))
	for name := range queries {
		names = append(names, name)
	}
	slices.Sort(names)
	h := sha256.New()
	for _, name := range names {
		fmt.Fprintf(h, "%s\n%s\n", name, queries[name])
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}()

// inputsOf is the stamp of a run with parameters p: the settings digest is
// of every setting the run's parameter row holds (runs.param-values), the
// date and the run left out.
func (rc *runContext) inputsOf(ctx context.Context, p Params) (Inputs, error) {
	in := Inputs{AsOf: p.AsOf.Format("2006-01"), Code: codeDigest}
	rows, err := rc.s.conn.Query(ctx, queries.Get("runs.param-values"))
	if err != nil {
		return Inputs{}, fmt.Errorf("settings digest: %w", err)
	}
	var pairs []string
	for rows.Next() {
		var key, value string
		if err := rows.Scan(&key, &value); err != nil {
			rows.Close()
			return Inputs{}, fmt.Errorf("settings digest: %w", err)
		}
		pairs = append(pairs, key+"="+value)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return Inputs{}, fmt.Errorf("settings digest: %w", err)
	}
	slices.Sort(pairs)
	sum := sha256.Sum256([]byte(strings.Join(pairs, "\n")))
	in.Settings = hex.EncodeToString(sum[:])[:16]
	if err := rc.s.conn.QueryRow(ctx, queries.Get("runs.fact-months")).Scan(&in.Months); err != nil {
		return Inputs{}, fmt.Errorf("months of facts: %w", err)
	}
	sum = sha256.Sum256([]byte(in.Months))
	in.Months = hex.EncodeToString(sum[:])[:16]
	return in, nil
}

// inputNames are the logged inputs in the bank's words.
var inputNames = map[string]string{
	"banking_group":      "banking groups",
	"bank":               "banks",
	"region":             "regions",
	"industry":           "industries",
	"product":            "products",
	"client":             "clients (records, managers' assignments)",
	"holding":            "holdings",
	"monthly_fact":       "monthly facts",
	"contact":            "contacts",
	"setting":            "settings",
	"cross_sell_trigger": "triggers moved",
	"bank_model":         "models in use",
	"fitted_model":       "fitted models",
}

// decide reads what changed since the last run and fixes the run's kind: quick
// when nothing did (the same stamp as the previous run, which succeeded and
// whose working tables are kept, and no change logged since it started), full
// otherwise; and records it.
func (rc *runContext) decide(ctx context.Context) error {
	in, err := rc.inputsOf(ctx, rc.params)
	if err != nil {
		return err
	}
	var changed []string
	if err := rc.s.conn.QueryRow(ctx, queries.Get("runs.take-changes")).Scan(&changed); err != nil {
		return fmt.Errorf("changes since the last run: %w", err)
	}
	var (
		prevID     int64
		prevStatus string
		prevInputs Inputs
		prevKept   bool
		raw        []byte
	)
	err = rc.s.conn.QueryRow(ctx, queries.Get("runs.previous-run"), rc.s.runID).Scan(&prevID, &prevStatus, &raw, &prevKept)
	switch {
	case err == nil:
		if err := json.Unmarshal(raw, &prevInputs); err != nil {
			return fmt.Errorf("previous run's inputs: %w", err)
		}
	case errors.Is(err, pgx.ErrNoRows):
		prevID = 0
	default:
		return fmt.Errorf("previous run: %w", err)
	}

	var why []string
	switch {
	case rc.s.req.Full:
		why = append(why, "asked for")
	case prevID == 0:
		why = append(why, "the first run")
	case prevStatus != string(StatusSucceeded):
		why = append(why, fmt.Sprintf("run %d did not succeed", prevID))
	case !prevKept:
		why = append(why, fmt.Sprintf("run %d's working tables are not kept", prevID))
	}
	if prevID != 0 && len(why) == 0 {
		if in.AsOf != prevInputs.AsOf {
			why = append(why, fmt.Sprintf("as of %s, not %s", in.AsOf, prevInputs.AsOf))
		}
		if in.Months != prevInputs.Months {
			why = append(why, "months of facts")
		}
		if in.Settings != prevInputs.Settings {
			why = append(why, "settings read")
		}
		if in.Code != prevInputs.Code {
			why = append(why, "the run's statements (a new release)")
		}
	}
	for _, c := range changed {
		if prevID == 0 {
			break // everything is new to a first run
		}
		name := inputNames[c]
		if name == "" {
			name = c
		}
		why = append(why, name)
	}
	kind, text := KindFull, "full: "+strings.Join(why, ", ")
	if len(why) == 0 {
		kind, text = KindQuick, fmt.Sprintf("quick: nothing changed since run %d", prevID)
	}
	rc.quick = kind == KindQuick
	if rc.quick {
		var raised int64
		if err := rc.s.conn.QueryRow(ctx, queries.Get("runs.previous-raised"), prevID).Scan(&raised); err != nil {
			return fmt.Errorf("triggers the previous run raised: %w", err)
		}
		// The take-up offers read the triggers offered before, the rest of
		// their inputs being kept: they stay when the previous run raised none.
		rc.keepOffers = raised == 0
	}
	js, err := json.Marshal(in)
	if err != nil {
		return err
	}
	if _, err := rc.pool.Exec(ctx, queries.Get("runs.run-kind"), rc.s.runID, string(kind), text, js, changed); err != nil {
		return fmt.Errorf("record the run's kind: %w", err)
	}
	rc.log.Info("nightly run kind", "run", rc.s.runID, "kind", kind, "why", text)
	return nil
}
