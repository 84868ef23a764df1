package db

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Queries are named SQL statements read from a package's .sql file, where each
// statement follows a line "-- name: some-name". A missing name is a programming
// error and panics, so Check at start catches every broken or absent query.
//
// A file may also hold fragments, each after a line "-- fragment: some-name":
// text that two or more of its statements share (a block of filters, say),
// written in them as {{include:some-name}} and put in place when the file is
// read, so that the statements are stored, checked and planned whole, as if
// written out. A fragment is no statement of its own; one that no statement
// includes, or an include of a fragment the file lacks, is an error.
type Queries map[string]string

var (
	nameLine     = regexp.MustCompile(`^--\s*(name|fragment):\s*([a-z0-9][a-z0-9-]*)\s*$`)
	includeMarks = regexp.MustCompile(`\{\{include:([a-z0-9][a-z0-9-]*)\}\}`)
)

// LoadQueries parses the named statements in file of fsys.
func LoadQueries(fsys fs.FS, file string) (Queries, error) {
	f, err := fsys.Open(file)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", file, err)
	}
	defer f.Close()
	q, fragments := Queries{}, map[string]string{}
	var kind, name string
	var body strings.Builder
	flush := func() error {
		if name == "" {
			return nil
		}
		s := strings.TrimSpace(body.String())
		body.Reset()
		if s == "" {
			return fmt.Errorf("%s: %s %q is empty", file, kind, name)
		}
		into := q
		if kind == "fragment" {
			into = fragments
		}
		if _, dup := into[name]; dup {
			return fmt.Errorf("%s: %s %q is defined twice", file, kind, name)
		}
		into[name] = strings.TrimSuffix(s, ";")
		return nil
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := sc.Text()
		if m := nameLine.FindStringSubmatch(line); m != nil {
			if err := flush(); err != nil {
				return nil, err
			}
			kind, name = m[1], m[2]
			continue
		}
		if name != "" {
			body.WriteString(line)
			body.WriteByte('\n')
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", file, err)
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return q, include(file, q, fragments)
}

// include puts each fragment in place of its {{include:name}} marks.
func include(file string, q Queries, fragments map[string]string) error {
	used := map[string]bool{}
	var missing string
	for n, stmt := range q {
		q[n] = includeMarks.ReplaceAllStringFunc(stmt, func(mark string) string {
			f := includeMarks.FindStringSubmatch(mark)[1]
			text, ok := fragments[f]
			if !ok {
				missing = fmt.Sprintf("%s: query %q includes %q, which is no fragment of the file", file, n, f)
				return mark
			}
			used[f] = true
			return text
		})
	}
	if missing != "" {
		return errors.New(missing)
	}
	for f := range fragments {
		if !used[f] {
			return fmt.Errorf("%s: fragment %q is included by no query", file, f)
		}
	}
	return nil
}

// File is the named queries of one .sql file embedded in a package, known by
// its path in the repository ("internal/clients/clients.sql"). Each package
// that runs named queries exports its files; one list of every package's
// files is prepared at start (CheckAll), and a test fails when an embedded
// .sql file is in no list.
type File struct {
	Path    string
	Queries Queries
	// Unprepared, when set, says why the file cannot be prepared at start
	// (its statements run on tables its own work creates); its package's
	// tests run them instead.
	Unprepared string
}

// MustLoadFile loads file, embedded in fsys by the package at dir.
func MustLoadFile(fsys fs.FS, dir, file string) File {
	return File{Path: dir + "/" + file, Queries: MustLoadQueries(fsys, file)}
}

// Merge joins sets of queries into one; a name defined twice is a build
// mistake and panics.
func Merge(sets ...Queries) Queries {
	all := Queries{}
	for _, q := range sets {
		for name, stmt := range q {
			if _, dup := all[name]; dup {
				panic(fmt.Sprintf("db: query %q is defined twice", name))
			}
			all[name] = stmt
		}
	}
	return all
}

// CheckAll prepares every statement of every file on one connection, so that
// a query that does not parse or names a missing column stops the server at
// start rather than failing a user at 2 a.m.
func CheckAll(ctx context.Context, pool *pgxpool.Pool, lists ...[]File) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("acquire: %w", err)
	}
	defer conn.Release()
	for _, files := range lists {
		for _, f := range files {
			if f.Unprepared != "" {
				continue
			}
			if err := f.Queries.prepare(ctx, conn); err != nil {
				return fmt.Errorf("%s: %w", f.Path, err)
			}
		}
	}
	return nil
}

// MustLoadQueries is LoadQueries for files embedded in the binary, where a
// parse error is a build mistake.
func MustLoadQueries(fsys fs.FS, file string) Queries {
	q, err := LoadQueries(fsys, file)
	if err != nil {
		panic(err)
	}
	return q
}

// Get returns the statement called name.
func (q Queries) Get(name string) string {
	s, ok := q[name]
	if !ok {
		panic(fmt.Sprintf("db: no query named %q", name))
	}
	return s
}

// ScopeMarker matches the place in a stored query where a viewer's scope
// goes: {{scope:c}} stands for the condition over the client table aliased c
// (access.Scoped fills it in). Check prepares queries with it read as true.
var ScopeMarker = regexp.MustCompile(`\{\{scope:([a-z_][a-z0-9_]*)\}\}`)

// OrderMarker is the place in a stored query where the caller puts an ORDER
// BY list chosen from its own whitelist, so that each order is planned as a
// statement of its own (and can be read in an index's order, which an order
// chosen by CASE inside the query never is). Check prepares queries with it
// read as 1.
const OrderMarker = "{{order}}"

// AfterMarker is the place in a stored query where the caller puts a keyset
// condition (the rows after a cursor, in the order of OrderMarker), or true.
// Check prepares queries with it read as true.
const AfterMarker = "{{after}}"

// Check prepares every statement on one connection (CheckAll does it for
// every file of Relay at start).
func (q Queries) Check(ctx context.Context, pool *pgxpool.Pool) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("acquire: %w", err)
	}
	defer conn.Release()
	return q.prepare(ctx, conn)
}

func (q Queries) prepare(ctx context.Context, conn *pgxpool.Conn) error {
	names := make([]string, 0, len(q))
	for n := range q {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		stmt := strings.ReplaceAll(ScopeMarker.ReplaceAllString(q[n], "true"), OrderMarker, "1")
		stmt = strings.ReplaceAll(stmt, AfterMarker, "true")
		if _, err := conn.Conn().Prepare(ctx, "", stmt); err != nil {
			return fmt.Errorf("query %s: %w", n, err)
		}
	}
	return nil
}
