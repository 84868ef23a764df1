package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/relaycrm/relay/internal/db"
)

// Filter narrows the audit log. Zero values mean "any".
type Filter struct {
	Action string    // exact action, e.g. user.update
	Login  string    // exact login, as recorded
	Object string    // exact object (user:12), or a kind of object without the colon (user)
	From   time.Time // entries at or after
	Until  time.Time // entries before
	// Before and After are keyset cursors: the id of the last entry of the
	// page seen, to read the page older (Before) or newer (After) than it.
	Before, After int64
	Limit         int
}

// DefaultLimit is how many entries a page of the log holds.
const DefaultLimit = 50

// Page is a page of the log, newest first.
type Page struct {
	Entries []Entry
	// HasOlder and HasNewer tell whether there are entries past either end.
	HasOlder, HasNewer bool
}

// List returns a page of the entries matching f, newest first. It reads by
// keyset over (at, id), so that a page costs the same at the start of a long
// log as deep inside it; each filter is served by an index on (filter, at, id).
func List(ctx context.Context, q db.Querier, f Filter) (Page, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
	args := &db.Args{}
	var where []string
	if f.Action != "" {
		where = append(where, "a.action = "+args.Add(f.Action))
	}
	if f.Login != "" {
		where = append(where, "a.login = "+args.Add(f.Login))
	}
	switch {
	case f.Object == "":
	case strings.Contains(f.Object, ":"):
		where = append(where, "a.object = "+args.Add(f.Object))
	default:
		where = append(where, "a.object LIKE "+args.Add(likePrefix(f.Object)+":%"))
	}
	if !f.From.IsZero() {
		where = append(where, "a.at >= "+args.Add(f.From))
	}
	if !f.Until.IsZero() {
		where = append(where, "a.at < "+args.Add(f.Until))
	}
	order := "a.at DESC, a.id DESC"
	switch {
	case f.Before != 0:
		where = append(where, "(a.at, a.id) < (SELECT at, id FROM audit_log WHERE id = "+args.Add(f.Before)+")")
	case f.After != 0:
		where = append(where, "(a.at, a.id) > (SELECT at, id FROM audit_log WHERE id = "+args.Add(f.After)+")")
		order = "a.at, a.id"
	}
	cond := "true"
	if len(where) > 0 {
		cond = strings.Join(where, " AND ")
	}
	rows, err := q.Query(ctx, fmt.Sprintf(`
		SELECT a.id, a.at, coalesce(a.user_id, 0), a.login, coalesce(host(a.ip), ''), a.action, a.object, a.details
		FROM audit_log a
		WHERE %s
		ORDER BY %s
		LIMIT %s`, cond, order, args.Add(limit+1)), args.Values()...)
	if err != nil {
		return Page{}, fmt.Errorf("audit log: %w", err)
	}
	entries, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Entry, error) {
		var e Entry
		var details []byte
		if err := r.Scan(&e.ID, &e.At, &e.UserID, &e.Login, &e.IP, &e.Action, &e.Object, &details); err != nil {
			return e, err
		}
		if err := json.Unmarshal(details, &e.Details); err != nil {
			return e, fmt.Errorf("details of entry %d: %w", e.ID, err)
		}
		return e, nil
	})
	if err != nil {
		return Page{}, fmt.Errorf("audit log: %w", err)
	}
	more := len(entries) > limit
	if more {
		entries = entries[:limit]
	}
	p := Page{Entries: entries}
	switch {
	case f.After != 0:
		// read oldest first from the cursor; show newest first
		for i, j := 0, len(entries)-1; i < j; i, j = i+1, j-1 {
			entries[i], entries[j] = entries[j], entries[i]
		}
		p.HasNewer, p.HasOlder = more, true
	case f.Before != 0:
		p.HasOlder, p.HasNewer = more, true
	default:
		p.HasOlder = more
	}
	return p, nil
}

// likePrefix escapes LIKE's wildcards in s.
func likePrefix(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// Actions lists the distinct actions in the log, in order. It skips from one
// action to the next along the action index, so it reads a handful of index
// entries per action rather than the whole log.
func Actions(ctx context.Context, q db.Querier) ([]string, error) {
	rows, err := q.Query(ctx, `
		WITH RECURSIVE a AS (
		    (SELECT action FROM audit_log ORDER BY action LIMIT 1)
		    UNION ALL
		    SELECT (SELECT l.action FROM audit_log l WHERE l.action > a.action ORDER BY l.action LIMIT 1)
		    FROM a WHERE a.action IS NOT NULL)
		SELECT action FROM a WHERE action IS NOT NULL`)
	if err != nil {
		return nil, fmt.Errorf("audit actions: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("audit actions: %w", err)
	}
	return out, nil
}
