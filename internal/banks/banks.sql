-- The banks and banking groups a model or a report covers.

-- name: bank-by-code
SELECT id, group_id, code, name FROM bank WHERE code = $1;

-- name: groups
SELECT id, code, name FROM banking_group ORDER BY id;

-- name: banks
SELECT id, group_id, code, name FROM bank WHERE group_id = $1 ORDER BY id;
