-- Personal access tokens. None reads client data.

-- name: create
-- $1 user, $2 name, $3 hash, $4 prefix, $5 now, $6 expiry.
INSERT INTO api_token (user_id, name, token_hash, prefix, created_at, expires_at)
VALUES ($1, $2, $3, $4, $5, $6)
RETURNING id;

-- name: authenticate
-- The live token of hash $1 at $2, and its last use written when it is
-- older than a minute (so that a busy client does not write a row a request).
WITH t AS (
    SELECT id, user_id, last_used_at FROM api_token
    WHERE token_hash = $1 AND revoked_at IS NULL AND expires_at > $2
), touched AS (
    UPDATE api_token a SET last_used_at = $2
    FROM t
    WHERE a.id = t.id AND (t.last_used_at IS NULL OR t.last_used_at < $2::timestamptz - interval '1 minute')
)
SELECT id, user_id FROM t;

-- name: revoke
-- Revoke token $1 of user $2 (any user's when $2 is 0) at $3; no row when
-- there is no such live token.
UPDATE api_token SET revoked_at = $3
WHERE id = $1 AND ($2 = 0 OR user_id = $2) AND revoked_at IS NULL
RETURNING user_id, name;

-- name: list
-- User $1's tokens, newest first.
SELECT id, user_id, name, prefix, created_at, expires_at, last_used_at, revoked_at
FROM api_token WHERE user_id = $1
ORDER BY created_at DESC, id DESC;
