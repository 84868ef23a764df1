package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/relaycrm/relay/internal/churn"
	"github.com/relaycrm/relay/internal/db"
	"github.com/relaycrm/relay/internal/model"
	"github.com/relaycrm/relay/internal/settings"
)

const modelUsage = `relay model fit [--bank CODE] [--from YYYY-MM --to YYYY-MM] [--if-none]
       relay model list
       relay model export [--id N | --bank CODE] --out FILE.json
       relay model import FILE.json [--bank CODE]
       relay model use --bank CODE (--id N | --fixed)
       relay model fit|list|export|import --purpose takeup ...
       relay model use --purpose takeup --bank CODE (--id N | --rule)
       relay model backtest --purpose takeup --id N --from YYYY-MM --to YYYY-MM`

// runModel fits, lists, exports, imports and switches the learned churn
// models.
func runModel(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return errors.New("usage: " + modelUsage)
	}
	pool, st, err := openWithSettings(ctx, e)
	if err != nil {
		return err
	}
	defer pool.Close()
	purpose, rest, err := purposeOf(args[1:])
	if err != nil {
		return err
	}
	if purpose == "takeup" {
		return runTakeupModel(ctx, e, pool, st, args[0], rest)
	}
	args = append(args[:1], rest...)
	switch args[0] {
	case "fit":
		return modelFit(ctx, e, pool, st, args[1:])
	case "list":
		return modelList(ctx, e, pool)
	case "export":
		return modelExport(ctx, e, pool, args[1:])
	case "import":
		return modelImport(ctx, e, pool, st, args[1:])
	case "use":
		return modelUse(ctx, e, pool, args[1:])
	}
	return fmt.Errorf("model %q: unknown; usage: %s", args[0], modelUsage)
}

// openWithSettings opens the database, migrated, and its settings.
func openWithSettings(ctx context.Context, e *env) (*pgxpool.Pool, *settings.Store, error) {
	pool, err := e.open(ctx)
	if err != nil {
		return nil, nil, err
	}
	if err := db.Migrate(ctx, db.SQLDB(pool), nil); err != nil {
		pool.Close()
		return nil, nil, err
	}
	g, err := db.Gorm(pool)
	if err != nil {
		pool.Close()
		return nil, nil, err
	}
	return pool, settings.NewStore(pool, g), nil
}

// monthFlags parses --from and --to.
func monthFlags(from, to string) (time.Time, time.Time, error) {
	var f, t time.Time
	var err error
	if from != "" {
		if f, err = time.Parse("2006-01", from); err != nil {
			return f, t, fmt.Errorf("--from: %q is not a month in the form YYYY-MM", from)
		}
	}
	if to != "" {
		if t, err = time.Parse("2006-01", to); err != nil {
			return f, t, fmt.Errorf("--to: %q is not a month in the form YYYY-MM", to)
		}
	}
	if (from == "") != (to == "") {
		return f, t, errors.New("--from and --to go together")
	}
	return f, t, nil
}

