package nightly

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/relaycrm/relay/internal/settings"
	"github.com/relaycrm/relay/internal/takeup"
	"github.com/relaycrm/relay/internal/warnings"
	"github.com/relaycrm/relay/internal/webhooks"
)

// step is one step of the chain, recorded on its own.
type step struct {
	name string
	run  func(ctx context.Context, rc *runContext) ([]Count, error)
}

// errSkipStep marks a step that had nothing to do.
var errSkipStep = errors.New("skipped")

// build is one statement of a step: a CREATE TABLE AS into table (dropped
// first, in the same transaction, so a failure keeps the old one), or with no
// table any other statement. local are statements (SET LOCAL) run first in its
// transaction, to steer its plan.
type build struct {
	query string
	table string
	args  func(p Params) []any
	local []string
}

// builtOtherwise are the builds a run makes its own way rather than as one
// statement: the segments step's clients, from the client summary.
var builtOtherwise = map[string]func(rc *runContext, ctx context.Context, b build) (int64, error){
	"segments.client-summary": (*runContext).clientsFromSummary,
}

// The chain, in the order its results depend on each other.
func (r *Runner) plan() []step {
	return []step{
		{"import", func(ctx context.Context, rc *runContext) ([]Count, error) { return rc.importFeed(ctx) }},
		{"segments", withSummaryCount(keptStep("runs.count-segments",
			build{"segments.panel", "nightly_w_panel", nil, nil},
			build{"segments.product-income", "nightly_w_product_income", Params.productIncomeArgs,
				[]string{"runs.plan-sorted-aggregate", "runs.plan-serial"}},
			build{"segments.held", "nightly_w_held", func(p Params) []any { return []any{p.AsOf} }, nil},
			build{"segments.client-summary", "nightly_w_client", nil, []string{"runs.plan-sorted-aggregate", "runs.plan-serial"}},
			build{"segments.key", "nightly_w_key", nil, nil},
			build{"segments.register", "", nil, nil},
			build{"segments.keyseg", "nightly_w_keyseg", nil, nil},
			build{"segments.member", "nightly_w_member", nil, nil}))},
		{"profiles", keptStep("runs.count-profiles",
			build{"profiles.segment", "nightly_w_segment", nil, nil},
			build{"profiles.segment-product", "nightly_w_segment_product", nil, nil})},
		{"triggers", func(ctx context.Context, rc *runContext) ([]Count, error) { return rc.triggers(ctx) }},
		{"warnings", func(ctx context.Context, rc *runContext) ([]Count, error) { return rc.warnings(ctx) }},
		{"ltv", keptStep("runs.count-ltv",
			build{"ltv.churn", "nightly_w_churn", nil, nil})},
		{"publish", func(ctx context.Context, rc *runContext) ([]Count, error) { return rc.publish(ctx) }},
	}
}

// importFeed checks the settings the run reads (a bad one fails the run
// before anything is written), calls the configured importer, then fixes the
// as-of month: the request's, or the latest month of facts, which the import
// may have added.
func (rc *runContext) importFeed(ctx context.Context) ([]Count, error) {
	if _, err := rc.s.conn.Exec(ctx, queries.Get("runs.check-settings")); err != nil {
		return nil, settingsError(err)
	}
	var counts []Count
	skipped := rc.Runner.importFeed == nil
	if !skipped {
		var err error
		if counts, err = rc.Runner.importFeed(ctx); err != nil {
			return counts, err
		}
	}
	if err := rc.start(ctx); err != nil {
		return counts, err
	}
	if skipped {
		return nil, errSkipStep
	}
	return counts, nil
}

// start fixes the as-of month, builds the run's parameter row from the
// settings (segments.param) and reads back what Go uses of it.
func (rc *runContext) start(ctx context.Context) error {
	asOf := rc.s.req.AsOf
	// the latest month's run counts contacts to today
	latest := asOf.IsZero()
	if latest {
		var month *time.Time
		if err := rc.s.conn.QueryRow(ctx, queries.Get("runs.latest-month")).Scan(&month); err != nil {
			return fmt.Errorf("latest month: %w", err)
		}
		if month == nil {
			return ErrNoFacts
		}
		asOf = *month
	}
	asOf = time.Date(asOf.Year(), asOf.Month(), 1, 0, 0, 0, 0, time.UTC)
	if _, err := rc.pool.Exec(ctx, queries.Get("runs.run-as-of"), rc.s.runID, asOf); err != nil {
		return fmt.Errorf("record as-of month: %w", err)
	}
	runAt := rc.now()
	args := func(Params) []any { return []any{rc.s.runID, asOf, latest, runAt} }
	if _, err := rc.create(ctx, build{"segments.param", "nightly_w_param", args, nil}); err != nil {
		return settingsError(err)
	}
	var err error
	if rc.params, err = readParams(ctx, rc.s.conn); err != nil {
		return err
	}
	return rc.decide(ctx)
}

