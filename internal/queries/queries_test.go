package queries_test

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/relaycrm/relay/internal/dbtest"
	"github.com/relaycrm/relay/internal/queries"
)

// Every .sql file of named queries in the repository is in the list, so that
// none escapes the check at start. (Migrations are applied, not named.)
func TestEverySQLFileIsListed(t *testing.T) {
	t.Parallel()
	listed := map[string]bool{}
	for _, files := range queries.All {
		for _, f := range files {
			if listed[f.Path] {
				t.Errorf("%s is listed twice", f.Path)
			}
			listed[f.Path] = true
		}
	}
	root := filepath.Join("..", "..")
	found := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if rel == "migrations" || (rel != "." && strings.HasPrefix(d.Name(), ".")) || d.Name() == "testdata" {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(rel, ".sql") {
			return nil
		}
		found++
		if !listed[rel] {
			t.Errorf("%s is in no package's SQL, or its package is not in queries.All: it would not be checked at start", rel)
		}
		delete(listed, rel)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for path := range listed {
		if _, err := os.Stat(filepath.Join(root, path)); err != nil {
			t.Errorf("%s is listed but is not a file of the repository", path)
		}
	}
	if found < 20 {
		t.Errorf("found %d .sql files; the walk missed the repository", found)
	}
}

// Every listed query prepares on a freshly migrated database, as at start.
func TestEveryQueryPrepares(t *testing.T) {
	t.Parallel()
	if err := queries.Check(context.Background(), dbtest.New(t)); err != nil {
		t.Fatal(err)
	}
}
