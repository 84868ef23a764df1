package dbtest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/crypto/argon2"

	"github.com/relaycrm/relay/internal/db"
	"github.com/relaycrm/relay/seeds"
)

// DemoEnd is the last month of facts of test demo banks, fixed so that tests
// do not depend on the day they run.
var DemoEnd = time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)

// DemoNow is "today" for tests on a demo bank: a day in the month after DemoEnd.
var DemoNow = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)

// demoMigrator migrates and then loads a demo bank, so that the loaded bank is
// part of the template and each test clones it in a moment.
type demoMigrator struct {
	clients int
	seed    uint64
	after   After // run on the loaded bank, part of the template
}

// After is work done on a freshly loaded demo bank and kept in its template
// (a nightly run, say). Version names what it does, so that a change to it
// builds a new template.
type After struct {
	Version string
	Do      func(ctx context.Context, pool *pgxpool.Pool) error
}

// ExecutableVersion is a digest of the running test binary, for the Version
// of an After whose work depends on more code than a package's embedded
// source can name (a nightly run reads half of Relay's packages): the
// binary holds all of it, the SQL embedded in it too, so a change to any of
// it builds a new template. Go builds the same binary from the same source,
// so runs of unchanged code share the template. The cost: any change to the
// package's tests builds it again too.
func ExecutableVersion(t testing.TB) string {
	t.Helper()
	digest, err := executableDigest()
	if err != nil {
		t.Fatalf("digest of the test binary: %v", err)
	}
	return "bin-" + digest
}

// executableDigest is the first 16 hex digits of the SHA-256 of the running
// test binary, read once per process.
func executableDigest() (string, error) {
	executable.once.Do(func() {
		path, err := os.Executable()
		if err != nil {
			executable.err = err
			return
		}
		f, err := os.Open(path)
		if err != nil {
			executable.err = err
			return
		}
		defer f.Close()
		h := sha256.New()
		if _, err := io.Copy(h, f); err != nil {
			executable.err = fmt.Errorf("hash the test binary: %w", err)
			return
		}
		executable.digest = hex.EncodeToString(h.Sum(nil))[:16]
	})
	return executable.digest, executable.err
}

var executable struct {
	once   sync.Once
	digest string
	err    error
}

func (m demoMigrator) Hash() (string, error) {
	schema, err := migrator{}.Hash()
	if err != nil {
		return "", err
	}
	generator, err := HashFS(seeds.Source)
	return fmt.Sprintf("%s-demo-%s-%d-%d-%s-%s-%s", schema[:16], generator[:16], m.clients, m.seed, DemoEnd.Format("200601"),
		demoPasswordCost, m.after.Version), err
}

// demoPasswordCost is the argon2id cost of the demo users' password in test
// banks: the lowest argon2id allows (one pass over 64 KiB, one lane) instead
// of the production cost (3 passes over 64 MiB, users.HashPassword). A
// sign-in checks the password at the cost its stored hash names, and the web
// tests sign in a few hundred times: at the production cost that was a
// large share of their CPU, spent on nothing they check. Sign-in still checks
// a real argon2id hash with users.CheckPassword; the tests of hashing itself
// (internal/users) and passwords set through the pages keep the production
// cost. It is in the template's hash, so a change to it builds a new template.
const demoPasswordCost = "argon2id-t1-m64-p1"

// cheapDemoHash is seeds.DemoPassword hashed at demoPasswordCost, in the PHC
// format users.CheckPassword reads.
func cheapDemoHash() (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	const passes, memory, lanes = 1, 64, 1
	key := argon2.IDKey([]byte(seeds.DemoPassword), salt, passes, memory, lanes, 32)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, memory, passes, lanes,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

func (m demoMigrator) Build(ctx context.Context, url string) error {
	pool, err := migratedPool(ctx, url)
	if err != nil {
		return err
	}
	defer pool.Close()
	if _, err = seeds.Load(ctx, pool, seeds.Options{Clients: m.clients, Seed: m.seed, End: DemoEnd, Months: 36}); err != nil {
		return err
	}
	hash, err := cheapDemoHash()
	if err != nil {
		return err
	}
	if _, err := pool.Exec(ctx, `UPDATE app_user SET password_hash = $1`, hash); err != nil {
		return fmt.Errorf("demo users' password: %w", err)
	}
	if m.after.Do == nil {
		return nil
	}
	return m.after.Do(ctx, pool)
}

// demoAfterMigrator is a demo bank with work done on it (After), built on a
// copy of the loaded bank's template (its base) rather than by loading the
// bank again: the template of the loaded bank is shared by every kind of
// work done on it, and a test binary that needs both loads the bank once.
type demoAfterMigrator struct{ demoMigrator }

func (m demoAfterMigrator) Base() template {
	return demoMigrator{clients: m.clients, seed: m.seed}
}

func (m demoAfterMigrator) BuildOn(ctx context.Context, url string) error {
	pool, err := db.Open(ctx, url)
	if err != nil {
		return err
	}
	defer pool.Close()
	return m.after.Do(ctx, pool)
}

// NewDemo returns a pool on a fresh database holding a demo bank of the given
// size (seed 1, facts to DemoEnd).
func NewDemo(t testing.TB, clients int) *pgxpool.Pool {
	t.Helper()
	return newDemo(t, demoMigrator{clients: clients, seed: 1})
}

// NewDemoAfter is NewDemo with after done on the loaded bank, in the template.
func NewDemoAfter(t testing.TB, clients int, after After) *pgxpool.Pool {
	t.Helper()
	return newDemo(t, demoAfterMigrator{demoMigrator{clients: clients, seed: 1, after: after}})
}

// NewDemoWithBehaviours is NewDemo with the generator's ground truth beside
// the bank: the table demo_behaviour (client_id, behaviour, leaves) says what
// seeds.Behaviours made each client do, for tests that judge the demo's data
// or Relay's figures kind by kind. A leaver may leave after DemoEnd.
func NewDemoWithBehaviours(t testing.TB, clients int) *pgxpool.Pool {
	t.Helper()
	pool := NewDemo(t, clients)
	AddBehaviours(t, pool, clients)
	return pool
}

// AddBehaviours adds the table demo_behaviour (see NewDemoWithBehaviours) to
// the demo bank of the given size in pool, one from NewDemoAfter say.
func AddBehaviours(t testing.TB, pool *pgxpool.Pool, clients int) {
	t.Helper()
	ctx := context.Background()
	kinds := seeds.Behaviours(seeds.Options{Clients: clients, Seed: 1, End: DemoEnd, Months: 36})
	if _, err := pool.Exec(ctx, `CREATE TABLE demo_behaviour (client_id bigint PRIMARY KEY, behaviour text NOT NULL, leaves boolean NOT NULL)`); err != nil {
		t.Fatalf("demo_behaviour: %v", err)
	}
	rows := make([][]any, len(kinds))
	for i, k := range kinds {
		rows[i] = []any{int64(i + 1), k.String(), k.Leaves()}
	}
	if _, err := pool.CopyFrom(ctx, pgx.Identifier{"demo_behaviour"}, []string{"client_id", "behaviour", "leaves"}, pgx.CopyFromRows(rows)); err != nil {
		t.Fatalf("demo_behaviour: %v", err)
	}
}

func newDemo(t testing.TB, m template) *pgxpool.Pool {
	t.Helper()
	pool, err := db.Open(context.Background(), clone(t, m))
	if err != nil {
		t.Fatalf("open demo database: %v", err)
	}
	t.Cleanup(pool.Close)
	return pool
}
