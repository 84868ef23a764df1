package imports

import (
	"context"
	"fmt"
	"math"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
)

// refData is what a feed may refer to, loaded once per import inside its
// transaction and grown with what the feed itself adds. The reference data,
// catalogue, branches and managers are small; clients are kept compactly, in
// a slice found through a clientIndex, so that a million of them fit in a few
// tens of megabytes. What needs every row of a big file (a holding or a
// contact twice, a tax id twice) is checked in SQL on the staged rows.
type refData struct {
	groupID  int16
	newGroup bool // the feed's group.csv creates the group
	banks    map[string]bankRef
	// foreignBanks are the bank codes of other banking groups: bank codes
	// are unique across Relay.
	foreignBanks map[string]bool
	bankCodes    map[int16]string
	regions      map[string]int16
	industries   map[string]int16
	products     map[string]*productRef
	branches     map[string]*branchRef
	branchByID   map[int32]*branchRef
	managers     map[string]*managerRef
	managerIDs   map[int32]*managerRef

	clients     *clientIndex // finds a client of clientList
	clientList  []clientRef
	dbClients   int            // clients of the group in the database
	dbHoldings  bool           // the database holds any holding of the group
	factMonths  map[month]bool // months that have a partition of monthly_fact
	clientsRead bool
	bounds      bounds
}

// bounds are the largest figures a feed may carry (settings import.max_*),
// amounts in major units of the bank's currency; zero means no bound.
type bounds struct {
	turnover, balance, income, txCount int64
}

// inMinor is a bound in major units as minor units of a currency with
// digits decimals (the settings keep it below 10^14, so this cannot overflow).
func inMinor(bound int64, digits int) int64 {
	for range digits {
		bound *= 10
	}
	return bound
}

type bankRef struct {
	id         int16
	digits     int
	currency   string
	hasClients bool // Relay holds clients of the bank
	line       int  // line in banks.csv, 0 when only in the database
	isNew      bool
	bad        bool // its row in banks.csv had errors: rows that refer to it are not reported again
}

// badCode marks, in the region and industry maps, a code whose row in the
// feed had errors: rows that refer to it are not reported again.
const badCode int16 = -1

type productRef struct {
	id    int16
	seq   int // a small number of its own, for keys: the id of a new product is known late
	line  int // line in products.csv, 0 when only in the database
	isNew bool
}

type branchRef struct {
	id       int32
	bankID   int16
	regionID int16
	code     string
	line     int
	isNew    bool
	foreign  bool // a branch of another banking group
	bad      bool // its row in the feed had errors: do not report rows that refer to it
}

type managerRef struct {
	id          int32
	branchID    int32 // after the feed
	dbBranchID  int32 // in the database; 0 for a manager the feed creates
	login       string
	role        string
	line        int
	isNew, bad  bool
	foreign     bool // a user of another banking group
	branchMoved bool
}

// clientRef is what holdings and facts are checked against: the client's
// dates as they will be once the feed is applied.
type clientRef struct {
	ref   string
	id    int64
	bank  int16
	since date
	left  date // noDate while the client is with the bank
	line  int32
	inDB  bool
	bad   bool // its row in clients.csv had errors
	isNew bool
}

// feedProblem is a problem with the feed as a whole, found before any row
// is read: it is reported like a row's error, not as a failure.
type feedProblem problem

func (p feedProblem) Error() string { return problem(p).String() }

