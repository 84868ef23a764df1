package dbtest

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/relaycrm/relay/internal/db"
)

// builtMigrator migrates and then runs build, so that what build writes (a
// generated bank and the models fitted on it, say) is part of the template
// and each test clones it in a moment.
type builtMigrator struct {
	name  string
	kind  string // what it holds, whatever the code's version (see NewBuilt)
	build func(ctx context.Context, pool *pgxpool.Pool) error
}

// Hash names the template by the schema, the name, and the test binary's own
// content: build is code of the test binary (the generator, the fit, the SQL
// it runs, the migrations that set the settings' defaults are all compiled
// into it), so any change to any of it builds a new template, and a template
// is never older than the code that would build it.
func (m builtMigrator) Hash() (string, error) { return codeHash("built", m.name) }

// codeHash names a template of the given kind and name by the schema and the
// test binary's content (executableDigest).
func codeHash(kind, name string) (string, error) {
	schema, err := migrator{}.Hash()
	if err != nil {
		return "", err
	}
	bin, err := executableDigest()
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s-%s-%s-%s", schema[:16], kind, name, bin), nil
}

func (m builtMigrator) Build(ctx context.Context, url string) error {
	pool, err := migratedPool(ctx, url)
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := m.build(ctx, pool); err != nil {
		return fmt.Errorf("%s: %w", m.name, err)
	}
	// the clones start with the planner's statistics of what build wrote
	if _, err = pool.Exec(ctx, `ANALYZE`); err != nil {
		return err
	}
	// the template says what it is, so that the next build of it (after a
	// change to the code) can drop it
	_, err = pool.Exec(ctx, fmt.Sprintf(`DO $$ BEGIN EXECUTE format('COMMENT ON DATABASE %%I IS %%L', current_database(), %s); END $$`,
		quoteLiteral(m.kind)))
	return err
}

func quoteLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

var pruned sync.Map // template name → struct{}

// prune drops the templates of the same kind as the template called name
// built by earlier versions of the code, once per test binary, so that a
// checkout keeps one of each (a change to the code would otherwise leave one
// behind each time, 40-60 MB each). A template another binary clones at that
// moment is left (DROP waits for no one); one that binary finds no longer
// marked a template is built again by it.
func prune(t testing.TB, s server, name string) {
	t.Helper()
	if _, done := pruned.LoadOrStore(name, struct{}{}); done {
		return
	}
	ctx := context.Background()
	admin, err := sql.Open("pgx", s.admin.String())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	rows, err := admin.QueryContext(ctx, `SELECT d.datname FROM pg_database d
		JOIN pg_shdescription c ON c.objoid = d.oid AND c.classoid = 'pg_database'::regclass
		WHERE c.description = (SELECT description FROM pg_shdescription c2 JOIN pg_database d2 ON d2.oid = c2.objoid
		                       WHERE c2.classoid = 'pg_database'::regclass AND d2.datname = $1)
		  AND d.datname <> $1 AND d.datistemplate AND d.datname LIKE 'relay\_tpl\_%' AND d.datname NOT LIKE '%\_%\_%\_%'`, name)
	if err != nil {
		t.Fatalf("older templates of %s: %v", name, err)
	}
	var old []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		old = append(old, n)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows.Close()
	for _, n := range old {
		if _, err := admin.ExecContext(ctx, fmt.Sprintf(`ALTER DATABASE %q IS_TEMPLATE false`, n)); err != nil {
			t.Logf("older template %s: %v", n, err)
			continue
		}
		if _, err := admin.ExecContext(ctx, fmt.Sprintf(`DROP DATABASE %q`, n)); err != nil {
			t.Logf("older template %s left: %v", n, err)
			continue
		}
		t.Logf("dropped %s, a template of an earlier build of the code", n)
	}
}

// NewBuilt returns a pool on a fresh database holding what build wrote into a
// migrated database. build runs once per template: the template is named by
// name and by the test binary's content (see builtMigrator.Hash), so it is
// built again after any change to the code, and otherwise kept on the test
// server, as the demo banks' templates are. Tests that generate a bank and
// fit a model on it before checking what the fit found use it to do the
// generation and the fit once per build of the code; build must depend on
// nothing but the code (no clock, no environment). name tells two templates
// of one test binary apart.
func NewBuilt(t testing.TB, name string, build func(ctx context.Context, pool *pgxpool.Pool) error) *pgxpool.Pool {
	t.Helper()
	s := testServer(t)
	// the checkout (the package's directory, where go test runs it) and the
	// test database: two checkouts on one server keep their own
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	m := builtMigrator{name: name, build: build,
		kind: fmt.Sprintf("relay built template %s for %s of %s in %s", name, s.owner.Path, s.owner.User.Username(), dir)}
	url := clone(t, m)
	tpl, err := s.templateName(m)
	if err != nil {
		t.Fatal(err)
	}
	prune(t, s, tpl)
	pool, err := db.Open(context.Background(), url)
	if err != nil {
		t.Fatalf("open the %s database: %v", name, err)
	}
	t.Cleanup(pool.Close)
	return pool
}
