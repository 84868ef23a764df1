package main

import (
	"context"
	"fmt"
	"io"

	"github.com/relaycrm/relay/internal/access"
	"github.com/relaycrm/relay/internal/db"
	"github.com/relaycrm/relay/internal/exports"
)

// exportTriggers writes the open triggers of the group to a CSV file.
func exportTriggers(ctx context.Context, e *env, args []string) error {
	return exportNightly(ctx, e, "triggers", args, exports.Triggers)
}

// exportWarnings writes the churn warnings of the group to a CSV file.
func exportWarnings(ctx context.Context, e *env, args []string) error {
	return exportNightly(ctx, e, "warnings", args, exports.Warnings)
}

type exportFunc func(ctx context.Context, q db.Querier, v access.Viewer, w io.Writer, ip string) (int64, error)

// exportScores writes every active client's churn score, its inputs and
// their contributions to a CSV file.
func exportScores(ctx context.Context, e *env, args []string) error {
	return exportNightly(ctx, e, "scores", args, exports.Scores)
}

// exportNightly streams one of the nightly run's lists into --out, written
// beside it under a temporary name and renamed when complete, so a reader
// never sees half a file.
func exportNightly(ctx context.Context, e *env, kind string, args []string, write exportFunc) (err error) {
	fs := newFlags(e, "export "+kind)
	out := fs.String("out", "", "the CSV file to write (required)")
	group := fs.String("group", "", "the banking group's code (default: the only group)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" {
		return fmt.Errorf("export %s: --out: name the CSV file to write", kind)
	}
	pool, err := e.open(ctx)
	if err != nil {
		return err
	}
	defer pool.Close()
	v, err := exports.GroupViewer(ctx, pool, *group)
	if err != nil {
		return fmt.Errorf("export %s: %w", kind, err)
	}
	n, err := writeAtomically(*out, func(w io.Writer) (int64, error) { return write(ctx, pool, v, w, "") })
	if err != nil {
		return fmt.Errorf("export %s: %w", kind, err)
	}
	fmt.Fprintf(e.stdout, "export %s: %d rows written to %s\n", kind, n, *out)
	return nil
}