// loadRefs reads what the feed may refer to, for the group named groupCode
// (or the only group). newGroup says that the feed's group.csv names the
// group: when Relay does not hold it yet, the feed creates it.
func loadRefs(ctx context.Context, tx pgx.Tx, pool *pgxpool.Pool, groupCode string, newGroup bool) (*refData, error) {
	r := &refData{
		banks: map[string]bankRef{}, foreignBanks: map[string]bool{}, bankCodes: map[int16]string{}, regions: map[string]int16{},
		industries: map[string]int16{}, products: map[string]*productRef{}, branches: map[string]*branchRef{},
		branchByID: map[int32]*branchRef{}, managers: map[string]*managerRef{}, managerIDs: map[int32]*managerRef{},
		clients: newClientIndex(), factMonths: map[month]bool{},
	}
	var ids []int16
	rows, err := tx.Query(ctx, queries.Get("groups"), groupCode)
	if err != nil {
		return nil, fmt.Errorf("find banking group: %w", err)
	}
	ids, err = pgx.CollectRows(rows, pgx.RowTo[int16])
	if err != nil {
		return nil, fmt.Errorf("find banking group: %w", err)
	}
	switch {
	case len(ids) == 0 && newGroup:
		alloc := &idAllocator{pool: pool, table: "banking_group", block: 1}
		id, err := alloc.take(ctx)
		if err != nil {
			return nil, err
		}
		if id > math.MaxInt16 {
			return nil, fmt.Errorf("banking group ids are exhausted")
		}
		ids, r.newGroup = []int16{int16(id)}, true
	case len(ids) == 0 && groupCode != "":
		return nil, feedProblem(says("nosuchgroup", "Code", quoted(groupCode)))
	case len(ids) == 0:
		return nil, feedProblem(says("nogroupyet"))
	case len(ids) > 1:
		return nil, feedProblem(says("severalgroups"))
	}
	r.groupID = ids[0]

	batch := &pgx.Batch{}
	batch.Queue(queries.Get("banks"), r.groupID).Query(func(rows pgx.Rows) error {
		var b bankRef
		var code string
		var foreign bool
		_, err := pgx.ForEachRow(rows, []any{&b.id, &code, &b.digits, &b.currency, &b.hasClients, &foreign}, func() error {
			if foreign {
				r.foreignBanks[code] = true
				return nil
			}
			r.banks[code] = b
			r.bankCodes[b.id] = code
			return nil
		})
		return err
	})
	batch.Queue(queries.Get("regions"), r.groupID).Query(codeMap(r.regions))
	batch.Queue(queries.Get("industries"), r.groupID).Query(codeMap(r.industries))
	batch.Queue(queries.Get("products"), r.groupID).Query(func(rows pgx.Rows) error {
		var id int16
		var code string
		_, err := pgx.ForEachRow(rows, []any{&id, &code}, func() error {
			r.products[code] = &productRef{id: id, seq: len(r.products)}
			return nil
		})
		return err
	})
	batch.Queue(queries.Get("branches"), r.groupID).Query(func(rows pgx.Rows) error {
		var b branchRef
		_, err := pgx.ForEachRow(rows, []any{&b.id, &b.bankID, &b.regionID, &b.code, &b.foreign}, func() error {
			br := b
			r.branches[b.code] = &br
			r.branchByID[b.id] = &br
			return nil
		})
		return err
	})
	batch.Queue(queries.Get("users"), r.groupID).Query(func(rows pgx.Rows) error {
		var id int32
		var login, role string
		var branch *int32
		var foreign bool
		_, err := pgx.ForEachRow(rows, []any{&id, &login, &role, &branch, &foreign}, func() error {
			m := &managerRef{id: id, login: login, role: role, foreign: foreign}
			if branch != nil {
				m.branchID, m.dbBranchID = *branch, *branch
			}
			r.managers[login] = m
			r.managerIDs[id] = m
			return nil
		})
		return err
	})
	batch.Queue(queries.Get("fact-months")).Query(func(rows pgx.Rows) error {
		var m int32
		_, err := pgx.ForEachRow(rows, []any{&m}, func() error {
			r.factMonths[month(m)] = true
			return nil
		})
		return err
	})
	batch.Queue(queries.Get("has-holdings"), r.groupID).QueryRow(func(row pgx.Row) error {
		return row.Scan(&r.dbHoldings)
	})
	batch.Queue(queries.Get("amount-bounds")).Query(func(rows pgx.Rows) error {
		var key string
		var v int64
		_, err := pgx.ForEachRow(rows, []any{&key, &v}, func() error {
			switch key {
			case "import.max_turnover":
				r.bounds.turnover = v
			case "import.max_balance":
				r.bounds.balance = v
			case "import.max_income":
				r.bounds.income = v
			case "import.max_tx_count":
				r.bounds.txCount = v
			}
			return nil
		})
		return err
	})
	if err := tx.SendBatch(ctx, batch).Close(); err != nil {
		return nil, fmt.Errorf("load reference data: %w", err)
	}
	return r, nil
}

func codeMap(m map[string]int16) func(pgx.Rows) error {
	return func(rows pgx.Rows) error {
		var id int16
		var code string
		_, err := pgx.ForEachRow(rows, []any{&id, &code}, func() error {
			m[code] = id
			return nil
		})
		return err
	}
}

// loadClients reads every client of the group: its key, id and dates.
func (r *refData) loadClients(ctx context.Context, tx pgx.Tx) error {
	r.clientsRead = true
	rows, err := tx.Query(ctx, queries.Get("clients"), r.groupID)
	if err != nil {
		return fmt.Errorf("load clients: %w", err)
	}
	defer rows.Close()
	var (
		bank              int16
		ref               string
		id                int64
		sinceRaw, leftRaw pgDate
		scanTarget        = []any{&bank, &ref, &id, &sinceRaw, &leftRaw}
	)
	for rows.Next() {
		if err := rows.Scan(scanTarget...); err != nil {
			return fmt.Errorf("load clients: %w", err)
		}
		c := clientRef{id: id, bank: bank, ref: ref, since: sinceRaw.d, left: leftRaw.d, inDB: true}
		if !leftRaw.valid {
			c.left = noDate
		}
		r.clientList = append(r.clientList, c)
		r.clients.add(r.clientList, int32(len(r.clientList)-1))
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("load clients: %w", err)
	}
	r.dbClients = len(r.clientList)
	return nil
}

// pgDate scans a date column as days since 1970 without building a time.Time.
type pgDate struct {
	d     date
	valid bool
}

// ScanDate implements pgtype.DateScanner.
func (p *pgDate) ScanDate(v pgtype.Date) error {
	if !v.Valid {
		p.valid = false
		return nil
	}
	y, m, d := v.Time.Date()
	p.d, p.valid = daysFromCivil(y, int(m), d), true
	return nil
}

// idAllocator hands out ids from a table's identity sequence, in blocks, on
// a connection of its own: sequences are not transactional, so ids can be
// taken while the import's connection is busy copying. Ids taken by an import
// that is then rejected are simply never used.
type idAllocator struct {
	pool       *pgxpool.Pool
	table      string
	next, last int64 // the block in hand: next to give, last of the block
	block      int
}

func (a *idAllocator) take(ctx context.Context) (int64, error) {
	if a.pool == nil { // checking a feed without a database (the fuzz test)
		a.next++
		return a.next, nil
	}
	if a.next == 0 || a.next > a.last {
		// Most often the block comes back in one piece; when another
		// session took ids meanwhile it does not, and ids are listed.
		var first, last, n int64
		if err := a.pool.QueryRow(ctx, queries.Get("next-id-block"), a.table, a.block).Scan(&first, &last, &n); err != nil {
			return 0, fmt.Errorf("allocate %s ids: %w", a.table, err)
		}
		if last-first+1 != n {
			return 0, fmt.Errorf("allocate %s ids: another session took ids at the same time; try again", a.table)
		}
		a.next, a.last = first, last
		if a.block < 1<<16 {
			a.block *= 4
		}
	}
	id := a.next
	a.next++
	return id, nil
}
