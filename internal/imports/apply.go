package imports

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"

	"github.com/jackc/pgx/v5"

	"github.com/relaycrm/relay/internal/summary"
	"github.com/relaycrm/relay/internal/users"
)

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

// checkAgainstDatabase runs the checks that need what Relay holds beyond the
// reference data: open holdings the feed does not mention, and clients left
// behind by a manager who changes branch.
func (im *importer) checkAgainstDatabase(ctx context.Context, res *Result) error {
	name := func(k Kind) string {
		for _, f := range res.Files {
			if f.Kind == k {
				return f.Name
			}
		}
		return k.FileName()
	}
	if im.staged[Clients] {
		if err := im.checkTaxIDs(ctx, name(Clients)); err != nil {
			return err
		}
	}
	if im.staged[Managers] {
		rows, err := im.tx.Query(ctx, staging.Get("check-manager-moves"))
		if err != nil {
			return fmt.Errorf("check managers: %w", err)
		}
		var login, example string
		var n int64
		_, err = pgx.ForEachRow(rows, []any{&login, &n, &example}, func() error {
			m := im.ref.managers[login]
			im.errs.add(RowError{File: name(Managers), Line: m.line, Column: "branch", ColumnNumber: columnNumber(Managers, "branch"),
				Value: im.ref.branchByID[m.branchID].code}.of(says("managermoves", "Login", login, "Count", n, "Example", example)))
			return nil
		})
		if err != nil {
			return fmt.Errorf("check managers: %w", err)
		}
	}
	if im.staged[Contacts] {
		if err := im.checkContacts(ctx, name(Contacts)); err != nil {
			return err
		}
	}
	if im.staged[Holdings] {
		if err := im.checkHoldings(ctx, name(Holdings)); err != nil || im.errs.total > 0 {
			return err // a file at odds with itself is not checked against the database
		}
	}
	if im.staged[Holdings] && im.ref.dbHoldings {
		if _, err := im.tx.Exec(ctx, staging.Get("index-holding-staging")); err != nil {
			return fmt.Errorf("index staged holdings: %w", err)
		}
		rows, err := im.tx.Query(ctx, staging.Get("check-open-holdings"))
		if err != nil {
			return fmt.Errorf("check holdings: %w", err)
		}
		var line int
		var opened string
		_, err = pgx.ForEachRow(rows, []any{&line, &opened}, func() error {
			im.errs.add(RowError{File: name(Holdings), Line: line, Column: "closed_on", ColumnNumber: columnNumber(Holdings, "closed_on")}.of(
				says("openinrelay", "Since", opened)))
			return nil
		})
		if err != nil {
			return fmt.Errorf("check holdings: %w", err)
		}
	}
	return nil
}

// columnNumber is where a column is in the export's layout; for a check that
// runs after the file has been read, the column's place in the file may not
// be known, so the file's own header is preferred where the reader had it.
func columnNumber(k Kind, col string) int {
	for i, c := range columns[k] {
		if c.name == col {
			return i + 1
		}
	}
	return 0
}

// dropForBulk drops the indexes, keys and foreign keys of each empty table
// the feed loads in bulk, keeping the statements that build them again.
func (im *importer) dropForBulk(ctx context.Context, t string) error {
	var drops []string
	rows, err := im.tx.Query(ctx, queries.Get("bulk-indexes"), t)
	if err != nil {
		return fmt.Errorf("read indexes of %s: %w", t, err)
	}
	var drop, create string
	var phase int
	if _, err := pgx.ForEachRow(rows, []any{&drop, &create, &phase}, func() error {
		drops = append(drops, drop)
		if im.rebuild == nil {
			im.rebuild = map[string][]string{}
		}
		im.rebuild[t] = append(im.rebuild[t], create)
		return nil
	}); err != nil {
		return fmt.Errorf("read indexes of %s: %w", t, err)
	}
	for i := len(drops) - 1; i >= 0; i-- {
		if _, err := im.tx.Exec(ctx, drops[i]); err != nil {
			return fmt.Errorf("%s: %w", drops[i], err)
		}
	}
	return nil
}

