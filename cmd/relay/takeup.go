package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/relaycrm/relay/internal/model"
	"github.com/relaycrm/relay/internal/settings"
	"github.com/relaycrm/relay/internal/takeup"
)

// purposeOf takes --purpose churn|takeup out of args.
func purposeOf(args []string) (string, []string, error) {
	purpose := "churn"
	var rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--purpose" || a == "-purpose":
			if i+1 == len(args) {
				return "", nil, errors.New("--purpose: say churn or takeup")
			}
			purpose = args[i+1]
			i++
		case strings.HasPrefix(a, "--purpose="), strings.HasPrefix(a, "-purpose="):
			purpose = a[strings.IndexByte(a, '=')+1:]
		default:
			rest = append(rest, a)
		}
	}
	if purpose != "churn" && purpose != "takeup" {
		return "", nil, fmt.Errorf("--purpose: %q is not churn or takeup", purpose)
	}
	return purpose, rest, nil
}

// runTakeupModel fits, lists, exports, imports and switches the take-up
// models (relay model ... --purpose takeup).
func runTakeupModel(ctx context.Context, e *env, pool *pgxpool.Pool, st *settings.Store, cmd string, args []string) error {
	switch cmd {
	case "fit":
		return takeupFit(ctx, e, pool, st, args)
	case "list":
		return takeupList(ctx, e, pool)
	case "export":
		return takeupExport(ctx, e, pool, args)
	case "import":
		return takeupImport(ctx, e, pool, args)
	case "use":
		return takeupUse(ctx, e, pool, args)
	case "backtest":
		return takeupBacktest(ctx, e, pool, st, args)
	}
	return fmt.Errorf("model %q: unknown; usage: %s", cmd, modelUsage)
}

func takeupFit(ctx context.Context, e *env, pool *pgxpool.Pool, st *settings.Store, args []string) error {
	fs := newFlags(e, "model fit --purpose takeup")
	bank := fs.String("bank", "", "fit on this bank's clients only (default: every bank of the group)")
	ifNone := fs.Bool("if-none", false, "do nothing when a take-up model exists already (for make run)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *ifNone {
		if exist, err := modelsExist(ctx, e, pool, "takeup"); err != nil || exist {
			return err
		}
	}
	started := time.Now()
	out, err := takeup.Fit(ctx, pool, st, takeup.FitRequest{Bank: *bank,
		Progress: func(s string) { fmt.Fprintln(e.stdout, "  ", s) }})
	if err != nil {
		return err
	}
	c := out.Bundle.Card
	learned := 0
	for _, p := range c.Products {
		if p.Learned {
			learned++
		}
	}
	fmt.Fprintf(e.stdout, "take-up model %d fitted in %s on %s: %d client-months (%.0f%% of the clients each month), %d candidates, %d of %d products learned\n",
		out.ModelID, time.Since(started).Round(time.Second), c.Scope, c.ClientMonths, 100*c.Share, c.Candidates, learned,
		len(c.Products))
	fmt.Fprintf(e.stdout, "tested out of time on %s (fitted on %s), every candidate (client, product not held):\n",
		strings.Join(c.TestedOn, ", "), monthSpan(c.FittedOn))
	printComparison(e.stdout, "  ", c.Overall)
	for _, b := range c.Banks {
		use := "keeps the ideal-set rule"
		if b.Used {
			use = "offers now ranked by this model"
		}
		fmt.Fprintf(e.stdout, "  %-8s %s: %s\n", b.Code, use, b.Why)
		printComparison(e.stdout, "    ", b.Test)
		if b.Shown.Triggers > 0 {
			fmt.Fprintf(e.stdout, "    triggers shown those months: %d, %d taken (%.1f%%, %.2f x the candidates' rate), income after %d minor units %s\n",
				b.Shown.Triggers, b.Shown.Taken, 100*b.Shown.Rate, b.Shown.Lift, b.Shown.IncomeAfter, b.Shown.Currency)
		}
	}
	return nil
}

func monthSpan(months []string) string {
	if len(months) == 0 {
		return "nothing"
	}
	return months[0] + " to " + months[len(months)-1]
}

func printComparison(w io.Writer, indent string, c takeup.Comparison) {
	for _, r := range []struct {
		name string
		m    model.Metrics
	}{{"take-up model", c.Model}, {takeup.RuleName, c.Rule}, {takeup.PopularityName, c.Popularity}} {
		fmt.Fprintf(w, "%s%-18s top-10%% lift %s  precision %s  AUC %s  (%d candidates, %d taken)\n", indent, r.name,
			fig(r.m.Lift10, 2), pct(r.m.Lift10*r.m.Rate), fig(r.m.AUC, 3), r.m.Rows, r.m.Positives)
	}
}

func pct(v float64) string {
	if v != v {
		return "n/a"
	}
	return fmt.Sprintf("%.1f%%", 100*v)
}