// triggers works out which triggers to expire, confirm and judge, scores the
// offers of the banks whose take-up model is in use (takeup.WriteOffers), and
// lists the triggers to raise. A quick run lists the expiries and the raises
// for its scope only (triggers.scope: the clients whose cool-down ended since
// the kept run, and those it raised triggers for when the offers are scored
// again) and keeps the take-up factors: the run before left nothing else to
// do that tonight's date could change (docs/nightly.md).
func (rc *runContext) triggers(ctx context.Context) ([]Count, error) {
	var scope []int64 // nil: every client
	if rc.quick {
		if err := rc.s.conn.QueryRow(ctx, queries.Get("triggers.scope"), !rc.keepOffers).Scan(&scope); err != nil {
			return nil, fmt.Errorf("triggers.scope: %w", err)
		}
	}
	scoped := func(Params) []any {
		if scope == nil {
			return []any{nil}
		}
		return []any{scope}
	}
	builds := []build{
		{"triggers.expire-list", "nightly_w_expire", scoped, nil},
		{"triggers.confirm-list", "nightly_w_confirm", nil, nil},
		{"triggers.outcome-list", "nightly_w_outcome", nil, nil},
	}
	rc.keepTakeup = scope != nil
	if !rc.keepTakeup {
		builds = append(builds, build{"triggers.takeup", "nightly_w_takeup", nil, nil})
	}
	for _, b := range builds {
		n, err := rc.create(ctx, b)
		if err != nil {
			return nil, err
		}
		if b.table == "nightly_w_outcome" {
			rc.judging = n
		}
	}
	vals, err := rc.settingValues(ctx)
	if err != nil {
		return nil, err
	}
	// a few more than a client has room for: the raise list drops those open
	// or cooling down
	if !rc.keepOffers {
		if _, err := takeup.WriteOffers(ctx, rc.s.conn, rc.pool, vals, rc.params.AsOf, rc.params.MaxOpen+3); err != nil {
			return nil, err
		}
	}
	if rc.raising, err = rc.create(ctx, build{"triggers.raise-list", "nightly_w_raise", scoped, nil}); err != nil {
		return nil, err
	}
	counts, err := rc.counts(ctx, rc.s.conn, "runs.count-triggers")
	if err == nil && rc.keepOffers {
		counts = append(counts, Count{Name: "offers_kept", Value: 1})
	}
	if err == nil && scope != nil {
		counts = append(counts, Count{Name: "scope", Value: int64(len(scope))})
	}
	return counts, err
}

// settingValues are the settings for the run's Go code that reads
// settings.Values: those the run reads as its parameter row holds them (the
// set of the run's start), over the settings of now for any other.
func (rc *runContext) settingValues(ctx context.Context) (settings.Values, error) {
	vals, err := rc.settings.Load(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := rc.s.conn.Query(ctx, queries.Get("runs.param-values"))
	if err != nil {
		return nil, fmt.Errorf("runs.param-values: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var key, value string
		if err := rows.Scan(&key, &value); err != nil {
			return nil, fmt.Errorf("runs.param-values: %w", err)
		}
		vals[key] = value
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("runs.param-values: %w", err)
	}
	return vals, nil
}

// warnings builds every client's signals and inputs, scores them with its
// bank's scorer, and sets the levels, stages and activity cells. A quick run
// keeps the typical lifetimes, the signals, the inputs and the activity
// cells of the run before (none depends on the date) and its contacts: it
// moves the contacts to its day (counting again only the clients with a
// contact that crossed one of the days they are counted by) and recomputes
// the inputs that read them (redate); every client is scored again (the
// days since the last contact move for every client, and the no-contact
// signal for every client contacted in the last 2 x warning.no_contact_days).
func (rc *runContext) warnings(ctx context.Context) ([]Count, error) {
	if rc.quick {
		if err := rc.rekeep(ctx, build{"warnings.contact-redate", "nightly_w_contact_next", nil, nil}, "nightly_w_contact"); err != nil {
			return nil, err
		}
		if err := rc.rekeep(ctx, build{"warnings.input-redate", "nightly_w_input_next", nil, nil}, "nightly_w_input"); err != nil {
			return nil, err
		}
	} else {
		for _, b := range []build{
			{"warnings.lifetime", "nightly_w_lifetime", nil, nil},
			{"warnings.contact", "nightly_w_contact", nil, nil},
			{"warnings.signal", "nightly_w_signal", nil, nil},
			{"warnings.input", "nightly_w_input", nil, nil},
			{"warnings.rfm", "nightly_w_rfm", nil, nil},
		} {
			if _, err := rc.create(ctx, b); err != nil {
				return nil, err
			}
		}
	}
	scorers, err := loadScorers(ctx, rc.s.conn, rc.params)
	if err != nil {
		return nil, err
	}
	if _, err := scoreInputs(ctx, rc.s.conn, rc.pool, scorers); err != nil {
		return nil, err
	}
	if _, err := rc.create(ctx, build{"warnings.level", "nightly_w_level", nil, nil}); err != nil {
		return nil, err
	}
	return rc.counts(ctx, rc.s.conn, "runs.count-warnings")
}

// rekeep gives a quick run a kept table of its own day: b builds it anew from
// the kept one beside it (into b.table), and it is switched in for kept in
// one transaction, so that a failure leaves the kept table as it was.
func (rc *runContext) rekeep(ctx context.Context, b build, kept string) error {
	if _, err := rc.create(ctx, b); err != nil {
		return err
	}
	err := pgx.BeginFunc(ctx, rc.s.conn, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "DROP TABLE "+pgx.Identifier{kept}.Sanitize()); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, "ALTER TABLE "+pgx.Identifier{b.table}.Sanitize()+" RENAME TO "+pgx.Identifier{kept}.Sanitize())
		return err
	})
	if err != nil {
		return fmt.Errorf("switch in %s: %w", kept, err)
	}
	return nil
}

