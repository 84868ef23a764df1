package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/relaycrm/relay/internal/clients"
	"github.com/relaycrm/relay/internal/contacts"
	"github.com/relaycrm/relay/internal/db"
	"github.com/relaycrm/relay/internal/metrics"
	"github.com/relaycrm/relay/internal/nightly"
	"github.com/relaycrm/relay/internal/products"
	"github.com/relaycrm/relay/internal/queries"
	"github.com/relaycrm/relay/internal/settings"
	"github.com/relaycrm/relay/internal/users"
	"github.com/relaycrm/relay/internal/web"
	"github.com/relaycrm/relay/internal/webhooks"
	"github.com/relaycrm/relay/seeds"
)

func runServe(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "serve")
	fs.StringVar(&e.addr, "addr", e.addr, "listen address (env RELAY_ADDR)")
	secure := fs.Bool("secure-cookies", getenv("RELAY_SECURE_COOKIES", "") == "1", "mark the session cookie Secure (serving over TLS; env RELAY_SECURE_COOKIES=1)")
	trustProxy := fs.Bool("trust-proxy", getenv("RELAY_TRUST_PROXY", "") == "1", "take client addresses from X-Forwarded-For (env RELAY_TRUST_PROXY=1)")
	metricsAddr := fs.String("metrics-addr", getenv("RELAY_METRICS_ADDR", ""),
		"serve /metrics on this address too, to any client (env RELAY_METRICS_ADDR; default: /metrics on the main address, to this machine only)")
	replicaURL := fs.String("replica-url", getenv("RELAY_REPLICA_URL", ""),
		"PostgreSQL URL of a streaming replica to read pages from, as the application's role (env RELAY_REPLICA_URL; the nightly run and every write stay on the primary)")
	appURL := fs.String("app-database-url", getenv("RELAY_APP_DATABASE_URL", ""),
		"PostgreSQL URL of the role that serves pages (env RELAY_APP_DATABASE_URL; default: the database URL as "+db.AppRole+")")
	if err := fs.Parse(args); err != nil {
		return err
	}
	// The owner's pool migrates, runs the nightly chain and imports; the
	// pages are served as the application's role, which owns no table.
	pool, err := e.open(ctx)
	if err != nil {
		return err
	}
	defer pool.Close()
	if *appURL == "" {
		if *appURL, err = db.AppURL(e.databaseURL); err != nil {
			return err
		}
	}
	app, err := db.Open(ctx, *appURL)
	if err != nil {
		return fmt.Errorf("connect as the application's role (create it with .ci/db-up, or set RELAY_APP_DATABASE_URL): %w", err)
	}
	defer app.Close()
	if err := db.Migrate(ctx, db.SQLDB(pool), e.log); err != nil {
		return err
	}
	g, err := db.Gorm(pool)
	if err != nil {
		return err
	}
	// Every named query is prepared once at start: a broken one stops the
	// server now rather than failing a user later.
	if err := queries.Check(ctx, pool); err != nil {
		return fmt.Errorf("check queries: %w", err)
	}
	m := metrics.New()
	runner := newRunner(pool, g, e.log, e.inboxRoot, m)
	defer runner.Close()
	if err := nightly.Schedule(ctx, runner); err != nil {
		return fmt.Errorf("nightly schedule: %w", err)
	}
	// webhooks: the outbox's worker, on the owner's pool; it finishes the
	// attempt under way when the server stops.
	hooksCtx, stopHooks := context.WithCancel(ctx)
	hooksDone := make(chan struct{})
	go func() { defer close(hooksDone); (&webhooks.Worker{DB: pool, Log: e.log}).Run(hooksCtx) }()
	defer func() { stopHooks(); <-hooksDone }()
	ag, err := db.Gorm(app)
	if err != nil {
		return err
	}
	userStore := users.NewStore(app, ag)
	users.PrepareSignIn()
	m.Gauge("relay_password_hashes_in_flight", "Password hashes being computed now (64 MiB each).",
		func() float64 { n, _ := userStore.Hashing(); return float64(n) })
	m.Gauge("relay_db_connections_in_use", "Connections of the pages' pool in use.",
		func() float64 { return float64(app.Stat().AcquiredConns()) })
	ssoc, err := ssoClient()
	if err != nil {
		return err
	}
	cfg := web.Config{Nightly: runner, Pool: app, Jobs: pool, Metrics: m, SSO: ssoc,
		Users: userStore, Clients: clients.NewStore(app), Contacts: contacts.NewStore(app),
		Settings: settings.NewStore(app, ag), Products: products.NewStore(app, ag), Log: e.log, SecureCookies: *secure, TrustProxy: *trustProxy, InboxRoot: e.inboxRoot,
	}
	handler, err := web.New(ctx, cfg)
	if err != nil {
		return err
	}
	if *replicaURL != "" {
		// Pages are read from the replica; sessions, writes, the nightly run
		// and imports stay on the primary.
		replica, err := db.Open(ctx, *replicaURL)
		if err != nil {
			return fmt.Errorf("connect to the replica: %w", err)
		}
		defer replica.Close()
		rg, err := db.Gorm(replica)
		if err != nil {
			return err
		}
		rcfg := cfg
		rcfg.Pool, rcfg.SessionPool = replica, app
		rcfg.Users, rcfg.Clients, rcfg.Contacts = users.NewStore(replica, rg), clients.NewStore(replica), contacts.NewStore(replica)
		rcfg.Settings, rcfg.Products = settings.NewStore(replica, rg), products.NewStore(replica, rg)
		reads, err := web.New(ctx, rcfg)
		if err != nil {
			return err
		}
		handler = web.Split(handler, reads)
		m.Gauge("relay_replica_connections_in_use", "Connections of the replica's pool in use.",
			func() float64 { return float64(replica.Stat().AcquiredConns()) })
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
	errc := make(chan error, 2)
	go func() { errc <- srv.Serve(ln) }()
	if *metricsAddr != "" {
		mux := http.NewServeMux()
		mux.Handle("/metrics", m.Handler())
		msrv := &http.Server{Addr: *metricsAddr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		go func() { errc <- msrv.ListenAndServe() }()
		defer msrv.Close()
		fmt.Fprintf(e.stdout, "Metrics at http://%s/metrics\n", *metricsAddr)
	}
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