// apply writes the staged feed into Relay's tables, kind by kind, each with a
// few set-based statements that touch only what differs.
func (im *importer) apply(ctx context.Context, res *Result) error {
	tx := im.tx
	exec := func(name string, args ...any) (int64, error) {
		tag, err := tx.Exec(ctx, staging.Get(name), args...)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", name, err)
		}
		return tag.RowsAffected(), nil
	}
	for i := range res.Files {
		fr := &res.Files[i]
		im.track.setStep("applying " + fr.Name)
		var err error
		if fr.Kind == Clients {
			// A table loaded in bulk gets its keys, indexes and foreign keys
			// back, each built once from all its rows, once the catalogue,
			// branches and managers it refers to are in.
			if err := im.rebuildBulk(ctx, "client"); err != nil {
				return err
			}
		}
		switch fr.Kind {
		case Group:
			g := im.group
			if im.ref.newGroup {
				fr.Inserted, err = exec("insert-group", im.ref.groupID, g.code, g.name)
			} else {
				fr.Updated, err = exec("update-group", im.ref.groupID, g.name)
			}
		case Banks:
			if fr.Inserted, err = exec("insert-banks", im.ref.groupID); err == nil {
				fr.Updated, err = exec("update-banks")
			}
		case Regions:
			if fr.Inserted, err = exec("insert-regions", im.ref.groupID); err == nil {
				fr.Updated, err = exec("update-regions")
			}
		case Industries:
			if fr.Inserted, err = exec("insert-industries", im.ref.groupID); err == nil {
				fr.Updated, err = exec("update-industries")
			}
		case Products:
			if fr.Inserted, err = exec("insert-products", im.ref.groupID); err == nil {
				fr.Updated, err = exec("update-products")
			}
		case Branches:
			if fr.Inserted, err = exec("insert-branches"); err == nil {
				fr.Updated, err = exec("update-branches")
			}
		case Managers:
			err = im.applyManagers(ctx, fr, exec)
		case Clients:
			if im.bulk["client"] {
				fr.Inserted = fr.Rows
				break
			}
			if _, err = tx.Exec(ctx, "ANALYZE import_client"); err != nil {
				return fmt.Errorf("analyze staged clients: %w", err)
			}
			if fr.Inserted, err = exec("insert-clients"); err == nil && im.ref.dbClients > 0 {
				fr.Updated, err = exec("update-clients")
			}
		case Holdings:
			err = im.applyHoldings(ctx, fr, exec)
		case Facts:
			err = im.applyFacts(ctx, fr)
		case Contacts:
			err = im.applyContacts(ctx, fr, exec)
		}
		if err != nil {
			return fmt.Errorf("apply %s: %w", fr.Name, err)
		}
		fr.Unchanged = fr.Rows - fr.Inserted - fr.Updated
		im.track.applied(i, fr.Rows)
		im.step("apply " + fr.Name)
	}
	if im.staged[Clients] || im.staged[Managers] {
		// Warnings follow their clients moved, renamed or given another
		// manager (a manager who changes branch lets clients go).
		if _, err := exec("refresh-warnings"); err != nil {
			return err
		}
		im.step("refresh warnings")
	}
	return nil
}

// rebuildBulk builds again the keys, indexes and foreign keys of tables
// loaded in bulk, in the order the tables are given.
func (im *importer) rebuildBulk(ctx context.Context, tables ...string) error {
	built := false
	for _, t := range tables {
		for _, stmt := range im.rebuild[t] {
			if _, err := im.tx.Exec(ctx, stmt); err != nil {
				return fmt.Errorf("rebuild %q: %w", stmt, err)
			}
			built = true
		}
		delete(im.rebuild, t)
	}
	if built {
		im.step("build indexes of bulk-loaded tables")
	}
	return nil
}

