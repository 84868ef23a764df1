package seeds_test

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/relaycrm/relay/internal/dbtest"
	"github.com/relaycrm/relay/seeds"
)

const testClients = 3000

// determinismClients is the size of the banks the determinism test loads
// three times: every table and every kind of client has rows at this size
// (a generator made to draw one of them differently each time fails it), at a
// third of the cost of testClients.
const determinismClients = 1000

// load loads a bank of size clients with seed into a fresh database. Tests of
// seed 1 and testClients clone it from dbtest.NewDemo's template (the same
// options) instead.
func load(t *testing.T, size int, seed uint64) *pgxpool.Pool {
	t.Helper()
	pool := dbtest.New(t)
	if _, err := seeds.Load(context.Background(), pool, seeds.Options{Clients: size, Seed: seed, End: dbtest.DemoEnd, Months: 36}); err != nil {
		t.Fatalf("load: %v", err)
	}
	return pool
}

// checksums fingerprints every generated table, leaving out what is not
// generated (timestamps of insertion, password salts).
func checksums(t *testing.T, pool *pgxpool.Pool) map[string]string {
	t.Helper()
	queries := map[string]string{
		"client":       `SELECT md5(string_agg(concat_ws(',', id, bank_id, ref, tax_id, legal_name, branch_id, region_id, industry_id, size_band, since, left_on, manager_id), '|' ORDER BY id)) FROM client`,
		"holding":      `SELECT md5(string_agg(concat_ws(',', client_id, product_id, opened_on, closed_on), '|' ORDER BY client_id, product_id, opened_on)) FROM holding`,
		"monthly_fact": `SELECT md5(string_agg(concat_ws(',', client_id, month, tx_count, turnover, avg_balance, income, product_ids, product_income), '|' ORDER BY client_id, month)) FROM monthly_fact`,
		"contact":      `SELECT md5(string_agg(concat_ws(',', client_id, user_id, kind, happened_at, outcome, notes, proactive, csat), '|' ORDER BY id)) FROM contact`,
		"app_user":     `SELECT md5(string_agg(concat_ws(',', id, login, name, role, branch_id), '|' ORDER BY id)) FROM app_user`,
	}
	out := map[string]string{}
	for table, q := range queries {
		var sum string
		if err := pool.QueryRow(context.Background(), q).Scan(&sum); err != nil {
			t.Fatalf("checksum %s: %v", table, err)
		}
		out[table] = sum
	}
	return out
}

func TestDemoIsDeterministicForASeedAndSize(t *testing.T) {
	t.Parallel()
	a, b, c := checksums(t, load(t, determinismClients, 7)), checksums(t, load(t, determinismClients, 7)),
		checksums(t, load(t, determinismClients, 8))
	for table := range a {
		if a[table] != b[table] {
			t.Errorf("%s differs between two loads with the same seed", table)
		}
		if a[table] == c[table] && table != "app_user" {
			t.Errorf("%s is the same for seeds 7 and 8", table)
		}
	}
}

func TestDemoRefusesADatabaseThatHoldsData(t *testing.T) {
	t.Parallel()
	pool := dbtest.NewDemo(t, testClients) // seed 1, cloned: loaded once for the three tests
	before := checksums(t, pool)
	_, err := seeds.Load(context.Background(), pool, seeds.Options{Clients: 10, Seed: 2, End: dbtest.DemoEnd, Months: 36})
	if !errors.Is(err, seeds.ErrNotEmpty) {
		t.Fatalf("second load: want ErrNotEmpty, got %v", err)
	}
	after := checksums(t, pool)
	for table := range before {
		if before[table] != after[table] {
			t.Errorf("%s changed after a refused load", table)
		}
	}
}

