// Package dbtest gives each test its own PostgreSQL database, cloned from a
// template that is migrated once per schema version (peterldowns/pgtestdb).
// Tests always run against the real server that `make test` starts.
package dbtest

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	"github.com/peterldowns/pgtestdb"

	"github.com/relaycrm/relay/internal/db"
	"github.com/relaycrm/relay/migrations"
)

// DefaultURL is the server, database and role that own the tests' databases;
// RELAY_TEST_DATABASE_URL overrides it.
const DefaultURL = "postgres://relay:relay@127.0.0.1:5432/relay_test?sslmode=disable"

// DefaultAdminURL is the superuser pgtestdb creates template and test databases
// with (marking a template takes a superuser); RELAY_TEST_ADMIN_URL overrides it.
// .ci/db-up creates this role.
const DefaultAdminURL = "postgres://relay_test_admin:relay_test_admin@127.0.0.1:5432/relay_test?sslmode=disable"

type migrator struct{}

// Hash identifies the schema by the content of every migration file.
func (migrator) Hash() (string, error) { return HashFS(migrations.FS) }

// HashFS fingerprints every file of fsys, names and contents, so that a
// template built from them is rebuilt when any of them changes.
func HashFS(fsys fs.FS) (string, error) {
	h := sha256.New()
	err := fs.WalkDir(fsys, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(fsys, path)
		if err != nil {
			return err
		}
		h.Write([]byte(path))
		h.Write(b)
		return nil
	})
	return hex.EncodeToString(h.Sum(nil)), err
}

func (migrator) Migrate(ctx context.Context, sqlDB *sql.DB, _ pgtestdb.Config) error {
	return db.Migrate(ctx, sqlDB, nil)
}

var appRole struct {
	once sync.Once
	err  error
}

// ensureAppRole creates the application's role (db.AppRole) on the test
// server if it is missing, as .ci/db-up does, so that migrations can grant
// it its rights and web tests can serve as it.
func ensureAppRole(t testing.TB, admin *url.URL) {
	t.Helper()
	appRole.once.Do(func() {
		conn, err := sql.Open("pgx", admin.String())
		if err != nil {
			appRole.err = err
			return
		}
		defer conn.Close()
		_, err = conn.Exec(fmt.Sprintf(`DO $$ BEGIN
			IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '%s') THEN
				CREATE ROLE %s LOGIN PASSWORD '%s' NOSUPERUSER NOCREATEDB NOCREATEROLE;
			END IF;
		EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; -- created meanwhile by another package's tests
		END $$`, db.AppRole, db.AppRole, db.AppRolePassword))
		appRole.err = err
	})
	if appRole.err != nil {
		t.Fatalf("create the role %s: %v", db.AppRole, appRole.err)
	}
}

func parseURL(t testing.TB, env, fallback string) *url.URL {
	t.Helper()
	raw := os.Getenv(env)
	if raw == "" {
		raw = fallback
	}
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("%s: %v", env, err)
	}
	return u
}

func config(t testing.TB) pgtestdb.Config {
	t.Helper()
	admin := parseURL(t, "RELAY_TEST_ADMIN_URL", DefaultAdminURL)
	owner := parseURL(t, "RELAY_TEST_DATABASE_URL", DefaultURL)
	ensureAppRole(t, admin)
	adminPass, _ := admin.User.Password()
	ownerPass, _ := owner.User.Password()
	port := admin.Port()
	if port == "" {
		port = "5432"
	}
	// The test databases belong to the application's own role, so tests see
	// exactly the privileges the application has.
	role := pgtestdb.Role{Username: owner.User.Username(), Password: ownerPass, Capabilities: "NOSUPERUSER CREATEDB"}
	return pgtestdb.Config{
		DriverName: "pgx",
		Host:       admin.Hostname(),
		Port:       port,
		User:       admin.User.Username(),
		Password:   adminPass,
		Database:   admin.Path[1:],
		Options:    "sslmode=disable",
		TestRole:   &role,
	}
}

// namespaced keeps the templates of one checkout apart from another's on the
// same server: pgtestdb names a template by its migrator's hash, and a
// template's content can depend on code its hash does not cover (the demo
// generator's callers, the nightly chain's packages). Two checkouts (or
// worktrees) that set RELAY_TEST_DATABASE_URL to different databases never
// share, build over or clone each other's templates.
type namespaced struct {
	pgtestdb.Migrator
	ns string
}

func (m namespaced) Hash() (string, error) {
	h, err := m.Migrator.Hash()
	return m.ns + "-" + h, err
}

// custom clones a database from m's template, in the namespace of the
// database named by RELAY_TEST_DATABASE_URL.
func custom(t testing.TB, m pgtestdb.Migrator) *pgtestdb.Config {
	t.Helper()
	owner := parseURL(t, "RELAY_TEST_DATABASE_URL", DefaultURL)
	return pgtestdb.Custom(t, config(t), namespaced{Migrator: m, ns: strings.TrimPrefix(owner.Path, "/")})
}

// URL creates a fresh, migrated database for the test and returns its URL. The
// database is dropped when the test passes and kept for inspection when it fails.
func URL(t testing.TB) string {
	t.Helper()
	return custom(t, migrator{}).URL()
}

// New creates a fresh, migrated database for the test and returns a pool on it.
func New(t testing.TB) *pgxpool.Pool {
	t.Helper()
	pool, err := db.Open(context.Background(), URL(t))
	if err != nil {
		t.Fatalf("open test database: %v", err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// AppPool opens a pool on the database of ownerURL (a test database) as the
// application's role, as `relay serve` serves pages: row-level security
// applies to it. It is closed when the test ends.
func AppPool(t testing.TB, ownerURL string) *pgxpool.Pool {
	t.Helper()
	appURL, err := db.AppURL(ownerURL)
	if err != nil {
		t.Fatal(err)
	}
	pool, err := db.Open(context.Background(), appURL)
	if err != nil {
		t.Fatalf("open the test database as %s: %v", db.AppRole, err)
	}
	t.Cleanup(pool.Close)
	return pool
}
