package main

import (
	"context"
	"fmt"
	"time"

	"github.com/relaycrm/relay/internal/imports"
)

// exportFeed writes the whole data set of a banking group in the feed format
// (docs/import.md), one CSV file per kind, into a directory.
func exportFeed(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "export feed")
	group := fs.String("group", "", "code of the banking group (needed only when the database holds several)")
	from := fs.String("facts-from", "", "first month of facts to write, YYYY-MM (default: every month)")
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, "usage: relay export feed [--group CODE] [--facts-from YYYY-MM] DIR")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return fmt.Errorf("export feed: name the directory to write the feed into")
	}
	opts := imports.ExportOptions{Group: *group}
	if *from != "" {
		m, err := time.Parse("2006-01", *from)
		if err != nil {
			return fmt.Errorf("export feed: --facts-from: %q is not a month in the form YYYY-MM", *from)
		}
		opts.FactsFrom = m
	}
	pool, err := e.open(ctx)
	if err != nil {
		return err
	}
	defer pool.Close()
	start := time.Now()
	counts, err := imports.ExportDir(ctx, pool, fs.Arg(0), opts)
	if err != nil {
		return fmt.Errorf("export feed: %w", err)
	}
	var total int64
	for _, k := range imports.Kinds {
		fmt.Fprintf(e.stdout, "  %-18s %10d rows\n", k.FileName(), counts[k])
		total += counts[k]
	}
	secs := time.Since(start).Seconds()
	fmt.Fprintf(e.stdout, "export feed: %d rows into %s in %.1fs\n", total, fs.Arg(0), secs)
	return nil
}
