-- Reassigning a branch's clients from one of its managers to another.
-- {{scope:c}} is replaced by the viewer's condition over client c.

-- name: reassign-manager
-- A manager of the branch, locked so that they are neither deactivated nor
-- moved while clients are given to them: someone whose role is manager
-- there, or who still manages clients of it. $1 user, $2 branch.
SELECT u.id, u.name, u.login, u.active, u.role = 'manager'
FROM app_user u
WHERE u.id = $1 AND u.branch_id = $2
  AND (u.role = 'manager' OR EXISTS (SELECT 1 FROM client c WHERE c.manager_id = u.id))
FOR SHARE OF u;

-- name: reassign-lock-clients
-- The clients asked for that the viewer sees, locked in id order. $1 ids.
SELECT c.id, coalesce(c.manager_id, 0), c.legal_name, c.left_on IS NOT NULL
FROM client c
WHERE c.id = ANY($1::bigint[]) AND {{scope:c}}
ORDER BY c.id
FOR UPDATE OF c;

-- name: reassign-lock-all
-- Every client of a manager the viewer sees, those who have left included,
-- locked in id order. $1 manager.
SELECT c.id, coalesce(c.manager_id, 0), c.legal_name, c.left_on IS NOT NULL
FROM client c
WHERE c.manager_id = $1 AND {{scope:c}}
ORDER BY c.id
FOR UPDATE OF c;

-- name: reassign-clients
-- $1 ids, $2 the new manager.
UPDATE client SET manager_id = $2, updated_at = now() WHERE id = ANY($1::bigint[]);

-- name: reassign-warnings
-- A warning names the client's manager as of the nightly run; it follows
-- the client at once so that lists are right before the next run. $1 ids,
-- $2 the new manager.
UPDATE client_warning SET manager_id = $2 WHERE client_id = ANY($1::bigint[]);
