package nightly

import (
	"context"
	"testing"

	"github.com/relaycrm/relay/internal/dbtest"
)

// TestMergeIn: publishing by difference (nightly_merge_in) leaves a published
// table with exactly the rebuilt copy's rows, writing only the rows whose key
// is gone, whose columns differ (a null against a value among them) or whose
// key is new, and keeps the table itself (its indexes, its other rows' tuples);
// a table whose columns are not the rebuilt copy's is switched in whole.
func TestMergeIn(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := dbtest.New(t)
	for _, s := range []string{
		`CREATE TABLE pub (id bigint PRIMARY KEY, as_of date, n integer, x real[], note text)`,
		`INSERT INTO pub VALUES (1, '2026-11-01', 10, '{1,2}', 'same'), (2, '2026-11-01', 20, '{1,2}', 'changes'),
		                        (3, '2026-11-01', 30, '{1,2}', 'goes'), (4, '2026-11-01', 40, '{1,2}', NULL),
		                        (5, '2026-11-01', 50, '{1,2}', 'array')`,
		`CREATE TABLE pub_new AS SELECT * FROM pub WHERE id <> 3`,
		`UPDATE pub_new SET n = 21 WHERE id = 2`,
		`UPDATE pub_new SET note = 'was null' WHERE id = 4`,
		`UPDATE pub_new SET x = '{1,3}' WHERE id = 5`,
		`INSERT INTO pub_new VALUES (6, '2026-11-01', 60, '{}', 'new')`,
	} {
		if _, err := pool.Exec(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	var oid, ctid1 string
	if err := pool.QueryRow(ctx, `SELECT 'pub'::regclass::oid::text, (SELECT ctid::text FROM pub WHERE id = 1)`).Scan(&oid, &ctid1); err != nil {
		t.Fatal(err)
	}
	var written int64
	if err := pool.QueryRow(ctx, queries.Get("publish.merge"), "pub").Scan(&written); err != nil {
		t.Fatal(err)
	}
	// 3 gone, 2, 4 and 5 changed, 6 new; 1 untouched
	if written != 5 {
		t.Errorf("wrote %d rows, want 5", written)
	}
	var diff int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM (
		(SELECT * FROM pub EXCEPT ALL SELECT 1, '2026-11-01'::date, 10, '{1,2}'::real[], 'same')
		EXCEPT ALL (VALUES (2::bigint, '2026-11-01'::date, 21, '{1,2}'::real[], 'changes'),
		                   (4, '2026-11-01', 40, '{1,2}', 'was null'), (5, '2026-11-01', 50, '{1,3}', 'array'),
		                   (6, '2026-11-01', 60, '{}', 'new'))) d`).Scan(&diff); err != nil {
		t.Fatal(err)
	}
	var n int
	var oidAfter, ctid1After string
	var newGone bool
	if err := pool.QueryRow(ctx, `SELECT count(*), 'pub'::regclass::oid::text, (SELECT ctid::text FROM pub WHERE id = 1),
	                                     to_regclass('pub_new') IS NULL FROM pub`).Scan(&n, &oidAfter, &ctid1After, &newGone); err != nil {
		t.Fatal(err)
	}
	if diff != 0 || n != 5 {
		t.Errorf("pub has %d rows, %d of them not the rebuilt copy's", n, diff)
	}
	if oidAfter != oid || ctid1After != ctid1 || !newGone {
		t.Errorf("pub was replaced (oid %s -> %s) or its unchanged row rewritten (%s -> %s), or pub_new stayed (%v)",
			oid, oidAfter, ctid1, ctid1After, !newGone)
	}

	// columns changed (a release added one): switched in whole
	for _, s := range []string{
		`CREATE TABLE pub_new AS SELECT *, 1 AS extra FROM pub`,
		`ALTER TABLE pub_new ADD CONSTRAINT pub_new_pkey PRIMARY KEY (id)`,
	} {
		if _, err := pool.Exec(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	if err := pool.QueryRow(ctx, queries.Get("publish.merge"), "pub").Scan(&written); err != nil {
		t.Fatal(err)
	}
	var extra int
	if err := pool.QueryRow(ctx, `SELECT count(extra), 'pub'::regclass::oid::text FROM pub`).Scan(&extra, &oidAfter); err != nil {
		t.Fatal(err)
	}
	if written != -1 || extra != 5 || oidAfter == oid {
		t.Errorf("a rebuilt copy with another column: wrote %d (want -1, switched), %d rows with it, oid %s (was %s)",
			written, extra, oidAfter, oid)
	}
}
