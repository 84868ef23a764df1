package seeds

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/relaycrm/relay/internal/users"
)

// DemoPassword is the password of every demo user.
const DemoPassword = "relay-demo-2026"

// Options say how big a demo bank to make and from which seed.
type Options struct {
	Clients int
	Seed    uint64
	// End is the last month of facts; the demo's "today" is the first day after it.
	End time.Time
	// Months of facts, ending at End.
	Months int
	// Progress, when set, is told how many clients are written so far.
	Progress func(done, total int)
}

// Login is a demo user worth printing.
type Login struct {
	Role, Login, Name, Branch string
}

// Result reports what the load wrote.
type Result struct {
	Rows    map[string]int64
	Total   int64
	Elapsed time.Duration
	Logins  []Login
}

// RowsPerSecond is the load's throughput over every table.
func (r Result) RowsPerSecond() float64 { return float64(r.Total) / r.Elapsed.Seconds() }

// ErrNotEmpty is returned when the database already holds a banking group.
var ErrNotEmpty = errors.New("the database already holds data; the demo bank loads only into an empty database")

// DefaultEnd is the last complete month before now.
func DefaultEnd(now time.Time) time.Time {
	return time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, -1, 0)
}

// bulkTables are the tables whose secondary indexes and foreign keys are
// dropped while the demo loads and rebuilt afterwards from their own
// definitions: building an index once is far cheaper than a million inserts.
var bulkTables = []string{"client", "holding", "contact"}