// rows counts the rows of a published table, one switched in whole by
// publish.merge.
func (rc *runContext) rows(ctx context.Context, tx pgx.Tx, table string) (int64, error) {
	var n int64
	if err := tx.QueryRow(ctx, "SELECT count(*) FROM "+pgx.Identifier{table}.Sanitize()).Scan(&n); err != nil {
		return 0, fmt.Errorf("rows of %s: %w", table, err)
	}
	return n, nil
}

// sqlStep runs the builds in order and reports the counts query's one row.
func sqlStep(counts string, builds ...build) func(context.Context, *runContext) ([]Count, error) {
	return func(ctx context.Context, rc *runContext) ([]Count, error) {
		for _, b := range builds {
			if _, err := rc.create(ctx, b); err != nil {
				return nil, err
			}
		}
		return rc.counts(ctx, rc.s.conn, counts)
	}
}

// keptStep is a step whose tables depend on the run's inputs but not on its
// date: a quick run keeps the previous run's and reports their counts, the
// step marked skipped.
func keptStep(counts string, builds ...build) func(context.Context, *runContext) ([]Count, error) {
	full := sqlStep(counts, builds...)
	return func(ctx context.Context, rc *runContext) ([]Count, error) {
		if !rc.quick {
			return full(ctx, rc)
		}
		c, err := rc.counts(ctx, rc.s.conn, counts)
		if err != nil {
			return nil, err
		}
		return c, errSkipStep
	}
}

// create runs one build on the run's connection.
func (rc *runContext) create(ctx context.Context, b build) (int64, error) {
	started := time.Now()
	defer func() {
		rc.log.Debug("nightly build", "query", b.query, "took", time.Since(started).Round(time.Millisecond))
	}()
	if via, ok := builtOtherwise[b.query]; ok {
		return via(rc, ctx, b)
	}
	return createOn(ctx, rc.s.conn, "", b, rc.params)
}

// createOn runs one build on conn. schema, when not empty, is the schema of
// conn's search path that the build's table is created in and dropped from
// (a replay's); the run's own tables live in the default schema.
func createOn(ctx context.Context, conn *pgx.Conn, schema string, b build, p Params) (int64, error) {
	var args []any
	if b.args != nil {
		args = b.args(p)
	}
	if b.table == "" {
		tag, err := conn.Exec(ctx, queries.Get(b.query), args...)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", b.query, err)
		}
		return tag.RowsAffected(), nil
	}
	table := pgx.Identifier{b.table}
	if schema != "" {
		table = pgx.Identifier{schema, b.table}
	}
	var rows int64
	err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		for _, name := range b.local {
			if _, err := tx.Exec(ctx, queries.Get(name)); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, "DROP TABLE IF EXISTS "+table.Sanitize()); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, queries.Get(b.query), args...)
		if err != nil {
			return err
		}
		rows = tag.RowsAffected()
		// A new table has no statistics; the next statements plan on them.
		_, err = tx.Exec(ctx, "ANALYZE "+table.Sanitize())
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("%s: %w", b.query, err)
	}
	return rows, nil
}

