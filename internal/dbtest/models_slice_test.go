package dbtest

import (
	"context"
	"database/sql"
	"fmt"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
)

// TestNewBuiltKeepsOneTemplateOfAKind: a built template holds what build
// wrote, and a build drops the template of the same kind an earlier build of
// the code left, and nothing else.
func TestNewBuiltKeepsOneTemplateOfAKind(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := NewBuilt(t, "prune-check", func(ctx context.Context, pool *pgxpool.Pool) error {
		_, err := pool.Exec(ctx, `CREATE TABLE built (n int); INSERT INTO built VALUES (42)`)
		return err
	})
	var n int
	if err := pool.QueryRow(ctx, `SELECT n FROM built`).Scan(&n); err != nil || n != 42 {
		t.Fatalf("the built table: %d, %v", n, err)
	}
	s := testServer(t)
	var name string
	if err := pool.QueryRow(ctx, `SELECT current_database()`).Scan(&name); err != nil {
		t.Fatal(err)
	}
	tpl := name[:len(name)-len("_12345678")]
	admin, err := sql.Open("pgx", s.admin.String())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	// an earlier build's template of the same kind, and a template of another kind
	older, other := tpl+"old", tpl+"oth" // names of templates, not of clones (no third underscore)
	for _, db := range []string{older, other} {
		if _, err := admin.ExecContext(ctx, fmt.Sprintf(`CREATE DATABASE %q`, db)); err != nil {
			t.Fatal(err)
		}
		defer func() {
			admin.ExecContext(context.Background(), fmt.Sprintf(`ALTER DATABASE %q IS_TEMPLATE false`, db)) //nolint:errcheck
			admin.ExecContext(context.Background(), fmt.Sprintf(`DROP DATABASE IF EXISTS %q`, db))          //nolint:errcheck
		}()
	}
	for _, stmt := range []string{
		fmt.Sprintf(`DO $$ BEGIN EXECUTE format('COMMENT ON DATABASE %%I IS %%L', %s,
			(SELECT description FROM pg_shdescription c JOIN pg_database d ON d.oid = c.objoid WHERE d.datname = %s)); END $$`,
			quoteLiteral(older), quoteLiteral(tpl)),
		fmt.Sprintf(`COMMENT ON DATABASE %q IS 'relay built template another'`, other),
		fmt.Sprintf(`ALTER DATABASE %q IS_TEMPLATE true`, older),
		fmt.Sprintf(`ALTER DATABASE %q IS_TEMPLATE true`, other),
	} {
		if _, err := admin.ExecContext(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	pruned.Delete(tpl)
	prune(t, s, tpl)
	exists := func(db string) bool {
		var ok bool
		if err := admin.QueryRowContext(ctx, `SELECT EXISTS (SELECT FROM pg_database WHERE datname = $1)`, db).Scan(&ok); err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if exists(older) || !exists(tpl) || !exists(other) || !exists(name) {
		t.Errorf("after the prune: older %v (want gone), the template %v, another kind %v, the test's clone %v (want kept)",
			exists(older), exists(tpl), exists(other), exists(name))
	}
}

// TestTemplateOfAnEarlierServerStartIsBuiltAgain: a template built before the
// server last started may have lost its unlogged tables' rows (a crash
// empties them) or its last commits, so it is built again; one built since
// is used as it is.
func TestTemplateOfAnEarlierServerStartIsBuiltAgain(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	builds := 0
	m := builtMigrator{name: "restart-check", kind: "relay built template restart-check " + t.Name(),
		build: func(ctx context.Context, pool *pgxpool.Pool) error {
			builds++
			_, err := pool.Exec(ctx, `CREATE UNLOGGED TABLE kept (n int); INSERT INTO kept VALUES (7)`)
			return err
		}}
	s := testServer(t)
	name, err := s.templateName(m)
	if err != nil {
		t.Fatal(err)
	}
	admin, err := sql.Open("pgx", s.admin.String())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	drop := func() {
		admin.ExecContext(context.Background(), fmt.Sprintf(`ALTER DATABASE %q IS_TEMPLATE false`, name)) //nolint:errcheck
		admin.ExecContext(context.Background(), fmt.Sprintf(`DROP DATABASE IF EXISTS %q`, name))          //nolint:errcheck
	}
	drop()
	defer drop()
	ensure := func(want int) {
		t.Helper()
		if err := s.ensureTemplate(ctx, admin, name, m); err != nil {
			t.Fatal(err)
		}
		if builds != want {
			t.Fatalf("%d builds, want %d", builds, want)
		}
	}
	ensure(1)
	ensure(1) // built since the server started: used
	if _, err := admin.ExecContext(ctx, fmt.Sprintf(`ALTER DATABASE %q SET %s = '1.5'`, name, serverStartedSetting)); err != nil {
		t.Fatal(err)
	}
	ensure(2) // built under a server that started at another time: built again
	ensure(2)
	pool, err := pgxpool.New(ctx, s.ownerURL(name))
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := pool.QueryRow(ctx, `SELECT n FROM kept`).Scan(&n); err != nil || n != 7 {
		t.Fatalf("the rebuilt template's unlogged row: %d, %v", n, err)
	}
	pool.Close()
}

// TestClonesGoToTheMemoryTablespace: where .ci/db-up made the tablespace in
// memory, a test's database is cloned into it (its template stays on disk);
// RELAY_TEST_TABLESPACE names another.
func TestClonesGoToTheMemoryTablespace(t *testing.T) {
	ctx := context.Background()
	tablespace := func(t *testing.T) string {
		t.Helper()
		pool := New(t)
		var ts string
		if err := pool.QueryRow(ctx, `SELECT t.spcname FROM pg_database d JOIN pg_tablespace t ON t.oid = d.dattablespace
			WHERE d.datname = current_database()`).Scan(&ts); err != nil {
			t.Fatal(err)
		}
		return ts
	}
	t.Run("named", func(t *testing.T) {
		t.Setenv("RELAY_TEST_TABLESPACE", "pg_default")
		if ts := tablespace(t); ts != "pg_default" {
			t.Errorf("with RELAY_TEST_TABLESPACE=pg_default the clone is in %s", ts)
		}
	})
	t.Run("memory", func(t *testing.T) {
		t.Setenv("RELAY_TEST_TABLESPACE", "")
		s := testServer(t)
		admin, err := sql.Open("pgx", s.admin.String())
		if err != nil {
			t.Fatal(err)
		}
		defer admin.Close()
		var location string
		var st syscall.Statfs_t
		if admin.QueryRowContext(ctx, `SELECT pg_tablespace_location(oid) FROM pg_tablespace WHERE spcname = $1`,
			MemoryTablespace).Scan(&location) != nil || syscall.Statfs(location, &st) != nil ||
			st.Bavail*uint64(st.Bsize) < minMemoryFree {
			t.Skipf("the server has no tablespace %s with room (.ci/db-up makes it where /dev/shm is a tmpfs with room)",
				MemoryTablespace)
		}
		if ts := tablespace(t); ts != MemoryTablespace {
			t.Errorf("the clone is in %s, want %s", ts, MemoryTablespace)
		}
	})
}
