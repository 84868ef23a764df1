// Package imports owns the core-banking feed: its format (a directory of CSV
// files, one per kind: the reference files that set a group up on its first
// day, products, branches, managers, clients, holdings, monthly facts and the
// contact history; see docs/import.md), the limits every file keeps, the
// checks every row passes, applying a good feed in one transaction (COPY into
// staging tables, then set-based upserts that touch only rows that differ),
// the progress of an import under way, the inbox the nightly run imports from,
// the templates and the export of the same format, and the record of every
// import.
//
// A feed is all or nothing: every problem is reported with its file, line,
// column and value, and if there is one, nothing is applied.
package imports

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/relaycrm/relay/internal/audit"
	"github.com/relaycrm/relay/internal/db"
	"github.com/relaycrm/relay/internal/metrics"
	"github.com/relaycrm/relay/internal/webhooks"
)

//go:embed *.sql
var sqlFiles embed.FS

// SQL is the package's named queries, for the check at start. Two files
// cannot be prepared there, and the package's tests run every statement of
// them: the statements on the staging tables an import creates, and the feed
// export's COPY statements, which take no parameters (the group is written in).
var SQL = []db.File{
	db.MustLoadFile(sqlFiles, "internal/imports", "queries.sql"),
	db.MustLoadFile(sqlFiles, "internal/imports", "records.sql"),
	{Path: "internal/imports/export.sql", Queries: db.MustLoadQueries(sqlFiles, "export.sql"),
		Unprepared: "its COPY statements take no parameters: the group is written in"},
	{Path: "internal/imports/staging.sql", Queries: db.MustLoadQueries(sqlFiles, "staging.sql"),
		Unprepared: "its statements run on the staging tables an import creates"},
}

var (
	queries = SQL[0].Queries
	records = SQL[1].Queries
	exports = SQL[2].Queries
	staging = SQL[3].Queries
)

// File is one file of a feed: its name (which says its kind, e.g.
// clients.csv) and its content, read once.
type File struct {
	Name string
	Body io.Reader
}

// Source says where an import came from.
type Source string

// The sources of an import.
const (
	SourceCLI    Source = "cli"
	SourceUpload Source = "upload"
	SourceInbox  Source = "inbox"
)

// Status is where an import stands.
type Status string

// The statuses of an import.
const (
	Running  Status = "running"  // under way (or its process died)
	Applied  Status = "applied"  // checked and applied whole
	Rejected Status = "rejected" // the feed has errors; nothing was applied
	Failed   Status = "failed"   // the import could not run (database, files); nothing was applied
)

// Actor is who started an import; zero for the system (the CLI or the
// nightly run).
type Actor struct {
	UserID int64
	Login  string
	IP     string
}

// Options say who imports what, and for which banking group.
type Options struct {
	// Group is the code of the banking group the feed belongs to; empty when
	// the database holds one group.
	Group  string
	Actor  Actor
	Source Source
	// Origin names the feed for the imports list: a directory, an upload.
	Origin string
	// Today is the date after which no date of the feed may lie; zero: today.
	Today time.Time
	// Metrics counts the import and its rows; nil counts nothing.
	Metrics *metrics.Set
	// Location is the time zone of a contact's time that names none; nil:
	// the server's.
	Location *time.Location
	// Limits bound the files; zero fields take DefaultLimits.
	Limits Limits
	// Format says how the files separate values and decimals; the zero
	// value reads it from each file's header.
	Format Format
	// Progress, when set, is told how far the import is every
	// ProgressEvery (it is also recorded for the imports page).
	Progress func(Progress)
}

// FileResult is what an import did with one file.
type FileResult struct {
	Name      string `json:"name"`
	Kind      Kind   `json:"kind"`
	Rows      int64  `json:"rows"`      // data rows, without the header
	Inserted  int64  `json:"inserted"`  // rows new to Relay
	Updated   int64  `json:"updated"`   // rows that changed something
	Unchanged int64  `json:"unchanged"` // rows that were the same already
}

// Result is the outcome of one import, as recorded.
type Result struct {
	ID         int64
	Status     Status
	StartedAt  time.Time
	FinishedAt time.Time
	Files      []FileResult
	// ErrorCount is the number of errors found; Errors holds the first
	// MaxErrors of them, in file order.
	ErrorCount int
	Errors     []RowError
	// Message says why a failed import could not run.
	Message string
	// Steps times the import's steps (reading each file, applying it), for
	// the CLI and the benchmark.
	Steps []Step
}

// Step is one timed step of an import.
type Step struct {
	Name    string
	Elapsed time.Duration
}

// Rows is the number of data rows in the feed's files.
func (r Result) Rows() int64 {
	var n int64
	for _, f := range r.Files {
		n += f.Rows
	}
	return n
}