func TestDemoHasTheGroupsShape(t *testing.T) {
	t.Parallel()
	pool := dbtest.NewDemo(t, testClients) // seed 1, cloned: loaded once for the three tests
	ctx := context.Background()
	var banks, regions, branches, industries, sections, products, families, managers, heads, risk, admins, clients int
	err := pool.QueryRow(ctx, `SELECT
		(SELECT count(*) FROM bank), (SELECT count(*) FROM region), (SELECT count(*) FROM branch),
		(SELECT count(*) FROM industry), (SELECT count(DISTINCT nace_section) FROM industry),
		(SELECT count(*) FROM product), (SELECT count(DISTINCT family) FROM product),
		(SELECT count(*) FROM app_user WHERE role = 'manager'), (SELECT count(*) FROM app_user WHERE role = 'branch_head'),
		(SELECT count(*) FROM app_user WHERE role = 'risk'), (SELECT count(*) FROM app_user WHERE role = 'admin'),
		(SELECT count(*) FROM client)`).Scan(&banks, &regions, &branches, &industries, &sections, &products, &families,
		&managers, &heads, &risk, &admins, &clients)
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		what      string
		got, want int
		atLeast   bool
	}{
		{"banks", banks, 3, false}, {"regions", regions, 8, true}, {"branches", branches, 25, true},
		{"industries (NACE sections A-U)", sections, 21, false}, {"products", products, 20, true},
		{"product families", families, 12, false}, {"branch heads (one per branch)", heads, branches, false},
		{"risk users", risk, 1, true}, {"admins", admins, 1, true}, {"clients", clients, testClients, false},
	}
	for _, c := range checks {
		if (c.atLeast && c.got < c.want) || (!c.atLeast && c.got != c.want) {
			t.Errorf("%s: got %d, want %d", c.what, c.got, c.want)
		}
	}
	// about one manager per 150 clients (at least one per branch)
	if perManager := float64(clients) / float64(managers); perManager < 60 || perManager > 200 {
		t.Errorf("%.0f clients per manager; want about 150", perManager)
	}
	// every client's manager works in its branch (the schema guarantees it; the
	// generator must not fail it) and every active client holds a current account
	var orphans int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM client c WHERE c.left_on IS NULL AND NOT EXISTS (
		SELECT 1 FROM holding h JOIN product p ON p.id = h.product_id WHERE h.client_id = c.id AND p.code = 'CA-MAIN' AND h.closed_on IS NULL)`).Scan(&orphans); err != nil {
		t.Fatal(err)
	}
	if orphans != 0 {
		t.Errorf("%d active clients have no open current account", orphans)
	}
}

// TestDemoClientsFollowTheLifecycle checks the shapes MISSION.md describes:
// most leavers go after 24-30 months; new clients ramp up; industries prefer
// different products. How leavers behave before they go, each in its own way,
// is TestDemoBehavioursHaveTheirShapes.
func TestDemoClientsFollowTheLifecycle(t *testing.T) {
	t.Parallel()
	pool := dbtest.NewDemo(t, testClients) // seed 1, cloned: loaded once for the three tests
	ctx := context.Background()

	var left, left2430 int
	if err := pool.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE left_on - since BETWEEN 730 AND 913)
		FROM client WHERE left_on IS NOT NULL`).Scan(&left, &left2430); err != nil {
		t.Fatal(err)
	}
	if left < testClients/10 {
		t.Fatalf("only %d of %d clients left", left, testClients)
	}
	if share := float64(left2430) / float64(left); share < 0.5 {
		t.Errorf("%.0f%% of leavers left after 24-30 months; want most", share*100)
	}

	// Ramp-up: clients that arrived within the window earn more in their
	// sixth month than in their first.
	var ramping, arrivals int
	if err := pool.QueryRow(ctx, `
		SELECT count(*) FILTER (WHERE m6.income > m1.income), count(*)
		FROM client c
		JOIN monthly_fact m1 ON m1.client_id = c.id AND m1.month = date_trunc('month', c.since)::date
		JOIN monthly_fact m6 ON m6.client_id = c.id AND m6.month = (date_trunc('month', c.since) + interval '5 months')::date
		WHERE c.left_on IS NULL`).Scan(&ramping, &arrivals); err != nil {
		t.Fatal(err)
	}
	if arrivals < 50 || float64(ramping)/float64(arrivals) < 0.8 {
		t.Errorf("%d of %d new clients earn more in month 6 than month 1; want most", ramping, arrivals)
	}

	// Industries prefer different products: POS acquiring is far commoner in
	// retail trade (G) than in manufacturing (C).
	var retail, manufacturing float64
	if err := pool.QueryRow(ctx, `
		SELECT avg((EXISTS (SELECT 1 FROM holding h JOIN product p ON p.id = h.product_id WHERE h.client_id = c.id AND p.code = 'ACQ-POS'))::int) FILTER (WHERE i.code = 'G'),
		       avg((EXISTS (SELECT 1 FROM holding h JOIN product p ON p.id = h.product_id WHERE h.client_id = c.id AND p.code = 'ACQ-POS'))::int) FILTER (WHERE i.code = 'C')
		FROM client c JOIN industry i ON i.id = c.industry_id`).Scan(&retail, &manufacturing); err != nil {
		t.Fatal(err)
	}
	if retail < 3*manufacturing {
		t.Errorf("POS acquiring held by %.0f%% of retail and %.0f%% of manufacturing clients; want retail far higher", retail*100, manufacturing*100)
	}
}
