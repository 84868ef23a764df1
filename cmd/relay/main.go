// Command relay is Relay's one binary: the web server, the nightly run, and
// the admin tasks (migrations, the demo bank, users, imports and exports).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/relaycrm/relay/internal/db"
	"github.com/relaycrm/relay/internal/logs"
)

// command is one subcommand: its name, a line of help, and what it runs.
type command struct {
	name, usage, help string
	run               func(ctx context.Context, env *env, args []string) error
}

// env is what every subcommand starts from: settings from flags and the
// environment, and the output streams.
type env struct {
	databaseURL string
	addr        string
	// inboxRoot is the directory the feed inbox lives under (the setting
	// import.inbox_dir names a subdirectory); empty: no inbox.
	inboxRoot string
	stdin     io.Reader
	stdout    io.Writer
	stderr    io.Writer
	log       *slog.Logger
}

// open connects to the database named by the settings.
func (e *env) open(ctx context.Context) (*pgxpool.Pool, error) {
	return db.Open(ctx, e.databaseURL)
}

func commands() []command {
	return []command{
		{"serve", "serve [--addr HOST:PORT]", "run the web server and the nightly schedule", runServe},
		{"migrate", "migrate", "apply pending database migrations", runMigrate},
		{"setup", "setup --group CODE --name NAME [--no-nace] [--admin LOGIN --password-stdin]", "start a new install: the banking group, its industries, the first administrator", runSetup},
		{"demo", "demo [--clients N] [--seed S] [--end YYYY-MM] [--if-empty] [--history=false] [--history-only]", "load the demo bank into an empty database, with a year of trigger history", runDemo},
		{"nightly", "nightly [--as-of YYYY-MM] [--full]", "run the nightly chain once and print the counts of each step", runNightly},
		{"import", "import [--group CODE] [--delimiter ,|;] [--decimal-comma[=false]] [--steps] DIR|FILE.zip", "import a core-banking feed from a directory of CSV files (or a zip of them)", runImport},
		{"export", "export triggers|warnings|scores|churn|feed ...", "write open triggers, warnings, every churn score, the churn list (CSV or XLSX) or the whole feed", runExport},
		{"model", "model fit|list|export|import|use ...", "fit, carry and choose the learned churn models", runModel},
		{"backtest", "backtest [--from YYYY-MM --to YYYY-MM] [--bank CODE] [--if-none]", "replay the churn warnings on history and compare both scorers with who left", runBacktest},
		{"effectiveness", "effectiveness --out F.csv [--bank CODE] [--from YYYY-MM] [--to YYYY-MM]", "write what the triggers add: take-up shown against held back, by product and level", runEffectiveness},
		{"token", tokenUsage, "personal access tokens of the API (docs/api.md)", runToken},
		{"user", "user add --login L --role manager|branch_head|risk|admin [--branch CODE] [--name NAME] --password-stdin", "manage users", runUser},
		{"webhook", "webhook add --url URL --events E1,E2 [--description D] | list | enable|disable|delete --id N", "manage the webhook endpoints (docs/webhooks.md)", runWebhook},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	e := &env{
		databaseURL: getenv("RELAY_DATABASE_URL", db.DefaultURL),
		addr:        getenv("RELAY_ADDR", "127.0.0.1:8080"),
		inboxRoot:   getenv("RELAY_INBOX_ROOT", ""),
		stdin:       os.Stdin, stdout: os.Stdout, stderr: os.Stderr,
		// JSON lines, each with the request id of the request it was written
		// in; RELAY_LOG_FORMAT=text for a person at a terminal.
		log: logs.New(os.Stderr, getenv("RELAY_LOG_FORMAT", "json"), slog.LevelInfo),
	}
	if err := run(ctx, e, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "relay:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, e *env, args []string) error {
	global := flag.NewFlagSet("relay", flag.ContinueOnError)
	global.SetOutput(e.stderr)
	global.StringVar(&e.databaseURL, "database-url", e.databaseURL, "PostgreSQL URL (env RELAY_DATABASE_URL)")
	global.StringVar(&e.inboxRoot, "inbox-root", e.inboxRoot, "the directory the feed inbox lives under (env RELAY_INBOX_ROOT; empty: no inbox)")
	global.Usage = func() { usage(e.stderr) }
	if err := global.Parse(args); err != nil {
		return err
	}
	args = global.Args()
	if len(args) == 0 {
		usage(e.stderr)
		return errors.New("no command given")
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, e, args[1:])
		}
	}
	usage(e.stderr)
	return fmt.Errorf("unknown command %q", args[0])
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: relay [--database-url URL] COMMAND [flags]\n\ncommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n            %s\n", c.name, c.help, c.usage)
	}
}

func getenv(key, fallback string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return fallback
}

// newFlags is a flag set for a subcommand that reports errors instead of exiting.
func newFlags(e *env, name string) *flag.FlagSet {
	fs := flag.NewFlagSet("relay "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	return fs
}