// Elapsed is how long the import took.
func (r Result) Elapsed() time.Duration { return r.FinishedAt.Sub(r.StartedAt) }

// Import checks the feed in files and, when it holds no error, applies it in
// one transaction. The import is recorded, and written to the audit log,
// whatever its outcome. A feed with errors is not an error of Import: the
// result says Rejected and lists them; err is set only when the import could
// not run at all (the result then says Failed).
func Import(ctx context.Context, pool *pgxpool.Pool, files []File, opts Options) (Result, error) {
	return importWith(ctx, pool, files, opts, nil)
}

// importWith is Import with problems found before the files could be read
// (an upload that is not a zip): they reject the feed like any other error.
func importWith(ctx context.Context, pool *pgxpool.Pool, files []File, opts Options, problems []RowError) (Result, error) {
	res := Result{Status: Running, StartedAt: time.Now()}
	if opts.Source == "" {
		opts.Source = SourceCLI
	}
	id, err := startRecord(ctx, pool, opts)
	if err != nil {
		return res, err
	}
	res.ID = id
	release, err := holdRecord(ctx, pool, id)
	if err != nil {
		return res, err
	}
	defer release()
	im := &importer{pool: pool, opts: opts, today: today(opts.Today), res: &res, mark: time.Now(), track: &tracker{step: "starting"}}
	var runErr error
	for _, p := range problems {
		im.errs.add(p)
	}
	if len(problems) == 0 {
		stop, reported := make(chan struct{}), make(chan struct{})
		go func() {
			defer close(reported)
			im.track.report(context.WithoutCancel(ctx), pool, id, opts.Progress, stop)
		}()
		runErr = im.run(ctx, files, &res)
		close(stop)
		<-reported
	}
	res.FinishedAt = time.Now()
	res.ErrorCount, res.Errors = im.errs.total, im.errs.first
	switch {
	case runErr != nil:
		res.Status, res.Message = Failed, runErr.Error()
	case im.errs.total > 0:
		res.Status = Rejected
	default:
		res.Status = Applied
	}
	// The record and the audit line are written even when the caller has
	// gone (a closed browser tab), so that no import goes unrecorded.
	recCtx := context.WithoutCancel(ctx)
	opts.Metrics.Import(string(opts.Source), string(res.Status), res.Rows())
	if err := finishRecord(recCtx, pool, res); err != nil {
		return res, errors.Join(runErr, err)
	}
	if err := webhooks.EnqueueImportFinished(recCtx, pool, res.ID); err != nil { // webhooks: import.finished
		return res, errors.Join(runErr, err)
	}
	if res.Status != Applied { // an applied import is audited in its own transaction
		if err := audit.Record(recCtx, pool, auditEntry(opts, res)); err != nil {
			return res, errors.Join(runErr, err)
		}
	}
	return res, runErr
}

func today(t time.Time) date {
	if t.IsZero() {
		t = time.Now()
	}
	y, m, d := t.Date()
	return daysFromCivil(y, int(m), d)
}

func auditEntry(opts Options, res Result) audit.Entry {
	files := map[string]int64{}
	for _, f := range res.Files {
		files[f.Name] = f.Rows
	}
	details := map[string]any{"source": string(opts.Source), "origin": opts.Origin, "files": files,
		"status": string(res.Status), "errors": res.ErrorCount}
	if res.Message != "" {
		details["message"] = res.Message
	}
	return audit.Entry{UserID: opts.Actor.UserID, Login: opts.Actor.Login, IP: opts.Actor.IP,
		Action: "import." + string(res.Status), Object: fmt.Sprintf("import:%d", res.ID), Details: details}
}

// importer is one import under way.
type importer struct {
	res   *Result
	mark  time.Time
	pool  *pgxpool.Pool
	opts  Options
	today date
	tx    pgx.Tx
	ref   *refData
	errs  errorList

	group *groupRow // the row of group.csv, when the feed has one

	lastBankCode string
	lastBank     bankRef
	prevClient   int32   // the client of the previous row, -1 at the start of a file
	succ         []int32 // per client, the client of the row that followed it last

	// bulk names the tables that were empty when the import began: they are
	// loaded whole, with their indexes and foreign keys dropped before and
	// built again after (rebuild, by table).
	bulk    map[string]bool
	rebuild map[string][]string

	newMonths []month // months staged as new partitions of monthly_fact
	factRows  int64
	staged    map[Kind]bool

	contactRefColumn int    // where contacts.csv has its ref column, for errors found later
	holdingColumns   [2]int // where holdings.csv has opened_on and closed_on (0: not there)
	clientTaxColumn  int    // where clients.csv has tax_id

	track     *tracker
	fileIndex int // the file being read, for its progress
}

