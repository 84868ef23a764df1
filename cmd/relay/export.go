package main

import (
	"context"
	"fmt"
)

// runExport writes one kind of export: analysts' lists from the nightly run,
// the risk team's churn list, or the whole data set in the feed format.
func runExport(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("export: name what to export: triggers, warnings, churn or feed")
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
	}
	return fmt.Errorf("export: unknown kind %q; use triggers, warnings, churn or feed", args[0])
}
