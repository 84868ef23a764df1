package users

import (
	"context"
	"embed"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/relaycrm/relay/internal/db"
)

//go:embed throttle.sql users.sql oidc.sql
var sqlFiles embed.FS

// SQL is the package's named queries, for the check at start.
var SQL = []db.File{
	db.MustLoadFile(sqlFiles, "internal/users", "throttle.sql"),
	db.MustLoadFile(sqlFiles, "internal/users", "users.sql"),
	db.MustLoadFile(sqlFiles, "internal/users", "oidc.sql"),
}

var (
	throttleQueries = SQL[0].Queries
	queries         = SQL[1].Queries
	oidcQueries     = SQL[2].Queries
)

// ThrottleRules are the sign-in throttle's settings: MaxFailures failed
// sign-ins for a login from one address (four times that for a login from
// anywhere, twenty times for an address whatever the login) before each
// further attempt waits for a delay that doubles with each failure, up to
// Window for a login from one address and a minute for the others, so that an
// attacker is slowed down to a crawl while the user, from their own address,
// waits a minute at most. The first delay is FirstDelay (zero: 5 seconds).
// Failures are forgotten Window after the first.
type ThrottleRules struct {
	MaxFailures int
	Window      time.Duration
	FirstDelay  time.Duration
}

// Attempt is one sign-in attempt as the throttle counts it.
type Attempt struct {
	Login, IP string
}

// keys are what an attempt counts against, in the order they are locked
// (the same for every attempt, so two attempts never wait for each other's
// locks in a circle), with each key's threshold and longest delay.
func (a Attempt) keys(r ThrottleRules) []throttleKey {
	login := NormalizeLogin(a.Login)
	return []throttleKey{
		{"pair:" + login + " " + a.IP, r.MaxFailures, r.Window},
		{"login:" + login, 4 * r.MaxFailures, time.Minute},
		{"addr:" + a.IP, 20 * r.MaxFailures, time.Minute},
	}
}

type throttleKey struct {
	key       string
	threshold int
	maxDelay  time.Duration
}

// Wait is how long an attempt must wait before it may be made; zero lets it
// go on, counted as a failure until Succeeded says otherwise.
type Wait time.Duration

// Begin counts a sign-in attempt before its password is checked, and says how
// long it must wait instead when any of its keys is in a delay; a waiting
// attempt is not counted. Keys are counted by the normalised login, so
// " HEAD.BN-SOF-2 " and "head.bn-sof-2" are one login.
func Begin(ctx context.Context, pool *pgxpool.Pool, a Attempt, r ThrottleRules) (Wait, error) {
	if r.MaxFailures < 1 {
		return 0, fmt.Errorf("sign-in throttle: MaxFailures %d", r.MaxFailures)
	}
	a.Login = truncate(a.Login, 200)
	var wait time.Duration
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		type counted struct {
			k                      throttleKey
			failures               int
			windowStart, notBefore time.Time
		}
		var plan []counted
		for _, k := range a.keys(r) {
			if _, err := tx.Exec(ctx, throttleQueries.Get("ensure"), k.key); err != nil {
				return fmt.Errorf("sign-in throttle: %w", err)
			}
			var (
				failures                    int
				windowStart, notBefore, now time.Time
			)
			if err := tx.QueryRow(ctx, throttleQueries.Get("lock"), k.key).Scan(&failures, &windowStart, &notBefore, &now); err != nil {
				return fmt.Errorf("sign-in throttle: %w", err)
			}
			if windowStart.Before(now.Add(-r.Window)) {
				failures, windowStart, notBefore = 0, now, now
			}
			if w := notBefore.Sub(now); w > wait {
				wait = w
			}
			failures++
			if failures >= k.threshold {
				notBefore = now.Add(delay(r.FirstDelay, failures-k.threshold, k.maxDelay))
			}
			plan = append(plan, counted{k, failures, windowStart, notBefore})
		}
		if wait > 0 {
			return nil // not counted: the transaction commits nothing but the keys' rows
		}
		for _, c := range plan {
			if _, err := tx.Exec(ctx, throttleQueries.Get("count"), c.k.key, c.failures, c.windowStart, c.notBefore); err != nil {
				return fmt.Errorf("sign-in throttle: %w", err)
			}
		}
		return nil
	})
	return Wait(wait), err
}

// Succeeded forgets the failures of a's login and gives a's address back the
// attempt Begin counted.
func Succeeded(ctx context.Context, pool *pgxpool.Pool, a Attempt, r ThrottleRules) error {
	a.Login = truncate(a.Login, 200)
	k := a.keys(r)
	if _, err := pool.Exec(ctx, throttleQueries.Get("succeed"), []string{k[0].key, k[1].key}, k[2].key); err != nil {
		return fmt.Errorf("sign-in throttle: %w", err)
	}
	if _, err := pool.Exec(ctx, throttleQueries.Get("prune")); err != nil {
		return fmt.Errorf("sign-in throttle: %w", err)
	}
	return nil
}

// defaultFirstDelay is the wait after a key's threshold is reached; it
// doubles with each further failure.
const defaultFirstDelay = 5 * time.Second

// delay is first × 2^n (first zero: defaultFirstDelay), at most maxDelay.
func delay(first time.Duration, n int, maxDelay time.Duration) time.Duration {
	if first <= 0 {
		first = defaultFirstDelay
	}
	d := time.Duration(math.Pow(2, float64(min(n, 20)))) * first
	return min(d, maxDelay)
}

// NormalizeLogin is a login as it is stored and compared: trimmed and lower-case.
func NormalizeLogin(login string) string { return strings.ToLower(strings.TrimSpace(login)) }

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}