// step records the time since the last step under name.
func (im *importer) step(name string) {
	now := time.Now()
	im.res.Steps = append(im.res.Steps, Step{name, now.Sub(im.mark)})
	im.mark = now
}

func (im *importer) run(ctx context.Context, files []File, res *Result) error {
	byKind := map[Kind]File{}
	for _, f := range files {
		k, ok := kindOfFile(f.Name)
		if !ok {
			im.errs.add(RowError{File: f.Name}.of(says("notfeedfile", "Files", fileNames())))
			continue
		}
		if prev, dup := byKind[k]; dup {
			im.errs.add(RowError{File: f.Name}.of(says("secondfile", "Kind", string(k), "Other", prev.Name)))
			continue
		}
		byKind[k] = f
	}
	if len(files) == 0 {
		im.errs.add(RowError{File: "(feed)"}.of(says("nofile", "Files", fileNames())))
	}
	var names []string
	for _, k := range Kinds {
		if f, ok := byKind[k]; ok {
			res.Files = append(res.Files, FileResult{Name: f.Name, Kind: k})
			names = append(names, f.Name)
		}
	}
	im.track.setFiles(names)
	if im.errs.total > 0 {
		return nil
	}

	conn, err := im.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("acquire a connection: %w", err)
	}
	defer conn.Release()
	tx, err := conn.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }() // a no-op after commit
	im.tx = tx
	if _, err := tx.Exec(ctx, queries.Get("lock")); err != nil {
		return fmt.Errorf("wait for other imports: %w", err)
	}
	if _, err := tx.Exec(ctx, `SET LOCAL maintenance_work_mem = '512MB'; SET LOCAL work_mem = '256MB'`); err != nil {
		return fmt.Errorf("session settings: %w", err)
	}
	groupCode := im.opts.Group
	if f, ok := byKind[Group]; ok {
		im.group = im.readGroup(f, &res.Files[0])
		im.track.checked(0)
		if im.errs.total > 0 {
			return nil
		}
		if groupCode != "" && !strings.EqualFold(groupCode, im.group.code) {
			im.errs.add(RowError{File: f.Name, Line: 2, Column: "code", ColumnNumber: 1, Value: im.group.code}.of(
				says("othergroup", "Group", strings.ToUpper(groupCode))))
			return nil
		}
		groupCode = im.group.code
	}
	if im.ref, err = loadRefs(ctx, tx, im.pool, groupCode, im.group != nil); err != nil {
		var fp feedProblem
		if errors.As(err, &fp) {
			im.errs.add(RowError{File: "(feed)"}.of(problem(fp)))
			return nil
		}
		return err
	}
	if _, err := tx.Exec(ctx, staging.Get("create-staging")); err != nil {
		return fmt.Errorf("create staging tables: %w", err)
	}
	im.bulk = map[string]bool{}
	_, hasClients := byKind[Clients]
	_, hasHoldings := byKind[Holdings]
	_, hasContacts := byKind[Contacts]
	if hasClients || hasHoldings || hasContacts {
		var clientEmpty, holdingEmpty, contactEmpty bool
		if err := tx.QueryRow(ctx, queries.Get("tables-empty")).Scan(&clientEmpty, &holdingEmpty, &contactEmpty); err != nil {
			return fmt.Errorf("check for an initial load: %w", err)
		}
		im.bulk["client"] = hasClients && clientEmpty
		im.bulk["holding"] = hasHoldings && holdingEmpty
		im.bulk["contact"] = hasContacts && contactEmpty
		for _, t := range []string{"client", "holding", "contact"} {
			if im.bulk[t] {
				if err := im.dropForBulk(ctx, t); err != nil {
					return err
				}
			}
		}
	}
	im.staged = map[Kind]bool{}
	im.step("load reference data")
	for i := range res.Files {
		fr := &res.Files[i]
		if fr.Kind == Group {
			continue // read first, to find the group
		}
		im.track.setStep("reading " + fr.Name)
		im.fileIndex = i
		if err := im.readFile(ctx, byKind[fr.Kind], fr); err != nil {
			return err
		}
		im.track.checked(i)
		im.step("read " + fr.Name)
	}
	if im.errs.total > 0 {
		return nil
	}
	im.track.setStep("checking against the database")
	if err := im.checkAgainstDatabase(ctx, res); err != nil || im.errs.total > 0 {
		return err
	}
	im.step("check against the database")
	if err := im.apply(ctx, res); err != nil {
		return err
	}
	if err := audit.Record(ctx, tx, auditEntry(im.opts, Result{ID: res.ID, Status: Applied, Files: res.Files})); err != nil {
		return err
	}
	im.track.setStep("committing")
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	im.step("commit")
	return nil
}

