-- The record of every import, for the admins' imports page.

-- name: start-record
INSERT INTO feed_import (user_id, login, source, origin) VALUES ($1, $2, $3, $4) RETURNING id, started_at;

-- name: finish-record
UPDATE feed_import
SET finished_at = $2, status = $3, files = $4, rows = $5, error_count = $6, errors = $7, message = $8
WHERE id = $1;

-- An import under way records how far it is (migration 00010).
-- name: progress-record
UPDATE feed_import SET progress = $2, rows = $3 WHERE id = $1 AND status = 'running';

-- name: list-records
SELECT id, started_at, finished_at, user_id, login, source, origin, status, files, rows, error_count, message,
       message_key, progress, count(*) OVER ()
FROM feed_import
WHERE ($3::text = '' OR status = $3::text)
ORDER BY started_at DESC, id DESC
LIMIT $1 OFFSET $2;

-- name: get-record
SELECT id, started_at, finished_at, user_id, login, source, origin, status, files, rows, error_count, message,
       message_key, errors, progress
FROM feed_import WHERE id = $1;

-- name: hold-record
-- The importing process holds this lock on a connection of its own while the
-- import runs: when the process dies, the connection and the lock go with it.
SELECT pg_advisory_lock($1::integer, ($2::bigint % 2147483647)::integer);

-- name: release-record
SELECT pg_advisory_unlock($1::integer, ($2::bigint % 2147483647)::integer);

-- name: reconcile-records
-- Imports still "running" whose process is gone (nobody holds their lock)
-- failed: recorded so, and written to the audit log. Run in a transaction,
-- which holds each lock it took until it ends.
WITH gone AS (
    UPDATE feed_import
    SET status = 'failed', finished_at = clock_timestamp(), message = 'interrupted: the process importing it stopped',
        message_key = 'interrupted'
    WHERE status = 'running' AND started_at < now() - interval '10 seconds'
      AND pg_try_advisory_xact_lock($1::integer, (id % 2147483647)::integer)
    RETURNING id, user_id, login, source, origin, message)
INSERT INTO audit_log (user_id, login, action, object, details)
SELECT user_id, login, 'import.failed', 'import:' || id,
       jsonb_build_object('source', source, 'origin', origin, 'status', 'failed', 'errors', 0, 'message', message)
FROM gone
RETURNING object;