func takeupList(ctx context.Context, e *env, pool *pgxpool.Pool) error {
	groupID, err := onlyGroup(ctx, pool)
	if err != nil {
		return err
	}
	models, err := takeup.Models(ctx, pool, groupID, nil, 50)
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, "take-up models, newest first:")
	for _, m := range models {
		fmt.Fprintf(e.stdout, "  %4d %-8s %s %s  test lift %s AUC %s  (ideal-set rule lift %s AUC %s)  used by: %s\n",
			m.ID, m.Source, m.FittedAt.Format(time.DateOnly), m.Card.Scope, optFig(m.TestLift, 2), optFig(m.TestAUC, 3),
			optFig(m.RuleLift, 2), optFig(m.RuleAUC, 3), strings.Join(m.UsedBy, ", "))
	}
	return nil
}

func takeupExport(ctx context.Context, e *env, pool *pgxpool.Pool, args []string) error {
	fs := newFlags(e, "model export --purpose takeup")
	id := fs.Int64("id", 0, "the take-up model to export (default: the newest)")
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
		models, err := takeup.Models(ctx, pool, groupID, nil, 1)
		if err != nil {
			return err
		}
		if len(models) == 0 {
			return errors.New("no take-up model has been fitted or imported yet: run relay model fit --purpose takeup")
		}
		*id = models[0].ID
	}
	if _, err := writeAtomically(*out, func(w io.Writer) (int64, error) { return 1, takeup.Export(ctx, pool, groupID, *id, w) }); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "take-up model %d written to %s\n", *id, *out)
	return nil
}

func takeupImport(ctx context.Context, e *env, pool *pgxpool.Pool, args []string) error {
	fs := newFlags(e, "model import --purpose takeup")
	bank := fs.String("bank", "", "the bank the model is for (default: every bank of the group)")
	file, f, err := openFileArg(fs, args, "usage: relay model import FILE.json --purpose takeup [--bank CODE]")
	if err != nil {
		return err
	}
	defer f.Close()
	id, err := takeup.Import(ctx, pool, f, takeup.ImportRequest{Bank: *bank, Origin: file})
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	fmt.Fprintf(e.stdout, "take-up model %d imported from %s; it ranks the offers of %s from the next run\n", id, file,
		map[bool]string{true: "every bank of the group", false: *bank}[*bank == ""])
	return nil
}

func takeupUse(ctx context.Context, e *env, pool *pgxpool.Pool, args []string) error {
	fs := newFlags(e, "model use --purpose takeup")
	bank := fs.String("bank", "", "the bank")
	id := fs.Int64("id", 0, "the take-up model to rank its offers with")
	rule := fs.Bool("rule", false, "rank its offers with the ideal-set rule")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *bank == "" || (*id == 0) == !*rule {
		return errors.New("usage: relay model use --purpose takeup --bank CODE (--id N | --rule)")
	}
	var mid *int64
	if *id != 0 {
		mid = id
	}
	if err := takeup.Use(ctx, pool, *bank, mid, 0); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "bank %s: offers ranked by %s from the next run\n", *bank,
		map[bool]string{true: "the ideal-set rule", false: fmt.Sprintf("take-up model %d", *id)}[mid == nil])
	return nil
}

// exportOffers writes every candidate (client, product) with its chance.
func exportOffers(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "export offers")
	out := fs.String("out", "", "file to write (CSV)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" {
		return errors.New("--out: say which file to write")
	}
	pool, st, err := openWithSettings(ctx, e)
	if err != nil {
		return err
	}
	defer pool.Close()
	n, err := writeAtomically(*out, func(w io.Writer) (int64, error) {
		n, err := takeup.ExportOffers(ctx, pool, st, w)
		return int64(n), err
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%d offers (client, product, probability) written to %s\n", n, *out)
	return nil
}

// takeupBacktest ranks past months' candidates with a stored take-up model,
// the ideal-set rule and popularity, and prints how each did.
func takeupBacktest(ctx context.Context, e *env, pool *pgxpool.Pool, st *settings.Store, args []string) error {
	fs := newFlags(e, "model backtest --purpose takeup")
	id := fs.Int64("id", 0, "the take-up model")
	from := fs.String("from", "", "first month, YYYY-MM")
	to := fs.String("to", "", "last month, YYYY-MM")
	if err := fs.Parse(args); err != nil {
		return err
	}
	f, t, err := monthFlags(*from, *to)
	if err != nil {
		return err
	}
	if *id == 0 || f.IsZero() {
		return errors.New("usage: relay model backtest --purpose takeup --id N --from YYYY-MM --to YYYY-MM")
	}
	if t.Before(f) {
		return fmt.Errorf("--from %s is after --to %s", *from, *to)
	}
	var months []time.Time
	for m := f; !m.After(t); m = m.AddDate(0, 1, 0) {
		months = append(months, m)
	}
	c, err := takeup.Backtest(ctx, pool, st, *id, months)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "take-up model %d on %s to %s, every candidate (client, product not held):\n", *id, *from, *to)
	printComparison(e.stdout, "  ", c)
	return nil
}
