-- The settings' named queries: a setting read (and locked) for a change, the
-- change, and the admin page's list. Reading every setting is gorm's (All).

-- name: get
SELECT key, value, default_value, kind, min_value, max_value, area, label, description, updated_at, updated_by
FROM setting WHERE key = $1;

-- name: get-for-update
-- Locks the row, so that two admins saving the same setting at once record
-- the old values they really replaced.
SELECT key, value, default_value, kind, min_value, max_value, area, label, description, updated_at, updated_by
FROM setting WHERE key = $1
FOR UPDATE;

-- name: save
UPDATE setting SET value = $2, updated_at = $3, updated_by = $4 WHERE key = $1;

-- name: list
-- Every setting, by area and key, with the login of whoever changed it last.
SELECT s.key, s.value, s.default_value, s.kind, s.min_value, s.max_value, s.area, s.label, s.description,
       s.updated_at, s.updated_by, coalesce(u.login, '')
FROM setting s LEFT JOIN app_user u ON u.id = s.updated_by
ORDER BY s.area, s.key;
