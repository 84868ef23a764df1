-- The single sign-on's named queries: the user a provider's subject is, and
-- their creation or update at each sign-in.

-- name: by-subject
-- The user whom issuer $1 knows as subject $2, locked for the sign-in's update.
SELECT id, login, name, role, branch_id, group_id, active
FROM app_user WHERE oidc_issuer = $1 AND oidc_subject = $2
FOR UPDATE;

-- name: by-login
-- The local user with login $1 that no provider knows yet (to be linked),
-- locked for the sign-in's update.
SELECT id, login, name, role, branch_id, group_id, active
FROM app_user WHERE login = $1 AND oidc_subject IS NULL
FOR UPDATE;

-- name: insert-external
INSERT INTO app_user (group_id, login, name, role, branch_id, password_hash, active, oidc_issuer, oidc_subject)
VALUES ($1, $2, $3, $4, $5, $6, true, $7, $8)
RETURNING id;

-- name: place-external
-- Sets user $1's name, role, branch and group as the provider says, and
-- links them to its subject.
UPDATE app_user SET name = $2, role = $3, branch_id = $4, group_id = $5, oidc_issuer = $6, oidc_subject = $7,
       updated_at = now()
WHERE id = $1;
