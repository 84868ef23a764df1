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
       progress, count(*) OVER ()
FROM feed_import
WHERE ($3::text = '' OR status = $3::text)
ORDER BY started_at DESC, id DESC
LIMIT $1 OFFSET $2;

-- name: get-record
SELECT id, started_at, finished_at, user_id, login, source, origin, status, files, rows, error_count, message, errors,
       progress
FROM feed_import WHERE id = $1;