func modelFit(ctx context.Context, e *env, pool *pgxpool.Pool, st *settings.Store, args []string) error {
	fs := newFlags(e, "model fit")
	bank := fs.String("bank", "", "fit on this bank's clients only (default: every bank of the group)")
	from := fs.String("from", "", "first month to replay, YYYY-MM")
	to := fs.String("to", "", "last month to replay, YYYY-MM")
	ifNone := fs.Bool("if-none", false, "do nothing when a model exists already (for make run)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	f, t, err := monthFlags(*from, *to)
	if err != nil {
		return err
	}
	if *ifNone {
		if exist, err := modelsExist(ctx, e, pool, "churn"); err != nil || exist {
			return err
		}
	}
	started := time.Now()
	out, err := churn.Fit(ctx, pool, st, churn.FitRequest{Bank: *bank, From: f, To: t,
		Progress: func(s string) { fmt.Fprintln(e.stdout, "  replayed", s) }})
	if err != nil {
		return err
	}
	c := out.Card
	fmt.Fprintf(e.stdout, "model %d fitted in %s on %s: %d client-months, %d leaving within %d months, %d clients\n",
		out.ModelID, time.Since(started).Round(time.Second), c.Scope, c.Rows, c.Positives, c.Horizon, c.Entities)
	fmt.Fprintf(e.stdout, "tested out of time on %s (fitted on %s before the test)%s:\n",
		strings.Join(c.TestedOn, ", "), span(out.Result.TrainPeriods), censoredNote(c.Censored))
	printFigures(e.stdout, "learned model", c.Test)
	printFigures(e.stdout, "fixed weights", c.Baseline)
	for _, b := range c.Banks {
		use := "keeps its scorer"
		if b.Used {
			use = "now scored by this model"
		}
		fmt.Fprintf(e.stdout, "  %-8s %s: %s\n", b.Code, use, b.Why)
	}
	return nil
}

func span(periods []int) string {
	if len(periods) == 0 {
		return "nothing"
	}
	m := func(p int) string { return fmt.Sprintf("%04d-%02d", p/12, p%12+1) }
	return m(periods[0]) + " to " + m(periods[len(periods)-1])
}

func censoredNote(c bool) string {
	if c {
		return "; the data ends before some months' horizon, so some of their leavers are not seen yet"
	}
	return ""
}

func printFigures(w io.Writer, name string, m *model.Metrics) {
	if m == nil {
		return
	}
	fmt.Fprintf(w, "  %-14s AUC %s  top-10%% lift %s  (%d client-months, %d leavers, Brier %.4f)\n",
		name, fig(m.AUC, 3), fig(m.Lift10, 2), m.Rows, m.Positives, m.Brier)
}

func fig(v float64, digits int) string {
	if math.IsNaN(v) {
		return "n/a"
	}
	return strconv.FormatFloat(v, 'f', digits, 64)
}

func modelList(ctx context.Context, e *env, pool *pgxpool.Pool) error {
	groupID, err := onlyGroup(ctx, pool)
	if err != nil {
		return err
	}
	uses, err := churn.BankUses(ctx, pool, groupID)
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, "scorer of each bank from the next run:")
	for _, u := range uses {
		who := "fixed weights"
		if u.ModelID != nil {
			who = fmt.Sprintf("model %d", *u.ModelID)
		}
		fmt.Fprintf(e.stdout, "  %-8s %-14s %s\n", u.Code, who, u.Reason)
	}
	models, err := churn.Models(ctx, pool, groupID, 50)
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, "models, newest first:")
	for _, m := range models {
		fmt.Fprintf(e.stdout, "  %4d %-8s %s %s  test AUC %s lift %s  (fixed AUC %s lift %s)  used by: %s\n",
			m.ID, m.Source, m.FittedAt.Format(time.DateOnly), m.Card.Scope, optFig(m.TestAUC, 3), optFig(m.TestLift, 2),
			optFig(m.FixedAUC, 3), optFig(m.FixedLift, 2), strings.Join(m.UsedBy, ", "))
	}
	return nil
}

func optFig(v *float64, digits int) string {
	if v == nil {
		return "n/a"
	}
	return fig(*v, digits)
}

// onlyGroup is the one banking group of the installation.
func onlyGroup(ctx context.Context, pool *pgxpool.Pool) (int16, error) {
	var ids []int16
	rows, err := pool.Query(ctx, "SELECT id FROM banking_group ORDER BY id")
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int16
		if err := rows.Scan(&id); err != nil {
			return 0, err
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return 0, err
	}
	if len(ids) != 1 {
		return 0, fmt.Errorf("%d banking groups exist; this command works on an installation of one", len(ids))
	}
	return ids[0], nil
}