// Load writes the demo bank into an empty, migrated database, in one
// transaction: it either loads whole or leaves the database as it was.
func Load(ctx context.Context, pool *pgxpool.Pool, o Options) (Result, error) {
	start := time.Now()
	if o.Clients < 1 {
		return Result{}, fmt.Errorf("clients: must be at least 1, got %d", o.Clients)
	}
	if o.Months < 13 || o.Months > 120 {
		return Result{}, fmt.Errorf("months: must be between 13 and 120, got %d", o.Months)
	}
	end := time.Date(o.End.Year(), o.End.Month(), 1, 0, 0, 0, 0, time.UTC)
	p := newPlan(o.Seed, end, o.Months, o.Clients)
	res := Result{Rows: map[string]int64{}}

	conn, err := pool.Acquire(ctx)
	if err != nil {
		return res, fmt.Errorf("acquire: %w", err)
	}
	defer conn.Release()
	tx, err := conn.Begin(ctx)
	if err != nil {
		return res, fmt.Errorf("begin: %w", err)
	}
	defer func() { _ = tx.Rollback(ctx) }() // a no-op after commit

	var busy bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM banking_group) OR EXISTS (SELECT 1 FROM client)`).Scan(&busy); err != nil {
		return res, fmt.Errorf("check empty: %w", err)
	}
	if busy {
		return res, ErrNotEmpty
	}
	if _, err := tx.Exec(ctx, `SET LOCAL maintenance_work_mem = '512MB'; SET LOCAL synchronous_commit = off`); err != nil {
		return res, fmt.Errorf("session settings: %w", err)
	}
	if err := insertReference(ctx, tx, p, res.Rows); err != nil {
		return res, err
	}
	logins, err := insertUsers(ctx, tx, p, o.Clients, res.Rows)
	if err != nil {
		return res, err
	}
	res.Logins = logins

	rebuild, err := dropForBulk(ctx, tx)
	if err != nil {
		return res, err
	}
	for _, m := range p.months {
		if _, err := tx.Exec(ctx, fmt.Sprintf(`CREATE TABLE %s (LIKE monthly_fact INCLUDING DEFAULTS INCLUDING CONSTRAINTS)`,
			partitionName(m))); err != nil {
			return res, fmt.Errorf("create partition for %s: %w", m.Format("2006-01"), err)
		}
	}
	if err := streamClients(ctx, tx, p, o, res.Rows); err != nil {
		return res, err
	}
	for _, m := range p.months {
		if err := attachPartition(ctx, tx, m); err != nil {
			return res, err
		}
	}
	for _, stmt := range rebuild {
		if _, err := tx.Exec(ctx, stmt); err != nil {
			return res, fmt.Errorf("rebuild %q: %w", stmt, err)
		}
	}
	if _, err := tx.Exec(ctx, `
		SELECT setval(pg_get_serial_sequence('client', 'id'), (SELECT max(id) FROM client));
		SELECT setval(pg_get_serial_sequence('contact', 'id'), greatest(1, (SELECT max(id) FROM contact)))`); err != nil {
		return res, fmt.Errorf("sequences: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return res, fmt.Errorf("commit: %w", err)
	}
	// Statistics and the visibility map, so the first pages use index-only scans.
	if _, err := conn.Exec(ctx, `VACUUM (ANALYZE) client, holding, contact, app_user, monthly_fact`); err != nil {
		return res, fmt.Errorf("vacuum: %w", err)
	}
	for _, n := range res.Rows {
		res.Total += n
	}
	res.Elapsed = time.Since(start)
	return res, nil
}

func partitionName(m time.Time) string { return "monthly_fact_" + m.Format("y2006m01") }

func insertReference(ctx context.Context, tx pgx.Tx, p *plan, rows map[string]int64) error {
	batch := &pgx.Batch{}
	batch.Queue(`INSERT INTO banking_group (id, code, name) VALUES (1, $1, $2)`, GroupCode, GroupName)
	regionID := 0
	for bi, b := range Banks {
		batch.Queue(`INSERT INTO bank (id, group_id, code, name, currency, minor_digits) VALUES ($1, 1, $2, $3, $4, 2)`,
			bi+1, b.Code, b.Name, b.Currency)
		for _, r := range b.Regions {
			regionID++
			batch.Queue(`INSERT INTO region (id, group_id, code, name) VALUES ($1, 1, $2, $3)`, regionID, r.Code, r.Name)
		}
	}
	rows["bank"], rows["region"] = int64(len(Banks)), int64(regionID)
	for _, bp := range p.branches {
		r := Banks[bp.bankIdx].Regions[bp.regionIdx]
		batch.Queue(`INSERT INTO branch (id, bank_id, region_id, code, name) VALUES ($1, $2, $3, $4, $5)`,
			bp.id, bp.bankIdx+1, bp.regionID, bp.code, fmt.Sprintf("%s %d", r.Name, bp.number))
	}
	rows["branch"] = int64(len(p.branches))
	for i, ind := range Industries {
		batch.Queue(`INSERT INTO industry (id, group_id, code, name, nace_section) VALUES ($1, 1, $2, $3, $4)`, i+1, ind.Code, ind.Name, ind.Code)
	}
	rows["industry"] = int64(len(Industries))
	for i, ps := range Products {
		batch.Queue(`INSERT INTO product (id, group_id, code, name, family, income_kind, key_product) VALUES ($1, 1, $2, $3, $4, $5, $6)`,
			i+1, ps.Code, ps.Name, ps.Family, ps.Kind, ps.Key)
	}
	rows["product"] = int64(len(Products))
	batch.Queue(`SELECT setval(pg_get_serial_sequence(t, 'id'), m) FROM (VALUES
		('banking_group', 1), ('bank', $1::int), ('region', $2::int), ('branch', $3::int), ('industry', $4::int), ('product', $5::int)) v(t, m)`,
		len(Banks), regionID, len(p.branches), len(Industries), len(Products))
	if err := tx.SendBatch(ctx, batch).Close(); err != nil {
		return fmt.Errorf("reference data: %w", err)
	}
	return nil
}

// insertUsers creates an admin, two risk analysts, a head for every branch and
// about one manager per 150 clients of a branch, and returns one login per role.
func insertUsers(ctx context.Context, tx pgx.Tx, p *plan, clients int, rows map[string]int64) ([]Login, error) {
	perBranch := make([]int, len(p.branches))
	for i := 0; i < clients; i++ {
		perBranch[p.branchOf(p.clientRand(i))]++
	}
	// One hash for every demo user: they share the demo password, and hashing
	// thousands of managers one by one with argon2id would take minutes.
	hash, err := users.HashPassword(DemoPassword)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	id := int64(0)
	add := func(login, name, role string, branch int) {
		id++
		fmt.Fprintf(&buf, "%d\t1\t%s\t%s\t%s\t", id, login, name, role)
		if branch > 0 {
			fmt.Fprintf(&buf, "%d", branch)
		} else {
			buf.WriteString(`\N`)
		}
		fmt.Fprintf(&buf, "\t%s\n", hash)
	}
	logins := []Login{{Role: "admin", Login: "admin", Name: "Ada Admin"}, {Role: "risk", Login: "risk", Name: "Rita Risk"}}
	add("admin", "Ada Admin", "admin", 0)
	add("risk", "Rita Risk", "risk", 0)
	add("risk2", "Radu Risk", "risk", 0)
	p.managers = make([][]int64, len(p.branches))
	for bi, bp := range p.branches {
		names := managerNames[Banks[bp.bankIdx].Code]
		code := strings.ToLower(bp.code)
		head := personName(names, bi*3+1)
		add("head."+code, head, "branch_head", bp.id)
		if bi == 0 {
			logins = append(logins, Login{Role: "branch_head", Login: "head." + code, Name: head, Branch: bp.code})
		}
		n := max(1, (perBranch[bi]+clientsPerManager/2)/clientsPerManager)
		for k := 0; k < n; k++ {
			name := personName(names, bi*7+k*3)
			login := fmt.Sprintf("mgr.%s.%02d", code, k+1)
			add(login, name, "manager", bp.id)
			p.managers[bi] = append(p.managers[bi], id)
			if bi == 0 && k == 0 {
				logins = append(logins, Login{Role: "manager", Login: login, Name: name, Branch: bp.code})
			}
		}
	}
	if _, err := tx.Conn().PgConn().CopyFrom(ctx, &buf,
		`COPY app_user (id, group_id, login, name, role, branch_id, password_hash) FROM STDIN`); err != nil {
		return nil, fmt.Errorf("copy users: %w", err)
	}
	if _, err := tx.Exec(ctx, `SELECT setval(pg_get_serial_sequence('app_user', 'id'), $1)`, id); err != nil {
		return nil, fmt.Errorf("user sequence: %w", err)
	}
	rows["app_user"] = id
	// Order the printed logins: manager, branch head, risk, admin.
	order := map[string]int{"manager": 0, "branch_head": 1, "risk": 2, "admin": 3}
	sorted := make([]Login, len(logins))
	for _, l := range logins {
		sorted[order[l.Role]] = l
	}
	return sorted, nil
}

// personName makes the n-th name of a country's lists: first names and
// surnames are listed so that index i of each goes together (women's and men's
// surnames differ in these countries).
func personName(names [2][]string, n int) string {
	first := names[0][n%len(names[0])]
	last := names[1][(n/len(names[0])+n)%len(names[1])]
	// keep the surname's form for the first name's gender: the lists
	// alternate women (even) and men (odd).
	if (n%len(names[0]))%2 != ((n/len(names[0])+n)%len(names[1]))%2 {
		last = names[1][((n/len(names[0])+n)+1)%len(names[1])]
	}
	return first + " " + last
}

// dropForBulk drops the secondary indexes and foreign keys of bulkTables and
// returns the statements that rebuild them, read from the catalog so that they
// always match the migrations.
func dropForBulk(ctx context.Context, tx pgx.Tx) ([]string, error) {
	rows, err := tx.Query(ctx, `
		SELECT format('ALTER TABLE %I DROP CONSTRAINT %I', c.conrelid::regclass, c.conname),
		       format('ALTER TABLE %I ADD CONSTRAINT %I %s', c.conrelid::regclass, c.conname, pg_get_constraintdef(c.oid)), 2
		FROM pg_constraint c
		WHERE c.contype = 'f' AND c.conrelid = ANY ($1::regclass[])
		UNION ALL
		SELECT format('DROP INDEX %I', i.indexrelid::regclass), pg_get_indexdef(i.indexrelid), 1
		FROM pg_index i
		WHERE i.indrelid = ANY ($1::regclass[])
		  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
		ORDER BY 3, 2`, bulkTables)
	if err != nil {
		return nil, fmt.Errorf("read index definitions: %w", err)
	}
	var drops, rebuild []string
	for rows.Next() {
		var drop, create string
		var phase int
		if err := rows.Scan(&drop, &create, &phase); err != nil {
			return nil, err
		}
		drops = append(drops, drop)
		rebuild = append(rebuild, create)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, d := range drops {
		if _, err := tx.Exec(ctx, d); err != nil {
			return nil, fmt.Errorf("%s: %w", d, err)
		}
	}
	return rebuild, nil
}

// streamClients generates clients in chunks on every core and copies each
// chunk, in order, into the tables.
func streamClients(ctx context.Context, tx pgx.Tx, p *plan, o Options, rows map[string]int64) error {
	const chunkSize = 5000
	workers := max(1, runtime.GOMAXPROCS(0))
	nChunks := (o.Clients + chunkSize - 1) / chunkSize
	// Each chunk gets its own result channel; the writer reads them in order,
	// and the semaphore bounds the chunks held in memory.
	results := make([]chan *chunk, nChunks)
	for k := range results {
		results[k] = make(chan *chunk, 1)
	}
	sem := make(chan struct{}, workers+1)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		for k := 0; k < nChunks; k++ {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			go func(k int) {
				from := k * chunkSize
				results[k] <- p.generate(from, min(from+chunkSize, o.Clients))
			}(k)
		}
	}()
	pg := tx.Conn().PgConn()
	copyIn := func(table, cols string, data []byte) error {
		if len(data) == 0 {
			return nil
		}
		tag, err := pg.CopyFrom(ctx, bytes.NewReader(data), fmt.Sprintf("COPY %s (%s) FROM STDIN", table, cols))
		if err != nil {
			return fmt.Errorf("copy %s: %w", table, err)
		}
		name := table
		if strings.HasPrefix(table, "monthly_fact") {
			name = "monthly_fact"
		}
		rows[name] += tag.RowsAffected()
		return nil
	}
	for k := 0; k < nChunks; k++ {
		var c *chunk
		select {
		case c = <-results[k]:
		case <-ctx.Done():
			return ctx.Err()
		}
		<-sem
		if err := copyIn("client", "id, group_id, bank_id, ref, tax_id, legal_name, branch_id, region_id, industry_id, size_band, since, left_on, manager_id", c.clients); err != nil {
			return err
		}
		if err := copyIn("holding", "client_id, product_id, opened_on, closed_on", c.holdings); err != nil {
			return err
		}
		if err := copyIn("contact", "client_id, user_id, kind, happened_at, outcome, notes, proactive, csat, next_contact_on", c.contacts); err != nil {
			return err
		}
		for mi, m := range p.months {
			if err := copyIn(partitionName(m), "client_id, month, tx_count, turnover, avg_balance, income, product_ids, product_income", c.facts[mi]); err != nil {
				return err
			}
		}
		if o.Progress != nil {
			o.Progress(min((k+1)*chunkSize, o.Clients), o.Clients)
		}
	}
	return nil
}

// attachPartition indexes a loaded month and attaches it to monthly_fact. The
// range check lets PostgreSQL skip scanning the month again to prove it fits.
func attachPartition(ctx context.Context, tx pgx.Tx, m time.Time) error {
	name := partitionName(m)
	next := m.AddDate(0, 1, 0)
	stmt := fmt.Sprintf(`
		ALTER TABLE %[1]s ADD PRIMARY KEY (client_id, month),
		    ADD CONSTRAINT %[1]s_range CHECK (month >= DATE '%[2]s' AND month < DATE '%[3]s');
		ALTER TABLE monthly_fact ATTACH PARTITION %[1]s FOR VALUES FROM ('%[2]s') TO ('%[3]s');
		ALTER TABLE %[1]s DROP CONSTRAINT %[1]s_range`,
		name, m.Format("2006-01-02"), next.Format("2006-01-02"))
	if _, err := tx.Exec(ctx, stmt); err != nil {
		return fmt.Errorf("attach facts of %s: %w", m.Format("2006-01"), err)
	}
	return nil
}

// DemoLogins returns one demo user per role (manager, branch head, risk,
// admin), or none when the database holds no demo group.
func DemoLogins(ctx context.Context, pool *pgxpool.Pool) ([]Login, error) {
	rows, err := pool.Query(ctx, `
		SELECT DISTINCT ON (array_position(ARRAY['manager','branch_head','risk','admin'], u.role))
		       u.role, u.login, u.name, coalesce(br.code, '')
		FROM app_user u
		JOIN banking_group g ON g.id = u.group_id AND g.code = $1
		LEFT JOIN branch br ON br.id = u.branch_id
		WHERE u.active
		ORDER BY array_position(ARRAY['manager','branch_head','risk','admin'], u.role), u.id`, GroupCode)
	if err != nil {
		return nil, fmt.Errorf("demo logins: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[Login])
}
