package imports

import (
	"archive/zip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"
)

// ImportDir imports the feed in a directory: its .csv files, named by kind
// (clients.csv, ...). Other files (a READY marker, notes) are ignored.
func ImportDir(ctx context.Context, pool *pgxpool.Pool, dir string, opts Options) (Result, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return Result{Status: Failed, Message: err.Error()}, fmt.Errorf("read feed directory: %w", err)
	}
	var files []File
	for _, e := range entries {
		if e.IsDir() || !strings.EqualFold(filepath.Ext(e.Name()), ".csv") {
			continue
		}
		f, err := os.Open(filepath.Join(dir, e.Name()))
		if err != nil {
			return Result{Status: Failed, Message: err.Error()}, fmt.Errorf("open feed file: %w", err)
		}
		defer f.Close()
		files = append(files, File{Name: e.Name(), Body: f})
	}
	if opts.Origin == "" {
		opts.Origin = dir
	}
	return Import(ctx, pool, files, opts)
}

// ImportZip imports the feed in a zip archive (as an admin uploads it): its
// .csv entries, wherever they are in the archive.
func ImportZip(ctx context.Context, pool *pgxpool.Pool, r io.ReaderAt, size int64, opts Options) (Result, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		// Not a zip at all is a problem with the upload, shown like any other.
		name := filepath.Base(opts.Origin)
		if name == "" || name == "." {
			name = "(upload)"
		}
		return importWith(ctx, pool, nil, opts, []RowError{RowError{File: name}.of(says("notzip", "Error", err.Error()))})
	}
	limits := opts.Limits.withDefaults()
	var files []File
	var problems []RowError
	for _, zf := range zr.File {
		name := zf.Name
		if zf.FileInfo().IsDir() || strings.HasPrefix(name, "__MACOSX/") || strings.HasPrefix(filepath.Base(name), "._") ||
			!strings.EqualFold(filepath.Ext(name), ".csv") {
			continue
		}
		// The sizes a zip declares are checked before a byte is inflated;
		// archive/zip then refuses an entry that inflates beyond its
		// declared size.
		size, packed := zf.UncompressedSize64, zf.CompressedSize64
		switch {
		case size > uint64(limits.EntryBytes):
			problems = append(problems, RowError{File: filepath.Base(name)}.of(
				says("zipentry", "Size", size>>20, "Max", limits.EntryBytes>>20)))
			continue
		case size > 0 && (packed == 0 || size/packed >= uint64(limits.Ratio)):
			problems = append(problems, RowError{File: filepath.Base(name)}.of(
				says("zipbomb", "Packed", packed, "Size", size, "Ratio", limits.Ratio)))
			continue
		}
		rc, err := zf.Open()
		if err != nil {
			return Result{Status: Failed, Message: err.Error()}, fmt.Errorf("open %s in the zip: %w", name, err)
		}
		defer rc.Close()
		files = append(files, File{Name: filepath.Base(name), Body: rc})
	}
	if len(problems) > 0 {
		return importWith(ctx, pool, nil, opts, problems)
	}
	return Import(ctx, pool, files, opts)
}

// The inbox is a directory (under the inbox root fixed at start, the setting
// import.inbox_dir naming a subdirectory of it) where the core
// banking system leaves feeds: each a subdirectory holding the CSV files and,
// written last, an empty file named READY; or a .zip file. The nightly run
// imports them in name order before it scores. A feed being imported is
// moved to processing/, then to processed/ when applied or to rejected/ (with
// ERRORS.txt) when not, so that none is imported twice, even when several
// servers share the inbox.
const (
	readyFile     = "READY"
	processingDir = "processing"
	processedDir  = "processed"
	rejectedDir   = "rejected"
)

// InboxDir is the inbox: the directory the setting import.inbox_dir names
// under root, the inbox root the server was started with (RELAY_INBOX_ROOT),
// or root itself when the setting is empty. An empty root means no inbox
// (""). The setting can never lead out of root: not by "..", not by an
// absolute path, not by a symbolic link.
func InboxDir(ctx context.Context, pool *pgxpool.Pool, root string) (string, error) {
	if root == "" {
		return "", nil
	}
	var sub string
	if err := pool.QueryRow(ctx, queries.Get("inbox-dir")).Scan(&sub); err != nil {
		return "", fmt.Errorf("read setting import.inbox_dir: %w", err)
	}
	sub = strings.TrimSpace(sub)
	if sub != "" && !filepath.IsLocal(sub) {
		return "", fmt.Errorf("inbox: the setting import.inbox_dir %q is not a directory under the inbox root", sub)
	}
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		return "", fmt.Errorf("inbox root: %w", err)
	}
	dir, err := filepath.EvalSymlinks(filepath.Join(realRoot, sub))
	if err != nil {
		return "", fmt.Errorf("inbox: %w", err)
	}
	if rel, err := filepath.Rel(realRoot, dir); err != nil || !filepath.IsLocal(rel) && rel != "." {
		return "", fmt.Errorf("inbox: import.inbox_dir %q leads out of the inbox root %s", sub, root)
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return "", fmt.Errorf("inbox: %s is not a directory", dir)
	}
	return dir, nil
}

