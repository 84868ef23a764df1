package dbtest

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/relaycrm/relay/internal/db"
)

// Step is one template of a chain NewChain builds: Build writes into a copy of
// the template before it (the first step's: the migrated schema's), and Name
// tells the step's template from the test binary's others. A step's template
// is what its Build and every Build before it wrote, so two chains that start
// with the same step share its template (two tests on the same generated
// bank, one of them fitting a model on it, generate and load it once).
type Step struct {
	Name  string
	Build func(ctx context.Context, pool *pgxpool.Pool) error
}

// chainMigrator is the template of the last of steps, built on a copy of the
// template of the steps before it, or of the schema's template for the first
// step: no step migrates, and a step shared by two chains runs once.
type chainMigrator struct {
	steps []Step
	dir   string // the checkout, which a template's kind names
	owner string // the test database and its owner, which a template's kind names
}

func (m chainMigrator) names() string {
	names := make([]string, len(m.steps))
	for i, s := range m.steps {
		names[i] = s.Name
	}
	return strings.Join(names, "+")
}

// Hash names the template by the schema, the steps' names and the test
// binary's content, as builtMigrator's does: each step's Build is code of the
// test binary, so any change to the code builds the chain again.
func (m chainMigrator) Hash() (string, error) { return codeHash("chain", m.names()) }

// kind is what the template holds whatever the code's version, kept as its
// comment so that the next build of it (after a change to the code) drops it.
func (m chainMigrator) kind() string {
	return fmt.Sprintf("relay chain template %s for %s in %s", m.names(), m.owner, m.dir)
}

func (m chainMigrator) Base() template {
	if len(m.steps) == 1 {
		return migrator{}
	}
	return chainMigrator{steps: m.steps[:len(m.steps)-1], dir: m.dir, owner: m.owner}
}

// Build is not used: a chain's template is always built on a copy of its
// base (ensureTemplate calls BuildOn for a derived template).
func (m chainMigrator) Build(context.Context, string) error {
	return fmt.Errorf("chain template %s: built only on a copy of its base", m.names())
}

func (m chainMigrator) BuildOn(ctx context.Context, url string) error {
	pool, err := db.Open(ctx, url)
	if err != nil {
		return err
	}
	defer pool.Close()
	last := m.steps[len(m.steps)-1]
	if err := last.Build(ctx, pool); err != nil {
		return fmt.Errorf("%s: %w", last.Name, err)
	}
	// the clones start with the planner's statistics of what the steps wrote
	if _, err = pool.Exec(ctx, `ANALYZE`); err != nil {
		return err
	}
	_, err = pool.Exec(ctx, fmt.Sprintf(`DO $$ BEGIN EXECUTE format('COMMENT ON DATABASE %%I IS %%L', current_database(), %s); END $$`,
		quoteLiteral(m.kind())))
	return err
}

// NewChain returns a pool on a fresh database cloned from the template that
// holds what every step's Build wrote, in order, into a copy of the migrated
// schema's template. It is NewBuilt without a migration per template (each
// step starts from a copy, STRATEGY FILE_COPY, of the template before it) and
// with templates shared between chains that start alike: a test that fits a
// model on a generated bank and one that needs the same bank unfitted name
// the same first step, and the bank is generated and loaded once. Each
// template is named by the steps' names and the test binary's content, built
// once per build of the code and kept on the test server; a build drops the
// templates of the same kind that earlier builds of the code left. A step's
// Build must depend on nothing but the code (no clock, no environment), and
// steps of the same name in one test binary must write the same.
func NewChain(t testing.TB, steps ...Step) *pgxpool.Pool {
	t.Helper()
	if len(steps) == 0 {
		t.Fatal("a chain of templates needs a step")
	}
	s := testServer(t)
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	m := chainMigrator{steps: steps, dir: dir, owner: s.owner.Path + " of " + s.owner.User.Username()}
	url := clone(t, m)
	for i := range steps {
		tpl, err := s.templateName(chainMigrator{steps: steps[:i+1], dir: m.dir, owner: m.owner})
		if err != nil {
			t.Fatal(err)
		}
		prune(t, s, tpl)
	}
	pool, err := db.Open(context.Background(), url)
	if err != nil {
		t.Fatalf("open the %s database: %v", m.names(), err)
	}
	t.Cleanup(pool.Close)
	return pool
}
