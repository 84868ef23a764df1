package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/relaycrm/relay/internal/exports"
	"github.com/relaycrm/relay/internal/warnings"
)

// exportChurn writes the risk team's churn list, the same rows and columns
// as the page's export, for scheduled use: it acts as the risk team of the
// group, audited with login "cli". The file is written beside --out under a
// temporary name and renamed when complete, so a reader never sees half a
// file.
func exportChurn(ctx context.Context, e *env, args []string) (err error) {
	fs := newFlags(e, "export churn")
	format := fs.String("format", "", "csv or xlsx (default: from the extension of --out)")
	out := fs.String("out", "", "the file to write (required)")
	bank := fs.String("bank", "", "only this bank's clients, by its code")
	level := fs.String("level", "", "only warnings of this level: watch or high")
	group := fs.String("group", "", "the banking group's code (default: the only group)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("export churn: unexpected argument %q", fs.Arg(0))
	}
	if *out == "" {
		return fmt.Errorf("export churn: --out: name the file to write")
	}
	if *format == "" {
		*format = strings.TrimPrefix(filepath.Ext(*out), ".")
	}
	f, err := exports.ParseFormat(*format)
	if err != nil {
		return fmt.Errorf("export churn: --format: %w", err)
	}
	filter := warnings.ListFilter{Level: warnings.Level(*level)}
	if err := filter.Validate(); err != nil {
		return fmt.Errorf("export churn: --%w", err)
	}
	pool, err := e.open(ctx)
	if err != nil {
		return err
	}
	defer pool.Close()
	v, err := exports.GroupViewer(ctx, pool, *group)
	if err != nil {
		return fmt.Errorf("export churn: %w", err)
	}
	labels := map[string]string{}
	if *bank != "" {
		if filter.BankID, err = exports.BankByCode(ctx, pool, v, *bank); err != nil {
			return fmt.Errorf("export churn: %w", err)
		}
		labels["bank"] = *bank
	}
	n, err := writeAtomically(*out, func(w io.Writer) (int64, error) {
		return exports.Churn(ctx, pool, v, w, exports.ChurnOptions{Filter: filter, Format: f, Labels: labels})
	})
	if err != nil {
		return fmt.Errorf("export churn: %w", err)
	}
	fmt.Fprintf(e.stdout, "export churn: %d rows written to %s (%s)\n", n, *out, f)
	return nil
}
