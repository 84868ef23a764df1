package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"time"

	"github.com/relaycrm/relay/internal/db"
	"github.com/relaycrm/relay/internal/exports"
	"github.com/relaycrm/relay/internal/i18n"
	"github.com/relaycrm/relay/internal/settings"
	"github.com/relaycrm/relay/internal/triggers"
)

// runEffectiveness writes the effectiveness page's table to a CSV file, for
// every bank of the group or one, and prints each bank's overall uplift.
func runEffectiveness(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "effectiveness")
	out := fs.String("out", "", "the CSV file to write (required)")
	bank := fs.String("bank", "", "only this bank, by its code (default: every bank of the group)")
	from := fs.String("from", "", "first month raised, YYYY-MM (default: the first judged)")
	to := fs.String("to", "", "last month raised, YYYY-MM (default: the last judged)")
	group := fs.String("group", "", "the banking group's code (default: the only group)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("effectiveness: unexpected argument %q", fs.Arg(0))
	}
	if *out == "" {
		return fmt.Errorf("effectiveness: --out: name the CSV file to write")
	}
	var f triggers.EffectFilter
	for _, m := range []struct {
		flag, value string
		to          *time.Time
	}{{"from", *from, &f.From}, {"to", *to, &f.To}} {
		if m.value == "" {
			continue
		}
		t, err := time.Parse("2006-01", m.value)
		if err != nil {
			return fmt.Errorf("effectiveness: --%s: %q is not a month; use YYYY-MM", m.flag, m.value)
		}
		*m.to = t
	}
	pool, err := e.open(ctx)
	if err != nil {
		return err
	}
	defer pool.Close()
	g, err := db.Gorm(pool)
	if err != nil {
		return err
	}
	cfg, err := settings.NewStore(pool, g).Load(ctx)
	if err != nil {
		return err
	}
	f.MinCases, f.WindowMonths = cfg.Int("trigger.effect_min_cases"), cfg.Int("trigger.win_window_months")
	v, err := exports.GroupViewer(ctx, pool, *group)
	if err != nil {
		return fmt.Errorf("effectiveness: %w", err)
	}
	var banks []int64
	if *bank != "" {
		id, err := exports.BankByCode(ctx, pool, v, *bank)
		if err != nil {
			return fmt.Errorf("effectiveness: %w", err)
		}
		banks = []int64{id}
	} else {
		rows, err := pool.Query(ctx, `SELECT id FROM bank WHERE group_id = $1 ORDER BY code`, v.GroupID)
		if err != nil {
			return fmt.Errorf("effectiveness: banks: %w", err)
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return fmt.Errorf("effectiveness: banks: %w", err)
			}
			banks = append(banks, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("effectiveness: banks: %w", err)
		}
	}
	var effects []triggers.Effect
	for _, id := range banks {
		f.BankID = id
		eff, err := triggers.Effectiveness(ctx, pool, v, f)
		if err != nil {
			return fmt.Errorf("effectiveness: %w", err)
		}
		effects = append(effects, eff)
	}
	n, err := writeAtomically(*out, func(w io.Writer) (int64, error) {
		cw := csv.NewWriter(w)
		var rows int64
		for i, eff := range effects {
			if err := triggers.WriteEffectCSV(cw, eff, i == 0, i18n.English); err != nil {
				return rows, err
			}
			if !eff.FirstMonth.IsZero() {
				rows += int64(len(eff.Rows) + 1)
			}
		}
		cw.Flush()
		return rows, cw.Error()
	})
	if err != nil {
		return fmt.Errorf("effectiveness: %w", err)
	}
	for _, eff := range effects {
		t := eff.Total
		switch {
		case eff.FirstMonth.IsZero():
			fmt.Fprintf(e.stdout, "  %-6s no trigger judged yet\n", eff.BankCode)
		case !t.Enough:
			fmt.Fprintf(e.stdout, "  %-6s raised %s to %s: shown %d of %d taken, held back %d of %d: not enough cases yet\n",
				eff.BankCode, eff.From.Format("2006-01"), eff.To.Format("2006-01"), t.Shown.K, t.Shown.N, t.HeldBack.K, t.HeldBack.N)
		default:
			fmt.Fprintf(e.stdout, "  %-6s raised %s to %s: shown %.1f%% of %d taken, held back %.1f%% of %d: uplift %+.1f points (95%% interval %+.1f to %+.1f)\n",
				eff.BankCode, eff.From.Format("2006-01"), eff.To.Format("2006-01"), t.Shown.Rate()*100, t.Shown.N,
				t.HeldBack.Rate()*100, t.HeldBack.N, t.Uplift.Diff*100, t.Uplift.Lo*100, t.Uplift.Hi*100)
		}
	}
	fmt.Fprintf(e.stdout, "effectiveness: %d rows written to %s\n", n, *out)
	return nil
}
