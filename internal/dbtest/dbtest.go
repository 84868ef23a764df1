// Package dbtest gives each test its own PostgreSQL database, cloned from a
// template that is migrated once per schema version.
// Tests always run against the real server that `make test` starts.
package dbtest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver

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

// template is what a template database holds: Hash names its content (a
// change to it builds a new template), Build puts it into the empty database
// at url.
type template interface {
	Hash() (string, error)
	Build(ctx context.Context, url string) error
}

// derived is a template built on a copy of another (its base): the base's
// template is made sure of first and copied (STRATEGY FILE_COPY), and
// BuildOn adds to the copy. A demo bank with a nightly run in it starts from
// the loaded bank's template instead of loading the bank again.
type derived interface {
	template
	Base() template
	BuildOn(ctx context.Context, url string) error
}

// migrator builds a template that holds Relay's schema and nothing else.
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

func (migrator) Build(ctx context.Context, url string) error {
	sqlDB, err := sql.Open("pgx", url)
	if err != nil {
		return err
	}
	defer sqlDB.Close()
	return db.Migrate(ctx, sqlDB, nil)
}

// migratedPool migrates the database at url and opens a pool on it, for a
// template's build to write into; the caller closes it.
func migratedPool(ctx context.Context, url string) (*pgxpool.Pool, error) {
	if err := (migrator{}).Build(ctx, url); err != nil {
		return nil, err
	}
	return db.Open(ctx, url)
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

// server is where the tests' databases live: the superuser that creates and
// drops them, and the role (RELAY_TEST_DATABASE_URL's) that owns them.
type server struct {
	admin, owner *url.URL
}

func testServer(t testing.TB) server {
	t.Helper()
	admin := parseURL(t, "RELAY_TEST_ADMIN_URL", DefaultAdminURL)
	owner := parseURL(t, "RELAY_TEST_DATABASE_URL", DefaultURL)
	ensureAppRole(t, admin)
	return server{admin: admin, owner: owner}
}

// ownerURL is database on the test server as the owning role.
func (s server) ownerURL(database string) string {
	u := *s.admin
	u.User = s.owner.User
	u.Path = "/" + database
	return u.String()
}

// templates remembers the templates this process has made sure of, so that
// each is looked at once per test binary.
var templates sync.Map // name → *templateOnce

type templateOnce struct {
	once sync.Once
	err  error
}

// templateName names the template of m: a template's content can depend on
// code its hash does not cover (the nightly chain's packages), so the name
// also holds the database of RELAY_TEST_DATABASE_URL, and two checkouts (or
// worktrees) that set it differently never share, build over or clone each
// other's templates on one server.
func (s server) templateName(m template) (string, error) {
	h, err := m.Hash()
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(strings.TrimPrefix(s.owner.Path, "/") + "\x00" + s.owner.User.Username() + "\x00" + h))
	return "relay_tpl_" + hex.EncodeToString(sum[:12]), nil
}

// ensureTemplate builds the template called name unless it exists. Test
// binaries run at once (one per package), so a session-level advisory lock
// on the name makes one build it while the others wait; a template is marked
// datistemplate only once built, and one left half-built by a crash, or
// built before the server last started (serverStartedSetting), is dropped
// and built again.
func (s server) ensureTemplate(ctx context.Context, admin *sql.DB, name string, m template) error {
	conn, err := admin.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	key := int64(binary.BigEndian.Uint64([]byte(name[len(name)-8:])))
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, key); err != nil {
		return fmt.Errorf("lock template %s: %w", name, err)
	}
	defer conn.ExecContext(context.Background(), `SELECT pg_advisory_unlock($1)`, key) // closing the connection unlocks too
	var built bool
	if err := conn.QueryRowContext(ctx, `SELECT EXISTS (SELECT FROM pg_database d JOIN pg_db_role_setting s
		ON s.setdatabase = d.oid AND s.setrole = 0
		WHERE d.datname = $1 AND d.datistemplate AND $2 || extract(epoch FROM pg_postmaster_start_time())::text = ANY (s.setconfig))`,
		name, serverStartedSetting+"=").Scan(&built); err != nil || built {
		return err
	}
	// half-built, or built before the server last started: drop it
	if _, err := conn.ExecContext(ctx, `UPDATE pg_database SET datistemplate = false WHERE datname = $1`, name); err != nil {
		return fmt.Errorf("unmark template %s: %w", name, err)
	}
	if _, err := conn.ExecContext(ctx, fmt.Sprintf(`DROP DATABASE IF EXISTS %q WITH (FORCE)`, name)); err != nil {
		return fmt.Errorf("drop template %s: %w", name, err)
	}
	build, create := m.Build, fmt.Sprintf(`CREATE DATABASE %q OWNER %q`, name, s.owner.User.Username())
	if d, ok := m.(derived); ok {
		base, err := s.sureTemplate(ctx, admin, d.Base())
		if err != nil {
			return err
		}
		build = d.BuildOn
		create = fmt.Sprintf(`CREATE DATABASE %q TEMPLATE %q OWNER %q STRATEGY FILE_COPY`, name, base, s.owner.User.Username())
	}
	if _, err := conn.ExecContext(ctx, create); err != nil {
		return fmt.Errorf("create template %s: %w", name, err)
	}
	if err := commitWithoutWaiting(ctx, conn, name); err != nil {
		return err
	}
	if err := build(ctx, s.ownerURL(name)); err != nil {
		return fmt.Errorf("build template %s: %w", name, err)
	}
	var started string
	if err := conn.QueryRowContext(ctx, `SELECT extract(epoch FROM pg_postmaster_start_time())::text`).Scan(&started); err != nil {
		return err
	}
	if _, err := conn.ExecContext(ctx, fmt.Sprintf(`ALTER DATABASE %q SET %s = '%s'`, name, serverStartedSetting, started)); err != nil {
		return fmt.Errorf("date template %s: %w", name, err)
	}
	_, err = conn.ExecContext(ctx, `UPDATE pg_database SET datistemplate = true WHERE datname = $1`, name)
	return err
}

