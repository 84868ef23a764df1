-- The users' named queries: the administrators' list and forms, and the
-- placement of a new user. Sign-in reads the user's record through gorm.

-- name: group-branch
-- The branch with code $1 (any group) and its group: `relay user add`.
SELECT br.id, bk.group_id
FROM branch br JOIN bank bk ON bk.id = br.bank_id
WHERE br.code = $1;

-- name: groups
-- The banking groups, or the one with code $1 when it is not empty.
SELECT id FROM banking_group WHERE ($1::text = '' OR code = $1) ORDER BY id;

-- name: branches
-- The branches of group $1, by bank and name.
SELECT br.id, br.code, br.name, bk.name AS bank
FROM branch br JOIN bank bk ON bk.id = br.bank_id
WHERE bk.group_id = $1
ORDER BY bk.name, br.name;

-- name: branch
-- The branch of group $2 with code $1.
SELECT br.id, br.code, br.name, bk.name AS bank
FROM branch br JOIN bank bk ON bk.id = br.bank_id
WHERE br.code = $1 AND bk.group_id = $2;

-- name: list
-- A page of group $1's users by name: $2 a pattern on the login or the name,
-- $3 a role, $4 a branch code, $5 active or not; empty (null) for any.
SELECT u.id, u.group_id, u.login, u.name, u.role, u.branch_id, u.active, u.created_at, u.updated_at,
       coalesce(br.code, ''), coalesce(br.name, ''),
       (SELECT count(*) FROM client c WHERE c.manager_id = u.id),
       (SELECT count(*) FROM client c WHERE c.manager_id = u.id AND c.left_on IS NULL),
       count(*) OVER ()
FROM app_user u LEFT JOIN branch br ON br.id = u.branch_id
WHERE u.group_id = $1
  AND ($2::text = '' OR u.login ILIKE $2 OR u.name ILIKE $2)
  AND ($3::text = '' OR u.role = $3)
  AND ($4::text = '' OR br.code = $4)
  AND ($5::boolean IS NULL OR u.active = $5)
ORDER BY u.name, u.id
LIMIT $6 OFFSET $7;

-- name: count
-- How many users list would find over all pages (for a page past the last).
SELECT count(*)
FROM app_user u LEFT JOIN branch br ON br.id = u.branch_id
WHERE u.group_id = $1
  AND ($2::text = '' OR u.login ILIKE $2 OR u.name ILIKE $2)
  AND ($3::text = '' OR u.role = $3)
  AND ($4::text = '' OR br.code = $4)
  AND ($5::boolean IS NULL OR u.active = $5);

-- name: describe
-- Group $2's user $1 with their branch and how many clients they manage.
SELECT u.id, u.group_id, u.login, u.name, u.role, u.branch_id, u.active, u.created_at, u.updated_at,
       coalesce(br.code, ''), coalesce(br.name, ''),
       (SELECT count(*) FROM client c WHERE c.manager_id = u.id),
       (SELECT count(*) FROM client c WHERE c.manager_id = u.id AND c.left_on IS NULL),
       1
FROM app_user u LEFT JOIN branch br ON br.id = u.branch_id
WHERE u.id = $1 AND u.group_id = $2;

-- name: lock
-- Locks group $2's user $1: a client being given to them (which checks the
-- row through the foreign key) waits until the change is done.
SELECT id FROM app_user WHERE id = $1 AND group_id = $2 FOR UPDATE;

-- name: login-owner
-- The name of the user whose login is $1.
SELECT name FROM app_user WHERE login = $1;

-- name: insert
INSERT INTO app_user (group_id, login, name, role, branch_id, password_hash, active)
VALUES ($1, $2, $3, $4, $5, $6, true)
RETURNING id, password_changed_at, created_at, updated_at;

-- name: place
-- Sets user $1's name, role and branch.
UPDATE app_user SET name = $2, role = $3, branch_id = $4, updated_at = now() WHERE id = $1;

-- name: set-active
UPDATE app_user SET active = $2, updated_at = now() WHERE id = $1;

-- name: set-password
-- $3 is the application's clock, which sessions' sign-in times are read from.
UPDATE app_user SET password_hash = $2, password_changed_at = $3, updated_at = $3 WHERE id = $1;

-- name: set-locale
-- $2 is 'en', 'bg', 'ru' or NULL (follow the browser).
UPDATE app_user SET locale = $2, updated_at = now() WHERE id = $1;
