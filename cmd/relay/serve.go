package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/relaycrm/relay/internal/clients"
	"github.com/relaycrm/relay/internal/contacts"
	"github.com/relaycrm/relay/internal/db"
	"github.com/relaycrm/relay/internal/exports"
	"github.com/relaycrm/relay/internal/imports"
	"github.com/relaycrm/relay/internal/nightly"
	"github.com/relaycrm/relay/internal/products"
	"github.com/relaycrm/relay/internal/reference"
	"github.com/relaycrm/relay/internal/segments"
	"github.com/relaycrm/relay/internal/settings"
	"github.com/relaycrm/relay/internal/triggers"
	"github.com/relaycrm/relay/internal/users"
	"github.com/relaycrm/relay/internal/warnings"
	"github.com/relaycrm/relay/internal/web"
	"github.com/relaycrm/relay/seeds"
)

func runServe(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "serve")
	fs.StringVar(&e.addr, "addr", e.addr, "listen address (env RELAY_ADDR)")
	secure := fs.Bool("secure-cookies", getenv("RELAY_SECURE_COOKIES", "") == "1", "mark the session cookie Secure (serving over TLS; env RELAY_SECURE_COOKIES=1)")
	trustProxy := fs.Bool("trust-proxy", getenv("RELAY_TRUST_PROXY", "") == "1", "take client addresses from X-Forwarded-For (env RELAY_TRUST_PROXY=1)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	pool, err := e.open(ctx)
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := db.Migrate(ctx, db.SQLDB(pool), e.log); err != nil {
		return err
	}
	g, err := db.Gorm(pool)
	if err != nil {
		return err
	}
	clientStore := clients.NewStore(pool)
	// Every named query is prepared once at start: a broken one stops the
	// server now rather than failing a user later.
	if err := clientStore.Check(ctx); err != nil {
		return fmt.Errorf("check queries: %w", err)
	}
	if err := imports.Check(ctx, pool); err != nil {
		return fmt.Errorf("check queries: %w", err)
	}
	for name, check := range map[string]func(context.Context, *pgxpool.Pool) error{
		"segments": segments.Check, "triggers": triggers.Check, "warnings": warnings.Check,
		"nightly": nightly.Check, "exports": exports.CheckNightly, "reassign": clients.CheckReassign,
		"churn export": exports.CheckChurn, "reference": reference.Check,
	} {
		if err := check(ctx, pool); err != nil {
			return fmt.Errorf("check %s queries: %w", name, err)
		}
	}
	runner := newRunner(pool, g, e.log)
	defer runner.Close()
	if err := nightly.Schedule(ctx, runner); err != nil {
		return fmt.Errorf("nightly schedule: %w", err)
	}
	handler, err := web.New(ctx, web.Config{Nightly: runner,
		Pool: pool, Users: users.NewStore(g), Clients: clientStore, Contacts: contacts.NewStore(pool),
		Settings: settings.NewStore(g), Products: products.NewStore(g), Log: e.log, SecureCookies: *secure, TrustProxy: *trustProxy,
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", e.addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", e.addr, err)
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 5 * time.Minute,
		WriteTimeout: 10 * time.Minute, IdleTimeout: 2 * time.Minute}
	fmt.Fprintf(e.stdout, "Relay is serving at http://%s\n", ln.Addr())
	if logins, err := seeds.DemoLogins(ctx, pool); err == nil && len(logins) > 0 {
		fmt.Fprintf(e.stdout, "Demo logins (password %s unless changed):\n", seeds.DemoPassword)
		for _, l := range logins {
			fmt.Fprintf(e.stdout, "  %-12s %-22s %s\n", l.Role, l.Login, l.Name)
		}
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return err
	case <-ctx.Done():
		e.log.Info("shutting down")
		shutCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		return srv.Shutdown(shutCtx)
	}
}
