package dbtest

import (
	"context"
	"database/sql"
	"fmt"
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
