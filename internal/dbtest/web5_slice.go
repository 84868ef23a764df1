package dbtest

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/relaycrm/relay/internal/db"
)

// demoThenMigrator is a demo bank with work done on it (first, as in
// NewDemoAfter) and then more (then), built on a copy of the template of
// the bank after first: a model fitted on a bank after its nightly run, say,
// where the run's template is shared by every test of the bank and the fit
// is done once per build of the code instead of once per test.
type demoThenMigrator struct {
	demoAfterMigrator
	then After
	kind string // what it holds, whatever the code's version (see prune)
}

func (m demoThenMigrator) Hash() (string, error) {
	h, err := m.demoAfterMigrator.Hash()
	return h + "-then-" + m.then.Version, err
}

func (m demoThenMigrator) Base() template { return m.demoAfterMigrator }

func (m demoThenMigrator) BuildOn(ctx context.Context, url string) error {
	pool, err := db.Open(ctx, url)
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := m.then.Do(ctx, pool); err != nil {
		return err
	}
	// the clones start with the planner's statistics of what then wrote
	if _, err = pool.Exec(ctx, `ANALYZE`); err != nil {
		return err
	}
	// the template says what it is, so that the next build of it (after a
	// change to the code) can drop it
	_, err = pool.Exec(ctx, fmt.Sprintf(`DO $$ BEGIN EXECUTE format('COMMENT ON DATABASE %%I IS %%L', current_database(), %s); END $$`,
		quoteLiteral(m.kind)))
	return err
}

// NewDemoAfterThen is NewDemoAfter(t, clients, first) with then done on the
// bank too, in a template of its own built on a copy of first's template.
// then's Version names what it does; where its work depends on more code
// than a package's embedded source can name (a model's fit), use
// ExecutableVersion. The template is built once per Version and kept on the
// test server like the other demo banks' templates; name tells two such
// templates of one test binary apart, and a build drops the templates of
// the same name and checkout that earlier versions of the code left (as
// NewBuilt does), so that a checkout keeps one of each.
func NewDemoAfterThen(t testing.TB, clients int, first After, name string, then After) *pgxpool.Pool {
	t.Helper()
	s := testServer(t)
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	m := demoThenMigrator{demoAfterMigrator{demoMigrator{clients: clients, seed: 1, after: first}}, then,
		fmt.Sprintf("relay demo template of %d clients then %s for %s of %s in %s", clients, name, s.owner.Path, s.owner.User.Username(), dir)}
	pool := newDemo(t, m)
	tpl, err := s.templateName(m)
	if err != nil {
		t.Fatal(err)
	}
	prune(t, s, tpl)
	return pool
}
