package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/relaycrm/relay/internal/imports"
)

// runImport imports a core-banking feed from a directory of CSV files (or a
// zip of them): it prints the rows of each file and the time taken, or every
// error found, and then fails, having applied nothing.
func runImport(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "import")
	group := fs.String("group", "", "code of the banking group the feed belongs to (needed only when the database holds several)")
	steps := fs.Bool("steps", false, "print the time each step took")
	delimiter := fs.String("delimiter", "", "the files' value separator, , or ; (default: read from each file's header)")
	var decimalComma optionalBool
	fs.Var(&decimalComma, "decimal-comma", "amounts have a decimal comma (=false: a point; default: a comma in files separated by ;)")
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, "usage: relay import [--group CODE] [--delimiter ,|;] [--decimal-comma[=false]] [--steps] DIR|FILE.zip\n\nDIR holds the feed's CSV files; see docs/import.md.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	var format imports.Format
	switch *delimiter {
	case "":
	case ",", ";":
		format.Delimiter = rune((*delimiter)[0])
	default:
		return fmt.Errorf("import: --delimiter: %q is not a separator; use , or ;", *delimiter)
	}
	format.DecimalComma = decimalComma.value
	if fs.NArg() != 1 {
		fs.Usage()
		return fmt.Errorf("import: name one directory (or zip file) holding the feed")
	}
	path := fs.Arg(0)
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	pool, err := e.open(ctx)
	if err != nil {
		return err
	}
	defer pool.Close()
	start := time.Now()
	opts := imports.Options{Group: *group, Source: imports.SourceCLI, Origin: path, Actor: imports.Actor{Login: osUser()}, Format: format,
		Progress: func(p imports.Progress) {
			fmt.Fprintf(e.stderr, "%6.0fs  %s\n", time.Since(start).Seconds(), p)
		}}
	var res imports.Result
	if fi.IsDir() {
		res, err = imports.ImportDir(ctx, pool, path, opts)
	} else {
		f, oerr := os.Open(path)
		if oerr != nil {
			return fmt.Errorf("import: %w", oerr)
		}
		defer f.Close()
		res, err = imports.ImportZip(ctx, pool, f, fi.Size(), opts)
	}
	if err != nil {
		return fmt.Errorf("import %d: %w", res.ID, err)
	}
	printImport(e, res, *steps)
	if res.Status != imports.Applied {
		return fmt.Errorf("import %d: the feed has %d %s; nothing was applied", res.ID, res.ErrorCount, plural(res.ErrorCount, "error", "errors"))
	}
	return nil
}

func printImport(e *env, res imports.Result, verbose bool) {
	secs := res.Elapsed().Seconds()
	fmt.Fprintf(e.stdout, "import %d: %s, %d rows in %.1fs", res.ID, res.Status, res.Rows(), secs)
	if secs > 0 {
		fmt.Fprintf(e.stdout, " (%.0f rows/s)", float64(res.Rows())/secs)
	}
	fmt.Fprintln(e.stdout)
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "file\trows\tinserted\tupdated\tunchanged\t")
	for _, f := range res.Files {
		if res.Status == imports.Applied {
			fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t\n", f.Name, f.Rows, f.Inserted, f.Updated, f.Unchanged)
		} else {
			fmt.Fprintf(tw, "%s\t%d\t-\t-\t-\t\n", f.Name, f.Rows)
		}
	}
	tw.Flush()
	if res.ErrorCount == 0 {
		if verbose {
			for _, st := range res.Steps {
				fmt.Fprintf(e.stdout, "  %-32s %8.2fs\n", st.Name, st.Elapsed.Seconds())
			}
		}
		return
	}
	fmt.Fprintf(e.stderr, "%d %s:\n", res.ErrorCount, plural(res.ErrorCount, "error", "errors"))
	for _, er := range res.Errors {
		fmt.Fprintln(e.stderr, "  "+er.Error())
	}
	if more := res.ErrorCount - len(res.Errors); more > 0 {
		fmt.Fprintf(e.stderr, "  ... and %d more, not listed\n", more)
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// osUser names who ran the CLI, for the record of the import.
func osUser() string {
	for _, k := range []string{"SUDO_USER", "USER", "LOGNAME"} {
		if v := strings.TrimSpace(os.Getenv(k)); v != "" {
			return "cli:" + v
		}
	}
	return "cli"
}

// optionalBool is a flag that may be given (--x, --x=false) or left out,
// which means "decide from the data".
type optionalBool struct{ value *bool }

func (o *optionalBool) String() string {
	if o == nil || o.value == nil {
		return ""
	}
	return strconv.FormatBool(*o.value)
}

func (o *optionalBool) Set(s string) error {
	b, err := strconv.ParseBool(s)
	if err != nil {
		return fmt.Errorf("%q is not true or false", s)
	}
	o.value = &b
	return nil
}

// IsBoolFlag lets the flag be given without a value.
func (o *optionalBool) IsBoolFlag() bool { return true }