// newReader starts reading one file of the feed.
func (im *importer) newReader(name string, k Kind, body io.Reader) *fileReader {
	r := newFileReader(name, k, body, &im.errs, im.opts.Limits, im.opts.Format)
	if i := im.fileIndex; i < len(im.track.read) {
		r.read, r.bad = &im.track.read[i], &im.track.bad[i]
	}
	return r
}

// readFile checks one file and stages its good rows.
func (im *importer) readFile(ctx context.Context, f File, fr *FileResult) error {
	r := im.newReader(f.Name, fr.Kind, f.Body)
	defer func() { fr.Rows = r.rows }()
	pg := im.tx.Conn().PgConn()
	small := func(read func(context.Context, *fileReader) ([]byte, error), copySQL string) error {
		data, err := read(ctx, r)
		if err != nil || im.errs.total > 0 {
			return err
		}
		if _, err := pg.CopyFrom(ctx, bytesReader(data), staging.Get(copySQL)); err != nil {
			return fmt.Errorf("stage %s: %w", f.Name, err)
		}
		im.staged[fr.Kind] = true
		return nil
	}
	switch fr.Kind {
	case Banks:
		return small(im.readBanks, "copy-bank")
	case Regions:
		return small(func(ctx context.Context, r *fileReader) ([]byte, error) {
			return im.readCodes(ctx, r, im.ref.regions, "region", "region", codePattern)
		}, "copy-region")
	case Industries:
		return small(func(ctx context.Context, r *fileReader) ([]byte, error) {
			return im.readCodes(ctx, r, im.ref.industries, "industry", "industry", industryPattern)
		}, "copy-industry")
	case Products:
		return small(im.readProducts, "copy-product")
	case Branches:
		return small(im.readBranches, "copy-branch")
	case Managers:
		return small(im.readManagers, "copy-manager")
	}
	if !im.ref.clientsRead {
		if err := im.ref.loadClients(ctx, im.tx); err != nil {
			return err
		}
		im.step("load clients")
	}
	switch fr.Kind {
	case Clients:
		cs := startCopy(ctx, pg, staging.Get(bulkName("copy-client", im.bulk["client"])))
		err := im.readClients(ctx, r, cs)
		if _, cerr := cs.finish(); err == nil && cerr != nil {
			err = fmt.Errorf("stage %s: %w", f.Name, cerr)
		}
		im.clientTaxColumn = r.c.taxId.i + 1
		im.staged[Clients] = err == nil
		return err
	case Holdings:
		cs := startCopy(ctx, pg, staging.Get("copy-holding"))
		im.readHoldings(ctx, r, cs)
		if _, err := cs.finish(); err != nil {
			return fmt.Errorf("stage %s: %w", f.Name, err)
		}
		im.staged[Holdings] = true
		return nil
	case Contacts:
		im.contactRefColumn = r.c.ref.i + 1
		cs := startCopy(ctx, pg, staging.Get("copy-contact"))
		im.readContacts(r, cs)
		if _, err := cs.finish(); err != nil {
			return fmt.Errorf("stage %s: %w", f.Name, err)
		}
		im.staged[Contacts] = true
		return nil
	case Facts:
		if _, err := im.tx.Exec(ctx, staging.Get("create-fact-staging")); err != nil {
			return fmt.Errorf("create fact staging: %w", err)
		}
		cs := startCopy(ctx, pg, staging.Get("copy-fact"))
		err := im.readFacts(ctx, r, cs, func(m month) error {
			return cs.pause(func() error {
				// The CHECK spares attaching the month to monthly_fact a scan of
				// its rows to prove they belong there (applyFacts drops it then).
				_, err := im.tx.Exec(ctx, fmt.Sprintf(`
					CREATE TABLE %[1]s PARTITION OF import_fact FOR VALUES FROM ('%[2]s') TO ('%[3]s');
					ALTER TABLE %[1]s ADD CONSTRAINT %[1]s_bounds CHECK (month >= DATE '%[2]s' AND month < DATE '%[3]s')`,
					partitionName(m), m.first(), (m+1).first()))
				if err != nil {
					return fmt.Errorf("stage facts of %s: %w", m, err)
				}
				im.newMonths = append(im.newMonths, m)
				return nil
			})
		})
		n, cerr := cs.finish()
		if err == nil && cerr != nil {
			err = fmt.Errorf("stage %s: %w", f.Name, cerr)
		}
		im.factRows = n
		im.staged[Facts] = err == nil
		return err
	}
	return nil
}

func bulkName(name string, bulk bool) string {
	if bulk {
		return name + "-bulk"
	}
	return name
}

func partitionName(m month) string {
	return fmt.Sprintf("monthly_fact_y%04dm%02d", int(m)/12, int(m)%12+1)
}
