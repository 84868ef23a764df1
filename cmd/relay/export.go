package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// runExport writes one kind of export: analysts' lists from the nightly run,
// the risk team's churn list, or the whole data set in the feed format.
func runExport(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("export: name what to export: triggers, warnings, scores, offers, churn or feed")
	}
	switch args[0] {
	case "triggers":
		return exportTriggers(ctx, e, args[1:])
	case "warnings":
		return exportWarnings(ctx, e, args[1:])
	case "churn":
		return exportChurn(ctx, e, args[1:])
	case "feed":
		return exportFeed(ctx, e, args[1:])
	case "scores":
		return exportScores(ctx, e, args[1:])
	case "offers":
		return exportOffers(ctx, e, args[1:])
	}
	return fmt.Errorf("export: unknown kind %q; use triggers, warnings, scores, offers, churn or feed", args[0])
}

// writeAtomically writes a file through write, beside out under a temporary
// name, and renames it to out only when it is complete, so that a reader
// never sees half a file and a failed export leaves nothing behind. It
// returns the rows write reports.
func writeAtomically(out string, write func(w io.Writer) (int64, error)) (n int64, err error) {
	f, err := os.CreateTemp(filepath.Dir(out), "."+filepath.Base(out)+".*")
	if err != nil {
		return 0, err
	}
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(f.Name())
		}
	}()
	w := bufio.NewWriterSize(f, 256<<10)
	if n, err = write(w); err != nil {
		return n, err
	}
	if err = errors.Join(w.Flush(), f.Close()); err != nil {
		return n, err
	}
	return n, os.Rename(f.Name(), out)
}