// counts reads a counts query: one row of integers, named by its columns.
func (rc *runContext) counts(ctx context.Context, q interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}, name string) ([]Count, error) {
	rows, err := q.Query(ctx, queries.Get(name))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	defer rows.Close()
	var out []Count
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		for i, fd := range rows.FieldDescriptions() {
			n, ok := vals[i].(int64)
			if !ok {
				return nil, fmt.Errorf("%s: column %s is %T, not an integer", name, fd.Name, vals[i])
			}
			out = append(out, Count{Name: fd.Name, Value: n})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return out, nil
}

// bulkRaise is the length of a raise list from which the run checks the
// raised triggers' foreign keys once, over the whole table, rather than row
// by row (triggers.raise-unchecked, triggers.raise-check): a first night's
// (see docs/performance.md for the figures that set it).
const bulkRaise = 100_000

// publishedTable is one published table: the build of its rebuilt copy
// (<name>_new) and of that copy's indexes.
type publishedTable struct {
	name    string
	build   build
	indexes []string
	// whole: even a quick run switches in the rebuilt copy, cheaper there
	// than comparing it: client_churn's rows all move with the run's day
	// (their inputs hold the days since the last contact)
	whole bool
	// redate: a quick run builds no copy but updates in place, in the final
	// transaction, the columns that it redoes (the others' inputs are kept),
	// in the rows where they differ: client_score's 747,553 rows at
	// 1,000,000 clients took three times as long to compare whole as to
	// index and switch, and their dated columns a fraction of either
	// (docs/performance.md)
	redate string
	// kept: whether a quick run keeps the table as published, its inputs
	// all kept (nil: never)
	kept func(rc *runContext) bool
}

// keptOnQuick: every input of the table is one a quick run keeps.
func keptOnQuick(rc *runContext) bool { return rc.quick }

// publishedTables are the published tables, in the order they are built.
var publishedTables = []publishedTable{
	{"segment_profile", build{"publish.segment-profile", "segment_profile_new", nil, nil},
		[]string{"publish.segment-profile-index"}, false, "", keptOnQuick},
	{"segment_product", build{"publish.segment-product", "segment_product_new", nil, nil},
		[]string{"publish.segment-product-index"}, false, "", keptOnQuick},
	{"segment_stage", build{"publish.segment-stage", "segment_stage_new", nil, nil},
		[]string{"publish.segment-stage-index"}, false, "", nil},
	{"client_score", build{"publish.client-score", "client_score_new", nil, nil},
		[]string{"publish.client-score-index", "publish.client-score-segment-index"}, false,
		"publish.client-score-redate", nil},
	{"client_warning", build{"publish.client-warning", "client_warning_new", nil, nil},
		[]string{"publish.client-warning-index", "publish.client-warning-manager-index",
			"publish.client-warning-score-index", "publish.client-warning-group-index",
			"publish.client-warning-branch-index", "publish.client-warning-group-count-index",
			"publish.client-warning-group-clv-index"}, false, "", nil},
	{"client_churn", build{"publish.client-churn", "client_churn_new", nil, nil},
		[]string{"publish.client-churn-index"}, true, "", nil},
	{"bank_churn_scorer", build{"publish.bank-churn-scorer", "bank_churn_scorer_new",
		func(Params) []any { return []any{warnings.InputCodes()} }, nil},
		// the banks' scorers: a model switched or a release is logged or
		// stamped, and makes the night full
		[]string{"publish.bank-churn-scorer-index"}, false, "", keptOnQuick},
	{"trigger_effect", build{"publish.trigger-effect", "trigger_effect_new", nil, nil},
		[]string{"publish.trigger-effect-index"}, false, "",
		// the judged triggers: none judged tonight, they are as published
		func(rc *runContext) bool { return rc.quick && rc.judging == 0 }},
	{"trigger_takeup", build{"publish.trigger-takeup", "trigger_takeup_new", nil, nil},
		[]string{"publish.trigger-takeup-index"}, false, "",
		func(rc *runContext) bool { return rc.quick && rc.keepTakeup }},
}

// publish builds the published tables, then, in one transaction, judges,
// confirms, expires and raises triggers, enqueues the run's webhook events,
// switches the new tables in (a quick run, the same as-of month and kept
// inputs as the run before, publishes by difference instead: nightly_merge_in,
// migration 00028, writes only the rows that changed into the published
// tables, leaving their indexes and every other row as they are, but for
// the tables switched in whole), checks them and records the run's success
// (and its nightly.finished event): readers see yesterday's results, and
// receivers get no event, until it commits.
func (rc *runContext) publish(ctx context.Context) ([]Count, error) {
	var switched, merged, redated []string
	for _, t := range publishedTables {
		if t.kept != nil && t.kept(rc) {
			continue // as published: no copy, nothing to compare
		}
		if rc.quick && t.redate != "" {
			redated = append(redated, t.redate) // updated in place below
			continue
		}
		if _, err := rc.create(ctx, t.build); err != nil {
			return nil, err
		}
		if rc.quick && !t.whole {
			merged = append(merged, t.name) // compared by key: no index needed
			continue
		}
		for _, ix := range t.indexes {
			if _, err := rc.create(ctx, build{ix, "", nil, nil}); err != nil {
				return nil, err
			}
		}
		switched = append(switched, t.name)
	}
	var counts []Count
	err := pgx.BeginFunc(ctx, rc.s.conn, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, queries.Get("publish.lock-timeout")); err != nil {
			return fmt.Errorf("publish.lock-timeout: %w", err)
		}
		// The triggers first: they read only the working tables and
		// cross_sell_trigger (whose readers they do not block), so that on an
		// ordinary night the published tables are locked by the switch for
		// no longer than the switch, its check and the commit.
		for _, t := range []struct{ query, count string }{
			{"triggers.outcome", "triggers_judged"},
			{"triggers.confirm", "triggers_confirmed"},
			{"triggers.expire", "triggers_expired"},
			{"triggers.raise", "triggers_raised"},
		} {
			bulk := t.query == "triggers.raise" && rc.raising >= rc.bulkRaise
			if bulk {
				if _, err := tx.Exec(ctx, queries.Get("triggers.raise-unchecked")); err != nil {
					return fmt.Errorf("triggers.raise-unchecked: %w", err)
				}
			}
			tag, err := tx.Exec(ctx, queries.Get(t.query))
			if err != nil {
				return fmt.Errorf("%s: %w", t.query, err)
			}
			if bulk {
				if _, err := tx.Exec(ctx, queries.Get("triggers.raise-check")); err != nil {
					return fmt.Errorf("triggers.raise-check: %w", err)
				}
			}
			counts = append(counts, Count{Name: t.count, Value: tag.RowsAffected()})
		}
		// webhooks: the run's batched events (the triggers raised and won
		// above, the warnings against the published ones before they are
		// switched or merged), set-based, in this transaction: a run rolled back sends
		// none of them, a run committed has all of them.
		if _, err := webhooks.EnqueueNightlyEvents(ctx, tx); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, queries.Get("publish.switch"), switched); err != nil {
			return fmt.Errorf("publish.switch: %w", err)
		}
		if rc.quick {
			var written int64
			for _, q := range redated {
				tag, err := tx.Exec(ctx, queries.Get(q))
				if err != nil {
					return fmt.Errorf("%s: %w", q, err)
				}
				written += tag.RowsAffected()
			}
			for _, t := range merged {
				var n int64
				if err := tx.QueryRow(ctx, queries.Get("publish.merge"), t).Scan(&n); err != nil {
					return fmt.Errorf("publish.merge %s: %w", t, err)
				}
				rc.log.Debug("nightly publish by difference", "table", t, "rows", n)
				if n < 0 { // its columns changed: switched in whole
					var err error
					if n, err = rc.rows(ctx, tx, t); err != nil {
						return err
					}
				}
				written += n
			}
			counts = append(counts, Count{Name: "rows_changed", Value: written})
		}
		var problem string
		if err := tx.QueryRow(ctx, queries.Get("publish.check")).Scan(&problem); err != nil {
			return fmt.Errorf("publish.check: %w", err)
		}
		if problem != "" {
			return fmt.Errorf("the new results fail their checks, the previous ones stay: %s", problem)
		}
		if rc.afterStep != nil {
			if err := rc.afterStep("publish:switch"); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, queries.Get("runs.run-succeed"), rc.s.runID); err != nil {
			return fmt.Errorf("record success: %w", err)
		}
		// webhooks: nightly.finished (succeeded) commits with the success it reports
		if err := webhooks.EnqueueNightlyFinished(ctx, tx, rc.s.runID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, queries.Get("runs.keep"), rc.s.runID); err != nil {
			return fmt.Errorf("keep the working tables: %w", err)
		}
		return nil
	})
	if err != nil {
		return counts, err
	}
	return counts, nil
}
