package db

import (
	"context"
	"fmt"
	"strconv"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// RowScope is the viewer as PostgreSQL's row-level security reads it
// (migrations/00011_hardening.sql): at most one of its keys is set, by
// role. The zero RowScope sees no client data.
type RowScope struct {
	User   int64 // a personal manager: their own clients
	Branch int64 // a branch head: their branch's clients
	Group  int64 // the risk team and admins: the group's clients
}

type rowScopeKey struct{}

// WithRowScope returns ctx carrying s: every connection a query under ctx
// takes from a pool opened by Open is keyed on s before the query runs.
// access.WithViewer is how the web layer calls it.
func WithRowScope(ctx context.Context, s RowScope) context.Context {
	return context.WithValue(ctx, rowScopeKey{}, s)
}

// RowScopeFrom returns the RowScope ctx carries, zero if none.
func RowScopeFrom(ctx context.Context) RowScope {
	s, _ := ctx.Value(rowScopeKey{}).(RowScope)
	return s
}

// rowScopes remembers the RowScope each connection of a pool is keyed on, so
// that a connection taken again for the same viewer costs no round trip.
type rowScopes struct {
	mu   sync.Mutex
	conn map[*pgx.Conn]RowScope
}

func installRowScope(cfg *pgxpool.Config) {
	rs := &rowScopes{conn: map[*pgx.Conn]RowScope{}}
	cfg.PrepareConn = rs.prepare
	cfg.BeforeClose = rs.forget
}

// prepare keys conn on the RowScope of ctx. The settings are the
// connection's (not a transaction's): each acquisition sets them again, so a
// connection never carries one request's viewer into another's.
func (rs *rowScopes) prepare(ctx context.Context, conn *pgx.Conn) (bool, error) {
	want := RowScopeFrom(ctx)
	rs.mu.Lock()
	have, known := rs.conn[conn]
	rs.mu.Unlock()
	if known && have == want {
		return true, nil
	}
	text := func(n int64) string {
		if n == 0 {
			return ""
		}
		return strconv.FormatInt(n, 10)
	}
	if _, err := conn.Exec(ctx, `SELECT set_config('relay.viewer_user', $1, false),
		set_config('relay.viewer_branch', $2, false), set_config('relay.viewer_group', $3, false)`,
		text(want.User), text(want.Branch), text(want.Group)); err != nil {
		rs.forget(conn)
		return false, fmt.Errorf("key the connection on the viewer: %w", err)
	}
	rs.mu.Lock()
	rs.conn[conn] = want
	rs.mu.Unlock()
	return true, nil
}

func (rs *rowScopes) forget(conn *pgx.Conn) {
	rs.mu.Lock()
	delete(rs.conn, conn)
	rs.mu.Unlock()
}