// FromInbox imports every ready feed in the inbox (InboxDir under root),
// oldest name first, and returns what each import did. No root, or an empty
// inbox, imports nothing. A rejected feed does not stop the next; a failure
// (the database gone) does, and leaves the feed in the inbox for the next run.
func FromInbox(ctx context.Context, pool *pgxpool.Pool, root string, opts Options) ([]Result, error) {
	dir, err := InboxDir(ctx, pool, root)
	if err != nil || dir == "" {
		return nil, err
	}
	return ImportInbox(ctx, pool, dir, opts)
}

// ImportInbox is FromInbox for a given directory.
func ImportInbox(ctx context.Context, pool *pgxpool.Pool, dir string, opts Options) ([]Result, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read inbox %s: %w", dir, err)
	}
	var ready []string
	for _, e := range entries {
		name := e.Name()
		switch {
		case name == processingDir || name == processedDir || name == rejectedDir || strings.HasPrefix(name, "."):
		case e.IsDir():
			if _, err := os.Stat(filepath.Join(dir, name, readyFile)); err == nil {
				ready = append(ready, name)
			}
		case strings.EqualFold(filepath.Ext(name), ".zip"):
			ready = append(ready, name)
		}
	}
	slices.Sort(ready)
	for _, sub := range []string{processingDir, processedDir, rejectedDir} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return nil, fmt.Errorf("inbox: %w", err)
		}
	}
	var results []Result
	for _, name := range ready {
		claimed := filepath.Join(dir, processingDir, name)
		if err := os.Rename(filepath.Join(dir, name), claimed); err != nil {
			if errors.Is(err, os.ErrNotExist) {
				continue // another server took it
			}
			return results, fmt.Errorf("inbox: claim %s: %w", name, err)
		}
		o := opts
		o.Source, o.Origin = SourceInbox, filepath.Join(dir, name)
		res, err := importClaimed(ctx, pool, claimed, o)
		if err != nil {
			// Back to the inbox: the next run tries again.
			if mvErr := os.Rename(claimed, filepath.Join(dir, name)); mvErr != nil {
				err = errors.Join(err, mvErr)
			}
			return append(results, res), fmt.Errorf("inbox: import %s: %w", name, err)
		}
		results = append(results, res)
		dest := processedDir
		if res.Status != Applied {
			dest = rejectedDir
		}
		target := uniquePath(filepath.Join(dir, dest, name))
		if err := os.Rename(claimed, target); err != nil {
			return results, fmt.Errorf("inbox: file %s: %w", name, err)
		}
		if res.Status != Applied {
			if err := writeErrors(target, res); err != nil {
				return results, err
			}
		}
	}
	return results, nil
}

func importClaimed(ctx context.Context, pool *pgxpool.Pool, path string, opts Options) (Result, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return Result{Status: Failed, Message: err.Error()}, err
	}
	if fi.IsDir() {
		return ImportDir(ctx, pool, path, opts)
	}
	f, err := os.Open(path)
	if err != nil {
		return Result{Status: Failed, Message: err.Error()}, err
	}
	defer f.Close()
	return ImportZip(ctx, pool, f, fi.Size(), opts)
}

// uniquePath adds a number to a name already taken (a feed sent twice).
func uniquePath(p string) string {
	if _, err := os.Lstat(p); errors.Is(err, os.ErrNotExist) {
		return p
	}
	for i := 2; ; i++ {
		q := fmt.Sprintf("%s.%d", p, i)
		if _, err := os.Lstat(q); errors.Is(err, os.ErrNotExist) {
			return q
		}
	}
}

// writeErrors leaves the errors of a rejected feed beside it, for the people
// who send it: ERRORS.txt inside a directory, NAME.errors.txt beside a zip.
func writeErrors(target string, res Result) error {
	path := target + ".errors.txt"
	if fi, err := os.Stat(target); err == nil && fi.IsDir() {
		path = filepath.Join(target, "ERRORS.txt")
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Import %d: %s, %d errors\n", res.ID, res.Status, res.ErrorCount)
	if res.Message != "" {
		fmt.Fprintln(&b, res.Message)
	}
	for _, e := range res.Errors {
		fmt.Fprintln(&b, e.Error())
	}
	if res.ErrorCount > len(res.Errors) {
		fmt.Fprintf(&b, "... and %d more\n", res.ErrorCount-len(res.Errors))
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("inbox: write errors: %w", err)
	}
	return nil
}
