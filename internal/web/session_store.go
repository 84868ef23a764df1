package web

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"time"

	"github.com/alexedwards/scs/pgxstore"
	"github.com/alexedwards/scs/v2"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// sessionStore is scs's PostgreSQL store that writes a session row back only
// when it changed or when its expiry would move by more than slack. With an
// idle timeout scs commits every session on every request (to push the expiry
// on), which made every page view an UPDATE of the sessions table; now a
// session that is only read is written at most once per slack, and the idle
// timeout is kept to within slack.
type sessionStore struct {
	*pgxstore.PostgresStore
	pool  *pgxpool.Pool
	codec scs.Codec
	slack time.Duration
}

// sessionSlack is how far a session's stored expiry may lag behind the idle
// timeout: a minute, or a tenth of the timeout when that is shorter.
func sessionSlack(idle time.Duration) time.Duration {
	return min(time.Minute, idle/10)
}

func newSessionStore(pool *pgxpool.Pool, codec scs.Codec, idle time.Duration) *sessionStore {
	return &sessionStore{PostgresStore: pgxstore.NewWithCleanupInterval(pool, 10*time.Minute), pool: pool,
		codec: codec, slack: sessionSlack(idle)}
}

// sessionRead is what FindCtx read for the request, so that CommitCtx can
// tell whether anything changed.
type sessionRead struct {
	token  string
	data   []byte
	expiry time.Time
}

type sessionReadKey struct{}

// trackSessionRead gives each request a place for its session as read;
// it wraps scs's LoadAndSave.
func trackSessionRead(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), sessionReadKey{}, &sessionRead{})))
	})
}

// FindCtx reads the session and remembers its data and expiry for the request.
func (s *sessionStore) FindCtx(ctx context.Context, token string) ([]byte, bool, error) {
	var data []byte
	var expiry time.Time
	err := s.pool.QueryRow(ctx, `SELECT data, expiry FROM sessions WHERE token = $1 AND current_timestamp < expiry`,
		token).Scan(&data, &expiry)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	if seen, ok := ctx.Value(sessionReadKey{}).(*sessionRead); ok {
		*seen = sessionRead{token: token, data: data, expiry: expiry}
	}
	return data, true, nil
}

// CommitCtx writes the session unless the request read it unchanged and its
// expiry would move by less than the slack.
func (s *sessionStore) CommitCtx(ctx context.Context, token string, b []byte, expiry time.Time) error {
	if seen, ok := ctx.Value(sessionReadKey{}).(*sessionRead); ok && seen.token == token &&
		expiry.Sub(seen.expiry) < s.slack && s.same(seen.data, b) {
		return nil
	}
	return s.Commit(token, b, expiry)
}

// same tells whether two encoded sessions hold the same deadline and values
// (the encoding of a map is not stable, so the bytes may differ).
func (s *sessionStore) same(a, b []byte) bool {
	da, va, err := s.codec.Decode(a)
	if err != nil {
		return false
	}
	db, vb, err := s.codec.Decode(b)
	return err == nil && da.Equal(db) && reflect.DeepEqual(va, vb)
}
