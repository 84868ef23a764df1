// Package db owns Relay's connection to PostgreSQL: the pool, the gorm handle
// for simple record work, migrations, named SQL queries checked at start, and
// small helpers for transactions and positional arguments.
package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// DefaultURL is the database Relay uses when RELAY_DATABASE_URL is not set; it
// matches the role and database that `make run` creates.
const DefaultURL = "postgres://relay:relay@127.0.0.1:5432/relay?sslmode=disable"

// ErrNotFound is returned when a record does not exist or is outside what the
// viewer may see; callers cannot tell the two apart, by design.
var ErrNotFound = errors.New("not found")

// Open connects a pool to the database at url and checks that it answers.
func Open(ctx context.Context, url string) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parse database url: %w", err)
	}
	if cfg.MaxConns < 8 {
		cfg.MaxConns = 8
	}
	cfg.MaxConnIdleTime = 5 * time.Minute
	installRowScope(cfg)
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to database: %w", err)
	}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := pool.Ping(pingCtx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("database at %s does not answer: %w", redact(cfg.ConnConfig), err)
	}
	return pool, nil
}

func redact(c *pgx.ConnConfig) string {
	return fmt.Sprintf("%s@%s:%d/%s", c.User, c.Host, c.Port, c.Database)
}

// Gorm wraps the pool in a gorm handle for single-record work. It shares the
// pool's connections.
func Gorm(pool *pgxpool.Pool) (*gorm.DB, error) {
	sqlDB := stdlib.OpenDBFromPool(pool)
	g, err := gorm.Open(postgres.New(postgres.Config{Conn: sqlDB}), &gorm.Config{
		Logger:                 logger.Discard,
		SkipDefaultTransaction: true,
		TranslateError:         true,
	})
	if err != nil {
		return nil, fmt.Errorf("open gorm: %w", err)
	}
	return g, nil
}

// SQLDB gives a database/sql handle over the pool, for libraries that need one.
func SQLDB(pool *pgxpool.Pool) *sql.DB { return stdlib.OpenDBFromPool(pool) }

// InTx runs fn in a transaction, committing when fn returns nil and rolling
// back otherwise.
func InTx(ctx context.Context, pool *pgxpool.Pool, fn func(pgx.Tx) error) error {
	tx, err := pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		if rbErr := tx.Rollback(ctx); rbErr != nil && !errors.Is(rbErr, pgx.ErrTxClosed) {
			return errors.Join(err, fmt.Errorf("rollback: %w", rbErr))
		}
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// IsUniqueViolation tells whether err is PostgreSQL's unique_violation, and on
// which constraint.
func IsUniqueViolation(err error) (string, bool) {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		return pgErr.ConstraintName, true
	}
	return "", false
}

// IsForeignKeyViolation tells whether err is PostgreSQL's
// foreign_key_violation.
func IsForeignKeyViolation(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23503"
}

// IsConstraintViolation tells whether err is any integrity or check violation
// (class 23), and on which constraint.
func IsConstraintViolation(err error) (string, bool) {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && len(pgErr.Code) == 5 && pgErr.Code[:2] == "23" {
		return pgErr.ConstraintName, true
	}
	return "", false
}

// Args collects positional parameters for a query built from optional parts.
type Args struct{ vals []any }

// Add appends v and returns its placeholder, "$n".
func (a *Args) Add(v any) string {
	a.vals = append(a.vals, v)
	return fmt.Sprintf("$%d", len(a.vals))
}

// Values returns the parameters in order.
func (a *Args) Values() []any { return a.vals }

// Execer runs a statement for its effect: what writing the audit log needs.
type Execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// Querier is what both a pool and a transaction can do, so that record code
// can run inside a caller's transaction or on its own.
type Querier interface {
	Execer
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// AppRole is the role `relay serve` connects as to serve pages: it owns no
// table, and its rights come from the migrations. .ci/db-up creates it with
// the password AppRolePassword, for a development machine.
const (
	AppRole         = "relay_app"
	AppRolePassword = "relay_app"
)

// AppURL is ownerURL with the application role and its development password
// in place of the owner: the default of RELAY_APP_DATABASE_URL.
func AppURL(ownerURL string) (string, error) {
	u, err := url.Parse(ownerURL)
	if err != nil {
		return "", fmt.Errorf("parse database url: %w", err)
	}
	u.User = url.UserPassword(AppRole, AppRolePassword)
	return u.String(), nil
}

// ReadOnly runs fn in a read-only transaction of pool: one connection and one
// snapshot for every part of a screen (the read models of cards and pipeline).
func ReadOnly(ctx context.Context, pool *pgxpool.Pool, fn func(q Querier) error) error {
	tx, err := pool.BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly})
	if err != nil {
		return fmt.Errorf("begin read: %w", err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit(ctx)
}