// serverStartedSetting is a setting of each template database (not copied
// to its clones) holding when the server that built it had started. A
// template is used only while the server runs since then: recovering from a
// crash empties every unlogged table (the nightly run's kept working tables,
// which the quiet-night templates hold) and may lose a template's last
// commits (its builds commit without waiting), so after any restart each
// template is built again on first use.
const serverStartedSetting = "relay_dbtest.server_started"

// sureTemplate makes sure of m's template, once per test binary, and
// returns its name.
func (s server) sureTemplate(ctx context.Context, admin *sql.DB, m template) (string, error) {
	name, err := s.templateName(m)
	if err != nil {
		return "", fmt.Errorf("template: %w", err)
	}
	v, _ := templates.LoadOrStore(name, &templateOnce{})
	once := v.(*templateOnce)
	once.once.Do(func() { once.err = s.ensureTemplate(ctx, admin, name, m) })
	return name, once.err
}

// clone creates a database for the test from m's template (built first when
// missing) and returns its URL. The clone copies the template's files
// (STRATEGY FILE_COPY), several times faster than PostgreSQL 15's default of
// writing every block of it to the WAL. It is dropped when the test passes
// and kept for inspection when it fails.
func clone(t testing.TB, m template) string {
	t.Helper()
	ctx := context.Background()
	s := testServer(t)
	admin, err := sql.Open("pgx", s.admin.String())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	name, err := s.sureTemplate(ctx, admin, m)
	if err != nil {
		t.Fatal(err)
	}
	var suffix [4]byte
	if _, err := rand.Read(suffix[:]); err != nil {
		t.Fatal(err)
	}
	instance := name + "_" + hex.EncodeToString(suffix[:])
	tablespace := ""
	if ts := s.cloneTablespace(ctx, admin); ts != "" {
		tablespace = fmt.Sprintf(" TABLESPACE %q", ts)
	}
	if _, err := admin.ExecContext(ctx, fmt.Sprintf(`CREATE DATABASE %q TEMPLATE %q OWNER %q STRATEGY FILE_COPY%s`,
		instance, name, s.owner.User.Username(), tablespace)); err != nil {
		t.Fatalf("clone %s: %v", name, err)
	}
	if err := commitWithoutWaiting(ctx, admin, instance); err != nil {
		t.Fatal(err)
	}
	u := s.ownerURL(instance)
	t.Logf("test database: %s", u)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("kept the database %s of the failed test", instance)
			return
		}
		admin, err := sql.Open("pgx", s.admin.String())
		if err != nil {
			t.Error(err)
			return
		}
		defer admin.Close()
		if _, err := admin.ExecContext(context.Background(), fmt.Sprintf(`DROP DATABASE IF EXISTS %q WITH (FORCE)`, instance)); err != nil {
			t.Errorf("drop %s: %v", instance, err)
		}
	})
	return u
}

// MemoryTablespace is the tablespace .ci/db-up makes in memory (tmpfs) for
// the tests' clones where the machine has room for one.
const MemoryTablespace = "relay_test_memory"

// minMemoryFree is the room a clone leaves in the memory tablespace: below
// it, clones go to the database's default tablespace (disk).
const minMemoryFree = 2 << 30

var memoryTablespace struct {
	once     sync.Once
	location string // "" when the server has none
}

// cloneTablespace is the tablespace a test's clone goes to: the one
// RELAY_TEST_TABLESPACE names, else MemoryTablespace while it has
// minMemoryFree bytes free, else none (the template's, on disk). A clone
// copies some 900 files; creating and deleting them on a disk file system,
// with the flushes around each clone, cost several times what it costs in
// memory, and a test's database never needs to outlive a reboot. The
// templates stay on disk, where they last.
func (s server) cloneTablespace(ctx context.Context, admin *sql.DB) string {
	if ts := os.Getenv("RELAY_TEST_TABLESPACE"); ts != "" {
		return ts
	}
	memoryTablespace.once.Do(func() {
		_ = admin.QueryRowContext(ctx, `SELECT pg_tablespace_location(oid) FROM pg_tablespace WHERE spcname = $1`,
			MemoryTablespace).Scan(&memoryTablespace.location)
	})
	var st syscall.Statfs_t
	if memoryTablespace.location == "" || syscall.Statfs(memoryTablespace.location, &st) != nil ||
		st.Bavail*uint64(st.Bsize) < minMemoryFree {
		return ""
	}
	return MemoryTablespace
}

// commitWithoutWaiting sets synchronous_commit off for the connections to the
// test database (or template) called name: a commit returns without waiting
// for its WAL to reach the disk. The tests commit thousands of small
// transactions (sign-ins, sessions, contacts, audit rows) and waited for a
// flush at each. It is a setting of these databases only, not of the server:
// a crash of the server could lose a test database's last commits, which no
// one keeps, and never corrupts anything. The tests that restart or replicate
// a server (Cluster) run on clusters of their own with the default.
func commitWithoutWaiting(ctx context.Context, conn interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
}, name string) error {
	if _, err := conn.ExecContext(ctx, fmt.Sprintf(`ALTER DATABASE %q SET synchronous_commit = off`, name)); err != nil {
		return fmt.Errorf("synchronous_commit of %s: %w", name, err)
	}
	return nil
}

// URL creates a fresh, migrated database for the test and returns its URL. The
// database is dropped when the test passes and kept for inspection when it fails.
func URL(t testing.TB) string {
	t.Helper()
	return clone(t, migrator{})
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