// checkTaxIDs reports a tax id twice in clients.csv, or one Relay holds for
// another client of the bank, on the later line.
func (im *importer) checkTaxIDs(ctx context.Context, name string) error {
	fail := func(line int, tax string, p problem) {
		im.errs.add(RowError{File: name, Line: line, Column: "tax_id", ColumnNumber: im.clientTaxColumn, Value: tax}.of(p))
	}
	twice := func(first int) problem {
		return says("taxtwice", "Line", first)
	}
	if im.bulk["client"] {
		rows, err := im.tx.Query(ctx, staging.Get("check-client-taxes-bulk"))
		if err != nil {
			return fmt.Errorf("check tax ids: %w", err)
		}
		var bank int16
		var ref, tax, firstRef string
		_, err = pgx.ForEachRow(rows, []any{&bank, &ref, &tax, &firstRef}, func() error {
			line, first := im.clientLine(bank, ref), im.clientLine(bank, firstRef)
			fail(line, tax, twice(first))
			return nil
		})
		if err != nil {
			return fmt.Errorf("check tax ids: %w", err)
		}
		return nil
	}
	rows, err := im.tx.Query(ctx, staging.Get("check-client-taxes"))
	if err != nil {
		return fmt.Errorf("check tax ids: %w", err)
	}
	var line, first int
	var bank int16
	var tax string
	_, err = pgx.ForEachRow(rows, []any{&line, &bank, &tax, &first}, func() error {
		if first > 0 {
			fail(line, tax, twice(first))
		} else {
			fail(line, tax, says("taxinrelay", "Bank", im.ref.bankCodes[bank]))
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("check tax ids: %w", err)
	}
	return nil
}

// clientLine is the line of clients.csv a client was read from.
func (im *importer) clientLine(bank int16, ref string) int {
	if i, ok := im.ref.clients.find(im.ref.clientList, bank, ref); ok {
		return int(im.ref.clientList[i].line)
	}
	return 0
}

// checkHoldings reports holdings twice in the file and products left open
// twice for a client, each on the later line.
func (im *importer) checkHoldings(ctx context.Context, name string) error {
	rows, err := im.tx.Query(ctx, staging.Get("check-holding-duplicates"))
	if err != nil {
		return fmt.Errorf("check holdings: %w", err)
	}
	var line, firstKey, firstOpen int
	var open bool
	_, err = pgx.ForEachRow(rows, []any{&line, &firstKey, &firstOpen, &open}, func() error {
		if line != firstKey {
			im.errs.add(RowError{File: name, Line: line, Column: "opened_on", ColumnNumber: im.holdingColumns[0]}.of(
				says("holdingtwice", "Line", firstKey)))
		}
		if open && line != firstOpen {
			im.errs.add(RowError{File: name, Line: line, Column: "closed_on", ColumnNumber: im.holdingColumns[1]}.of(
				says("opentwice", "Line", firstOpen)))
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("check holdings: %w", err)
	}
	return nil
}

func (im *importer) applyContacts(ctx context.Context, fr *FileResult, exec func(string, ...any) (int64, error)) error {
	var err error
	if im.bulk["contact"] {
		if fr.Inserted, err = exec("insert-contacts-all"); err != nil {
			return err
		}
		return im.rebuildBulk(ctx, "contact")
	}
	if _, err := im.tx.Exec(ctx, "ANALYZE import_contact"); err != nil {
		return fmt.Errorf("analyze staged contacts: %w", err)
	}
	if fr.Updated, err = exec("update-contacts"); err != nil {
		return err
	}
	fr.Inserted, err = exec("insert-contacts")
	return err
}

func (im *importer) applyManagers(ctx context.Context, fr *FileResult, exec func(string, ...any) (int64, error)) error {
	hasNew := false
	for _, m := range im.ref.managers {
		if m.isNew && m.line > 0 {
			hasNew = true
			break
		}
	}
	if hasNew {
		// Managers the feed creates get a password nobody knows: they sign
		// in once an administrator has set one for them.
		hash, err := unusablePassword()
		if err != nil {
			return err
		}
		if fr.Inserted, err = exec("insert-managers", im.ref.groupID, hash); err != nil {
			return err
		}
	}
	if _, err := exec("release-moving-managers"); err != nil {
		return err
	}
	var err error
	fr.Updated, err = exec("update-managers")
	return err
}

func unusablePassword() (string, error) {
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return "", fmt.Errorf("random password: %w", err)
	}
	return users.HashPassword(base64.RawStdEncoding.EncodeToString(secret))
}

func (im *importer) applyHoldings(ctx context.Context, fr *FileResult, exec func(string, ...any) (int64, error)) error {
	if !im.ref.dbHoldings {
		var err error
		if fr.Inserted, err = exec("insert-holdings-all"); err != nil {
			return err
		}
		return im.rebuildBulk(ctx, "client", "holding")
	}
	if _, err := im.tx.Exec(ctx, "ANALYZE import_holding"); err != nil {
		return fmt.Errorf("analyze staged holdings: %w", err)
	}
	closed, err := exec("close-holdings")
	if err != nil {
		return err
	}
	reopened, err := exec("reopen-holdings")
	if err != nil {
		return err
	}
	fr.Updated = closed + reopened
	fr.Inserted, err = exec("insert-holdings")
	return err
}

// applyFacts attaches each new month as a partition of monthly_fact, indexed
// after it is loaded (far cheaper than a row at a time), and upserts the rows
// of months that exist.
//
// When the client summary is trusted (internal/summary), it keeps it: the
// rows of the clients of the staged facts are rewritten from their facts
// after they are written, in this transaction, for the windows the next run
// will read, so a failed import leaves the summary as it was. When it is not
// trusted, the next run rebuilds it whole and the import leaves it alone.
func (im *importer) applyFacts(ctx context.Context, fr *FileResult) error {
	tx := im.tx
	keep, err := summary.Trusted(ctx, tx)
	if err != nil {
		return err
	}
	if keep {
		// the import's own writes of monthly_fact keep the summary
		if _, err := tx.Exec(ctx, `SET LOCAL relay.summary_kept = 'on'`); err != nil {
			return fmt.Errorf("summary kept: %w", err)
		}
		if _, err := tx.Exec(ctx, staging.Get("summary-todo")); err != nil {
			return fmt.Errorf("summary clients: %w", err)
		}
	}
	for _, m := range im.newMonths {
		name := partitionName(m)
		stmt := fmt.Sprintf(`
			ALTER TABLE import_fact DETACH PARTITION %[1]s;
			ALTER TABLE monthly_fact ATTACH PARTITION %[1]s FOR VALUES FROM ('%[2]s') TO ('%[3]s');
			ALTER TABLE %[1]s DROP CONSTRAINT %[1]s_bounds`,
			name, m.first(), (m + 1).first())
		if _, err := tx.Exec(ctx, stmt); err != nil {
			return fmt.Errorf("attach facts of %s: %w", m, err)
		}
	}
	var rest int64
	if err := tx.QueryRow(ctx, staging.Get("fact-rows")).Scan(&rest); err != nil {
		return fmt.Errorf("count staged facts: %w", err)
	}
	fr.Inserted = im.factRows - rest
	if rest > 0 {
		if _, err := tx.Exec(ctx, "ANALYZE import_fact_rest"); err != nil {
			return fmt.Errorf("analyze staged facts: %w", err)
		}
		var ins, upd int64
		if err := tx.QueryRow(ctx, staging.Get("upsert-facts")).Scan(&ins, &upd); err != nil {
			return fmt.Errorf("upsert facts: %w", err)
		}
		fr.Inserted += ins
		fr.Updated = upd
	}
	if _, err := tx.Exec(ctx, staging.Get("drop-fact-staging")); err != nil {
		return fmt.Errorf("drop fact staging: %w", err)
	}
	if keep {
		return im.keepSummary(ctx)
	}
	return nil
}

// keepSummary rewrites the summary of the clients of the staged facts
// (client_summary_todo) for the windows of a run as of the latest month with
// the settings of now. A setting the run reads that is unusable fails the run
// anyway, not the import: the summary is then distrusted, and the next run
// that can run rebuilds it.
func (im *importer) keepSummary(ctx context.Context) error {
	tx := im.tx
	var w summary.Windows
	var ok bool
	err := pgx.BeginFunc(ctx, tx, func(sp pgx.Tx) error {
		var err error
		w, ok, err = summary.Latest(ctx, sp)
		return err
	})
	if err != nil || !ok {
		return summary.Distrust(ctx, tx)
	}
	if _, err := summary.Write(ctx, tx, w); err != nil {
		return err
	}
	return summary.Restamp(ctx, tx)
}