func modelExport(ctx context.Context, e *env, pool *pgxpool.Pool, args []string) error {
	fs := newFlags(e, "model export")
	id := fs.Int64("id", 0, "the model to export (default: the one scoring --bank, else the newest)")
	bank := fs.String("bank", "", "export the model that scores this bank")
	out := fs.String("out", "", "file to write (JSON)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" {
		return errors.New("--out: say which file to write")
	}
	groupID, err := onlyGroup(ctx, pool)
	if err != nil {
		return err
	}
	if *id == 0 {
		if *id, err = defaultModel(ctx, pool, groupID, *bank); err != nil {
			return err
		}
	}
	_, err = writeAtomically(*out, func(w io.Writer) (int64, error) { return 1, churn.Export(ctx, pool, groupID, *id, w) })
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "model %d written to %s\n", *id, *out)
	return nil
}

// defaultModel is the model scoring bank, or the group's newest.
func defaultModel(ctx context.Context, pool *pgxpool.Pool, groupID int16, bank string) (int64, error) {
	if bank != "" {
		uses, err := churn.BankUses(ctx, pool, groupID)
		if err != nil {
			return 0, err
		}
		for _, u := range uses {
			if u.Code == bank {
				if u.ModelID == nil {
					return 0, fmt.Errorf("--bank %s: the bank is scored with the fixed weights, no learned model", bank)
				}
				return *u.ModelID, nil
			}
		}
		return 0, fmt.Errorf("--bank %s: no bank has this code", bank)
	}
	models, err := churn.Models(ctx, pool, groupID, 1)
	if err != nil {
		return 0, err
	}
	if len(models) == 0 {
		return 0, errors.New("no model has been fitted or imported yet: run relay model fit")
	}
	return models[0].ID, nil
}

func modelImport(ctx context.Context, e *env, pool *pgxpool.Pool, st *settings.Store, args []string) error {
	fs := newFlags(e, "model import")
	bank := fs.String("bank", "", "the bank the model is for (default: every bank of the group)")
	file, f, err := openFileArg(fs, args, "usage: relay model import FILE.json [--bank CODE]")
	if err != nil {
		return err
	}
	defer f.Close()
	out, err := churn.Import(ctx, pool, st, f, churn.ImportRequest{Bank: *bank,
		Progress: func(s string) { fmt.Fprintln(e.stdout, "  checked", s) }})
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	fmt.Fprintf(e.stdout, "model %d imported from %s\n", out.ModelID, file)
	for _, b := range out.Banks {
		use := "keeps the fixed weights"
		if b.Used {
			use = "scored by this model from the next run"
		}
		fmt.Fprintf(e.stdout, "  %-8s %s: %s\n", b.Code, use, b.Why)
	}
	return nil
}

func modelUse(ctx context.Context, e *env, pool *pgxpool.Pool, args []string) error {
	fs := newFlags(e, "model use")
	bank := fs.String("bank", "", "the bank")
	id := fs.Int64("id", 0, "the model to score it with")
	fixed := fs.Bool("fixed", false, "score it with the fixed weights")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *bank == "" || (*id == 0) == !*fixed {
		return errors.New("usage: relay model use --bank CODE (--id N | --fixed)")
	}
	groupID, err := onlyGroup(ctx, pool)
	if err != nil {
		return err
	}
	uses, err := churn.BankUses(ctx, pool, groupID)
	if err != nil {
		return err
	}
	for _, u := range uses {
		if u.Code != *bank {
			continue
		}
		var m *int64
		if !*fixed {
			m = id
		}
		if err := churn.Use(ctx, pool, groupID, u.BankID, m, 0); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "bank %s is scored with %s from the next run\n", *bank, map[bool]string{true: "the fixed weights", false: fmt.Sprintf("model %d", *id)}[*fixed])
		return nil
	}
	return fmt.Errorf("--bank %s: no bank has this code", *bank)
}

