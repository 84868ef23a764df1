package imports

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/relaycrm/relay/internal/db"
)

// Record is one import as the admins' imports page lists it.
type Record struct {
	ID         int64
	StartedAt  time.Time
	FinishedAt *time.Time // nil while running
	UserID     *int64     // nil for the CLI and the nightly inbox
	Login      string
	Source     Source
	Origin     string
	Status     Status
	Files      []FileResult
	Rows       int64
	ErrorCount int
	Message    string // why a failed import could not run, in English
	// MessageKey is Message as a message id under imports.row, for
	// MessageIn; "" when Message has no words of Relay's own.
	MessageKey string
	// Errors holds the first MaxErrors errors; List leaves it empty, Get fills it.
	Errors []RowError
	// Progress is how far the import got, recorded while it ran.
	Progress Progress
}

// Elapsed is how long the import took; zero while it runs.
func (r Record) Elapsed() time.Duration {
	if r.FinishedAt == nil {
		return 0
	}
	return r.FinishedAt.Sub(r.StartedAt)
}

func startRecord(ctx context.Context, q db.Querier, opts Options) (int64, error) {
	var user *int64
	if opts.Actor.UserID != 0 {
		user = &opts.Actor.UserID
	}
	var id int64
	var at time.Time
	if err := q.QueryRow(ctx, records.Get("start-record"), user, opts.Actor.Login, string(opts.Source), opts.Origin).Scan(&id, &at); err != nil {
		return 0, fmt.Errorf("record import: %w", err)
	}
	return id, nil
}

func finishRecord(ctx context.Context, q db.Querier, res Result) error {
	files := res.Files
	if files == nil {
		files = []FileResult{}
	}
	errs := res.Errors
	if errs == nil {
		errs = []RowError{}
	}
	filesJSON, err := json.Marshal(files)
	if err != nil {
		return fmt.Errorf("record import files: %w", err)
	}
	errsJSON, err := json.Marshal(errs)
	if err != nil {
		return fmt.Errorf("record import errors: %w", err)
	}
	if _, err := q.Exec(ctx, records.Get("finish-record"), res.ID, res.FinishedAt, string(res.Status), filesJSON,
		res.Rows(), res.ErrorCount, errsJSON, res.Message); err != nil {
		return fmt.Errorf("record import %d: %w", res.ID, err)
	}
	return nil
}

// ListFilter narrows and pages the imports list.
type ListFilter struct {
	Status Status // empty: every status
	Limit  int    // 1-500; 0 means 50
	Offset int
}

// List returns imports, newest first, and how many match the filter in all.
func List(ctx context.Context, q db.Querier, f ListFilter) ([]Record, int, error) {
	if f.Limit <= 0 {
		f.Limit = 50
	}
	f.Limit = min(f.Limit, 500)
	f.Offset = max(f.Offset, 0)
	rows, err := q.Query(ctx, records.Get("list-records"), f.Limit, f.Offset, string(f.Status))
	if err != nil {
		return nil, 0, fmt.Errorf("list imports: %w", err)
	}
	var out []Record
	total := 0
	var r Record
	var files, progress []byte
	_, err = pgx.ForEachRow(rows, []any{&r.ID, &r.StartedAt, &r.FinishedAt, &r.UserID, &r.Login, &r.Source, &r.Origin,
		&r.Status, &files, &r.Rows, &r.ErrorCount, &r.Message, &r.MessageKey, &progress, &total}, func() error {
		rec := r
		rec.Files, rec.Progress = nil, Progress{}
		if err := json.Unmarshal(files, &rec.Files); err != nil {
			return fmt.Errorf("import %d files: %w", r.ID, err)
		}
		if err := json.Unmarshal(progress, &rec.Progress); err != nil {
			return fmt.Errorf("import %d progress: %w", r.ID, err)
		}
		out = append(out, rec)
		return nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("list imports: %w", err)
	}
	return out, total, nil
}

// Get returns one import with its errors.
func Get(ctx context.Context, q db.Querier, id int64) (Record, error) {
	var r Record
	var files, errs, progress []byte
	err := q.QueryRow(ctx, records.Get("get-record"), id).Scan(&r.ID, &r.StartedAt, &r.FinishedAt, &r.UserID, &r.Login,
		&r.Source, &r.Origin, &r.Status, &files, &r.Rows, &r.ErrorCount, &r.Message, &r.MessageKey, &errs, &progress)
	if errors.Is(err, pgx.ErrNoRows) {
		return r, fmt.Errorf("import %d: %w", id, db.ErrNotFound)
	}
	if err != nil {
		return r, fmt.Errorf("import %d: %w", id, err)
	}
	if err := json.Unmarshal(files, &r.Files); err != nil {
		return r, fmt.Errorf("import %d files: %w", id, err)
	}
	if err := json.Unmarshal(errs, &r.Errors); err != nil {
		return r, fmt.Errorf("import %d errors: %w", id, err)
	}
	if err := json.Unmarshal(progress, &r.Progress); err != nil {
		return r, fmt.Errorf("import %d progress: %w", id, err)
	}
	return r, nil
}

// recordLock is the class of the advisory lock an import holds while it runs.
const recordLock = 0x72656c69 // "reli"

// holdRecord takes the import id's lock on a connection of its own, held
// until release is called: Reconcile tells a live import from one whose
// process died by it.
func holdRecord(ctx context.Context, pool *pgxpool.Pool, id int64) (release func(), err error) {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("hold import %d: %w", id, err)
	}
	if _, err := conn.Exec(ctx, records.Get("hold-record"), recordLock, id); err != nil {
		conn.Release()
		return nil, fmt.Errorf("hold import %d: %w", id, err)
	}
	return func() {
		if _, err := conn.Exec(context.WithoutCancel(ctx), records.Get("release-record"), recordLock, id); err != nil {
			// The lock must not outlive the import on a pooled connection.
			_ = conn.Conn().Close(context.WithoutCancel(ctx))
		}
		conn.Release()
	}, nil
}

// Reconcile records as failed, and writes to the audit log, every import
// still marked running whose process is gone (killed, or its server
// stopped), and returns how many it found.
func Reconcile(ctx context.Context, pool *pgxpool.Pool) (int, error) {
	n := 0
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, records.Get("reconcile-records"), recordLock)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			n++
		}
		return rows.Err()
	})
	if err != nil {
		return 0, fmt.Errorf("reconcile imports: %w", err)
	}
	return n, nil
}
