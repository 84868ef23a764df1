-- Sign-in throttling (migrations/00011_hardening.sql): every attempt counts
-- against its keys before its password is checked, each key's row locked,
-- so that parallel guesses are counted one by one.

-- name: ensure
INSERT INTO login_throttle (key) VALUES ($1) ON CONFLICT (key) DO NOTHING;

-- name: lock
-- A key as it stands, locked until the attempt's transaction ends, with the
-- database's clock (every server counts on the same one).
SELECT failures, window_start, not_before, now() FROM login_throttle WHERE key = $1 FOR UPDATE;

-- name: count
UPDATE login_throttle SET failures = $2, window_start = $3, not_before = $4, last_at = now() WHERE key = $1;

-- name: succeed
-- A sign-in succeeded: its login's failures are forgotten, and its address
-- gets back the attempt counted against it.
WITH forgotten AS (DELETE FROM login_throttle WHERE key = ANY ($1::text[]))
UPDATE login_throttle SET failures = greatest(failures - 1, 0) WHERE key = $2;

-- name: prune
-- Keys untouched for a day are gone for good.
DELETE FROM login_throttle WHERE last_at < now() - interval '1 day';