// runBacktest replays the warnings on history and prints both scorers'
// figures.
func runBacktest(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "backtest")
	from := fs.String("from", "", "first month to replay, YYYY-MM (default: the 12 months before the data's end)")
	to := fs.String("to", "", "last month to replay, YYYY-MM")
	bank := fs.String("bank", "", "one bank's clients only")
	ifNone := fs.Bool("if-none", false, "do nothing when a backtest exists already (for make run)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	f, t, err := monthFlags(*from, *to)
	if err != nil {
		return err
	}
	pool, st, err := openWithSettings(ctx, e)
	if err != nil {
		return err
	}
	defer pool.Close()
	if *ifNone {
		var n int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM backtest_run WHERE status = 'succeeded'`).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			fmt.Fprintln(e.stdout, "backtest: one exists already; nothing to do")
			return nil
		}
	}
	started := time.Now()
	id, err := churn.Backtest(ctx, pool, st, churn.BacktestRequest{From: f, To: t, Bank: *bank,
		Progress: func(s string) { fmt.Fprintln(e.stdout, "  ", s) }})
	if err != nil {
		return err
	}
	groupID, err := onlyGroup(ctx, pool)
	if err != nil {
		return err
	}
	rep, err := churn.BacktestReport(ctx, pool, groupID, id)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "backtest %d of %s, %s to %s, in %s\n", id, rep.Setup.Scope, rep.From.Format("2006-01"),
		rep.To.Format("2006-01"), time.Since(started).Round(time.Second))
	codes := make([]string, 0, len(rep.Setup.ModelNames))
	for code := range rep.Setup.ModelNames {
		codes = append(codes, code)
	}
	slices.Sort(codes)
	for _, code := range codes {
		fmt.Fprintf(e.stdout, "  learned model for %s: %s\n", code, rep.Setup.ModelNames[code])
	}
	if len(codes) == 0 || !strings.Contains(rep.Setup.ModelNames[codes[0]], "before the replayed months") {
		fmt.Fprintf(e.stdout, "  not fitted for this backtest alone: %s\n", rep.Setup.WalkForward)
	}
	fmt.Fprintf(e.stdout, "  %-8s %-7s %9s %9s %9s %10s %9s %7s %s\n", "horizon", "scorer", "clients", "leavers", "recall",
		"precision", "top10lift", "AUC", "months")
	for _, s := range rep.Summary {
		note := ""
		if s.InSample > 0 {
			note = fmt.Sprintf(" (%d of them in-sample)", s.InSample)
		}
		if s.Censored > 0 {
			note += fmt.Sprintf(" (%d cut short by the end of the data)", s.Censored)
		}
		fmt.Fprintf(e.stdout, "  %-8s %-7s %9.0f %9.0f %8.1f%% %9.1f%% %9s %7s %d%s\n",
			fmt.Sprintf("%d months", s.Horizon), s.Scorer, s.Clients, s.Leavers, 100*s.Recall, 100*s.Precision,
			fig(s.Lift10, 2), fig(s.AUC, 3), s.Months, note)
	}
	for _, l := range rep.Lead {
		fmt.Fprintf(e.stdout, "  %-7s of %.0f leavers: %.0f%% warned the month before leaving, %.0f%% two months or more, %.0f%% three or more\n",
			l.Scorer, l.Leavers, 100*l.AtLeast(1), 100*l.AtLeast(2), 100*l.AtLeast(3))
	}
	return nil
}

// openFileArg parses fs on args, whose first or only positional argument is
// a file to read, and opens it.
func openFileArg(fs *flag.FlagSet, args []string, usage string) (string, *os.File, error) {
	var file string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		file, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return "", nil, err
	}
	if file == "" && fs.NArg() > 0 {
		file = fs.Arg(0)
	}
	if file == "" {
		return "", nil, errors.New(usage)
	}
	f, err := os.Open(file)
	return file, f, err
}

// modelsExist says, for --if-none, whether models of purpose exist already,
// and says so when they do.
func modelsExist(ctx context.Context, e *env, pool *pgxpool.Pool, purpose string) (bool, error) {
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM fitted_model WHERE purpose = $1`, purpose).Scan(&n); err != nil {
		return false, err
	}
	if n > 0 {
		fmt.Fprintf(e.stdout, "model fit --purpose %s: %d such models exist already; nothing to do\n", purpose, n)
	}
	return n > 0, nil
}
